package io.sluice.policy.testkit;

import io.sluice.policy.host.PolicyErrorKind;
import io.sluice.policy.host.RouteOutcome;
import java.util.List;
import org.assertj.core.api.AbstractAssert;

/** AssertJ assertions on a {@link RouteOutcome}. */
public final class RouteAssert extends AbstractAssert<RouteAssert, RouteOutcome> {

    RouteAssert(RouteOutcome actual) {
        super(actual, RouteAssert.class);
    }

    public static RouteAssert assertThat(RouteOutcome actual) {
        return new RouteAssert(actual);
    }

    /** The order is exactly these replica ids, in this order. */
    public RouteAssert ordersExactly(String... replicaIds) {
        isNotNull();
        if (actual.isError() || !actual.order().equals(List.of(replicaIds))) {
            failWithMessage("Expected order %s but got %s", List.of(replicaIds), describe());
        }
        return this;
    }

    /** The first replica is this one. */
    public RouteAssert prefers(String replicaId) {
        isNotNull();
        if (actual.isError() || !actual.order().get(0).equals(replicaId)) {
            failWithMessage("Expected %s first but got %s", replicaId, describe());
        }
        return this;
    }

    public RouteAssert failedWith(PolicyErrorKind kind) {
        isNotNull();
        if (!actual.isError() || actual.error().kind() != kind) {
            failWithMessage("Expected the call to fail with %s but got %s", kind.label(), describe());
        }
        return this;
    }

    private String describe() {
        return actual.isError()
                ? "error " + actual.error().kind().label() + ": " + actual.error().message() + DecisionAssert.logs(actual.logs())
                : "order " + actual.order() + DecisionAssert.logs(actual.logs());
    }
}
