package io.sluice.policy.host;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.policy.host.internal.DirectCall;
import io.sluice.policy.host.internal.abi.AbiJson.EncodedInput;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The SDK collects garbage at the end of every 4th call only, unless a call grew linear memory or the memory is larger
 * than two pages (ADR 0040). These tests hold it to what ABI v1 promises: the memory limit is per call, so garbage left
 * by earlier calls must never cost a later call its memory, nor make the instance's memory grow call after call. The
 * {@code garbage-per-call} test plugin leaves the KiB named by the request label {@code garbage-kib} as garbage.
 */
@DisplayName("POL-2 the memory limit stays per call: garbage an SDK plugin leaves behind is not held against later calls")
class GarbageAcrossCallsTest {
    private static final long LIMIT = 16L << 20;
    private static PolicyHost host;
    private static PolicyModule plugin;

    @BeforeAll
    static void load() {
        host = PolicyHost.create(TestHosts.relaxedLimits().memoryBytes(LIMIT).instancesPerModule(1).warmUpCalls(0).build(),
                PolicyTelemetry.NONE, ExecutionMode.COMPILED);
        plugin = TestHosts.compile(host, TestPlugins.resource("/policies/testing/garbage-per-call.wasm"));
    }

    @AfterAll
    static void close() {
        host.close();
    }

    private static AdmitInput leaving(String tenant, long kib) {
        AdmitInput base = Inputs.admit(tenant);
        Map<String, String> labels = new HashMap<>(base.request().labels());
        labels.put("garbage-kib", Long.toString(kib));
        AdmitInput.Request r = base.request();
        return new AdmitInput(base.tenant(), new AdmitInput.Request(r.taskId(), r.sessionId(), r.workload(), r.modelRef(),
                r.engine(), r.priority(), r.maxTokens(), r.deadlineMs(), r.ctx(), labels, r.promptChars(), r.prompt()),
                base.snapshot());
    }

    @Test
    @DisplayName("a quarter of the 16 MiB limit left as garbage by each of 100 calls: no memory error, one instance")
    void quarterOfTheLimitPerCall() throws Exception {
        String tenant = "quarter";
        AdmitInput input = leaving(tenant, LIMIT / 4 / 1024);
        for (int i = 0; i < 100; i++) {
            AdmitOutcome o = host.admit(tenant, plugin, input);
            assertThat(o.isError()).as("call %d: %s", i, o.error()).isFalse();
        }
        PoolStats stats = TestHosts.settled(host, tenant, plugin);
        assertThat(stats.created()).isEqualTo(1);
        assertThat(stats.discarded()).isZero();
    }

    @Test
    @DisplayName("small calls and calls near the limit in turn: each big call passes as it does on a fresh instance")
    void smallCallsThenNearTheLimit() throws Exception {
        String tenant = "mixed";
        // 6 MiB of garbage in 4 KiB buffers: linear memory doubles to 8 MiB, and one more doubling would not fit the
        // 16 MiB limit. Five small calls before each big one: rounds of six calls do not line up with a collection
        // every 4th call, so a deferred collection would carry small garbage, or a big call's, into a big call.
        AdmitInput big = leaving(tenant, 6 * 1024);
        AdmitInput small = leaving(tenant, 12);
        for (int round = 0; round < 10; round++) {
            for (int i = 0; i < 5; i++) {
                AdmitOutcome o = host.admit(tenant, plugin, small);
                assertThat(o.isError()).as("round %d small call %d: %s", round, i, o.error()).isFalse();
            }
            AdmitOutcome o = host.admit(tenant, plugin, big);
            assertThat(o.isError()).as("round %d big call: %s", round, o.error()).isFalse();
        }
        PoolStats stats = TestHosts.settled(host, tenant, plugin);
        assertThat(stats.created()).isEqualTo(1);
        assertThat(stats.discarded()).isZero();
    }

    @Test
    @DisplayName("the instance's memory stops growing once a full collection cycle has run, whatever each call leaves")
    void memoryDoesNotKeepGrowing() {
        for (long kib : new long[] {4, 40, 400, LIMIT / 4 / 1024}) {
            DirectCall call = DirectCall.of(plugin, LIMIT, 4096);
            EncodedInput input = call.encodeFor(leaving("acme", kib));
            for (int i = 0; i < 16; i++) {
                call.call(input);
            }
            long settled = call.memoryReservedBytes();
            for (int i = 0; i < 200; i++) {
                call.call(input);
            }
            assertThat(call.memoryReservedBytes()).as("%d KiB per call: bytes held after 216 calls, against after 16", kib)
                    .isEqualTo(settled);
        }
    }

    @Test
    @DisplayName("the example allow-list keeps the memory of a fresh instance over 2,000 calls")
    void allowlistMemoryStaysAtItsFirstCall() {
        PolicyModule allowlist = TestHosts.compile(host, TestPlugins.example("model-allowlist"));
        DirectCall call = DirectCall.of(allowlist, LIMIT, 4096);
        EncodedInput input = call.encodeFor(Inputs.admit("acme"));
        call.call(input);
        long afterFirst = call.memoryReservedBytes();
        for (int i = 0; i < 2_000; i++) {
            call.call(input);
        }
        assertThat(call.memoryReservedBytes()).isEqualTo(afterFirst);
    }
}
