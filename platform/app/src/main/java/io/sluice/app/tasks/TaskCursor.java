package io.sluice.app.tasks;

import io.sluice.app.tasks.store.TaskJournal;
import io.sluice.core.error.SluiceException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.UUID;

/**
 * The opaque {@code next_cursor} of task listings: the creation time (microseconds) and id of the last task of a
 * page, base64url without padding. Opaque to clients, so its form may change; a cursor that does not decode answers
 * a typed 400.
 */
final class TaskCursor {
    private static final byte VERSION = 1;

    private TaskCursor() {}

    static String encode(OffsetDateTime createdAt, UUID id) {
        Instant t = createdAt.toInstant();
        ByteBuffer b = ByteBuffer.allocate(1 + 8 + 16);
        b.put(VERSION).putLong(ChronoUnit.MICROS.between(Instant.EPOCH, t)).putLong(id.getMostSignificantBits())
                .putLong(id.getLeastSignificantBits());
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
    }

    static TaskJournal.ListPosition decode(String cursor) {
        byte[] raw;
        try {
            raw = Base64.getUrlDecoder().decode(cursor);
        } catch (IllegalArgumentException e) {
            throw invalid();
        }
        if (raw.length != 25 || raw[0] != VERSION) {
            throw invalid();
        }
        ByteBuffer b = ByteBuffer.wrap(raw, 1, 24);
        try {
            Instant t = Instant.EPOCH.plus(b.getLong(), ChronoUnit.MICROS);
            return new TaskJournal.ListPosition(OffsetDateTime.ofInstant(t, ZoneOffset.UTC), new UUID(b.getLong(), b.getLong()));
        } catch (java.time.DateTimeException | ArithmeticException e) {
            throw invalid(); // a forged cursor with a time out of range
        }
    }

    private static SluiceException invalid() {
        return SluiceException.invalid("query.cursor", "cursor is not a next_cursor of this listing");
    }
}
