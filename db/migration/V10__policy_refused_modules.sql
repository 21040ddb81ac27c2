-- Policy modules refused for their bytes (POL-9, ADR 0025): size or shape past the compile budget, forbidden imports,
-- missing exports, a function the compiler cannot fit, a describe that is invalid. Every instance reads this before
-- compiling an upload, so bytes refused once are never compiled again by any instance. The module bytes are not kept.
-- `rules` names the host limits the refusal was made under; a refusal made under other limits is not applied.
create table policy_refused_modules (
    digest      text        not null,
    rules       text        not null,
    reason      text        not null,
    message     text        not null,
    refused_at  timestamptz not null default now(),
    primary key (digest, rules)
);
