package io.sluice.policy.testkit;

import io.sluice.policy.host.AdmitOutcome;
import io.sluice.policy.host.RouteOutcome;

/** Entry point for the test kit's AssertJ assertions: {@code import static ...PolicyAssertions.assertThat;}. */
public final class PolicyAssertions {
    private PolicyAssertions() {}

    public static DecisionAssert assertThat(AdmitOutcome actual) {
        return new DecisionAssert(actual);
    }

    public static RouteAssert assertThat(RouteOutcome actual) {
        return new RouteAssert(actual);
    }
}
