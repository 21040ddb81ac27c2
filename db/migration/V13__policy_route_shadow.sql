-- Route decisions in policy shadow mode and replay (POL-8, ADR 0036).

-- Which hook a decision record or a shadow result belongs to. Rows written before this version are all admit
-- decisions, so the default labels them truthfully; adding a column with a constant default rewrites no row.
alter table policy_decisions add column hook text not null default 'admit' check (hook in ('admit', 'route'));
alter table policy_shadow_results add column hook text not null default 'admit' check (hook in ('admit', 'route'));

-- Reports and replays read one hook's rows of a policy in a time window.
drop index policy_decisions_by_policy;
create index policy_decisions_by_policy on policy_decisions (tenant_id, name, hook, recorded_at);
drop index policy_shadow_results_by_candidate;
create index policy_shadow_results_by_candidate on policy_shadow_results (tenant_id, name, candidate_version, hook, recorded_at);
