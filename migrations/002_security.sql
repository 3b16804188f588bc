-- 002: provenance of passenger rows and least-privilege workload roles (issue 10).
-- Applied by the owner (the RDS master user, or the local cluster's owner) through
-- `titanic-etl --migrate`; the workloads connect as the NOLOGIN roles below, which that same
-- command gives LOGIN and a password when ROLE_PASSWORDS_DIR holds one (see docs/security.md).

-- ---- provenance ----

-- Who last wrote a row through the API: the key's label ('anonymous' when the API runs without
-- API_KEYS_FILE). NULL means the row is as an ETL run wrote it (inserted_run / updated_run say
-- which). Training reads only rows with NULL here unless told otherwise, so no API caller can
-- change what the next model learns from.
ALTER TABLE passengers ADD COLUMN api_writer text CHECK (api_writer <> '');

-- The ETL's version of a row the API changed or deleted, saved by the API in the same statement
-- as its write: retraining sees the data exactly as the last ETL run left it. A later ETL run
-- that writes the row again makes the saved copy obsolete (the training read ignores it then).
CREATE TABLE passengers_etl_saved (
    passenger_id  integer     PRIMARY KEY,
    uuid          uuid        NOT NULL,
    survived      smallint,
    pclass        smallint    NOT NULL,
    name          text        NOT NULL,
    sex           text        NOT NULL,
    age           numeric,
    sibsp         smallint    NOT NULL,
    parch         smallint    NOT NULL,
    ticket        text,
    fare          numeric,
    cabin         text,
    embarked      text,
    inserted_run  bigint,
    updated_run   bigint,
    saved_at      timestamptz NOT NULL DEFAULT now(),
    saved_by      text        NOT NULL
);

-- The rows a model learns from by default: every row whose current content an ETL run wrote,
-- plus the saved ETL version of rows the API changed or deleted since.
CREATE VIEW passengers_etl_view AS
SELECT passenger_id, uuid, survived, pclass, name, sex, age, sibsp, parch, ticket, fare, cabin,
       embarked
FROM passengers WHERE api_writer IS NULL
UNION ALL
SELECT s.passenger_id, s.uuid, s.survived, s.pclass, s.name, s.sex, s.age, s.sibsp, s.parch,
       s.ticket, s.fare, s.cabin, s.embarked
FROM passengers_etl_saved s
WHERE NOT EXISTS (SELECT 1 FROM passengers p
                  WHERE p.passenger_id = s.passenger_id AND p.api_writer IS NULL);

-- ---- workload roles ----

-- Roles are cluster-wide, while this migration runs once per database: several databases of one
-- cluster (test databases, or dev and staging on one instance) may run it, even concurrently.
-- So: create only when absent, and treat losing the race to another database as success. A role
-- that exists with more power than a workload needs is refused rather than silently used.
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['titanic_api', 'titanic_etl', 'titanic_train'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL; -- created by a concurrent migration of another database
            END;
        END IF;
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r
                   AND (rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls OR rolreplication))
        THEN
            RAISE EXCEPTION 'role % exists with SUPERUSER, CREATEROLE, CREATEDB, BYPASSRLS or '
                            'REPLICATION; a workload role must have none of them', r;
        END IF;
    END LOOP;
END
$$;

GRANT USAGE ON SCHEMA public TO titanic_api, titanic_etl, titanic_train;

-- Every binary checks the schema version before it works.
GRANT SELECT ON schema_migrations TO titanic_api, titanic_etl, titanic_train;

-- The API: reads everything it serves, writes passengers (the /people contract) and the saved
-- ETL copies, never models or predictions, and owns nothing, so it cannot DROP, ALTER or TRUNCATE.
GRANT SELECT, INSERT, UPDATE, DELETE ON passengers TO titanic_api;
GRANT SELECT, INSERT, UPDATE ON passengers_etl_saved TO titanic_api;
GRANT SELECT ON models, predictions TO titanic_api;
GRANT USAGE ON SEQUENCE passenger_api_id_seq TO titanic_api;

-- The ETL: loads passengers (insert and update, never delete) and records its runs; no models.
GRANT SELECT, INSERT, UPDATE ON passengers, etl_runs TO titanic_etl;
GRANT SELECT, INSERT ON etl_rejects TO titanic_etl;
GRANT SELECT ON passengers_etl_saved TO titanic_etl;
GRANT USAGE ON SEQUENCE etl_runs_run_id_seq TO titanic_etl;

-- The trainer: reads passengers, publishes models and scores; writes no passengers.
GRANT SELECT ON passengers, passengers_etl_saved, passengers_etl_view TO titanic_train;
GRANT SELECT, INSERT, UPDATE ON models TO titanic_train;
GRANT SELECT, INSERT, UPDATE ON predictions TO titanic_train;

-- Every write to passengers advances this counter in a trigger running as the writer; the ETL
-- also reads it to skip reloading an unchanged file.
GRANT USAGE, SELECT ON SEQUENCE passengers_change_seq TO titanic_api, titanic_etl;

-- ---- passwords ----

-- Gives a workload role LOGIN and a password. Called by `titanic-etl --migrate` with the password
-- as a parameter (never text spliced into SQL); titanic-etl sends a SCRAM verifier computed
-- client-side, so the password itself never reaches the server or its logs. Not SECURITY
-- DEFINER: only a caller allowed to ALTER ROLE (the owner running migrations) can use it.
CREATE FUNCTION titanic_set_role_password(role_name text, password text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF role_name NOT IN ('titanic_api', 'titanic_etl', 'titanic_train') THEN
        RAISE EXCEPTION 'not a titanic workload role: %', role_name;
    END IF;
    IF password IS NULL OR password = '' THEN
        RAISE EXCEPTION 'empty password for %', role_name;
    END IF;
    EXECUTE format('ALTER ROLE %I LOGIN PASSWORD %L', role_name, password);
END
$$;
REVOKE EXECUTE ON FUNCTION titanic_set_role_password(text, text) FROM PUBLIC;
