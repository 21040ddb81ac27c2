/**
 * Test kit for policy plugin authors: the {@link io.sluice.policy.testkit.PolicyTestkitCli command line},
 * the JUnit 5 {@link io.sluice.policy.testkit.PolicyFixtureExtension extension} and
 * {@link io.sluice.policy.testkit.PolicyTest annotation}, AssertJ-style
 * {@link io.sluice.policy.testkit.DecisionAssert} and {@link io.sluice.policy.testkit.RouteAssert}, and
 * {@link io.sluice.policy.testkit.AdmitInputBuilder}. Everything runs on the platform's own
 * {@link io.sluice.policy.host.PolicyHost} with its limits.
 */
package io.sluice.policy.testkit;
