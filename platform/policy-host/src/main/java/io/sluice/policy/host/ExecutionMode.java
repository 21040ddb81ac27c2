package io.sluice.policy.host;

/** How guest code runs. */
public enum ExecutionMode {
    /**
     * Chicory's ahead-of-time compiler: every Wasm function becomes JVM bytecode. The only mode for
     * production: fast, and loops check the thread's interrupt flag so timeouts stop them. Modules with
     * a function too large for one JVM method are refused rather than partly interpreted.
     */
    COMPILED,
    /**
     * Chicory's interpreter. For benchmarks only: 25-30x slower, and a loop made of {@code br_if} does not
     * observe interrupts, so a timed-out call may keep its worker thread busy forever.
     */
    INTERPRETED_UNSAFE
}
