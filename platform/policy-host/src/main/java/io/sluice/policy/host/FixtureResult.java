package io.sluice.policy.host;

import java.util.List;
import java.util.Objects;

/**
 * Outcome of running one {@link PolicyFixture}.
 *
 * @param fixture the fixture
 * @param passed whether every expectation held
 * @param failure what did not hold, {@code null} when passed
 * @param admit the admit outcome, {@code null} for a route fixture
 * @param route the route outcome, {@code null} for an admit fixture
 */
public record FixtureResult(
        PolicyFixture fixture, boolean passed, String failure, AdmitOutcome admit, RouteOutcome route) {

    public FixtureResult {
        Objects.requireNonNull(fixture, "fixture");
        if ((admit == null) == (route == null)) {
            throw new IllegalArgumentException("exactly one of admit and route must be set");
        }
    }

    /** {@code allow}, {@code deny}, {@code modify}, {@code ordered} or {@code error}. */
    public String outcomeLabel() {
        return admit != null ? admit.outcomeLabel() : route.outcomeLabel();
    }

    /** The reason (admit), the order (route), or the error message. */
    public String detail() {
        if (admit != null) {
            return admit.isError() ? admit.error().message() : admit.reason();
        }
        return route.isError() ? route.error().message() : String.join(",", route.order());
    }

    public long latencyNanos() {
        return admit != null ? admit.latencyNanos() : route.latencyNanos();
    }

    public List<String> logs() {
        return admit != null ? admit.logs() : route.logs();
    }
}
