package io.sluice.enginesim;

/**
 * Snapshot of one instance's counters, as served by {@code GET /sim/stats}.
 *
 * @param active generations holding a slot right now (including hung ones)
 * @param queued requests waiting for a free slot (llama.cpp's "deferred")
 * @param completed generations that ended normally with the protocol's final frame
 * @param aborted generations stopped because the client went away
 * @param faulted generation requests hit by an injected fault (crash, hang, 5xx, garbage)
 * @param rejected generation requests refused without generating because the model was not ready (loading,
 *     refused load, unloaded) or no slot became free (queue full or wait timed out)
 * @param slots configured slot count
 * @param tokensGenerated tokens sent to clients since start
 */
public record SimStats(
        int active,
        int queued,
        long completed,
        long aborted,
        long faulted,
        long rejected,
        int slots,
        long tokensGenerated) {}
