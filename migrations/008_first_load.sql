-- 008: titanic-etl's first load closer to PostgreSQL's floor (issue 21): into an empty
-- passengers, the primary key is dropped with the secondary indexes and built once after the
-- rows are in, like them, instead of maintained row by row during the COPY (measured: about a
-- fifth of the COPY's server time at 1M rows; docs/benchmarks-etl.md). Still in the load's one
-- transaction: a failed load, or a duplicate id that the build of the key refuses, leaves the
-- table, its key and its indexes as they were. The B-tree builds may use parallel workers (in
-- the same transaction: they see its rows); the trigram GIN index cannot (PostgreSQL 15).

CREATE OR REPLACE FUNCTION passengers_defer_indexes() RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM passengers) THEN
        RETURN false;
    END IF;
    DROP INDEX IF EXISTS passengers_name_trgm, passengers_fare_id, passengers_age_id,
        passengers_name_id, passengers_pclass_id, passengers_survived_id;
    BEGIN
        ALTER TABLE passengers DROP CONSTRAINT IF EXISTS passengers_pkey;
    EXCEPTION WHEN dependent_objects_still_exist THEN
        NULL; -- a foreign key references it: kept, and maintained during the COPY as before
    END;
    RETURN true;
END
$$;

CREATE OR REPLACE FUNCTION passengers_restore_indexes() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    SET maintenance_work_mem = '256MB' SET max_parallel_maintenance_workers = 2 AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint
                   WHERE conrelid = 'passengers'::regclass AND contype = 'p') THEN
        ALTER TABLE passengers ADD CONSTRAINT passengers_pkey PRIMARY KEY (passenger_id);
    END IF;
    CREATE INDEX IF NOT EXISTS passengers_name_trgm ON passengers USING gin (name gin_trgm_ops);
    CREATE INDEX IF NOT EXISTS passengers_fare_id ON passengers (fare, passenger_id);
    CREATE INDEX IF NOT EXISTS passengers_age_id ON passengers (age, passenger_id);
    CREATE INDEX IF NOT EXISTS passengers_name_id ON passengers (name, passenger_id);
    CREATE INDEX IF NOT EXISTS passengers_pclass_id ON passengers (pclass, passenger_id);
    CREATE INDEX IF NOT EXISTS passengers_survived_id ON passengers (survived, passenger_id);
END
$$;

COMMENT ON FUNCTION passengers_defer_indexes() IS
    'titanic-etl''s first load: drops the primary key and secondary indexes of an empty passengers table (false, and nothing dropped, when it has rows).';
COMMENT ON FUNCTION passengers_restore_indexes() IS
    'titanic-etl''s first load: builds the primary key and secondary indexes that passengers_defer_indexes dropped, in the same transaction.';
