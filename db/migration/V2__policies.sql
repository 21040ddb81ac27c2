-- Tenant policy plugins (POL-4): content-addressed module bytes, immutable versions, and the binding that
-- pins a version to a tenant's traffic.

create table policy_modules (
    -- 'sha256:' + hex of the bytes; identical uploads share one row
    digest      text primary key check (digest ~ '^sha256:[0-9a-f]{64}$'),
    bytes       bytea not null,
    created_at  timestamptz not null default now()
);

create table policy_versions (
    id           bigserial primary key,
    tenant_id    text not null references tenants (id),
    name         text not null check (name ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    version      text not null,
    digest       text not null references policy_modules (digest),
    abi_version  text not null,
    hooks_json   text not null,
    needs_json   text not null,
    size_bytes   integer not null check (size_bytes > 0),
    fixtures_passed integer not null default 0,
    created_at   timestamptz not null default now(),
    created_by   text,
    unique (tenant_id, name, version)
);
create index policy_versions_by_name on policy_versions (tenant_id, name, id desc);

create table policy_bindings (
    id               bigserial primary key,
    tenant_id        text not null references tenants (id),
    name             text not null,
    version          text not null,
    hooks_json       text not null,
    failure_mode     text not null check (failure_mode in ('fail_closed', 'fail_open')),
    canary_version   text,
    canary_percent   integer check (canary_percent between 0 and 100),
    previous_version text,
    revision         integer not null default 1,
    updated_at       timestamptz not null default now(),
    updated_by       text,
    unique (tenant_id, name),
    foreign key (tenant_id, name, version) references policy_versions (tenant_id, name, version),
    foreign key (tenant_id, name, canary_version) references policy_versions (tenant_id, name, version)
);
