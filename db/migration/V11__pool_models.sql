-- The model a reload switched a pool to (POOL-3, ADR 0034). Every instance applies it, at start and when PostgreSQL
-- notifies a change, so a switch made through one instance holds on all of them and outlives restarts. The row
-- applies only while the pool's configuration still names `configured_model`: an operator who names another model in
-- the YAML afterwards has the last word. A reload that fails writes nothing.
create table pool_models (
    pool_id          text        primary key check (length(pool_id) between 1 and 128),
    configured_model text        not null check (length(configured_model) between 1 and 256),
    model_id         uuid        not null references catalog_models (id),
    model_ref        text        not null check (length(model_ref) between 1 and 256),
    model_name       text        not null check (length(model_name) between 1 and 256),
    artifact_digest  text        not null,
    switched_at      timestamptz not null default now(),
    switched_by      text
);
create trigger pool_models_changed after insert or update or delete on pool_models
    for each row execute function sluice_notify_change();
