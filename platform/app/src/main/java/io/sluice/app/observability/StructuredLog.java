package io.sluice.app.observability;

import org.jboss.logging.Logger;
import org.jboss.logging.MDC;

/**
 * One structured log line (OBS-2): the fields go into the MDC for the duration of the call, so the JSON formatter
 * writes them as members of the line's {@code mdc} object, and the readable message repeats them as {@code key=value}
 * for the dev console. What the MDC held before (the request's correlation id) is put back afterwards, so nothing
 * leaks into the next line of the same thread. A null field keeps the MDC's value (and reads {@code -} otherwise).
 */
public final class StructuredLog {
    /** MDC key of the request's correlation id (ADM-6), set for every line logged while a request is handled. */
    public static final String CORRELATION_ID = "correlation_id";

    private StructuredLog() {}

    /** Logs {@code event} at INFO with the fields {@code keysAndValues} (key, value, key, value …). */
    public static void info(Logger log, String event, Object... keysAndValues) {
        if (!log.isInfoEnabled()) {
            return;
        }
        StringBuilder message = new StringBuilder(event);
        String[] keys = new String[keysAndValues.length / 2];
        Object[] before = new Object[keys.length];
        int n = 0;
        try {
            for (int i = 0; i + 1 < keysAndValues.length; i += 2) {
                String key = (String) keysAndValues[i];
                Object value = keysAndValues[i + 1];
                Object held = MDC.get(key);
                String text = value != null ? value.toString() : held != null ? held.toString() : "-";
                message.append(' ').append(key).append('=').append(text);
                if (value != null) {
                    keys[n] = key;
                    before[n++] = held;
                    MDC.put(key, text);
                }
            }
            log.info(message.toString());
        } finally {
            for (int i = n - 1; i >= 0; i--) {
                if (before[i] == null) {
                    MDC.remove(keys[i]);
                } else {
                    MDC.put(keys[i], before[i]);
                }
            }
        }
    }
}
