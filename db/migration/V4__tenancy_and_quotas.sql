-- Tenancy and quotas (SCH-3, ADR 0009): per-tenant quotas, a disabled flag, and identity mappings that decide which
-- tenant a caller is, keyed by token issuer and claim value, so that two issuers using the same claim value are never
-- one tenant by accident. Every instance serves all of it from memory and reloads on the change notifications below.
-- Forward only.

-- A disabled tenant is refused at admission; its queued tasks are canceled, running ones finish (ADR 0009).
alter table tenants add column disabled boolean not null default false;
alter table tenants add column disabled_at timestamptz;

-- One row per tenant with quotas; no row, or a null member, means unlimited. 0 allows nothing.
create table tenant_quotas (
    tenant_id          text primary key references tenants (id),
    max_concurrent     integer check (max_concurrent >= 0),
    max_queued         integer check (max_queued >= 0),
    rps                integer check (rps >= 0),
    -- token bucket size of the rps limit; null means equal to rps
    burst              integer check (burst >= 0),
    tokens_per_minute  bigint check (tokens_per_minute >= 0),
    updated_at         timestamptz not null default now()
);

-- Who a caller is: the issuer of its token and the value of its tenant claim map to one tenant. A caller with no
-- mapping is the tenant named by its claim value only when its issuer is the configured home issuer.
create table tenant_identities (
    issuer       text not null check (length(issuer) between 1 and 512),
    claim_value  text not null check (length(claim_value) between 1 and 256),
    tenant_id    text not null references tenants (id),
    created_at   timestamptz not null default now(),
    primary key (issuer, claim_value)
);
create index tenant_identities_by_tenant on tenant_identities (tenant_id);

create trigger tenant_quotas_changed after insert or update or delete on tenant_quotas
    for each row execute function sluice_notify_change();
create trigger tenant_identities_changed after insert or update or delete on tenant_identities
    for each row execute function sluice_notify_change();
-- Quotas are split between the live instances: joining and leaving change every instance's share. Heartbeats
-- (updates of lease_until) do not notify, or every renewal would reload every instance.
create trigger instances_changed after insert or delete or update of resolved_at on instances
    for each row execute function sluice_notify_change();
