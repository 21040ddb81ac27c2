package io.sluice.core.task;

import io.sluice.core.error.SluiceException;
import java.util.Arrays;
import java.util.stream.Collectors;

/** An enum whose API spelling differs from its Java name. */
public interface WireEnum {
    String wire();

    /**
     * Parses the API spelling of an enum constant.
     *
     * @throws SluiceException INVALID_PARAMS naming {@code field} and the allowed values
     */
    static <E extends Enum<E> & WireEnum> E parse(Class<E> type, String field, String value) {
        for (E e : type.getEnumConstants()) {
            if (e.wire().equals(value)) {
                return e;
            }
        }
        String allowed = Arrays.stream(type.getEnumConstants()).map(WireEnum::wire).collect(Collectors.joining(", "));
        throw SluiceException.invalid(field, field + " must be one of [" + allowed + "]");
    }
}
