package io.sluice.policy.host;

/**
 * Listener for policy evaluations. The Quarkus application implements it with Micrometer
 * ({@code policy_eval_seconds{hook,outcome}}, {@code policy_errors_total{kind}}) and a JSON decision log,
 * so that this module needs no metrics library.
 *
 * <p>Threading: called synchronously on the thread that called {@link PolicyHost#admit} or
 * {@link PolicyHost#route}, after the outcome is final, concurrently from many threads. Implementations
 * must be thread-safe and fast. An exception thrown by a listener is logged and otherwise ignored: it
 * never changes the outcome. Calls made while validating an upload ({@code describe}, fixtures, warm-up)
 * are not reported, nor are calls of a hook the module does not declare (a wiring error, answered with
 * {@link PolicyErrorKind#REJECTED} before anything runs).
 */
public interface PolicyTelemetry {

    /** A listener that ignores everything. */
    PolicyTelemetry NONE = new PolicyTelemetry() {};

    /** Every {@code admit} and {@code route} evaluation, successful or not. */
    default void onDecision(DecisionRecord record) {}

    /** Additionally called for each failed evaluation, after {@link #onDecision}. */
    default void onError(PolicyErrorKind kind, DecisionRecord record) {}
}
