package io.sluice.app.notimplemented;

import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceException;

/** The typed answer of an operation the contract defines but whose implementation has not landed. */
final class NotImplemented {
    private NotImplemented() {}

    static SluiceException operation(String operationId) {
        return SluiceException.of(ErrorCode.NOT_IMPLEMENTED, "operation " + operationId + " is defined by the contract but not implemented yet");
    }
}
