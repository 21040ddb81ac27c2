package io.sluice.enginesim;

import io.sluice.enginesim.internal.SimEngine;
import java.net.URI;

/**
 * One running simulated engine instance, in this JVM. Start with {@link #start(InstanceSpec)}, talk to
 * {@link #url()} with any HTTP client, stop with {@link #close()}.
 *
 * <p>Each instance owns a Vert.x with one event loop; all its protocol state lives on that thread.
 * The methods here are thread-safe and may be called from any thread except the instance's own event
 * loop callbacks; the blocking ones ({@link #start}, {@link #stats()}, {@link #armFault},
 * {@link #clearFaults()}, {@link #close()}) wait at most 10 s and then throw
 * {@link IllegalStateException}.
 *
 * <p>This is a test double of inference engines, not of the platform: the platform must never depend
 * on this class at run time.
 */
public final class EngineSimulator implements AutoCloseable {

    private final SimEngine engine;

    private EngineSimulator(SimEngine engine) {
        this.engine = engine;
    }

    /**
     * Binds the port and starts serving. Health reports loading for {@code spec.loadMs()} from now.
     *
     * @throws IllegalStateException if the port cannot be bound
     */
    public static EngineSimulator start(InstanceSpec spec) {
        return new EngineSimulator(SimEngine.start(spec));
    }

    /** The configuration this instance runs with (the port in it may be 0: see {@link #port()}). */
    public InstanceSpec spec() {
        return engine.spec();
    }

    /** The port actually bound. */
    public int port() {
        return engine.port();
    }

    /** Base URL, e.g. {@code http://127.0.0.1:41234}. */
    public URI url() {
        return URI.create("http://" + engine.hostForUrl() + ":" + engine.port());
    }

    public EngineKind engine() {
        return engine.spec().engine();
    }

    public String model() {
        return engine.spec().model();
    }

    public String engineVersion() {
        return engine.spec().engineVersion();
    }

    public String digest() {
        return engine.spec().digest();
    }

    /** Current counters (same as {@code GET /sim/stats}). */
    public SimStats stats() {
        return engine.stats();
    }

    /** Arms a fault (same as {@code POST /sim/faults}); {@link Fault.Mode#NONE} clears. */
    public void armFault(Fault fault) {
        engine.armFault(fault);
    }

    /** Clears every armed fault and slow start (same as {@code DELETE /sim/faults}). */
    public void clearFaults() {
        engine.clearFaults();
    }

    /** The entry this instance writes to the ports file, as a JSON string. */
    public String describeJson() {
        return engine.infoJson().toString();
    }

    /** Stops serving and closes open connections. Idempotent. */
    public void stop() {
        engine.stop();
    }

    @Override
    public void close() {
        stop();
    }
}
