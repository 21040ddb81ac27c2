package io.sluice.policy.host.internal.wasm;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Per-call state the host functions read: the frozen clock, the seeded random stream and the bounded
 * log buffer. Reset at the start of every call; one instance runs one call at a time, so no locking.
 */
final class CallScope {
    private final int logLimitBytes;
    private long timeNanos;
    private byte[] input = new byte[0];
    private long randomState;
    private final List<String> logs = new ArrayList<>();
    private int logBytes;
    private boolean logsTruncated;

    CallScope(int logLimitBytes) {
        this.logLimitBytes = logLimitBytes;
    }

    void begin(byte[] input, long timeMs, long seed) {
        this.input = input;
        this.timeNanos = Math.multiplyExact(timeMs, 1_000_000L);
        this.randomState = seed;
        logs.clear();
        logBytes = 0;
        logsTruncated = false;
    }

    byte[] input() {
        return input;
    }

    long timeNanos() {
        return timeNanos;
    }

    /** SplitMix64: small, fast, and a pure function of the seed. Not cryptographic, and need not be. */
    long nextRandom() {
        long z = (randomState += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    void log(String level, byte[] utf8) {
        if (logsTruncated) {
            return;
        }
        int room = logLimitBytes - logBytes;
        if (utf8.length <= room) {
            logs.add(level + ": " + new String(utf8, StandardCharsets.UTF_8));
            logBytes += utf8.length;
            return;
        }
        if (room > 0) {
            // Cutting bytes may split a code point; the decoder replaces the partial tail.
            logs.add(level + ": " + new String(utf8, 0, room, StandardCharsets.UTF_8));
            logBytes = logLimitBytes;
        }
        logs.add("[host] further guest logs dropped: " + logLimitBytes + " bytes per call");
        logsTruncated = true;
    }

    List<String> logs() {
        return List.copyOf(logs);
    }
}
