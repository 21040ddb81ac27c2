package io.sluice.core.quota;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.core.admission.AdmissionSnapshot;
import io.sluice.core.admission.TenantSnapshot;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceException;
import io.sluice.core.task.TaskRequest;
import io.sluice.core.task.TaskSpec;
import io.sluice.core.task.TaskValidator;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class QuotaBookTest {
    private static TaskSpec task(String tenant, long maxTokens) {
        return TaskValidator.validate(new TaskRequest(UUID.randomUUID().toString(), UUID.randomUUID().toString(), "completion", "m", null,
                null, "interactive", null, null, null, "hello", null, maxTokens, null, null, null, null, null, null), tenant);
    }

    private static AdmissionSnapshot snapshot(String tenant, int queued) {
        return new AdmissionSnapshot(0, TenantSnapshot.unconfigured(tenant), queued, 0, Map.of(), "Active");
    }

    private static boolean admits(QuotaBook book, TaskSpec spec) {
        try {
            book.check(spec, snapshot(spec.tenantId(), 0));
            return true;
        } catch (SluiceException e) {
            assertThat(e.error().code()).isEqualTo(ErrorCode.QUOTA_EXCEEDED);
            assertThat(e.error().retryAfterMs()).isPositive();
            return false;
        }
    }

    @Test
    @DisplayName("SCH-3 the instances' shares of a limit add up to the limit exactly, whatever the limit and instance count")
    void sharesAddUp() {
        Random random = new Random(42);
        for (int i = 0; i < 1_000; i++) {
            int limit = random.nextInt(200);
            int n = 1 + random.nextInt(9);
            int sum = 0;
            for (int rank = 0; rank < n; rank++) {
                int share = QuotaBook.share(limit, n, rank);
                assertThat(share).isBetween(limit / n, limit / n + 1);
                sum += share;
            }
            assertThat(sum).as("limit %d over %d instances", limit, n).isEqualTo(limit);
        }
    }

    @Test
    @DisplayName("SCH-3 two instances' rate buckets together admit at most the burst at once")
    void ratesSplitBetweenInstances() {
        QuotaLimits limits = new QuotaLimits(null, null, 1, 6, null);
        QuotaBook a = new QuotaBook();
        QuotaBook b = new QuotaBook();
        a.apply(Map.of("t", limits), 2, 0);
        b.apply(Map.of("t", limits), 2, 1);
        int admitted = 0;
        for (int i = 0; i < 20; i++) {
            admitted += admits(a, task("t", 4)) ? 1 : 0;
            admitted += admits(b, task("t", 4)) ? 1 : 0;
        }
        // the refill of 1 per second may add one within the loop on a slow machine
        assertThat(admitted).isBetween(6, 7);
    }

    @Test
    @DisplayName("SCH-3 a refund gives back the tokens a passed check took, and never fills a bucket past its size")
    void refundGivesBackWhatTheCheckTook() {
        QuotaBook book = new QuotaBook();
        // 100 tokens a minute refill one token every 0.6 s: far slower than the few calls below
        book.apply(Map.of("t", new QuotaLimits(null, null, 10, 10, 100L)), 1, 0);
        TaskSpec first = task("t", 60);
        assertThat(admits(book, first)).isTrue();
        assertThat(admits(book, task("t", 60))).as("60 + 60 tokens exceed 100 a minute").isFalse();
        book.refund(first);
        assertThat(admits(book, task("t", 60))).as("the refunded tokens admit another task of that size").isTrue();
        book.refund(first);
        book.refund(first);
        assertThat(admits(book, task("t", 60))).isTrue();
        assertThat(admits(book, task("t", 60))).as("two refunds filled the bucket only up to its 100 tokens").isFalse();
        book.refund(task("unknown", 60)); // a tenant without quotas: nothing to give back, nothing fails
    }

    @Test
    @DisplayName("SCH-3 tokens_per_minute bounds the tokens reserved at admission; a refusal costs none of the rps budget")
    void tokensPerMinute() {
        QuotaBook book = new QuotaBook();
        book.apply(Map.of("t", new QuotaLimits(null, null, 100, 100, 100L)), 1, 0);
        assertThat(admits(book, task("t", 60))).isTrue();
        assertThat(admits(book, task("t", 60))).isFalse();
        assertThat(admits(book, task("t", 30))).isTrue();
    }

    @Test
    @DisplayName("SCH-3 zero quotas allow nothing, absent ones everything, and a tenant's queued share refuses at the quota step")
    void zeroAndUnlimited() {
        QuotaBook book = new QuotaBook();
        book.apply(Map.of("none", new QuotaLimits(0, null, null, null, null), "rps0", new QuotaLimits(null, null, 0, null, null),
                "q", new QuotaLimits(null, 2, null, null, null)), 1, 0);
        assertThat(admits(book, task("none", 4))).isFalse();
        assertThat(admits(book, task("rps0", 4))).isFalse();
        assertThat(admits(book, task("free", 4))).isTrue();
        assertThat(book.runningShare("free")).isEqualTo(Integer.MAX_VALUE);
        assertThatThrownBy(() -> book.check(task("q", 4), snapshot("q", 2))).isInstanceOf(SluiceException.class);
        book.check(task("q", 4), snapshot("q", 1));
    }
}
