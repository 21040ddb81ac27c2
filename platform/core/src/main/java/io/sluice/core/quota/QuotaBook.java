package io.sluice.core.quota;

import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.sluice.core.admission.AdmissionSnapshot;
import io.sluice.core.admission.QuotaGate;
import io.sluice.core.error.AdmissionStage;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import io.sluice.core.scheduling.TenantLimits;
import io.sluice.core.task.TaskSpec;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * This instance's part of every tenant's quotas (SCH-3, ADR 0012). A deployment-wide limit is split between the live
 * instances sharing the database: with {@code n} instances, instance number {@code rank} (by id) holds
 * {@code limit / n}, plus one when {@code rank < limit % n}, so the shares add up to the limit exactly. Rates are
 * split the same way: each instance's token bucket has the full size and refill of the tenant's bucket, and every
 * admission takes {@code n} tokens, so n instances together never admit more than the burst at once or the rate
 * over time.
 *
 * <p>Everything is read from memory: {@link #apply} swaps in a new table when quotas or instances change (the change
 * feed), admissions never wait for the database. Thread-safe.
 */
public final class QuotaBook implements QuotaGate, TenantLimits {
    private static final long MINUTE_NANOS = Duration.ofMinutes(1).toNanos();

    /** Quotas of one tenant, with this instance's shares and buckets. Immutable apart from the buckets. */
    private record Entry(QuotaLimits limits, int runningShare, int queuedShare, Bucket rate, Bucket tokens, int instances) {}

    private volatile Map<String, Entry> entries = Map.of();
    private volatile int instances = 1;

    /**
     * Replaces the quotas in force. A tenant whose quotas and instance count did not change keeps its buckets (and
     * what they hold); others start with full buckets.
     *
     * @param quotas every tenant that has quotas
     * @param liveInstances instances sharing the quotas, this one included (at least 1)
     * @param rank this instance's place among them, from 0
     */
    public synchronized void apply(Map<String, QuotaLimits> quotas, int liveInstances, int rank) {
        if (liveInstances < 1 || rank < 0 || rank >= liveInstances) {
            throw new IllegalArgumentException("rank " + rank + " of " + liveInstances + " instances");
        }
        Map<String, Entry> previous = entries;
        Map<String, Entry> next = new HashMap<>();
        for (Map.Entry<String, QuotaLimits> q : quotas.entrySet()) {
            QuotaLimits l = q.getValue();
            Entry old = previous.get(q.getKey());
            if (old != null && old.limits.equals(l) && old.instances == liveInstances
                    && old.runningShare == share(l.maxConcurrent(), liveInstances, rank)) {
                next.put(q.getKey(), old);
                continue;
            }
            next.put(q.getKey(), new Entry(l, share(l.maxConcurrent(), liveInstances, rank), share(l.maxQueued(), liveInstances, rank),
                    rateBucket(l), tokenBucket(l), liveInstances));
        }
        entries = Map.copyOf(next);
        instances = liveInstances;
    }

    /** The quotas set for a tenant (deployment-wide), or {@link QuotaLimits#UNLIMITED}. */
    public QuotaLimits limits(String tenant) {
        Entry e = entries.get(tenant);
        return e == null ? QuotaLimits.UNLIMITED : e.limits;
    }

    /** Instances the quotas are split between. */
    public int instances() {
        return instances;
    }

    @Override
    public int runningShare(String tenant) {
        Entry e = entries.get(tenant);
        return e == null ? Integer.MAX_VALUE : e.runningShare;
    }

    @Override
    public int queuedShare(String tenant) {
        Entry e = entries.get(tenant);
        return e == null ? Integer.MAX_VALUE : e.queuedShare;
    }

    /**
     * The rate quotas (rps with burst, tokens per minute) at the admission's quota step; the concurrency quotas are
     * enforced where places are taken ({@code QueueDispatcher}). A refused admission takes nothing from the buckets.
     */
    @Override
    public void check(TaskSpec spec, AdmissionSnapshot snapshot) {
        Entry e = entries.get(spec.tenantId());
        if (e == null) {
            return;
        }
        QuotaLimits l = e.limits;
        if (l.maxConcurrent() != null && l.maxConcurrent() == 0) {
            throw exceeded("max_concurrent quota of 0 allows no task", 60_000);
        }
        if (e.queuedShare != Integer.MAX_VALUE && snapshot.tenantQueued() >= e.queuedShare) {
            throw exceeded("max_queued quota of " + l.maxQueued() + " is reached", 1_000);
        }
        long cost = (long) e.instances;
        long tokens = (long) spec.estimatedPromptTokens() + spec.maxTokens();
        if (l.rps() != null) {
            if (e.rate == null) {
                throw exceeded("rps quota of 0 allows no task", 60_000);
            }
            if (e.tokens == null && l.tokensPerMinute() != null) {
                throw exceeded("tokens_per_minute quota of 0 allows no task", 60_000);
            }
            ConsumptionProbe p = e.rate.tryConsumeAndReturnRemaining(cost);
            if (!p.isConsumed()) {
                throw exceeded("rps quota of " + l.rps() + " (burst " + l.effectiveBurst() + ") exceeded", millis(p.getNanosToWaitForRefill()));
            }
            if (e.tokens != null) {
                ConsumptionProbe t = e.tokens.tryConsumeAndReturnRemaining(cost * tokens);
                if (!t.isConsumed()) {
                    e.rate.addTokens(cost); // the submission was refused: it spends none of the rate
                    throw exceeded("tokens_per_minute quota of " + l.tokensPerMinute() + " exceeded by " + tokens + " tokens",
                            millis(t.getNanosToWaitForRefill()));
                }
            }
        } else if (l.tokensPerMinute() != null) {
            if (e.tokens == null) {
                throw exceeded("tokens_per_minute quota of 0 allows no task", 60_000);
            }
            ConsumptionProbe t = e.tokens.tryConsumeAndReturnRemaining(cost * tokens);
            if (!t.isConsumed()) {
                throw exceeded("tokens_per_minute quota of " + l.tokensPerMinute() + " exceeded by " + tokens + " tokens",
                        millis(t.getNanosToWaitForRefill()));
            }
        }
    }

    /**
     * Puts back the rate tokens {@link #check} took for {@code spec}. The buckets never hold more than their capacity,
     * so a refund after a quota change can only fill the new bucket up to its size.
     */
    @Override
    public void refund(TaskSpec spec) {
        Entry e = entries.get(spec.tenantId());
        if (e == null) {
            return;
        }
        long cost = (long) e.instances;
        if (e.rate != null) {
            e.rate.addTokens(cost);
        }
        if (e.tokens != null) {
            e.tokens.addTokens(cost * ((long) spec.estimatedPromptTokens() + spec.maxTokens()));
        }
    }

    /** This instance's part of a limit shared by {@code n} instances; the parts of all ranks add up to the limit. */
    static int share(Integer limit, int n, int rank) {
        if (limit == null) {
            return Integer.MAX_VALUE;
        }
        return limit / n + (rank < limit % n ? 1 : 0);
    }

    private static Bucket rateBucket(QuotaLimits l) {
        Integer burst = l.effectiveBurst();
        if (l.rps() == null || l.rps() == 0 || burst == null || burst == 0) {
            return null;
        }
        return Bucket.builder().addLimit(b -> b.capacity(burst).refillGreedy(l.rps(), Duration.ofSeconds(1))).build();
    }

    private static Bucket tokenBucket(QuotaLimits l) {
        Long tpm = l.tokensPerMinute();
        if (tpm == null || tpm == 0) {
            return null;
        }
        return Bucket.builder().addLimit(b -> b.capacity(tpm).refillGreedy(tpm, Duration.ofNanos(MINUTE_NANOS))).build();
    }

    private static long millis(long nanos) {
        // A cost larger than the bucket can ever hold answers Long.MAX_VALUE: retry in a minute, when quotas may differ.
        return nanos < 0 || nanos > MINUTE_NANOS ? 60_000 : Math.max(1, (nanos + 999_999) / 1_000_000);
    }

    private static SluiceException exceeded(String message, long retryAfterMs) {
        return new SluiceException(SluiceError.of(ErrorCode.QUOTA_EXCEEDED, message)
                .withRetryAfter(retryAfterMs)
                .withStage(AdmissionStage.QUOTA));
    }
}
