package io.sluice.functions.lifecycle;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.quarkus.funqy.Funq;
import io.sluice.core.catalog.Lifecycle;
import io.sluice.core.catalog.ModelState;
import io.sluice.core.error.SluiceException;
import io.sluice.functions.schema.Database;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * {@code lifecycle-sweep} (FN-1): applies the transitions that are due on the shared schema.
 *
 * <ul>
 *   <li>A Deprecated catalog entry whose drain deadline passed has had its pools drained by every instance at that
 *       deadline ({@code CatalogLifecycleDrains}): it becomes Retired (archived), with its audit row, by the same
 *       conditional update the platform's transitions use (state and row version as read), so of several sweeps and
 *       admins acting at once exactly one applies each transition.
 *   <li>An expired session (past {@code expires_at}, not deleted) is closed: {@code deleted_at} is set to its expiry.
 *       The platform already treats it as gone; closing it makes that visible in the table. Rows are claimed with
 *       {@code for update skip locked}, so parallel sweeps share the work instead of waiting on each other.
 * </ul>
 * Each item is its own short transaction, so a sweep interrupted midway leaves only whole transitions behind.
 */
@ApplicationScoped
public class LifecycleSweep {
    static final String ACTOR = "lifecycle-sweep";
    static final int DEFAULT_LIMIT = 500;
    static final int MAX_LIMIT = 10_000;

    private static final String DUE = "select id, name, tag, row_version from catalog_models"
            + " where state = 'Deprecated' and not archived and drain_deadline_at <= now() order by drain_deadline_at, id limit ?";
    private static final String RETIRE = "update catalog_models set state = 'Retired', archived = true, updated_at = ?,"
            + " row_version = row_version + 1 where id = ? and state = 'Deprecated' and row_version = ? and drain_deadline_at <= now()";
    private static final String AUDIT = "insert into catalog_transitions (model_id, from_state, to_state, at, actor, reason)"
            + " values (?, 'Deprecated', 'Retired', ?, ?, ?)";
    private static final String CLOSE_SESSIONS = "update sessions set deleted_at = expires_at where id in (select id from sessions"
            + " where deleted_at is null and expires_at <= now() order by expires_at limit ? for update skip locked)";

    @Inject
    Database db;

    /** How much one sweep may do; {@code limit} bounds each kind of item (default 500). */
    public record Request(@JsonProperty("limit") Integer limit) {}

    /** What this sweep applied (another sweep may have applied the rest). */
    public record Result(
            @JsonProperty("retired") List<Retired> retired,
            @JsonProperty("sessions_closed") int sessionsClosed,
            @JsonProperty("swept_at") OffsetDateTime sweptAt) {}

    public record Retired(@JsonProperty("id") UUID id, @JsonProperty("ref") String ref) {}

    /**
     * The scheduled sweep: a Knative PingSource's event (type {@code dev.knative.sources.ping}, which Knative sets and a
     * source cannot change) mapped to this function, with the PingSource's data as the body. The same sweep.
     */
    @Funq("lifecycle-sweep-scheduled")
    public Result lifecycleSweepScheduled(Request in) {
        return lifecycleSweep(in);
    }

    @Funq("lifecycle-sweep")
    public Result lifecycleSweep(Request in) {
        int limit = in == null || in.limit() == null ? DEFAULT_LIMIT : in.limit();
        if (limit < 1 || limit > MAX_LIMIT) {
            throw SluiceException.invalid("limit", "limit must be between 1 and " + MAX_LIMIT);
        }
        Lifecycle.requireLegal(ModelState.Deprecated, ModelState.Retired);
        List<Candidate> due = db.inTransaction("read due lifecycle transitions", c -> due(c, limit));
        List<Retired> retired = new ArrayList<>();
        for (Candidate d : due) {
            boolean applied = db.inTransaction("retire " + d.ref(), c -> retire(c, d));
            if (applied) {
                retired.add(new Retired(d.id(), d.ref()));
            }
        }
        int closed = db.inTransaction("close expired sessions", c -> {
            try (PreparedStatement s = c.prepareStatement(CLOSE_SESSIONS)) {
                s.setInt(1, limit);
                return s.executeUpdate();
            }
        });
        return new Result(retired, closed, OffsetDateTime.now(ZoneOffset.UTC));
    }

    private record Candidate(UUID id, String ref, long rowVersion) {}

    private static List<Candidate> due(Connection c, int limit) throws SQLException {
        List<Candidate> out = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement(DUE)) {
            s.setInt(1, limit);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(new Candidate(r.getObject(1, UUID.class), r.getString(2) + ":" + r.getString(3), r.getLong(4)));
                }
            }
        }
        return out;
    }

    private static boolean retire(Connection c, Candidate d) throws SQLException {
        OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
        try (PreparedStatement u = c.prepareStatement(RETIRE)) {
            u.setObject(1, now);
            u.setObject(2, d.id());
            u.setLong(3, d.rowVersion());
            if (u.executeUpdate() == 0) {
                return false; // changed since it was read: another sweep or an admin acted first
            }
        }
        try (PreparedStatement a = c.prepareStatement(AUDIT)) {
            a.setObject(1, d.id());
            a.setObject(2, now);
            a.setString(3, ACTOR);
            a.setString(4, "the drain deadline of the deprecation passed; its pools were drained");
            a.executeUpdate();
        }
        return true;
    }
}
