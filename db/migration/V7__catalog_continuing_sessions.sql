-- Deprecation keeps existing sessions going (LIFE-2). Forward only.

-- The sessions that had tasks on a catalog entry when it became Deprecated, written in the transaction of that
-- transition. Admission holds them in memory (ADR 0021) and keeps admitting their tasks without an override; a
-- session created later is refused. Rows stay after retirement, as the transitions do: they tell who continued.
create table catalog_continuing_sessions (
    model_id    uuid not null references catalog_models (id),
    session_id  uuid not null references sessions (id),
    primary key (model_id, session_id)
);
