package io.sluice.app.tasks.store;

import io.sluice.core.error.AdmissionStage;
import io.sluice.core.error.ErrorCode;
import io.sluice.core.error.SluiceError;
import io.sluice.core.error.SluiceException;
import io.sluice.core.scheduling.OutcomeStore;
import io.sluice.core.scheduling.TaskRun;
import io.sluice.core.stream.TaskEvent;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * The task path's persistence (REL-2, REL-5): admissions, lifecycle transitions and lookups, each batched by
 * {@link GroupCommit} into one statement per round trip on the reactive PostgreSQL client — no ORM, no
 * per-task transaction. Plain class, wired by CDI producers; thread-safe; never blocks its callers.
 *
 * <ul>
 *   <li><b>Admissions</b> are durable when their future completes: the task row and its session's turn are
 *       written by one statement (one commit, one fsync for the whole batch). Failures surface as a typed
 *       {@code DEPENDENCY_UNAVAILABLE}; nothing partial is left (one statement is atomic).
 *   <li><b>Transitions</b> (started, terminal) are conditional on the state they leave and on the owning
 *       instance, so a task has exactly one terminal outcome even when another instance resolved it. They are
 *       written in order, one batch at a time, and retried until the database answers.
 * </ul>
 */
public final class TaskJournal implements OutcomeStore {
    private static final Logger LOG = Logger.getLogger(TaskJournal.class);
    private static final int MAX_BATCH = 512;
    private static final long MAX_RETRY_DELAY_MS = 2_000;

    private static final String ADMIT = """
            with input as (
              select * from unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                                   $9::text[], $10::text[], $11::int4[], $12::int8[], $13::int8[], $14::timestamptz[], $15::text[],
                                   $16::text[], $17::text[], $18::text[], $19::text[], $20::int8[], $21::int8[], $22::int8[],
                                   $23::float8[], $26::int8[]) with ordinality
                as u(id, session_id, tenant_id, fingerprint, request_json, workload, model_ref, engine, priority, pool_id,
                     queue_position, predicted_start_ms, backoff_ms, created_at, policy_name, policy_version, policy_digest,
                     policy_decision, owner_instance, event_id_bound, tokens_budget, time_budget_ms, cost_budget, max_tokens, ord)
            ),
            turns as (
              select session_id, min(tenant_id) as tenant_id, count(*)::int4 as n, min(created_at) as at,
                     min(tokens_budget) as tokens_budget, min(time_budget_ms) as time_budget_ms, min(cost_budget) as cost_budget,
                     sum(max_tokens)::int8 as tokens_wanted
              from input group by session_id having count(distinct tenant_id) = 1
            ),
            -- SES-4 under concurrency (ADR 0035): the tasks of a session reserve their max_tokens, in batch order, out of
            -- what neither usage nor earlier reservations hold; the row lock of this upsert orders every instance's admissions.
            sessions_ok as (
              insert into sessions as s (id, tenant_id, created_at, expires_at, turns, max_turns, tokens_budget, time_budget_ms, cost_budget,
                                         tokens_reserved, tokens_left_at_last_admission)
              select session_id, tenant_id, at, at + $24::int8 * interval '1 millisecond', n, $25::int4, tokens_budget, time_budget_ms,
                     cost_budget, case when tokens_budget is null then 0 else least(tokens_wanted, tokens_budget) end, tokens_budget
              from turns where n <= $25::int4
              on conflict (id) do update set turns = s.turns + excluded.turns,
                tokens_reserved = case when s.tokens_budget is null then s.tokens_reserved
                  else s.tokens_reserved + least((select t.tokens_wanted from turns t where t.session_id = s.id),
                                                 greatest(0, s.tokens_budget - s.tokens_used - s.tokens_reserved)) end,
                tokens_left_at_last_admission = case when s.tokens_budget is null then null
                  else greatest(0, s.tokens_budget - s.tokens_used - s.tokens_reserved) end
                where s.tenant_id = excluded.tenant_id and s.deleted_at is null and s.expires_at > excluded.created_at
                  and s.turns + excluded.turns <= s.max_turns
                  and (s.tokens_budget is null or s.tokens_used < s.tokens_budget)
                  and (s.time_budget_ms is null or s.time_used_ms < s.time_budget_ms)
                  and (s.cost_budget is null or s.cost_used < s.cost_budget)
              returning s.id, s.tokens_left_at_last_admission as tokens_left, s.time_budget_ms - s.time_used_ms as time_left,
                        s.cost_budget - s.cost_used as cost_left, s.last_replica_id
            ),
            wanted_before as (
              select ord, coalesce((sum(max_tokens) over (partition by session_id order by ord
                                                          rows between unbounded preceding and 1 preceding))::int8, 0) as tokens
              from input
            ),
            inserted as (
              insert into tasks (id, tenant_id, session_id, fingerprint, request_json, workload, model_ref, engine, priority, state,
                                 pool_id, queue_position, predicted_start_ms, backoff_ms, created_at, policy_name, policy_version,
                                 policy_digest, policy_decision, owner_instance, event_id_bound, tokens_reserved)
              select i.id, i.tenant_id, i.session_id, i.fingerprint, i.request_json, i.workload, i.model_ref, i.engine, i.priority,
                     'queued', i.pool_id, i.queue_position, i.predicted_start_ms, i.backoff_ms, i.created_at, i.policy_name,
                     i.policy_version, i.policy_digest, i.policy_decision, i.owner_instance, i.event_id_bound,
                     case when so.tokens_left is null then null else greatest(0, least(i.max_tokens, so.tokens_left - w.tokens)) end
              from input i join sessions_ok so on so.id = i.session_id join wanted_before w on w.ord = i.ord
              on conflict (id) do nothing
              returning id
            )
            select id, true as task, null::int8 as tokens_left, null::int8 as time_left, null::float8 as cost_left, null::text as last_replica
            from inserted
            union all
            select id, false, tokens_left, time_left, cost_left, last_replica_id from sessions_ok
            """;


    private static final String ENSURE_TENANTS = "insert into tenants (id) select unnest($1::text[]) on conflict do nothing";

    private static final String LOOKUP = "select " + StoredTask.COLUMNS + " from tasks where id = any($1::uuid[])";

    private static final String LIST = "select " + StoredTask.COLUMNS + " from tasks where tenant_id = $1"
            + " and ($2::uuid is null or session_id = $2) and ($3::text is null or state = $3) and ($4::text is null or model_ref = $4)"
            + " and ($5::timestamptz is null or (created_at, id) < ($5, $6::uuid))"
            + " order by created_at desc, id desc limit $7";

    private static final String SESSIONS = "select id, tenant_id, deleted_at, expires_at, turns, max_turns,"
            + " (tokens_budget is not null and tokens_used >= tokens_budget) or (time_budget_ms is not null and time_used_ms >= time_budget_ms)"
            + " or (cost_budget is not null and cost_used >= cost_budget) as exhausted from sessions where id = any($1::uuid[])";

    /** Gives back the turns, and the token reservations (ADR 0035), that re-posts of recorded tasks took in a batch. */
    private static final String REFUND_TURNS = "update sessions set turns = greatest(0, turns - $2),"
            + " tokens_reserved = greatest(0, tokens_reserved - $3) where id = $1";

    /*
     * Also the session's side of each transition (SES-3, SES-4), in the same statement: a start records the replica
     * the session last ran on; a terminal outcome adds the task's tokens, decode time and cost to the session's usage.
     */
    private static final String TRANSITION = """
            with u as (
              select * from unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::timestamptz[], $7::int4[],
                                   $8::int8[], $9::int8[], $10::text[], $11::text[], $12::bool[], $13::float8[], $14::int8[])
                as u(id, owner_instance, state, started_at, replica_id, ended_at, tokens_out, decode_ms, terminal_event_id,
                     error_code, error_message, error_retriable, cost, context_tokens)
            ),
            t as (
              update tasks t set state = u.state,
                -- a drain may have moved the waiting task to another pool of its model (POOL-3): it ran where its replica is
                pool_id = coalesce(split_part(u.replica_id, '/', 1), t.pool_id),
                started_at = coalesce(t.started_at, u.started_at),
                replica_id = coalesce(u.replica_id, t.replica_id),
                ended_at = u.ended_at,
                tokens_out = coalesce(u.tokens_out, t.tokens_out),
                decode_ms = u.decode_ms,
                terminal_event_id = u.terminal_event_id,
                error_code = u.error_code,
                error_message = u.error_message,
                error_retriable = u.error_retriable
              from u
              where t.id = u.id and t.owner_instance = u.owner_instance
                and (t.state = 'queued' or (t.state = 'running' and u.state <> 'running'))
              returning t.id, t.session_id, u.replica_id, u.state, coalesce(u.tokens_out, 0) as tokens_out,
                        coalesce(u.decode_ms, 0) as decode_ms, coalesce(u.cost, 0) as cost, coalesce(t.tokens_reserved, 0) as reserved,
                        u.context_tokens
            ),
            per_session as (
              select session_id, (array_agg(replica_id) filter (where replica_id is not null))[1] as replica_id,
                     sum(tokens_out) filter (where state <> 'running') as tokens, sum(decode_ms) filter (where state <> 'running') as ms,
                     sum(cost) filter (where state <> 'running') as cost, sum(reserved) filter (where state <> 'running') as reserved,
                     (array_agg(context_tokens) filter (where context_tokens is not null))[1] as context_tokens
              from t group by session_id
            ),
            s as (
              update sessions s set last_replica_id = coalesce(p.replica_id, s.last_replica_id),
                tokens_used = s.tokens_used + coalesce(p.tokens, 0),
                -- the terminal outcome settles the task's reservation (ADR 0035): given back, what it emitted counted above
                tokens_reserved = greatest(0, s.tokens_reserved - coalesce(p.reserved, 0)),
                -- what the replica's KV cache holds for the session after its last turn there (kv_bytes of GET /v1/sessions)
                context_tokens = coalesce(p.context_tokens, s.context_tokens),
                time_used_ms = s.time_used_ms + coalesce(p.ms, 0),
                cost_used = s.cost_used + coalesce(p.cost, 0)
              -- a start on the replica the session already names changes nothing: no row write
              from per_session p where s.id = p.session_id and (p.tokens is not null or p.replica_id is distinct from s.last_replica_id)
            )
            select id from t
            """;


    private final Pool pool;
    private final Vertx vertx;
    private final long sessionTtlMs;
    private final int sessionMaxTurns;
    private final GroupCommit<AdmissionRecord, AdmissionResult> admissions;
    private final GroupCommit<UUID, Optional<StoredTask>> lookups;
    private final GroupCommit<Transition, Boolean> transitions;
    /** Tenants known to have a row; only unknown ones cost an insert (once per tenant and instance). */
    private final Set<String> knownTenants = ConcurrentHashMap.newKeySet();
    private volatile boolean outage;

    public TaskJournal(Pool pool, Vertx vertx, long sessionTtlMs, int sessionMaxTurns) {
        this.pool = pool;
        this.vertx = vertx;
        this.sessionTtlMs = sessionTtlMs;
        this.sessionMaxTurns = sessionMaxTurns;
        this.admissions = new GroupCommit<>(this::flushAdmissions, MAX_BATCH, 2);
        this.lookups = new GroupCommit<>(this::flushLookups, MAX_BATCH, 2);
        // One transition batch at a time: a task's start is always written before its end.
        this.transitions = new GroupCommit<>(batch -> retrying(() -> flushTransitions(batch), "task transitions"), MAX_BATCH, 1);
    }

    // ------------------------------------------------------------------------------------ admissions

    /**
     * Records an admitted task and counts its session turn. Completes once durable, or fails with
     * {@code DEPENDENCY_UNAVAILABLE} when the database cannot be reached.
     */
    public CompletableFuture<AdmissionResult> admit(AdmissionRecord record) {
        return admissions.submit(record);
    }

    /** The stored task with that id, if any (batched with concurrent lookups). */
    public CompletableFuture<Optional<StoredTask>> find(UUID taskId) {
        return lookups.submit(taskId);
    }

    /** Where a page of a task listing starts: after the task with this creation time and id (newest first). */
    public record ListPosition(OffsetDateTime createdAt, UUID id) {}

    /**
     * One page of a tenant's tasks, newest first (ties by id), optionally filtered; {@code after} continues a listing.
     * Not batched: listings are rare next to admissions.
     */
    public CompletionStage<List<StoredTask>> list(
            String tenantId, UUID sessionId, String state, String modelRef, ListPosition after, int limit) {
        Tuple args = Tuple.of(tenantId, sessionId, state, modelRef, after == null ? null : after.createdAt(),
                after == null ? null : after.id()).addInteger(limit);
        return pool.preparedQuery(LIST).execute(args).toCompletionStage().thenApply(rows -> {
            List<StoredTask> out = new ArrayList<>(rows.size());
            for (Row r : rows) {
                out.add(StoredTask.of(r));
            }
            return out;
        }).exceptionally(e -> {
            throw unavailable("list the tasks", e);
        });
    }

    private CompletionStage<List<AdmissionResult>> flushAdmissions(List<AdmissionRecord> batch) {
        List<String> unknownTenants = new ArrayList<>();
        for (AdmissionRecord r : batch) {
            if (!knownTenants.contains(r.tenantId()) && !unknownTenants.contains(r.tenantId())) {
                unknownTenants.add(r.tenantId());
            }
        }
        CompletionStage<Void> tenantsReady = unknownTenants.isEmpty()
                ? CompletableFuture.completedFuture(null)
                : pool.preparedQuery(ENSURE_TENANTS).execute(Tuple.of(unknownTenants.toArray(String[]::new)))
                        .map(rs -> {
                            knownTenants.addAll(unknownTenants);
                            return (Void) null;
                        })
                        .toCompletionStage();
        return tenantsReady
                .thenCompose(v -> pool.preparedQuery(ADMIT).execute(admitArgs(batch)).toCompletionStage())
                .thenCompose(rows -> {
                    Set<UUID> inserted = new HashSet<>();
                    Map<UUID, io.sluice.app.sessions.SessionFigures> sessionsCounted = new HashMap<>();
                    for (Row r : rows) {
                        if (r.getBoolean(1)) {
                            inserted.add(r.getUUID(0));
                        } else {
                            sessionsCounted.put(r.getUUID(0), new io.sluice.app.sessions.SessionFigures(r.getLong(2), r.getLong(3),
                                    r.getDouble(4), r.getString(5)));
                        }
                    }
                    markHealthy();
                    Map<UUID, io.sluice.app.sessions.SessionFigures> shares = tokenShares(batch, sessionsCounted);
                    if (inserted.size() == batch.size()) {
                        List<AdmissionResult> all = new ArrayList<>(batch.size());
                        for (AdmissionRecord r : batch) {
                            all.add(new AdmissionResult.Recorded(shares.get(r.taskId())));
                        }
                        return CompletableFuture.completedFuture(all);
                    }
                    return resolveRefused(batch, inserted, sessionsCounted, shares);
                })
                .exceptionally(e -> {
                    throw unavailable("record the task", e);
                });
    }

    private Tuple admitArgs(List<AdmissionRecord> batch) {
        int n = batch.size();
        UUID[] id = new UUID[n];
        UUID[] session = new UUID[n];
        String[] tenant = new String[n];
        String[] fingerprint = new String[n];
        String[] request = new String[n];
        String[] workload = new String[n];
        String[] model = new String[n];
        String[] engine = new String[n];
        String[] priority = new String[n];
        String[] poolId = new String[n];
        Integer[] position = new Integer[n];
        Long[] predicted = new Long[n];
        Long[] backoff = new Long[n];
        OffsetDateTime[] created = new OffsetDateTime[n];
        String[] policyName = new String[n];
        String[] policyVersion = new String[n];
        String[] policyDigest = new String[n];
        String[] policyDecision = new String[n];
        String[] owner = new String[n];
        Long[] bound = new Long[n];
        Long[] tokensBudget = new Long[n];
        Long[] timeBudget = new Long[n];
        Double[] costBudget = new Double[n];
        Long[] maxTokens = new Long[n];
        for (int i = 0; i < n; i++) {
            AdmissionRecord r = batch.get(i);
            id[i] = r.taskId();
            session[i] = r.sessionId();
            tenant[i] = r.tenantId();
            fingerprint[i] = r.fingerprint();
            request[i] = r.requestJson();
            workload[i] = r.workload();
            model[i] = r.modelRef();
            engine[i] = r.engine();
            priority[i] = r.priority();
            poolId[i] = r.poolId();
            position[i] = r.queuePosition();
            predicted[i] = r.predictedStartMs();
            backoff[i] = r.backoffMs();
            created[i] = r.createdAt();
            policyName[i] = r.policyName();
            policyVersion[i] = r.policyVersion();
            policyDigest[i] = r.policyDigest();
            policyDecision[i] = r.policyDecision();
            owner[i] = r.ownerInstance();
            bound[i] = r.eventIdBound();
            tokensBudget[i] = r.tokensBudget();
            timeBudget[i] = r.timeBudgetMs();
            costBudget[i] = r.costBudget();
            maxTokens[i] = (long) r.maxTokens();
        }
        return Tuple.from(new Object[] {id, session, tenant, fingerprint, request, workload, model, engine, priority, poolId, position,
            predicted, backoff, created, policyName, policyVersion, policyDigest, policyDecision, owner, bound, tokensBudget, timeBudget,
            costBudget, sessionTtlMs, sessionMaxTurns, maxTokens});
    }

    /**
     * The rare path: some tasks of the batch were not inserted. Each is a re-post of a recorded task, a task whose
     * session refused it, or one that only failed because others of its session in the same batch took the turns
     * it would have had — the last are written again alone.
     */
    private CompletionStage<List<AdmissionResult>> resolveRefused(List<AdmissionRecord> batch, Set<UUID> inserted,
            Map<UUID, io.sluice.app.sessions.SessionFigures> sessionsCounted, Map<UUID, io.sluice.app.sessions.SessionFigures> shares) {
        List<UUID> missing = new ArrayList<>();
        for (AdmissionRecord r : batch) {
            if (!inserted.contains(r.taskId())) {
                missing.add(r.taskId());
            }
        }
        return pool.preparedQuery(LOOKUP).execute(Tuple.of(missing.toArray(UUID[]::new))).toCompletionStage().thenCompose(existingRows -> {
            Map<UUID, StoredTask> existing = new HashMap<>();
            for (Row r : existingRows) {
                StoredTask t = StoredTask.of(r);
                existing.put(t.id(), t);
            }
            // A re-post whose session turn was counted in this batch gives the turn, and its token reservation, back.
            Map<UUID, Integer> refunds = new LinkedHashMap<>();
            Map<UUID, Long> reservedRefunds = new HashMap<>();
            List<UUID> sessionsToCheck = new ArrayList<>();
            for (AdmissionRecord r : batch) {
                if (inserted.contains(r.taskId())) {
                    continue;
                }
                if (existing.containsKey(r.taskId())) {
                    if (sessionsCounted.containsKey(r.sessionId())) {
                        refunds.merge(r.sessionId(), 1, Integer::sum);
                        reservedRefunds.merge(r.sessionId(), reservedBy(r, shares.get(r.taskId())), Long::sum);
                    }
                } else if (!sessionsToCheck.contains(r.sessionId())) {
                    sessionsToCheck.add(r.sessionId());
                }
            }
            CompletionStage<Void> refunded = CompletableFuture.completedFuture(null);
            for (Map.Entry<UUID, Integer> e : refunds.entrySet()) {
                refunded = refunded.thenCompose(v -> pool.preparedQuery(REFUND_TURNS).execute(Tuple.of(e.getKey(), e.getValue(),
                        reservedRefunds.getOrDefault(e.getKey(), 0L)))
                        .<Void>map(x -> null).toCompletionStage());
            }
            CompletionStage<Map<UUID, Row>> sessions = sessionsToCheck.isEmpty()
                    ? CompletableFuture.completedFuture(Map.of())
                    : pool.preparedQuery(SESSIONS).execute(Tuple.of(sessionsToCheck.toArray(UUID[]::new))).toCompletionStage()
                            .thenApply(rs -> {
                                Map<UUID, Row> m = new HashMap<>();
                                for (Row r : rs) {
                                    m.put(r.getUUID(0), r);
                                }
                                return m;
                            });
            return refunded.thenCombine(sessions, (v, s) -> s).thenCompose(sessionRows -> {
                List<CompletionStage<AdmissionResult>> results = new ArrayList<>(batch.size());
                for (AdmissionRecord r : batch) {
                    if (inserted.contains(r.taskId())) {
                        results.add(CompletableFuture.completedFuture(new AdmissionResult.Recorded(shares.get(r.taskId()))));
                    } else if (existing.containsKey(r.taskId())) {
                        results.add(CompletableFuture.completedFuture(new AdmissionResult.AlreadyRecorded(existing.get(r.taskId()))));
                    } else {
                        SluiceError refusal = sessionRefusal(r, sessionRows.get(r.sessionId()));
                        results.add(refusal != null
                                ? CompletableFuture.completedFuture(new AdmissionResult.SessionRefused(refusal))
                                : batch.size() > 1
                                        ? flushAdmissions(List.of(r)).thenApply(l -> l.get(0))
                                        : CompletableFuture.completedFuture(new AdmissionResult.SessionRefused(
                                                sessionConflict("session " + r.sessionId() + " changed concurrently; retry the task"))));
                    }
                }
                return all(results);
            });
        });
    }

    /**
     * Each task's figures of its session (ADR 0035): the tokens left to it are what the session had left before the batch
     * less what the tasks of its session earlier in the batch reserved — the same arithmetic as the admission statement's.
     */
    private static Map<UUID, io.sluice.app.sessions.SessionFigures> tokenShares(List<AdmissionRecord> batch,
            Map<UUID, io.sluice.app.sessions.SessionFigures> sessionsCounted) {
        Map<UUID, Long> wantedBefore = new HashMap<>();
        Map<UUID, io.sluice.app.sessions.SessionFigures> shares = new HashMap<>();
        for (AdmissionRecord r : batch) {
            long before = wantedBefore.merge(r.sessionId(), (long) r.maxTokens(), Long::sum) - r.maxTokens();
            io.sluice.app.sessions.SessionFigures f = sessionsCounted.get(r.sessionId());
            if (f != null) {
                shares.put(r.taskId(), f.tokensRemaining() == null ? f : f.withTokensRemaining(Math.max(0L, f.tokensRemaining() - before)));
            }
        }
        return shares;
    }

    /** The tokens a task's admission reserved of its session's budget: its max_tokens, at most what was left to it. */
    private static long reservedBy(AdmissionRecord r, io.sluice.app.sessions.SessionFigures share) {
        return share == null || share.tokensRemaining() == null ? 0L : Math.min(r.maxTokens(), share.tokensRemaining());
    }

    /** Why a session refuses a task, or null when it would take the task alone. */
    private SluiceError sessionRefusal(AdmissionRecord r, Row s) {
        if (s == null) {
            return null; // a new session: written alone it is created
        }
        if (!r.tenantId().equals(s.getString(1))) {
            // another tenant's session: answered as not found, never as "exists" (SEC-3)
            return SluiceError.of(ErrorCode.NOT_FOUND, "session " + r.sessionId() + " not found")
                    .withField("session_id")
                    .withStage(AdmissionStage.QUOTA);
        }
        if (s.getOffsetDateTime(2) != null) {
            return sessionConflict("session " + r.sessionId() + " was deleted; start a new session");
        }
        if (!r.createdAt().isBefore(s.getOffsetDateTime(3))) {
            return sessionConflict("session " + r.sessionId() + " expired; start a new session");
        }
        if (s.getInteger(4) >= s.getInteger(5)) {
            return sessionConflict("session " + r.sessionId() + " used all of its " + s.getInteger(5) + " turns; start a new session");
        }
        if (Boolean.TRUE.equals(s.getBoolean(6))) {
            return SluiceError.of(ErrorCode.SESSION_BUDGET_EXHAUSTED, "session " + r.sessionId() + " used up a budget; start a new session")
                    .withField("session_id")
                    .withStage(AdmissionStage.QUOTA);
        }
        return null;
    }

    private static SluiceError sessionConflict(String message) {
        return SluiceError.of(ErrorCode.CONFLICT, message).withField("session_id").withStage(AdmissionStage.QUOTA);
    }

    private CompletionStage<List<Optional<StoredTask>>> flushLookups(List<UUID> ids) {
        return pool.preparedQuery(LOOKUP).execute(Tuple.of(ids.toArray(UUID[]::new))).toCompletionStage().thenApply(rows -> {
            Map<UUID, StoredTask> found = new HashMap<>();
            for (Row r : rows) {
                StoredTask t = StoredTask.of(r);
                found.put(t.id(), t);
            }
            markHealthy();
            List<Optional<StoredTask>> out = new ArrayList<>(ids.size());
            for (UUID id : ids) {
                out.add(Optional.ofNullable(found.get(id)));
            }
            return out;
        }).exceptionally(e -> {
            throw unavailable("read the task", e);
        });
    }

    // ------------------------------------------------------------------------------------ transitions

    /** Records that a task started on a replica; written with the next transition batch. */
    public void recordStarted(TaskRun run) {
        OffsetDateTime at = OffsetDateTime.ofInstant(run.startedAt(), ZoneOffset.UTC);
        transitions.submit(new Transition(run.spec().taskId(), run.owner(), "running", at, run.replica().qualifiedId(), null, null,
                null, null, null, null, null, null, null));
    }

    /**
     * Records the proposed terminal outcome unless the task was already resolved (by another instance, after this
     * one's lease expired); answers the outcome the stream must publish.
     */
    @Override
    public CompletionStage<Outcome> commit(TaskRun run, Outcome proposed) {
        TaskEvent event = proposed.event();
        SluiceError err = event instanceof TaskEvent.Failed f ? f.error() : null;
        String state = err == null ? "succeeded" : err.code() == ErrorCode.CANCELED ? "canceled" : "failed";
        Long decodeMs = event instanceof TaskEvent.End e ? Long.valueOf(e.decodeMs()) : (run.startedAt() == null ? null : run.decodeTimeMs());
        OffsetDateTime started = run.startedAt() == null ? null : OffsetDateTime.ofInstant(run.startedAt(), ZoneOffset.UTC);
        io.sluice.core.scheduling.RunBudget budget = run.budget();
        // Only what ran costs: a task that never started spent nothing of its session's budget.
        double cost = budget == null || run.startedAt() == null ? 0.0 : budget.costOf(run.spec().estimatedPromptTokens(), run.tokensOut());
        Transition t = new Transition(run.spec().taskId(), run.owner(), state, started,
                run.replica() == null ? null : run.replica().qualifiedId(), OffsetDateTime.now(ZoneOffset.UTC), (int) run.tokensOut(),
                decodeMs, proposed.eventId(), err == null ? null : err.code().name(), err == null ? null : err.message(),
                err == null ? null : err.retriable(), cost, contextTokens(run));
        return transitions.submit(t).thenCompose(won -> {
            if (won) {
                return CompletableFuture.completedFuture(proposed);
            }
            return retrying(() -> pool.preparedQuery(LOOKUP).execute(Tuple.of(new UUID[] {run.spec().taskId()})).toCompletionStage(),
                    "the stored outcome of " + run.spec().taskId()).thenApply(rows -> storedOutcome(run, proposed, rows));
        });
    }

    private static Outcome storedOutcome(TaskRun run, Outcome proposed, RowSet<Row> rows) {
        if (rows.size() == 0) {
            LOG.errorf("task %s has no stored row; its outcome stays unrecorded", run.spec().taskId());
            return proposed;
        }
        StoredTask stored = StoredTask.of(rows.iterator().next());
        if (!stored.ended()) {
            LOG.errorf("task %s is %s and owned by %s, not by this instance (%s); its outcome stays unrecorded",
                    stored.id(), stored.state(), stored.ownerInstance(), run.owner());
            return proposed;
        }
        LOG.warnf("task %s was already resolved as %s (%s); its stream shows the stored outcome", stored.id(), stored.state(),
                stored.errorCode());
        return new Outcome(terminalEventOf(stored), stored.terminalEventId() == null ? proposed.eventId() : stored.terminalEventId());
    }

    /** The terminal stream event a stored, ended task shows. */
    public static TaskEvent terminalEventOf(StoredTask t) {
        if (t.errorCode() == null) {
            return new TaskEvent.End(t.tokensOut(), t.decodeMs() == null ? 0 : t.decodeMs());
        }
        ErrorCode code;
        try {
            code = ErrorCode.valueOf(t.errorCode());
        } catch (IllegalArgumentException e) {
            code = ErrorCode.INTERNAL;
        }
        return new TaskEvent.Failed(new SluiceError(code, t.errorMessage(), Boolean.TRUE.equals(t.errorRetriable()), null, t.engine(),
                t.poolId(), null, null, null, null, null));
    }

    /**
     * The tokens the task left in its replica's KV cache: its prompt (as the engine counted it, else as estimated at
     * admission) and what it generated; null when it never ran on a replica.
     */
    private static Long contextTokens(TaskRun run) {
        if (run.startedAt() == null || run.replica() == null) {
            return null;
        }
        io.sluice.core.engine.GenerationOutcome o = run.engineOutcome();
        long prompt = o != null && o.promptTokens() >= 0 ? o.promptTokens() : run.spec().estimatedPromptTokens();
        return prompt + run.tokensOut();
    }

    /** One lifecycle update; started and terminal updates of one task in one batch are merged. */
    private record Transition(
            UUID id,
            String owner,
            String state,
            OffsetDateTime startedAt,
            String replicaId,
            OffsetDateTime endedAt,
            Integer tokensOut,
            Long decodeMs,
            Long terminalEventId,
            String errorCode,
            String errorMessage,
            Boolean errorRetriable,
            Double cost,
            Long contextTokens) {

        boolean terminal() {
            return !"running".equals(state);
        }

        Transition mergedWith(Transition later) {
            return new Transition(id, owner, later.terminal() ? later.state : state,
                    startedAt != null ? startedAt : later.startedAt, later.replicaId != null ? later.replicaId : replicaId,
                    later.endedAt, later.tokensOut, later.decodeMs, later.terminalEventId, later.errorCode, later.errorMessage,
                    later.errorRetriable, later.cost, later.contextTokens);
        }
    }

    private CompletionStage<List<Boolean>> flushTransitions(List<Transition> batch) {
        Map<UUID, Transition> merged = new LinkedHashMap<>();
        for (Transition t : batch) {
            merged.merge(t.id, t, Transition::mergedWith);
        }
        int n = merged.size();
        UUID[] id = new UUID[n];
        String[] owner = new String[n];
        String[] state = new String[n];
        OffsetDateTime[] started = new OffsetDateTime[n];
        String[] replica = new String[n];
        OffsetDateTime[] ended = new OffsetDateTime[n];
        Integer[] tokens = new Integer[n];
        Long[] decode = new Long[n];
        Long[] terminalId = new Long[n];
        String[] code = new String[n];
        String[] message = new String[n];
        Boolean[] retriable = new Boolean[n];
        Double[] cost = new Double[n];
        Long[] context = new Long[n];
        int i = 0;
        for (Transition t : merged.values()) {
            id[i] = t.id;
            owner[i] = t.owner;
            state[i] = t.state;
            started[i] = t.startedAt;
            replica[i] = t.replicaId;
            ended[i] = t.endedAt;
            tokens[i] = t.tokensOut;
            decode[i] = t.decodeMs;
            terminalId[i] = t.terminalEventId;
            code[i] = t.errorCode;
            message[i] = t.errorMessage;
            retriable[i] = t.errorRetriable;
            cost[i] = t.cost;
            context[i] = t.contextTokens;
            i++;
        }
        Tuple args = Tuple.from(new Object[] {id, owner, state, started, replica, ended, tokens, decode, terminalId, code, message, retriable,
            cost, context});
        return pool.preparedQuery(TRANSITION).execute(args).toCompletionStage().thenApply(rows -> {
            Set<UUID> updated = new HashSet<>();
            for (Row r : rows) {
                updated.add(r.getUUID(0));
            }
            List<Boolean> out = new ArrayList<>(batch.size());
            for (Transition t : batch) {
                // A start merged into its end in this batch shares the end's result.
                out.add(updated.contains(t.id));
            }
            return out;
        });
    }

    /**
     * Waits until every transition submitted so far is written, or the time is up: on shutdown, so that the
     * outcomes of the tasks this instance ended are durable before it leaves.
     */
    public boolean awaitTransitions(java.time.Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!transitions.idle()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(10);
        }
        return true;
    }

    // ------------------------------------------------------------------------------------ failures

    /** Repeats {@code work} with capped exponential backoff until the database answers. */
    private <T> CompletionStage<T> retrying(java.util.function.Supplier<CompletionStage<T>> work, String what) {
        CompletableFuture<T> done = new CompletableFuture<>();
        attempt(work, what, done, 50);
        return done;
    }

    private <T> void attempt(java.util.function.Supplier<CompletionStage<T>> work, String what, CompletableFuture<T> done, long delayMs) {
        CompletionStage<T> stage;
        try {
            stage = work.get();
        } catch (RuntimeException e) {
            stage = CompletableFuture.failedFuture(e);
        }
        stage.whenComplete((v, err) -> {
            if (err == null) {
                markHealthy();
                done.complete(v);
                return;
            }
            if (!outage) {
                outage = true;
                LOG.warnf("cannot write %s (%s); retrying until the database answers", what, rootMessage(err));
            }
            vertx.setTimer(delayMs, id -> attempt(work, what, done, Math.min(MAX_RETRY_DELAY_MS, delayMs * 2)));
        });
    }

    private void markHealthy() {
        if (outage) {
            outage = false;
            LOG.info("the task store answers again");
        }
    }

    private static SluiceException unavailable(String what, Throwable e) {
        Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof SluiceException se) {
            return se;
        }
        if (cause instanceof io.vertx.pgclient.PgException pg) {
            // The database answered, with an error: a defect or a schema mismatch, not an outage.
            LOG.errorf(pg, "could not %s: PostgreSQL error %s", what, pg.getSqlState());
            return new SluiceException(SluiceError.of(ErrorCode.INTERNAL, "the task store refused the write"));
        }
        LOG.warnf("could not %s: %s", what, rootMessage(cause));
        return new SluiceException(SluiceError.of(ErrorCode.DEPENDENCY_UNAVAILABLE, "the task store is unreachable; could not " + what)
                .withRetryAfter(1_000L));
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    private static <T> CompletionStage<List<T>> all(List<CompletionStage<T>> stages) {
        CompletableFuture<?>[] fs = stages.stream().map(CompletionStage::toCompletableFuture).toArray(CompletableFuture[]::new);
        return CompletableFuture.allOf(fs).thenApply(v -> {
            List<T> out = new ArrayList<>(fs.length);
            for (CompletableFuture<?> f : fs) {
                @SuppressWarnings("unchecked")
                T t = (T) f.join();
                out.add(t);
            }
            return out;
        });
    }
}
