-- 004: model operations. Every change of the active model version, by the trainer (a new model
-- activated) or by `titanic-train --activate VERSION` (a roll back or forward), with who made it
-- and why, so "which model answered on Tuesday, and who put it there" has an answer.
-- (002 and 003 are reserved for other changes; the numbering gap is deliberate.)
CREATE TABLE model_activations (
    activation_id    bigserial   PRIMARY KEY,
    version          integer     NOT NULL REFERENCES models (version),
    previous_version integer,    -- the version active before, NULL when none was
    activated_at     timestamptz NOT NULL DEFAULT now(),
    activated_by     text        NOT NULL CHECK (activated_by <> ''),
    reason           text        NOT NULL CHECK (reason <> ''),
    source           text        NOT NULL CHECK (source IN ('train', 'activate'))
);
CREATE INDEX model_activations_version ON model_activations (version, activated_at DESC);
