package io.sluice.policy.host.internal.abi;

import io.sluice.policy.host.AdmitOutcome;
import io.sluice.policy.host.FixtureResult;
import io.sluice.policy.host.PolicyErrorKind;
import io.sluice.policy.host.PolicyFixture.Expectation;
import io.sluice.policy.host.PolicyFixture;
import io.sluice.policy.host.RouteOutcome;
import java.util.ArrayList;
import java.util.List;

/** Judges a fixture run: does the outcome meet the fixture's expectation? */
public final class FixtureJudge {
    private FixtureJudge() {}

    /** Judges an outcome against the fixture's expectation. */
    public static FixtureResult judge(PolicyFixture fixture, AdmitOutcome admit, RouteOutcome route) {
        Expectation x = fixture.expect();
        List<String> problems = new ArrayList<>();
        boolean isError = admit != null ? admit.isError() : route.isError();
        if (x.error() != null) {
            PolicyErrorKind actual = isError ? (admit != null ? admit.error().kind() : route.error().kind()) : null;
            if (actual != x.error()) {
                problems.add("expected error " + x.error().label() + ", got " + describe(admit, route));
            }
        } else if (isError) {
            problems.add("expected a decision, got " + describe(admit, route));
        } else if (admit != null) {
            if (x.decision() != null && admit.decision() != x.decision()) {
                problems.add("expected decision " + x.decision().wireName() + ", got " + admit.decision().wireName()
                        + " (reason: \"" + admit.reason() + "\")");
            }
            if (x.modifications() != null && !x.modifications().equals(admit.modifications())) {
                problems.add("expected modifications " + x.modifications() + ", got " + admit.modifications());
            }
            if (x.reasonContains() != null && !admit.reason().contains(x.reasonContains())) {
                problems.add("expected the reason to contain \"" + x.reasonContains() + "\", got \"" + admit.reason() + "\"");
            }
            if (x.order() != null) {
                problems.add("'order' can only be expected of a route fixture");
            }
        } else {
            if (x.order() != null && !x.order().equals(route.order())) {
                problems.add("expected order " + x.order() + ", got " + route.order());
            }
            if (x.decision() != null || x.modifications() != null || x.reasonContains() != null) {
                problems.add("a route fixture can only expect 'order' or 'error'");
            }
        }
        return new FixtureResult(fixture, problems.isEmpty(), problems.isEmpty() ? null : String.join("; ", problems), admit, route);
    }

    private static String describe(AdmitOutcome admit, RouteOutcome route) {
        if (admit != null) {
            return admit.isError()
                    ? "error " + admit.error().kind().label() + " (" + admit.error().message() + ")"
                    : "decision " + admit.decision().wireName();
        }
        return route.isError()
                ? "error " + route.error().kind().label() + " (" + route.error().message() + ")"
                : "order " + route.order();
    }
}
