-- A tenant may ask for its tasks to be canceled when the last reader of their stream disconnects (SSE-3), for the
-- requests that do not say themselves. Existing tenants keep today's behaviour: tasks run on without readers.
alter table tenants add column cancel_on_disconnect boolean not null default false;
