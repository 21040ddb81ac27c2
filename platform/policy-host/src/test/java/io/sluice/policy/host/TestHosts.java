package io.sluice.policy.host;

import java.time.Duration;

/**
 * Hosts shared by test classes. Compiling a module is the slow part of these tests and the host caches
 * compiled modules by digest, so classes that need the same limits share one host per JVM.
 */
final class TestHosts {
    private static PolicyHost relaxed;

    private TestHosts() {}

    /**
     * Production limits except a call time limit of 2 s, so that tests about memory, output or traps
     * never see a timeout instead on a loaded build machine. Never closed: its threads are daemons.
     */
    static synchronized PolicyHost relaxed() {
        if (relaxed == null) {
            relaxed = PolicyHost.create(relaxedLimits().build(), PolicyTelemetry.NONE);
        }
        return relaxed;
    }

    static PolicyLimits.Builder relaxedLimits() {
        return PolicyLimits.builder()
                .callTimeout(Duration.ofSeconds(2))
                .queueTimeout(Duration.ofSeconds(2))
                .instantiateTimeout(Duration.ofSeconds(5));
    }

    static PolicyModule compile(PolicyHost host, byte[] wasm) {
        try {
            return host.compile(wasm);
        } catch (PolicyValidationException e) {
            throw new AssertionError("module refused: " + e.getMessage(), e);
        }
    }

    /** Waits until no call of the pair is running (a timed-out worker unwinds asynchronously). */
    static PoolStats settled(PolicyHost host, String tenant, PolicyModule module) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        PoolStats s = host.poolStats(tenant, module);
        while (s.inUse() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(5);
            s = host.poolStats(tenant, module);
        }
        return s;
    }
}
