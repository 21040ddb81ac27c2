package io.sluice.app.openai;

import io.sluice.core.engine.GenerationOutcome;
import io.sluice.core.error.SluiceError;
import io.sluice.core.scheduling.TaskRun;
import io.sluice.core.stream.EventLog;
import io.sluice.core.stream.TaskEvent;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;

/**
 * The answer to one OpenAI request, read from its task's event log. Tokens pass through the stop sequences; the
 * terminal event decides the rest: {@code end} completes the answer with {@code finish_reason} and {@code usage},
 * {@code error} answers the typed error. A stop sequence ends the answer at once and cancels the task, so the engine
 * stops decoding what nobody reads; so does a client that goes away.
 *
 * <p>Usage (ADR 0013): {@code completion_tokens} is the task's {@code tokens_out} (the engine's own count); when a
 * stop sequence ended the answer, the tokens received until then. {@code prompt_tokens} is the count the engine
 * reported for the prompt it evaluated, or Sluice's admission estimate when the engine reports none.
 *
 * <p>Threads: events arrive in order on the thread appending to the log, the close handler on the connection's event
 * loop; the answer's state is guarded by its monitor.
 */
abstract class Answer implements EventLog.Listener {
    protected final OpenAiRoute route;
    protected final RoutingContext rc;
    protected final HttpServerResponse response;
    protected final OpenAiRoute.Kind kind;
    protected final TaskRun run;
    protected final OpenAiRequests.Mapped request;
    protected final String correlationId;
    protected final OpenAiErrors.Params params;
    protected final long created = Instant.now().getEpochSecond();
    /** {@code chatcmpl-<task id>} or {@code cmpl-<task id>}. */
    protected final String id;
    private final StopSequences stops;
    private EventLog.Subscription subscription;
    private long tokens;
    private boolean done;

    Answer(OpenAiRoute route, RoutingContext rc, OpenAiRoute.Kind kind, TaskRun run, OpenAiRequests.Mapped request, String correlationId,
            OpenAiErrors.Params params) {
        this.route = route;
        this.rc = rc;
        this.response = rc.response();
        this.kind = kind;
        this.run = run;
        this.request = request;
        this.correlationId = correlationId;
        this.params = params;
        this.id = (kind == OpenAiRoute.Kind.CHAT ? "chatcmpl-" : "cmpl-") + run.spec().taskId();
        this.stops = new StopSequences(request.stops());
    }

    final void start() {
        response.putHeader(OpenAiRoute.TASK_HEADER, run.spec().taskId().toString());
        response.closeHandler(v -> clientLeft());
        EventLog.Subscription s = run.log().subscribe(0, this);
        synchronized (this) {
            if (done) {
                s.close();
            } else {
                subscription = s;
            }
        }
    }

    @Override
    public final synchronized void onEvent(long eventId, TaskEvent event) {
        if (done) {
            return;
        }
        if (event instanceof TaskEvent.Token t) {
            tokens++;
            String out = stops.feed(t.t());
            if (!out.isEmpty()) {
                text(out);
            }
            if (stops.matched()) {
                end();
                complete("stop", tokens);
                cancelTask();
            }
        } else if (event instanceof TaskEvent.End e) {
            String rest = stops.flush();
            if (!rest.isEmpty()) {
                text(rest);
            }
            end();
            complete(finishReason(e.tokensOut()), e.tokensOut());
        } else if (event instanceof TaskEvent.Failed f) {
            end();
            failed(f.error());
        }
    }

    private synchronized void clientLeft() {
        if (!done) {
            end();
            cancelTask();
        }
    }

    private void end() {
        done = true;
        if (subscription != null) {
            subscription.close();
        }
    }

    /** Cancels off the log's lock: events are delivered while it is held, and cancelling takes the pool's. */
    private void cancelTask() {
        rc.vertx().runOnContext(v -> route.service.cancelLocal(run.spec().taskId(), run.spec().tenantId()));
    }

    /** OpenAI's finish_reason from how the engine ended: {@code length} when max_tokens or the context cut it. */
    private String finishReason(long tokensOut) {
        GenerationOutcome o = run.engineOutcome();
        if (o != null) {
            switch (o.stopReason()) {
                case MAX_TOKENS, CONTEXT_LIMIT -> {
                    return "length";
                }
                case STOP -> {
                    return "stop";
                }
                default -> {
                    // the protocol did not say: judge by the count below
                }
            }
        }
        return tokensOut >= run.spec().maxTokens() ? "length" : "stop";
    }

    protected final long promptTokens() {
        GenerationOutcome o = run.engineOutcome();
        return o != null && o.promptTokens() >= 0 ? o.promptTokens() : run.spec().estimatedPromptTokens();
    }

    protected final StringBuilder usage(StringBuilder sb, long completionTokens) {
        long prompt = promptTokens();
        return sb.append("{\"prompt_tokens\":").append(prompt).append(",\"completion_tokens\":").append(completionTokens)
                .append(",\"total_tokens\":").append(prompt + completionTokens).append('}');
    }

    /** The served model's name (after catalog resolution), quoted. */
    protected final String modelJson() {
        return JsonText.quoted(new StringBuilder(), run.spec().modelRef()).toString();
    }

    /** Text that passed the stop sequences. */
    abstract void text(String text);

    /** The answer is complete. */
    abstract void complete(String finishReason, long completionTokens);

    /** The task ended with a typed error. */
    abstract void failed(SluiceError error);
}
