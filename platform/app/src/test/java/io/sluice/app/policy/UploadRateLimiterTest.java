package io.sluice.app.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The upload bucket on a stepped clock: burst, refill, and the cost of an upload with several live instances. */
class UploadRateLimiterTest {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000_000L);

    private int taken(UploadRateLimiter limiter, String tenant, int instances, int attempts) {
        int n = 0;
        for (int i = 0; i < attempts; i++) {
            if (limiter.tryTake(tenant, instances) == 0) {
                n++;
            }
        }
        return n;
    }

    @Test
    @DisplayName("one instance: the burst at once, then one upload per 60 s / per-minute, and a wait until the next")
    void burstThenRate() {
        UploadRateLimiter limiter = new UploadRateLimiter(10, 4, nanos::get);
        assertThat(taken(limiter, "t", 1, 10)).isEqualTo(4);
        assertThat(limiter.tryTake("t", 1)).as("ms until the next upload").isEqualTo(6_000);
        nanos.addAndGet(6_000_000_000L);
        assertThat(taken(limiter, "t", 1, 3)).isEqualTo(1);
        assertThat(taken(limiter, "other", 1, 10)).as("another tenant's bucket").isEqualTo(4);
    }

    @Test
    @DisplayName("with n live instances an upload takes n tokens, so the instances together accept at most the burst and the rate")
    void liveInstancesShareTheLimit() {
        UploadRateLimiter a = new UploadRateLimiter(10, 10, nanos::get);
        UploadRateLimiter b = new UploadRateLimiter(10, 10, nanos::get);
        assertThat(taken(a, "t", 2, 20) + taken(b, "t", 2, 20)).isEqualTo(10);
        nanos.addAndGet(60_000_000_000L);
        assertThat(taken(a, "t", 2, 20) + taken(b, "t", 2, 20)).as("a minute later").isEqualTo(10);
        assertThat(a.tryTake("t", 2)).as("ms until this instance's next upload").isEqualTo(12_000);
    }

    @Test
    @DisplayName("more live instances than the burst: an upload costs the whole burst, never more, so uploads still get through")
    void moreInstancesThanBurst() {
        UploadRateLimiter limiter = new UploadRateLimiter(10, 3, nanos::get);
        assertThat(taken(limiter, "t", 50, 5)).isEqualTo(1);
        nanos.addAndGet(18_000_000_000L);
        assertThat(taken(limiter, "t", 50, 5)).isEqualTo(1);
    }
}
