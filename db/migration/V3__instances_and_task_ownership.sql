-- Several Sluice instances share one database (REL-5). Each instance holds a lease that it renews by heartbeat;
-- every task records the instance that owns it, and only tasks of instances whose lease expired are resolved by
-- others. Forward only.

create table instances (
    id             text primary key check (length(id) between 1 and 128),
    -- base URL other instances use to reach this one (stream, cancel and status of its tasks)
    advertised_url text not null,
    started_at     timestamptz not null default now(),
    heartbeat_at   timestamptz not null default now(),
    lease_until    timestamptz not null,
    -- set once the instance stopped or another instance resolved its tasks after the lease expired
    resolved_at    timestamptz
);
create index instances_live on instances (lease_until) where resolved_at is null;

alter table tasks add column owner_instance text;
-- largest stream event id the task can reach (started, metrics per attempt, tokens, periodic metrics, terminal):
-- a task resolved after its instance failed ends with this id, after anything its lost stream delivered
alter table tasks add column event_id_bound bigint;
create index tasks_unfinished_by_owner on tasks (owner_instance) where state in ('queued', 'running');

-- Change notifications: every instance serves tenant settings and policy bindings from memory and reloads them
-- when they change, whoever changed them (another instance, an operator with psql).
create function sluice_notify_change() returns trigger language plpgsql as $$
begin
    perform pg_notify('sluice_changes', tg_table_name);
    return null;
end;
$$;
-- Row triggers, so that an insert that changes nothing (on conflict do nothing) notifies nobody; PostgreSQL folds
-- identical notifications of one transaction into one.
create trigger tenants_changed after insert or update or delete on tenants
    for each row execute function sluice_notify_change();
create trigger policy_bindings_changed after insert or update or delete on policy_bindings
    for each row execute function sluice_notify_change();
