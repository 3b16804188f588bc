-- 001: the whole first schema: passengers and the ETL's bookkeeping, model versions, predictions,
-- and views for analysts. Applied by titanic-etl (or `titanic-etl --migrate`) in one transaction.

-- One row per titanic-etl run, committed or not: the audit trail of every data refresh.
CREATE TABLE etl_runs (
    run_id         bigserial PRIMARY KEY,
    source         text        NOT NULL,
    layout         text,
    input_sha256   text,
    started_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz,
    rows_read      bigint      NOT NULL DEFAULT 0,
    rows_inserted  bigint      NOT NULL DEFAULT 0,
    rows_updated   bigint      NOT NULL DEFAULT 0,
    rows_unchanged bigint      NOT NULL DEFAULT 0,
    rows_rejected  bigint      NOT NULL DEFAULT 0,
    status         text        NOT NULL CHECK (status IN ('running', 'committed', 'failed', 'dry_run')),
    error          text,
    id_base        integer,   -- ids of files without PassengerId start above this
    -- passengers_change_seq after the run committed: an identical file loaded while this still
    -- matches has nothing to change (see the trigger below).
    passengers_change bigint,
    -- Counts always reconcile for a committed run.
    CONSTRAINT etl_runs_counts_reconcile CHECK (
        status <> 'committed'
        OR rows_read = rows_inserted + rows_updated + rows_unchanged + rows_rejected)
);

-- The passengers. Ranges are enforced here as well as in the loaders, so no other writer (an
-- analyst's UPDATE, the API) can store what the ETL would reject. Run ids are not foreign keys:
-- a per-row trigger check would halve bulk-load speed, and runs are never deleted.
-- uuid is a pure function of passenger_id (its first 8 hex digits are the id; the rest is a
-- fixed mix of it, see core/passenger.c), so it is unique because the id is, and the API finds a
-- uuid through the primary key: no second index to maintain on every load (measured: a random
-- uuid index made bulk loads 4x slower).
CREATE TABLE passengers (
    passenger_id  integer     PRIMARY KEY CHECK (passenger_id > 0),
    uuid          uuid        NOT NULL,
    survived      smallint    CHECK (survived IN (0, 1)),
    pclass        smallint    NOT NULL CHECK (pclass BETWEEN 1 AND 3),
    name          text        NOT NULL CHECK (name <> ''),
    sex           text        NOT NULL CHECK (sex IN ('male', 'female', 'other')),
    age           numeric     CHECK (age >= 0 AND age <= 120),
    sibsp         smallint    NOT NULL CHECK (sibsp >= 0),
    parch         smallint    NOT NULL CHECK (parch >= 0),
    ticket        text,
    fare          numeric     CHECK (fare >= 0),
    cabin         text,
    embarked      text        CHECK (embarked IN ('C', 'Q', 'S')),
    inserted_run  bigint,
    updated_run   bigint,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Every statement that writes passengers (the ETL, the API, an analyst) advances this counter.
-- titanic-etl records it with each committed run; rerunning the same file when nothing has
-- changed since then skips staging and comparing, which reads nothing from the table.
-- (A rolled-back statement advances it too: that only costs one full comparison.)
CREATE SEQUENCE passengers_change_seq;
CREATE FUNCTION passengers_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('passengers_change_seq');
    RETURN NULL;
END
$$;
CREATE TRIGGER passengers_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON passengers
    FOR EACH STATEMENT EXECUTE FUNCTION passengers_changed();

-- Ids for people created through the API, far above any file's ids.
CREATE SEQUENCE passenger_api_id_seq START 1000000000 MINVALUE 1000000000 MAXVALUE 2147483647;

-- Rows a run refused, with the reason: read = inserted + updated + unchanged + rejected.
-- raw is bytea because a rejected record may be exactly the bytes text cannot hold.
CREATE TABLE etl_rejects (
    run_id  bigint NOT NULL,
    line    bigint NOT NULL,
    field   text,
    reason  text   NOT NULL,
    raw     bytea  NOT NULL,
    PRIMARY KEY (run_id, line)
);

-- Model versions published by titanic-train. document is the exact JSON text (not jsonb, which
-- would reformat numbers): predictions from it must be bit-identical to training-time ones.
CREATE TABLE models (
    version          integer     PRIMARY KEY CHECK (version > 0),
    created_at       timestamptz NOT NULL DEFAULT now(),
    active           boolean     NOT NULL DEFAULT false,
    training_rows    integer     NOT NULL,
    training_sha256  text        NOT NULL,
    metrics          jsonb       NOT NULL,
    document         text        NOT NULL,
    report_html      text
);
CREATE UNIQUE INDEX models_single_active ON models (active) WHERE active;

-- Scores for every stored passenger under a model version, for analysts (titanic-train --score).
CREATE TABLE predictions (
    model_version  integer          NOT NULL REFERENCES models (version),
    passenger_id   integer          NOT NULL,
    probability    double precision NOT NULL CHECK (probability >= 0 AND probability <= 1),
    label          smallint         NOT NULL CHECK (label IN (0, 1)),
    scored_at      timestamptz      NOT NULL DEFAULT now(),
    PRIMARY KEY (model_version, passenger_id)
);

-- Analysts' views.
CREATE VIEW survival_by_class_sex AS
SELECT pclass, sex,
       count(*)                                    AS passengers,
       count(survived)                             AS known,
       sum(survived)                               AS survived,
       round(avg(survived)::numeric, 4)            AS survival_rate
FROM passengers
GROUP BY pclass, sex
ORDER BY pclass, sex;

CREATE VIEW latest_etl_run AS
SELECT * FROM etl_runs ORDER BY run_id DESC LIMIT 1;
