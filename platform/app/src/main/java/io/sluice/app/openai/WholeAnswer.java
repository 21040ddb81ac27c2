package io.sluice.app.openai;

import io.sluice.core.error.SluiceError;
import io.sluice.core.scheduling.TaskRun;
import io.vertx.ext.web.RoutingContext;

/** A non-streamed answer: the text is collected and sent once, as {@code chat.completion} or {@code text_completion}. */
final class WholeAnswer extends Answer {
    private final StringBuilder text = new StringBuilder(256);

    WholeAnswer(OpenAiRoute route, RoutingContext rc, OpenAiRoute.Kind kind, TaskRun run, OpenAiRequests.Mapped request, String correlationId,
            OpenAiErrors.Params params) {
        super(route, rc, kind, run, request, correlationId, params);
    }

    @Override
    void text(String t) {
        text.append(t);
    }

    @Override
    void complete(String finishReason, long completionTokens) {
        StringBuilder sb = new StringBuilder(text.length() + 256);
        sb.append("{\"id\":\"").append(id).append("\",\"object\":\"")
                .append(kind == OpenAiRoute.Kind.CHAT ? "chat.completion" : "text_completion")
                .append("\",\"created\":").append(created).append(",\"model\":").append(modelJson()).append(",\"choices\":[{\"index\":0,");
        if (kind == OpenAiRoute.Kind.CHAT) {
            JsonText.quoted(sb.append("\"message\":{\"role\":\"assistant\",\"content\":"), text.toString()).append("},");
        } else {
            JsonText.quoted(sb.append("\"text\":"), text.toString()).append(',');
        }
        sb.append("\"logprobs\":null,\"finish_reason\":\"").append(finishReason).append("\"}],\"usage\":");
        usage(sb, completionTokens).append('}');
        if (!response.closed()) {
            response.setStatusCode(200).putHeader("Content-Type", "application/json").end(sb.toString());
        }
    }

    @Override
    void failed(SluiceError error) {
        if (!response.closed()) {
            OpenAiErrors.write(response, error, correlationId, params, route.json);
        }
    }
}
