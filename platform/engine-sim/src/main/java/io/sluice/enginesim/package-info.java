/**
 * Engine simulator: speaks the HTTP protocols of llama.cpp, vLLM, TGI and Triton with deterministic
 * token streams, token pacing, slots and fault injection (SPEC POOL-5, POOL-4, DET-1).
 *
 * <p>Public API: {@link io.sluice.enginesim.EngineSimulator} (in-process), {@link io.sluice.enginesim.EngineSimMain}
 * (command line), {@link io.sluice.enginesim.InstanceSpec}, {@link io.sluice.enginesim.Fault},
 * {@link io.sluice.enginesim.SimStats} and {@link io.sluice.enginesim.DeterministicText} (the DET-1 rule,
 * so tests can compute expected text). Everything under {@code internal} may change without notice.
 */
package io.sluice.enginesim;
