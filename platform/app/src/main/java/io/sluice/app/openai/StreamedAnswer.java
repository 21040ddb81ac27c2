package io.sluice.app.openai;

import io.sluice.core.error.SluiceError;
import io.sluice.core.scheduling.TaskRun;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;

/**
 * A streamed answer: SSE {@code data:} lines of {@code chat.completion.chunk} (or {@code text_completion}) objects,
 * then {@code data: [DONE]}. Each token frame is a prefix and suffix built once per answer around the escaped token
 * text. The 200 and its headers go out with the first frame, so a task that fails before producing anything (a pool
 * that went down while it waited) still answers its typed status; a failure after that ends the stream with an
 * {@code error} frame, as OpenAI's streams do, and no {@code [DONE]}.
 */
final class StreamedAnswer extends Answer {
    private static final Buffer DONE = Buffer.buffer("data: [DONE]\n\n");
    private final String prefix;
    private final String suffix;
    private final String head;
    private boolean begun;

    StreamedAnswer(OpenAiRoute route, RoutingContext rc, OpenAiRoute.Kind kind, TaskRun run, OpenAiRequests.Mapped request,
            String correlationId, OpenAiErrors.Params params) {
        super(route, rc, kind, run, request, correlationId, params);
        boolean chat = kind == OpenAiRoute.Kind.CHAT;
        head = "data: {\"id\":\"" + id + "\",\"object\":\"" + (chat ? "chat.completion.chunk" : "text_completion") + "\",\"created\":"
                + created + ",\"model\":" + modelJson() + ",\"choices\":";
        prefix = head + (chat ? "[{\"index\":0,\"delta\":{\"content\":\"" : "[{\"text\":\"");
        suffix = chat ? "\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n" : "\",\"index\":0,\"logprobs\":null,\"finish_reason\":null}]}\n\n";
    }

    private void begin() {
        if (begun) {
            return;
        }
        begun = true;
        response.setStatusCode(200).setChunked(true).putHeader("Content-Type", "text/event-stream").putHeader("Cache-Control", "no-cache");
        if (kind == OpenAiRoute.Kind.CHAT) {
            send(head + "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n");
        }
    }

    private void send(String frame) {
        if (!response.closed()) {
            response.write(Buffer.buffer(frame));
        }
    }

    @Override
    void text(String t) {
        begin();
        StringBuilder sb = new StringBuilder(prefix.length() + suffix.length() + t.length() + 8).append(prefix);
        JsonText.escaped(sb, t).append(suffix);
        send(sb.toString());
    }

    @Override
    void complete(String finishReason, long completionTokens) {
        begin();
        if (kind == OpenAiRoute.Kind.CHAT) {
            send(head + "[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"" + finishReason + "\"}]}\n\n");
        } else {
            send(head + "[{\"text\":\"\",\"index\":0,\"logprobs\":null,\"finish_reason\":\"" + finishReason + "\"}]}\n\n");
        }
        if (request.includeUsage()) {
            send(usage(new StringBuilder(head).append("[],\"usage\":"), completionTokens).append("}\n\n").toString());
        }
        if (!response.closed()) {
            response.end(DONE);
        }
    }

    @Override
    void failed(SluiceError error) {
        if (!begun) {
            if (!response.closed()) {
                OpenAiErrors.write(response, error, correlationId, params, route.json);
            }
            return;
        }
        send("data: " + OpenAiErrors.body(error, correlationId, params, route.json) + "\n\n");
        if (!response.closed()) {
            response.end();
        }
    }
}
