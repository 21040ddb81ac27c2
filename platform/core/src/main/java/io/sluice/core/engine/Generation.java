package io.sluice.core.engine;

/** A running generation. */
public interface Generation {
    /** Aborts the engine request (closes the connection) so the engine frees its slot. Idempotent. */
    void cancel();
}
