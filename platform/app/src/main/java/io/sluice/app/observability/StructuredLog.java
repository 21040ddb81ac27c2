package io.sluice.app.observability;

import java.util.logging.Level;
import org.jboss.logging.Logger;
import org.jboss.logmanager.ExtLogRecord;

/**
 * One structured log line (OBS-2): the fields are set on the log record's own MDC, which the JSON formatter writes as
 * members of the line's {@code mdc} object, and the readable message repeats them as {@code key=value} for the dev
 * console. The record starts from a copy of the current MDC (the request's correlation id). The fields never touch the
 * thread's or the Vert.x context's MDC: on a root Vert.x context Quarkus gives every MDC call a fresh duplicated
 * context, so values put there would be lost before the line is formatted, and nothing can leak into later lines.
 */
public final class StructuredLog {
    /** MDC key of the request's correlation id (ADM-6), set for every line logged while a request is handled. */
    public static final String CORRELATION_ID = "correlation_id";

    /**
     * The log manager's loggers by name: looking one up walks the name's hierarchy, which cost a fifth of a task line
     * in the admissions profile (three lines per task, docs/benchmarks/hot-path.md).
     */
    private static final java.util.concurrent.ConcurrentHashMap<String, org.jboss.logmanager.Logger> TARGETS =
            new java.util.concurrent.ConcurrentHashMap<>();

    private StructuredLog() {}

    /**
     * Logs {@code event} at INFO on {@code log} with the fields {@code keysAndValues} (key, value, key, value …); a null
     * value keeps what the MDC holds for that key, or reads {@code -}.
     */
    public static void info(Logger log, String event, Object... keysAndValues) {
        org.jboss.logmanager.Logger target = TARGETS.computeIfAbsent(log.getName(), org.jboss.logmanager.Logger::getLogger);
        if (!target.isLoggable(Level.INFO)) {
            return;
        }
        StringBuilder message = new StringBuilder(event);
        ExtLogRecord record = new ExtLogRecord(Level.INFO, null, ExtLogRecord.FormatStyle.NO_FORMAT, StructuredLog.class.getName());
        record.copyMdc();
        for (int i = 0; i + 1 < keysAndValues.length; i += 2) {
            String key = (String) keysAndValues[i];
            Object value = keysAndValues[i + 1];
            String held = record.getMdc(key);
            String text = value != null ? value.toString() : held != null ? held : "-";
            message.append(' ').append(key).append('=').append(text);
            record.putMdc(key, text);
        }
        record.setMessage(message.toString());
        record.setLoggerName(log.getName());
        target.logRaw(record);
    }
}
