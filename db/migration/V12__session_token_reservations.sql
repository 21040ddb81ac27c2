-- Session token budgets hold under concurrency and across instances (SES-4, ADR 0035), and a session's KV cache
-- size is measured (SES-1). Forward only.

-- Tokens the session's admitted, unfinished tasks may still emit: each admission reserves what its task may spend
-- (its max_tokens, at most what neither usage nor other reservations hold) by the conditional update of the session
-- row that counts its turn; its terminal transition gives the reservation back and adds what it really emitted.
-- Invariant: tokens_used + tokens_reserved <= tokens_budget (a task never emits past its reservation).
alter table sessions add column tokens_reserved bigint not null default 0 check (tokens_reserved >= 0);
-- What the session had left to reserve just before its last admission statement reserved: the statement's own
-- answer (an UPDATE's RETURNING sees only the new row), from which each task of the batch learns its share.
alter table sessions add column tokens_left_at_last_admission bigint;

-- The reservation of one task, given back exactly once, by its terminal transition or by the sweep that resolves
-- the tasks of a lost instance. Null: the session has no token budget (and tasks admitted before V12).
alter table tasks add column tokens_reserved bigint check (tokens_reserved >= 0);

-- The tokens the session's last turn left in its replica's KV cache (prompt and generated), written by that task's
-- terminal transition; GET /v1/sessions/{id} reports kv_bytes from it while the replica is Ready. Null: no turn ran yet.
alter table sessions add column context_tokens bigint check (context_tokens >= 0);
