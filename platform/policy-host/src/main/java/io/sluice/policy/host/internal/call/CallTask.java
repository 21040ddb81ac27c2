package io.sluice.policy.host.internal.call;

import io.sluice.policy.host.PolicyError;
import io.sluice.policy.host.PolicyErrorKind;
import io.sluice.policy.host.internal.abi.AbiJson.EncodedInput;
import io.sluice.policy.host.internal.abi.AbiJson.RequestFacts;
import io.sluice.policy.host.internal.abi.OutputValidator.InvalidOutput;
import io.sluice.policy.host.internal.wasm.CompiledPolicy;
import io.sluice.policy.host.internal.wasm.GuestFailures;
import io.sluice.policy.host.internal.wasm.GuestInstance;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One guest call, run on whichever thread calls {@link #call()} (the caller's, or a worker's) under a
 * watchdog guard armed on that thread. Its state decides who releases what, so that an instance whose
 * call was abandoned is never returned to the pool:
 * QUEUED → PREPARING → RUNNING → CHECKING → DONE, or ABANDONED from QUEUED (by a waiting caller),
 * PREPARING or RUNNING (by the watchdog or a waiting caller). Output checking is the host's own work and
 * is never abandoned.
 */
final class CallTask<T> implements Callable<CallResult<T>> {
    static final int QUEUED = 0;
    static final int PREPARING = 1;
    static final int RUNNING = 2;
    static final int CHECKING = 3;
    static final int DONE = 4;
    static final int ABANDONED = 5;

    /** The limits of one call: instantiation wall time, then the guest's CPU budget and wall-clock stop. */
    record Budget(long instantiateNanos, long cpuNanos, long wallNanos, int queueMillis) {}

    final AtomicInteger state = new AtomicInteger(QUEUED);
    /** Counted down once the guest starts or the task ends, for a caller waiting on a worker. */
    final CountDownLatch running = new CountDownLatch(1);
    /** {@link CallWatchdog#now()} when the guest started; 0 before. */
    volatile long startNanos;

    private final CallWatchdog watchdog;
    private final Budget budget;
    private final GuestInstance.Factory instances;
    private final CompiledPolicy policy;
    private final InstancePool pool;
    private final Semaphore gate;
    private final String export;
    private final EncodedInput input;
    private final OutputCheck<T> check;
    private final int outputBytes;

    CallTask(CallWatchdog watchdog, Budget budget, GuestInstance.Factory instances, int outputBytes, CompiledPolicy policy,
            InstancePool pool, Semaphore gate, String export, EncodedInput input, OutputCheck<T> check) {
        this.watchdog = watchdog;
        this.budget = budget;
        this.instances = instances;
        this.outputBytes = outputBytes;
        this.policy = policy;
        this.pool = pool;
        this.gate = gate;
        this.export = export;
        this.input = input;
        this.check = check;
    }

    /** Lets the watchdog abandon the call, which it may only while instantiating or running guest code. */
    private boolean abandon() {
        return state.compareAndSet(PREPARING, ABANDONED) || state.compareAndSet(RUNNING, ABANDONED);
    }

    /**
     * Runs the call. Returns null only when a waiting caller abandoned it before it started (the caller
     * already answered for it); a call the watchdog abandoned returns its {@code TIMEOUT}.
     */
    @Override
    public CallResult<T> call() {
        if (!state.compareAndSet(QUEUED, PREPARING)) {
            return null;
        }
        // A cancel(true) aimed at an earlier task may have left the flag set on this pooled thread.
        Thread.interrupted();
        CallWatchdog.Guard guard = watchdog.arm(watchdog.now() + budget.instantiateNanos(), this::abandon);
        CallResult<T> result;
        try {
            result = run(guard);
        } finally {
            // After run() the state is DONE or ABANDONED, so the watchdog can no longer fire; this clears an
            // interrupt it already sent, so none reaches the thread's next task or the caller's own code.
            guard.disarm();
        }
        if (state.get() == ABANDONED) {
            return timedOut(guard.fired(), result == null ? List.of() : result.logs());
        }
        return result;
    }

    private CallResult<T> timedOut(CallWatchdog.Limit fired, List<String> logs) {
        String message;
        if (startNanos == 0) {
            message = "instantiating the module took longer than " + TimeUnit.NANOSECONDS.toMillis(budget.instantiateNanos()) + " ms";
        } else if (fired == CallWatchdog.Limit.CPU) {
            message = "call exceeded the CPU time limit of " + millis(budget.cpuNanos()) + " ms and was interrupted";
        } else {
            message = wallStopMessage(budget);
        }
        return CallResult.error(PolicyErrorKind.TIMEOUT, message, logs);
    }

    static String wallStopMessage(Budget budget) {
        return "call exceeded the wall-clock stop of " + millis(budget.wallNanos()) + " ms and was interrupted";
    }

    private static String millis(long nanos) {
        return Long.toString(TimeUnit.NANOSECONDS.toMillis(nanos));
    }

    private CallResult<T> run(CallWatchdog.Guard guard) {
        InstancePool.Slot slot = null;
        GuestInstance inst = null;
        boolean healthy = false;
        try {
            slot = pool.claim(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(budget.queueMillis()));
            if (slot == null) {
                return CallResult.error(PolicyErrorKind.REJECTED, "no instance of this policy became free within "
                        + budget.queueMillis() + " ms", List.of());
            }
            inst = slot.instance();
            if (inst == null) {
                inst = instances.create(policy);
                pool.created();
            }
            GuestInstance guest = inst;
            long now = guard.limitGuestCall(budget.cpuNanos(), budget.wallNanos(), new CallWatchdog.HostWork() {
                @Override
                public long nanos() {
                    return guest.memoryGrowthNanos();
                }

                @Override
                public boolean underWay() {
                    return guest.growingMemory();
                }
            });
            if (!state.compareAndSet(PREPARING, RUNNING)) {
                return null; // abandoned while instantiating: startNanos stays 0 and says so
            }
            // Never 0: 0 means "not started" to a caller waiting on a worker.
            startNanos = Math.max(1, now);
            running.countDown();
            RequestFacts facts = input.facts();
            GuestInstance.RawResult raw = inst.call(
                    export,
                    input.json(),
                    facts == null ? 0 : facts.timeMs(),
                    facts == null ? 0 : facts.randomSeed(),
                    outputBytes);
            // The limits cover the guest only; checking its output is the host's own work.
            if (!state.compareAndSet(RUNNING, CHECKING)) {
                return null;
            }
            if (raw.returnedError()) {
                return CallResult.error(PolicyErrorKind.TRAP, raw.guestError(), raw.logs());
            }
            if (raw.output() == null) {
                return CallResult.error(PolicyErrorKind.INVALID_OUTPUT, "output of " + raw.outputLength()
                        + " bytes exceeds the limit of " + outputBytes + " bytes", raw.logs());
            }
            try {
                T value = check.check(raw.output(), facts);
                healthy = true;
                return new CallResult<>(value, null, null, raw.logs());
            } catch (InvalidOutput e) {
                return new CallResult<>(null, new PolicyError(PolicyErrorKind.INVALID_OUTPUT, e.getMessage()),
                        e.uploadReason(), raw.logs());
            }
        } catch (Throwable t) {
            PolicyError error = GuestFailures.classify(t);
            if (error.kind() == PolicyErrorKind.TRAP && inst != null && !Thread.currentThread().isInterrupted()) {
                // The SDK's abort path sets an error message, then traps: the message says why (ABI section 2).
                String set = inst.guestErrorMessage();
                if (set != null) {
                    error = new PolicyError(PolicyErrorKind.TRAP, error.message() + "; the plugin's error message: " + set);
                }
            }
            return new CallResult<>(null, error, null, inst == null ? List.of() : inst.logs());
        } finally {
            boolean inTime = state.compareAndSet(CHECKING, DONE)
                    || state.compareAndSet(RUNNING, DONE)
                    || state.compareAndSet(PREPARING, DONE);
            if (slot != null) {
                if (healthy && inTime) {
                    pool.release(inst);
                } else {
                    pool.discard(inst != null);
                }
            }
            // Released only now that the guest has really stopped, so a spinning plugin holds its tenant's
            // permit for as long as it burns a thread.
            gate.release();
            running.countDown();
        }
    }
}
