package io.sluice.policy.testkit;

import io.sluice.policy.host.AdmitDecision;
import io.sluice.policy.host.AdmitOutcome;
import io.sluice.policy.host.Modifications;
import io.sluice.policy.host.PolicyErrorKind;
import org.assertj.core.api.AbstractAssert;

/**
 * AssertJ assertions on an {@link AdmitOutcome}. Failure messages show the whole outcome, including an
 * error kind and message when the call failed instead of deciding, and the guest's logs.
 *
 * <pre>{@code
 * assertThat(outcome).isAllowed();
 * assertThat(outcome).isDeniedWith("not on the allow-list");
 * assertThat(outcome).isModifiedTo(Modifications.maxTokens(1024));
 * assertThat(outcome).failedWith(PolicyErrorKind.INVALID_OUTPUT);
 * }</pre>
 */
public final class DecisionAssert extends AbstractAssert<DecisionAssert, AdmitOutcome> {

    DecisionAssert(AdmitOutcome actual) {
        super(actual, DecisionAssert.class);
    }

    public static DecisionAssert assertThat(AdmitOutcome actual) {
        return new DecisionAssert(actual);
    }

    public DecisionAssert isAllowed() {
        return hasDecision(AdmitDecision.ALLOW);
    }

    public DecisionAssert isDenied() {
        return hasDecision(AdmitDecision.DENY);
    }

    /** Denied, with a reason containing {@code reasonPart}. */
    public DecisionAssert isDeniedWith(String reasonPart) {
        isDenied();
        return hasReasonContaining(reasonPart);
    }

    public DecisionAssert isModified() {
        return hasDecision(AdmitDecision.MODIFY);
    }

    /** Modified, with exactly these modifications. */
    public DecisionAssert isModifiedTo(Modifications expected) {
        isModified();
        if (!actual.modifications().equals(expected)) {
            failWithMessage("Expected modifications%n  %s%nbut were%n  %s%nin %s", expected, actual.modifications(), describe(actual));
        }
        return this;
    }

    public DecisionAssert hasReasonContaining(String reasonPart) {
        isNotNull();
        if (actual.isError() || !actual.reason().contains(reasonPart)) {
            failWithMessage("Expected a reason containing%n  \"%s\"%nbut got %s", reasonPart, describe(actual));
        }
        return this;
    }

    /** The call failed with this error kind (no decision). */
    public DecisionAssert failedWith(PolicyErrorKind kind) {
        isNotNull();
        if (!actual.isError() || actual.error().kind() != kind) {
            failWithMessage("Expected the call to fail with %s but got %s", kind.label(), describe(actual));
        }
        return this;
    }

    public DecisionAssert hasLogContaining(String part) {
        isNotNull();
        if (actual.logs().stream().noneMatch(l -> l.contains(part))) {
            failWithMessage("Expected a guest log line containing \"%s\" but the logs were %s", part, actual.logs());
        }
        return this;
    }

    private DecisionAssert hasDecision(AdmitDecision expected) {
        isNotNull();
        if (actual.decision() != expected) {
            failWithMessage("Expected decision %s but got %s", expected.wireName(), describe(actual));
        }
        return this;
    }

    static String describe(AdmitOutcome o) {
        if (o.isError()) {
            return "error " + o.error().kind().label() + ": " + o.error().message() + logs(o.logs());
        }
        String mods = o.isModified() ? " modifications " + o.modifications() : "";
        return o.decision().wireName() + " (reason \"" + o.reason() + "\")" + mods + logs(o.logs());
    }

    static String logs(java.util.List<String> logs) {
        return logs.isEmpty() ? "" : "; logs " + logs;
    }
}
