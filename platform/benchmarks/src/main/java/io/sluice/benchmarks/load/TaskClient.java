package io.sluice.benchmarks.load;

/**
 * One way of running a generation end to end: through Sluice ({@link SluiceTaskClient}) or straight against
 * the engine ({@link DirectEngineClient}). The closed loop drives both the same way, so the only difference
 * measured is the path.
 *
 * <p>Called on the driver's single event loop; implementations call the observer on that loop too and never
 * block it.
 */
interface TaskClient {
    /** Which side of the comparison this client measures. */
    Side side();

    /** Starts one task; the observer hears of its tokens and exactly one {@code ended} or {@code failed}. */
    void start(long sequence, TaskObserver observer);

    enum Side {
        DIRECT,
        /** Straight to the engine through a bare streaming proxy ({@link StreamRelay}): the floor of any gateway. */
        RELAY,
        SLUICE,
        /** Through Sluice's task API with sessions continued over several turns (affinity, turn counting; SES-1..3). */
        SESSIONS,
        /** Through Sluice's OpenAI-compatible facade ({@code POST /v1/completions}, streamed; ADM-9). */
        OPENAI;

        String wire() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** What a task reports back; every time is {@link System#nanoTime()} taken when the bytes arrived. */
    interface TaskObserver {
        /** The submit call was answered with success (Sluice only). */
        void submitted(long nanoTime);

        void token(long nanoTime);

        void ended(long nanoTime);

        /** @param errorKey what went wrong, e.g. {@code POST 429 ADMISSION_REJECT} — the key errors are counted by */
        void failed(long nanoTime, String errorKey);
    }
}
