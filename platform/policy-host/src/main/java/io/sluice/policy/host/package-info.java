/**
 * Policy host API: compile tenant WebAssembly policies ({@link io.sluice.policy.host.PolicyHost#compile})
 * and evaluate them ({@link io.sluice.policy.host.PolicyHost#admit}, {@link io.sluice.policy.host.PolicyHost#route})
 * under the limits of {@link io.sluice.policy.host.PolicyLimits}. Plain Java, no framework. Everything under
 * {@code io.sluice.policy.host.internal} is implementation and may change without notice.
 */
package io.sluice.policy.host;
