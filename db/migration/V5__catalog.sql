-- Model catalog, trust and lifecycle (CAT-1..3, LIFE-1..3) and the tenants' artifact store (CAT-4). Forward only.

-- One row per catalog entry. name:tag resolves to exactly one entry (the unique constraint is the resolution);
-- manifest, signatures and SBOM are kept as the text that was ingested, never re-serialized, so what was signed
-- stays byte-for-byte what is returned.
create table catalog_models (
    id                    uuid primary key,
    name                  text not null check (name ~ '^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$'),
    tag                   text not null check (tag ~ '^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$'),
    source_registry       text not null check (length(source_registry) between 1 and 256),
    artifact_digest       text not null check (artifact_digest ~ '^sha256:[0-9a-f]{64}$'),
    manifest_json         text not null,
    signatures_json       text not null default '[]',
    sbom_json             text,
    verification_state    text not null check (verification_state in ('verified', 'unverified', 'failed', 'pending')),
    verification_policy   text check (verification_policy in ('strict', 'permissive')),
    verification_reason   text,
    verification_key_ids  text not null default '[]',
    verification_id       uuid,
    verified_at           timestamptz,
    state                 text not null check (state in ('Draft', 'Active', 'Canary', 'Deprecated', 'Retired')),
    -- drain deadline of the last Deprecated/Retired transition
    drain_deadline_at     timestamptz,
    archived              boolean not null default false,
    -- optimistic concurrency: every change is conditional on the version it read, so of two concurrent state
    -- changes of one entry exactly one applies
    row_version           bigint not null default 1,
    created_at            timestamptz not null default now(),
    created_by            text not null,
    updated_at            timestamptz not null default now(),
    unique (name, tag)
);
create index catalog_models_by_state on catalog_models (state, name, tag, id);

-- Tag -> digest resolutions as they were recorded at ingest (CAT-1: deterministic and recorded).
create table catalog_tag_resolutions (
    name         text not null,
    tag          text not null,
    digest       text not null check (digest ~ '^sha256:[0-9a-f]{64}$'),
    model_id     uuid not null references catalog_models (id),
    resolved_at  timestamptz not null default now(),
    resolved_by  text not null,
    primary key (name, tag)
);

-- Lifecycle audit (LIFE-1): one row per transition, the ingest (from_state null) included. Never updated.
create table catalog_transitions (
    id           bigserial primary key,
    model_id     uuid not null references catalog_models (id),
    from_state   text check (from_state in ('Draft', 'Active', 'Canary', 'Deprecated', 'Retired')),
    to_state     text not null check (to_state in ('Draft', 'Active', 'Canary', 'Deprecated', 'Retired')),
    at           timestamptz not null default now(),
    actor        text not null,
    reason       text,
    deadline_at  timestamptz
);
create index catalog_transitions_by_model on catalog_transitions (model_id, id);

-- Aliases with a traffic split (LIFE-3). targets_json: [{"model_id": ..., "percent": ...}] in split order.
create table catalog_aliases (
    alias                  text primary key check (alias ~ '^[a-z0-9][a-z0-9._-]{0,127}$'),
    targets_json           text not null,
    previous_targets_json  text,
    revision               integer not null check (revision >= 1),
    updated_at             timestamptz not null default now(),
    updated_by             text not null
);

-- Every split an alias ever had, for audit and rollback beyond the previous one.
create table catalog_alias_history (
    alias         text not null references catalog_aliases (alias),
    revision      integer not null,
    targets_json  text not null,
    at            timestamptz not null default now(),
    actor         text not null,
    primary key (alias, revision)
);

-- Tenant artifacts (CAT-4): content-addressed per tenant; the same id stored by two tenants is two rows.
create table artifacts (
    tenant_id     text not null references tenants (id),
    id            text not null check (id ~ '^sha256:[0-9a-f]{64}$'),
    kind          text not null check (kind ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    -- the RFC 8785 canonical JSON of {kind, content, tags, lineage}; its sha256 is the id
    canonical_json text not null,
    content_json  text not null,
    tags_json     text not null default '[]',
    size_bytes    bigint not null check (size_bytes >= 0),
    created_at    timestamptz not null default now(),
    primary key (tenant_id, id)
);

-- Lineage edges; a parent must be an artifact of the same tenant.
create table artifact_lineage (
    tenant_id  text not null,
    child_id   text not null,
    position   integer not null,
    parent_id  text not null,
    primary key (tenant_id, child_id, position),
    foreign key (tenant_id, child_id) references artifacts (tenant_id, id),
    foreign key (tenant_id, parent_id) references artifacts (tenant_id, id)
);
create index artifact_lineage_by_parent on artifact_lineage (tenant_id, parent_id);

create table artifact_tags (
    tenant_id    text not null,
    artifact_id  text not null,
    tag          text not null,
    primary key (tenant_id, artifact_id, tag),
    foreign key (tenant_id, artifact_id) references artifacts (tenant_id, id)
);
create index artifact_tags_by_tag on artifact_tags (tenant_id, tag);

-- Admission reads model states and alias splits from memory; these tell every instance to reload them.
create trigger catalog_models_changed after insert or update or delete on catalog_models
    for each row execute function sluice_notify_change();
create trigger catalog_aliases_changed after insert or update or delete on catalog_aliases
    for each row execute function sluice_notify_change();
