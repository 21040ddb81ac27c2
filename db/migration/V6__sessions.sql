-- Sessions (SES-1..4) and the pool control plane (POOL-3). Forward only.

-- Per-session budgets (SES-4): the limits are fixed when the session is created (null = unbounded); the usage is
-- added by the batched terminal transitions of the session's tasks (ADR 0008), never by a round trip of its own.
alter table sessions add column tokens_budget  bigint check (tokens_budget > 0);
alter table sessions add column time_budget_ms bigint check (time_budget_ms > 0);
alter table sessions add column cost_budget    double precision check (cost_budget > 0);
alter table sessions add column tokens_used    bigint not null default 0 check (tokens_used >= 0);
alter table sessions add column time_used_ms   bigint not null default 0 check (time_used_ms >= 0);
alter table sessions add column cost_used      double precision not null default 0 check (cost_used >= 0);

-- Pool drains (POOL-3). Every instance schedules onto the same configured pools, so a drain must reach all of them:
-- it is a row here, and the change trigger of V3 tells the other instances to reload it at once.
create table pool_drains (
    pool_id      text primary key check (length(pool_id) between 1 and 128),
    started_at   timestamptz not null,
    deadline_at  timestamptz not null,
    started_by   text
);
create trigger pool_drains_changed after insert or update or delete on pool_drains
    for each row execute function sluice_notify_change();
