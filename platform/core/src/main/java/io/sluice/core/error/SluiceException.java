package io.sluice.core.error;

/**
 * Carries a {@link SluiceError} across layers. The REST layer maps it to the contract's error body in one
 * place; nothing else decides HTTP statuses.
 */
public class SluiceException extends RuntimeException {
    private final transient SluiceError error;

    public SluiceException(SluiceError error) {
        super(error.code() + ": " + error.message(), null, false, false);
        this.error = error;
    }

    public SluiceException(SluiceError error, Throwable cause) {
        super(error.code() + ": " + error.message(), cause, false, false);
        this.error = error;
    }

    public static SluiceException of(ErrorCode code, String message) {
        return new SluiceException(SluiceError.of(code, message));
    }

    public static SluiceException invalid(String field, String message) {
        return new SluiceException(SluiceError.of(ErrorCode.INVALID_PARAMS, message)
                .withField(field)
                .withStage(AdmissionStage.VALIDATE));
    }

    public static SluiceException notFound(String what) {
        return of(ErrorCode.NOT_FOUND, what + " not found");
    }

    public SluiceError error() {
        return error;
    }
}
