-- Sluice schema v1: tenants, sessions, tasks and their lifecycle events.
-- Forward only: never edit a migration once it has landed; add V{N+1} instead.

create table tenants (
    id            text primary key check (length(id) between 1 and 128),
    display_name  text,
    weight        double precision not null default 1 check (weight > 0),
    tier          text,
    labels_json   text not null default '{}',
    may_override  boolean not null default false,
    -- false for tenants only ever seen in tokens; true once an admin registered them
    registered    boolean not null default false,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now()
);

create table sessions (
    id               uuid primary key,
    tenant_id        text not null references tenants (id),
    created_at       timestamptz not null,
    expires_at       timestamptz not null,
    turns            integer not null default 0 check (turns >= 0),
    max_turns        integer not null check (max_turns > 0),
    last_replica_id  text,
    kv_bytes         bigint not null default 0,
    deleted_at       timestamptz
);
create index sessions_by_tenant on sessions (tenant_id);

create table tasks (
    id                  uuid primary key,
    tenant_id           text not null references tenants (id),
    session_id          uuid not null references sessions (id),
    -- sha256 of the canonical request body: equal fingerprint = idempotent re-post (ADM-1)
    fingerprint         text not null,
    request_json        text not null,
    workload            text not null,
    model_ref           text not null,
    engine              text,
    priority            text not null,
    state               text not null check (state in ('queued', 'running', 'succeeded', 'failed', 'canceled')),
    pool_id             text,
    replica_id          text,
    queue_position      integer,
    predicted_start_ms  bigint,
    backoff_ms          bigint not null default 0,
    created_at          timestamptz not null,
    started_at          timestamptz,
    ended_at            timestamptz,
    tokens_out          integer not null default 0,
    decode_ms           bigint,
    -- SSE id of the terminal event, so a stream replayed after retention keeps its ids (SSE-2)
    terminal_event_id   bigint,
    error_code          text,
    error_message       text,
    error_retriable     boolean,
    policy_name         text,
    policy_version      text,
    policy_digest       text,
    policy_decision     text
);
create index tasks_by_tenant on tasks (tenant_id, created_at desc);
-- what a restart must resolve (REL-2)
create index tasks_unfinished on tasks (state) where state in ('queued', 'running');

create table task_events (
    id          bigserial primary key,
    task_id     uuid not null references tasks (id) on delete cascade,
    at          timestamptz not null default now(),
    kind        text not null check (kind in ('accepted', 'started', 'ended', 'recovered')),
    detail_json text not null default '{}'
);
create index task_events_by_task on task_events (task_id, id);
