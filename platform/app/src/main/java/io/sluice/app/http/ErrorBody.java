package io.sluice.app.http;

import io.sluice.core.error.SluiceError;

/** The contract's {@code Error} schema, as sent in error answers and stream {@code error} events. */
public record ErrorBody(
        String code,
        String message,
        boolean retriable,
        String engine,
        String poolId,
        Long retryAfterMs,
        String policyLabel,
        String field,
        String correlationId,
        Policy policy,
        String stage,
        Long fitsAtMs) {

    /** The contract's {@code PolicyRef}. */
    public record Policy(String name, String version, String digest) {}

    public static ErrorBody of(SluiceError e, String correlationId) {
        return new ErrorBody(
                e.code().name(),
                e.message(),
                e.retriable(),
                e.engine(),
                e.poolId(),
                e.retryAfterMs(),
                e.policyLabel(),
                e.field(),
                correlationId,
                e.policy() == null ? null : new Policy(e.policy().name(), e.policy().version(), e.policy().digest()),
                e.stage() == null ? null : e.stage().wireName(),
                e.fitsAtMs());
    }
}
