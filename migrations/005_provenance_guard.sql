-- 005: the database guards what training reads (issue 19 item 7). Until now provenance lived in
-- the API's statements only: connected as titanic_api (what a compromised pod has) one could flip
-- an ETL-loaded label leaving api_writer NULL, insert rows that look ETL-loaded, delete rows
-- without a saved copy, forge saved copies, take an ACCESS EXCLUSIVE lock on passengers, and
-- create large objects without end. Now titanic_api writes passengers only through the three
-- functions below: they run as their owner (SECURITY DEFINER, fixed search_path), always record
-- the writer, and save an ETL-loaded row's version before changing or deleting it. The role keeps
-- SELECT only, on passengers and the saved copies (so LOCK TABLE gives it ACCESS SHARE at most).

-- Locks the row the API is about to change or delete and, when it is as an ETL run left it,
-- saves that version (a row the API changed before keeps the copy saved then: that one is the
-- ETL's). False when there is no such row. Only the functions below call it (as the owner).
CREATE FUNCTION passengers_api_lock_and_save(p_id integer, p_uuid uuid, p_writer text)
    RETURNS boolean LANGUAGE plpgsql SET search_path = public, pg_temp AS $$
DECLARE
    old passengers;
BEGIN
    IF p_writer IS NULL OR p_writer = '' THEN
        RAISE EXCEPTION 'api_writer: an API write must name its writer (the key label)'
              USING ERRCODE = 'not_null_violation';
    END IF;
    SELECT * INTO old FROM passengers WHERE passenger_id = p_id AND uuid = p_uuid FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    IF old.api_writer IS NULL THEN
        INSERT INTO passengers_etl_saved (passenger_id, uuid, survived, pclass, name, sex, age,
            sibsp, parch, ticket, fare, cabin, embarked, inserted_run, updated_run, saved_by)
        VALUES (old.passenger_id, old.uuid, old.survived, old.pclass, old.name, old.sex, old.age,
            old.sibsp, old.parch, old.ticket, old.fare, old.cabin, old.embarked, old.inserted_run,
            old.updated_run, p_writer)
        ON CONFLICT (passenger_id) DO UPDATE SET uuid = EXCLUDED.uuid,
            survived = EXCLUDED.survived, pclass = EXCLUDED.pclass, name = EXCLUDED.name,
            sex = EXCLUDED.sex, age = EXCLUDED.age, sibsp = EXCLUDED.sibsp, parch = EXCLUDED.parch,
            ticket = EXCLUDED.ticket, fare = EXCLUDED.fare, cabin = EXCLUDED.cabin,
            embarked = EXCLUDED.embarked, inserted_run = EXCLUDED.inserted_run,
            updated_run = EXCLUDED.updated_run, saved_at = now(), saved_by = EXCLUDED.saved_by;
    END IF;
    RETURN true;
END
$$;

-- POST /people: a new row under an id from passenger_api_id_seq, never one that looks loaded
-- (api_writer set, no ETL run). Returns 1.
CREATE FUNCTION passengers_api_create(p_id integer, p_uuid uuid, p_survived smallint,
    p_pclass smallint, p_name text, p_sex text, p_age numeric, p_sibsp smallint,
    p_parch smallint, p_fare numeric, p_writer text)
    RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF p_writer IS NULL OR p_writer = '' THEN
        RAISE EXCEPTION 'api_writer: an API write must name its writer (the key label)'
              USING ERRCODE = 'not_null_violation';
    END IF;
    IF p_id < 1000000000 THEN -- passenger_api_id_seq's MINVALUE: files own the ids below
        RAISE EXCEPTION 'passenger_id %: the API creates ids from passenger_api_id_seq only', p_id
              USING ERRCODE = 'check_violation';
    END IF;
    INSERT INTO passengers (passenger_id, uuid, survived, pclass, name, sex, age, sibsp, parch,
                            fare, api_writer)
    VALUES (p_id, p_uuid, p_survived, p_pclass, p_name, p_sex, p_age, p_sibsp, p_parch, p_fare,
            p_writer);
    RETURN 1;
END
$$;

-- PUT /people/{uuid}: rewrites the Person fields (ticket, cabin and port stay). 1 updated, 0 no
-- such row.
CREATE FUNCTION passengers_api_update(p_id integer, p_uuid uuid, p_survived smallint,
    p_pclass smallint, p_name text, p_sex text, p_age numeric, p_sibsp smallint,
    p_parch smallint, p_fare numeric, p_writer text)
    RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF NOT passengers_api_lock_and_save(p_id, p_uuid, p_writer) THEN
        RETURN 0;
    END IF;
    UPDATE passengers SET survived = p_survived, pclass = p_pclass, name = p_name, sex = p_sex,
           age = p_age, sibsp = p_sibsp, parch = p_parch, fare = p_fare, api_writer = p_writer,
           updated_at = now()
    WHERE passenger_id = p_id;
    RETURN 1;
END
$$;

-- DELETE /people/{uuid}: 1 deleted, 0 no such row.
CREATE FUNCTION passengers_api_delete(p_id integer, p_uuid uuid, p_writer text)
    RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF NOT passengers_api_lock_and_save(p_id, p_uuid, p_writer) THEN
        RETURN 0;
    END IF;
    DELETE FROM passengers WHERE passenger_id = p_id;
    RETURN 1;
END
$$;

REVOKE EXECUTE ON FUNCTION passengers_api_lock_and_save(integer, uuid, text),
    passengers_api_create(integer, uuid, smallint, smallint, text, text, numeric, smallint,
                          smallint, numeric, text),
    passengers_api_update(integer, uuid, smallint, smallint, text, text, numeric, smallint,
                          smallint, numeric, text),
    passengers_api_delete(integer, uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    passengers_api_create(integer, uuid, smallint, smallint, text, text, numeric, smallint,
                          smallint, numeric, text),
    passengers_api_update(integer, uuid, smallint, smallint, text, text, numeric, smallint,
                          smallint, numeric, text),
    passengers_api_delete(integer, uuid, text) TO titanic_api;

-- The API's direct writes go (migration 002 granted them). The change counter is advanced by the
-- trigger, which now runs as the functions' owner.
REVOKE INSERT, UPDATE, DELETE ON passengers FROM titanic_api;
REVOKE INSERT, UPDATE ON passengers_etl_saved FROM titanic_api;
REVOKE USAGE, SELECT ON SEQUENCE passengers_change_seq FROM titanic_api;

-- Large objects live outside every table's privileges and quotas: no workload needs them, so
-- nobody but the owner may create, write or read one.
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
             WHERE p.pronamespace = 'pg_catalog'::regnamespace
               AND (p.proname LIKE 'lo\_%' OR p.proname IN ('loread', 'lowrite')) LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
END
$$;

-- Temporary tables only for the workloads that stage rows (the ETL's etl_stage, the trainer's
-- predictions_stage): the API and analysts cannot fill temporary space.
DO $$
BEGIN
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO titanic_etl, titanic_train',
                   current_database());
END
$$;

-- What a session of each workload role may hold, as the role's defaults: a statement runs at
-- most statement_timeout, waits for a lock at most lock_timeout, and an open transaction left
-- idle ends after idle_in_transaction_session_timeout. A role can change its own defaults
-- (ALTER ROLE itself SET ...; docs/security.md), so this is applied again, with the passwords,
-- by every `titanic-etl --migrate` with ROLE_PASSWORDS_DIR (titanic_set_role_password below).
-- Roles are cluster-wide and several databases may migrate at once: a setting already in place
-- is left alone, and losing a race to another database's identical change is success.
CREATE FUNCTION titanic_apply_role_limits() RETURNS void
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    s record;
BEGIN
    FOR s IN
        SELECT v.role, v.name, v.value FROM (VALUES
            ('titanic_api', 'statement_timeout', '5s'),
            ('titanic_api', 'lock_timeout', '2s'),
            ('titanic_api', 'idle_in_transaction_session_timeout', '5min'),
            ('titanic_etl', 'statement_timeout', '1h'),
            ('titanic_etl', 'lock_timeout', '10min'),
            ('titanic_train', 'statement_timeout', '1h'),
            ('titanic_train', 'lock_timeout', '5min'),
            ('titanic_analyst', 'statement_timeout', '1min'),
            ('titanic_analyst', 'lock_timeout', '5s'),
            ('titanic_analyst', 'idle_in_transaction_session_timeout', '5min'),
            ('titanic_analyst', 'default_transaction_read_only', 'on')) v(role, name, value)
        WHERE EXISTS (SELECT 1 FROM pg_roles WHERE rolname = v.role)
    LOOP
        CONTINUE WHEN public.titanic_role_has_setting(s.role, s.name, s.value);
        BEGIN
            EXECUTE format('ALTER ROLE %I SET %I = %L', s.role, s.name, s.value);
        EXCEPTION WHEN OTHERS THEN
            IF NOT public.titanic_role_has_setting(s.role, s.name, s.value) THEN
                RAISE;
            END IF; -- another database set the same value concurrently
        END;
    END LOOP;
END
$$;

CREATE FUNCTION titanic_role_has_setting(role_name text, setting text, value text) RETURNS boolean
    LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM pg_db_role_setting d JOIN pg_roles r ON r.oid = d.setrole
                   WHERE r.rolname = role_name AND d.setdatabase = 0
                     AND setting || '=' || value = ANY (d.setconfig))
$$;
REVOKE EXECUTE ON FUNCTION titanic_apply_role_limits(), titanic_role_has_setting(text, text, text)
    FROM PUBLIC;
SELECT titanic_apply_role_limits();

-- As in migration 002, and the limits above applied again: whatever a role changed of itself
-- is undone at the next deploy.
CREATE OR REPLACE FUNCTION titanic_set_role_password(role_name text, password text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF role_name NOT IN ('titanic_api', 'titanic_etl', 'titanic_train', 'titanic_analyst') THEN
        RAISE EXCEPTION 'not a titanic workload role: %', role_name;
    END IF;
    IF password IS NULL OR password = '' THEN
        RAISE EXCEPTION 'empty password for %', role_name;
    END IF;
    EXECUTE format('ALTER ROLE %I LOGIN PASSWORD %L', role_name, password);
    PERFORM public.titanic_apply_role_limits();
END
$$;
