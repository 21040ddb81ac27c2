package io.sluice.enginesim.internal;

import com.fasterxml.jackson.databind.JsonNode;

import io.sluice.enginesim.DeterministicText;
import io.sluice.enginesim.Fault;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

/**
 * One generation request from admission to its end. Confined to the instance's event loop: every
 * method runs there, so no field needs synchronisation.
 *
 * <p>Pacing: token {@code k} (0-based) is due {@code (k + 1) / tokens_per_s} after the slot was taken;
 * a timer wakes up for the next due token and sends every token that is due, so the average rate holds
 * even below the timer's millisecond granularity. With no rate, tokens go out in batches and the loop
 * yields between batches so other connections on the same event loop keep moving.
 */
public final class Generation {

    enum State {
        NEW,
        QUEUED,
        RUNNING,
        HUNG,
        DONE
    }

    private static final int UNPACED_BATCH = 32;

    final SimEngine engine;
    final EngineApi api;
    final HttpServerRequest req;
    final HttpServerResponse resp;
    final GenRequest request;
    final long base;
    /** The protocol-visible id (vLLM "cmpl-..."), fixed at admission. */
    final String id;
    final long createdEpochSeconds;
    final int taskId;

    State state = State.NEW;
    Fault fault;
    int slot = -1;
    int sent;
    boolean hasNewLine;
    final StringBuilder text = new StringBuilder();
    /** llama.cpp: text of tokens not yet sent because their UTF-8 character is incomplete (see LlamaCppApi). */
    final StringBuilder heldBack = new StringBuilder();
    long enqueuedNanos;
    long startedNanos;
    long firstTokenNanos;
    long lastTokenNanos;
    long queueTimerId = -1;
    private long timerId = -1;
    /** Completes once the last frame written has reached the socket. */
    private Future<Void> lastWrite = Future.succeededFuture();
    private final long intervalNanos;
    /** Tokens a resumed generation had produced before it was cut (llama.cpp {@code resume_text}); 0 for a new one. */
    private final int resumedTokens;

    Generation(SimEngine engine, EngineApi api, HttpServerRequest req, GenRequest request, String id, int taskId) {
        this.engine = engine;
        this.api = api;
        this.req = req;
        this.resp = req.response();
        this.request = request;
        this.id = id;
        this.taskId = taskId;
        this.createdEpochSeconds = System.currentTimeMillis() / 1000;
        this.base = DeterministicText.base(request.seed(), request.prompt(), engine.spec().engineVersion(),
                engine.spec().digest(), request.sampler());
        JsonNode resume = request.raw() == null ? null : request.raw().get("resume_text");
        this.resumedTokens = resume != null && resume.isTextual() && engine.spec().interruptibleDecode()
                ? Math.max(0, DeterministicText.resumedTokens(base, resume.asText()))
                : 0;
        double tps = engine.spec().tokensPerSecond();
        this.intervalNanos = tps > 0 ? (long) Math.max(1, 1e9 / tps) : 0;
    }

    public GenRequest request() {
        return request;
    }

    public int slot() {
        return slot;
    }

    public int sent() {
        return sent;
    }

    public String text() {
        return text.toString();
    }

    public boolean hasNewLine() {
        return hasNewLine;
    }

    public String id() {
        return id;
    }

    public long createdEpochSeconds() {
        return createdEpochSeconds;
    }

    public int taskId() {
        return taskId;
    }

    public long base() {
        return base;
    }

    boolean processing() {
        return state == State.RUNNING || state == State.HUNG;
    }

    /** Milliseconds from taking the slot to the first token (the simulated prompt phase). */
    public double promptMs() {
        long end = firstTokenNanos != 0 ? firstTokenNanos : System.nanoTime();
        return (end - startedNanos) / 1e6;
    }

    /** Milliseconds spent generating after the first token. */
    public double predictedMs() {
        if (firstTokenNanos == 0) {
            return 0;
        }
        return (lastTokenNanos - firstTokenNanos) / 1e6;
    }

    /** Called once the slot is ours. */
    void start(int slot) {
        this.slot = slot;
        this.state = State.RUNNING;
        this.startedNanos = System.nanoTime();
        if (request.stream()) {
            resp.setStatusCode(200)
                    .setChunked(true)
                    .putHeader("Content-Type", api.streamContentType())
                    .putHeader("Cache-Control", "no-cache");
            resp.writeHead();
        }
        schedule();
    }

    private void schedule() {
        if (state != State.RUNNING) {
            return;
        }
        if (intervalNanos == 0) {
            engine.runLater(this::tick);
            return;
        }
        long dueAt = startedNanos + (sent + 1L) * intervalNanos;
        long delayMs = Math.max(1, (dueAt - System.nanoTime() + 999_999) / 1_000_000);
        timerId = engine.vertx().setTimer(delayMs, t -> {
            timerId = -1;
            tick();
        });
    }

    private void tick() {
        if (state != State.RUNNING) {
            return;
        }
        int max = request.maxTokens();
        int due = intervalNanos == 0
                ? sent + UNPACED_BATCH
                : (int) Math.min(Integer.MAX_VALUE, (System.nanoTime() - startedNanos) / intervalNanos);
        boolean emitted = false;
        while (sent < max && sent < due) {
            if (faultDue()) {
                applyFault();
                return;
            }
            emit();
            emitted = true;
            if (state != State.RUNNING) {
                return;
            }
            if (request.stream() && resp.writeQueueFull()) {
                // A slow reader: stop producing until the socket drains, as a real server's send buffer would.
                resp.drainHandler(v -> {
                    resp.drainHandler(null);
                    schedule();
                });
                engine.onDecode(emitted);
                return;
            }
        }
        engine.onDecode(emitted);
        if (sent >= max) {
            if (faultDue()) {
                applyFault();
            } else {
                finish();
            }
            return;
        }
        schedule();
    }

    private boolean faultDue() {
        return fault != null && sent == Math.min(fault.afterTokens(), request.maxTokens());
    }

    private void emit() {
        int i = sent;
        String piece = DeterministicText.piece(base, resumedTokens + i);
        long now = System.nanoTime();
        if (i == 0) {
            firstTokenNanos = now;
        }
        lastTokenNanos = now;
        sent++;
        text.append(piece);
        if (piece.indexOf('\n') >= 0) {
            hasNewLine = true;
        }
        engine.onToken();
        if (request.stream()) {
            boolean last = sent == request.maxTokens();
            Buffer frame = api.tokenFrame(this, i, piece, last);
            // A held-back token has no frame; an empty chunk would end the chunked body.
            if (frame.length() > 0) {
                lastWrite = resp.write(frame);
            }
        }
    }

    private void finish() {
        state = State.DONE;
        engine.release(this, SimEngine.Outcome.COMPLETED);
        if (request.stream()) {
            Buffer end = api.endFrames(this);
            if (end.length() > 0) {
                resp.end(end);
            } else {
                resp.end();
            }
        } else {
            Http.json(resp, 200, api.completeBody(this));
        }
    }

    private void applyFault() {
        engine.onFaultHit();
        switch (fault.mode()) {
            case CRASH_MID_STREAM -> {
                state = State.DONE;
                engine.release(this, SimEngine.Outcome.FAULTED);
                // Closing the socket without the chunked terminator: the client sees a truncated body,
                // as when an engine process dies mid-stream. Wait for the frames already written to leave,
                // else closing would discard them and the client would not see the N good tokens.
                lastWrite.onComplete(ar -> resp.close());
            }
            case HANG -> {
                // Keep the slot and the connection, send nothing more; the close handler frees the slot
                // when the client gives up.
                state = State.HUNG;
            }
            case GARBAGE -> {
                state = State.DONE;
                engine.release(this, SimEngine.Outcome.FAULTED);
                if (request.stream()) {
                    resp.end(api.garbageFrame());
                } else {
                    resp.setStatusCode(200).putHeader("Content-Type", "application/json").end(api.garbageBody());
                }
            }
            case ERROR_FRAME -> {
                state = State.DONE;
                engine.release(this, SimEngine.Outcome.FAULTED);
                String message = "simulated engine failure (error_frame fault)";
                if (request.stream()) {
                    resp.end(api.errorFrame(message));
                } else {
                    api.error(resp, Failure.INTERNAL, 500, message);
                }
            }
            default -> throw new IllegalStateException("fault " + fault.mode() + " is not applied mid-generation");
        }
    }

    /** The client went away (connection closed) before the end. */
    void onClientGone() {
        switch (state) {
            case QUEUED -> {
                state = State.DONE;
                engine.dequeue(this);
                engine.countAborted();
            }
            case RUNNING, HUNG -> {
                state = State.DONE;
                if (timerId != -1) {
                    engine.vertx().cancelTimer(timerId);
                    timerId = -1;
                }
                engine.release(this, SimEngine.Outcome.ABORTED);
            }
            default -> {
                // already finished or never admitted
            }
        }
    }

    /** Shut down with the server: stop timers without touching counters. */
    void cancelTimers() {
        if (timerId != -1) {
            engine.vertx().cancelTimer(timerId);
            timerId = -1;
        }
        if (queueTimerId != -1) {
            engine.vertx().cancelTimer(queueTimerId);
            queueTimerId = -1;
        }
        state = State.DONE;
    }
}
