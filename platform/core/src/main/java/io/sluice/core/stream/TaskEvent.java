package io.sluice.core.stream;

import io.sluice.core.error.SluiceError;
import java.util.Map;

/**
 * One event of a task's stream (SPEC SSE-1). Exactly one terminal event ({@link End} or {@link Failed}) ends
 * every stream.
 */
public sealed interface TaskEvent {
    /** SSE event name. */
    String name();

    default boolean terminal() {
        return false;
    }

    record Started(long queuePosition, long predictedStartMs, String poolId, String replicaId, String engine)
            implements TaskEvent {
        @Override
        public String name() {
            return "started";
        }
    }

    /** A decoded piece of text; {@code i} counts from 0 without gaps. */
    record Token(String t, long i) implements TaskEvent {
        @Override
        public String name() {
            return "token";
        }
    }

    /** Additive metrics; keys are snake_case API names. */
    record Metrics(Map<String, Object> values) implements TaskEvent {
        public Metrics {
            values = Map.copyOf(values);
        }

        @Override
        public String name() {
            return "metrics";
        }
    }

    record End(long tokensOut, long decodeMs) implements TaskEvent {
        @Override
        public String name() {
            return "end";
        }

        @Override
        public boolean terminal() {
            return true;
        }
    }

    record Failed(SluiceError error) implements TaskEvent {
        @Override
        public String name() {
            return "error";
        }

        @Override
        public boolean terminal() {
            return true;
        }
    }
}
