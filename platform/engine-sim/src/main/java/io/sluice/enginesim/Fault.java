package io.sluice.enginesim;

import java.util.Arrays;
import java.util.Locale;

/**
 * A fault armed on one simulated engine instance.
 *
 * <p>Generation faults ({@link Mode#CRASH_MID_STREAM}, {@link Mode#HANG}, {@link Mode#HTTP_5XX},
 * {@link Mode#GARBAGE}, {@link Mode#ERROR_FRAME}) apply to the next {@code count} generation requests the instance receives
 * ({@code -1}: every request until cleared). {@link Mode#SLOW_START} makes the health endpoint report
 * "loading" for {@code delayMs} from the moment it is armed. {@link Mode#REFUSE_LOAD} makes the model
 * fail to load: for Triton the next {@code count} load requests fail; for the other engines the
 * instance reports unhealthy until the fault is cleared.
 *
 * @param mode what goes wrong
 * @param afterTokens for crash, hang, garbage and error frame: how many good tokens are sent first
 * @param count how many generation requests (or Triton loads) the fault applies to; {@code -1} = until cleared
 * @param status for {@link Mode#HTTP_5XX}: the HTTP status to answer with
 * @param delayMs for {@link Mode#SLOW_START}: how long health reports loading
 */
public record Fault(Mode mode, int afterTokens, int count, int status, long delayMs) {

    /** Kinds of injected failure. */
    public enum Mode {
        NONE,
        CRASH_MID_STREAM,
        HANG,
        HTTP_5XX,
        SLOW_START,
        REFUSE_LOAD,
        GARBAGE,
        /** The engine reports a request-level error inside the stream ({@code data: {"error": ...}}) and ends it. */
        ERROR_FRAME;

        /** The wire name, e.g. {@code crash_mid_stream}. */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Parses a wire name; throws {@link IllegalArgumentException} listing the known names. */
        public static Mode fromId(String id) {
            String wanted = id.trim().toLowerCase(Locale.ROOT);
            return Arrays.stream(values())
                    .filter(m -> m.id().equals(wanted))
                    .findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("unknown fault mode '" + id
                            + "', expected one of crash_mid_stream|hang|http_5xx|slow_start|refuse_load|garbage|error_frame|none"));
        }

        /** Whether the fault is consumed by generation requests (as opposed to health or loading). */
        public boolean affectsGeneration() {
            return this == CRASH_MID_STREAM || this == HANG || this == HTTP_5XX || this == GARBAGE || this == ERROR_FRAME;
        }
    }

    /** No fault. */
    public static final Fault NONE = new Fault(Mode.NONE, 0, 0, 500, 0);

    public Fault {
        if (mode == null) {
            throw new IllegalArgumentException("fault mode is required");
        }
        if (afterTokens < 0) {
            throw new IllegalArgumentException("after_tokens must be >= 0, got " + afterTokens);
        }
        if (count < -1 || count == 0 && mode != Mode.NONE) {
            throw new IllegalArgumentException("count must be -1 (until cleared) or >= 1, got " + count);
        }
        if (mode == Mode.HTTP_5XX && (status < 400 || status > 599)) {
            throw new IllegalArgumentException("status must be an HTTP error status (400-599), got " + status);
        }
        if (delayMs < 0) {
            throw new IllegalArgumentException("delay_ms must be >= 0, got " + delayMs);
        }
    }

    /** A fault of the given mode with the defaults: after 0 tokens, once, status 500, no delay. */
    public static Fault of(Mode mode) {
        return new Fault(mode, 0, mode == Mode.NONE ? 0 : 1, 500, 0);
    }

    public Fault withAfterTokens(int n) {
        return new Fault(mode, n, count, status, delayMs);
    }

    public Fault withCount(int n) {
        return new Fault(mode, afterTokens, n, status, delayMs);
    }

    public Fault withStatus(int s) {
        return new Fault(mode, afterTokens, count, s, delayMs);
    }

    public Fault withDelayMs(long ms) {
        return new Fault(mode, afterTokens, count, status, ms);
    }
}
