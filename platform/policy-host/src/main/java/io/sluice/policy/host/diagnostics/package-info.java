/**
 * Supported diagnostic entry into the policy host for benchmarks and profilers: {@link
 * io.sluice.policy.host.diagnostics.StepwiseCall} runs the steps of one call separately. Never for tenant
 * traffic (no limits). Tools outside the host use this package instead of {@code io.sluice.policy.host.internal},
 * which an architecture test keeps out of their reach.
 */
package io.sluice.policy.host.diagnostics;
