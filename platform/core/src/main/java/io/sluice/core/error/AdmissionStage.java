package io.sluice.core.error;

/** The admission step that rejected a request (SPEC ADM-2), named in the error body. */
public enum AdmissionStage {
    AUTHENTICATE("authenticate"),
    VALIDATE("validate"),
    RESOLVE_MODEL("resolve_model"),
    POLICY("policy"),
    QUOTA("quota"),
    DEADLINE("deadline"),
    ENQUEUE("enqueue");

    private final String wireName;

    AdmissionStage(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }
}
