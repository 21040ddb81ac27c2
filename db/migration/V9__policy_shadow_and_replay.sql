-- Policy shadow mode and replay (POL-8, ADR 0026).

-- A candidate version evaluated off the critical path next to the bound version of the same policy.
-- One shadow per policy; every instance loads it from here (notified like bindings).
create table policy_shadows (
    tenant_id   text not null references tenants (id),
    name        text not null,
    version     text not null,
    created_at  timestamptz not null default now(),
    created_by  text,
    primary key (tenant_id, name),
    foreign key (tenant_id, name, version) references policy_versions (tenant_id, name, version)
);
create trigger policy_shadows_changed after insert or update or delete on policy_shadows
    for each row execute function sluice_notify_change();

-- Live admit decisions with the input they were made on, for replay. The input is the ABI input with the
-- prompt text removed (SEC-4); rows older than the configured retention are deleted by every instance.
create table policy_decisions (
    id           bigserial primary key,
    tenant_id    text not null,
    name         text not null,
    version      text not null,
    decision     text not null,
    input_json   text not null,
    recorded_at  timestamptz not null
);
create index policy_decisions_by_policy on policy_decisions (tenant_id, name, recorded_at);
create index policy_decisions_by_age on policy_decisions (recorded_at);

-- One shadow evaluation next to the live decision it shadowed. The input is kept only for disagreements.
create table policy_shadow_results (
    id                bigserial primary key,
    tenant_id         text not null,
    name              text not null,
    candidate_version text not null,
    active_version    text not null,
    active_decision   text not null,
    shadow_decision   text not null,
    error_kind        text,
    latency_us        bigint not null check (latency_us >= 0),
    input_json        text,
    recorded_at       timestamptz not null
);
create index policy_shadow_results_by_candidate on policy_shadow_results (tenant_id, name, candidate_version, recorded_at);
create index policy_shadow_results_by_age on policy_shadow_results (recorded_at);

-- When a diff report (shadow or replay) was last produced for a version, for the pin rule below.
create table policy_reports (
    tenant_id    text not null,
    name         text not null,
    version      text not null,
    kind         text not null check (kind in ('shadow', 'replay')),
    generated_at timestamptz not null,
    primary key (tenant_id, name, version, kind)
);

-- Tenant setting: pinning a version other than the one in force needs a report on it newer than this many
-- seconds. Null: no report needed.
create table policy_settings (
    tenant_id                      text primary key references tenants (id),
    pin_requires_report_within_s   integer check (pin_requires_report_within_s between 1 and 2592000),
    updated_at                     timestamptz not null default now()
);
