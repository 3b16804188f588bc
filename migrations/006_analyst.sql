-- 006: analysts read the data in SQL through a role of their own (issue 21 item 1). Until now the
-- tables the docs offer analysts could be read in full only through the owner's URL (the RDS
-- master, reserved for migrations): each workload role lacks some of them, by design.
-- titanic_analyst reads exactly what docs/analysts.md documents and writes nothing. Its password
-- comes like the workloads' (ROLE_PASSWORDS_DIR/titanic_analyst, `titanic-etl --migrate`).

-- Created as in migration 002: only when absent, losing a race to another database is success,
-- and an existing role with more power than reading needs is refused.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'titanic_analyst') THEN
        BEGIN
            CREATE ROLE titanic_analyst NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL; -- created by a concurrent migration of another database
        END;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'titanic_analyst'
               AND (rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls OR rolreplication)) THEN
        RAISE EXCEPTION 'role titanic_analyst exists with SUPERUSER, CREATEROLE, CREATEDB, '
                        'BYPASSRLS or REPLICATION; a read-only role must have none of them';
    END IF;
END
$$;

-- The raw line of a rejected record as text, for people: the bytes as UTF-8 when they are
-- valid UTF-8, otherwise escaped (bytes outside printable ASCII as \ooo octal, a backslash
-- doubled), so every reject can be read and none makes a query fail.
CREATE FUNCTION etl_reject_raw_text(raw bytea) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN convert_from(raw, 'UTF8');
EXCEPTION WHEN character_not_in_repertoire OR untranslatable_character THEN
    RETURN encode(raw, 'escape');
END
$$;

CREATE VIEW etl_rejects_text AS
SELECT run_id, line, field, reason, etl_reject_raw_text(raw) AS raw_text
FROM etl_rejects;

-- What docs/analysts.md offers, and nothing else: no saved ETL copies, no summary table, no
-- schema_migrations, no sequences, no functions of the workloads.
GRANT USAGE ON SCHEMA public TO titanic_analyst;
GRANT SELECT ON passengers, etl_runs, etl_rejects, etl_rejects_text, models, predictions,
    model_activations, survival_by_class_sex, latest_etl_run TO titanic_analyst;
-- Issue 21 found the analysts' views "permission denied" with every workload role's URL. Analysts
-- now have their own; each workload role also reads the view over what it already reads (the
-- ETL's operators its runs and rejects, the API the survival counts it serves).
GRANT SELECT ON etl_rejects_text, latest_etl_run TO titanic_etl;
GRANT SELECT ON survival_by_class_sex TO titanic_api;

-- Nobody but the owner creates objects in the schema (PostgreSQL 15's default, stated here for
-- databases made from an older template).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- Its session defaults (read-only transactions, statement_timeout, lock_timeout, idle
-- transactions) are in titanic_apply_role_limits (migration 005), applied now that it exists.
SELECT titanic_apply_role_limits();
