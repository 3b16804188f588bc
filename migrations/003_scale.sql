-- 003: analysts' queries whose cost does not grow with the table (issue 14): a trigram index for
-- name search, one index per sortable column for keyset pages, and survival counts kept in a
-- summary table by triggers, in the transaction of whoever writes passengers (the ETL, the API,
-- an analyst's UPDATE), so /stats/survival never scans the table.

-- pg_trgm is a trusted extension (PostgreSQL 13 and later, RDS included): the role that runs the
-- migrations needs CREATE on the database (its owner has it; so does the RDS master user), not
-- superuser. IF NOT EXISTS: an operator may have installed it already.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The indexes of the analysts' queries, defined once, here: name ILIKE '%smith%' (the API's
-- name filter) through the trigram index instead of a scan of every row, and keyset pages for
-- each sort the API offers: (column, passenger_id) in the index's own order (NULLs last) is
-- exactly "ORDER BY column NULLS LAST, passenger_id", and a descending page reads it backwards
-- (passenger_id alone is the primary key; the age index also serves min_age/max_age).
-- Maintaining them row by row made a first load of 1M passengers 13x slower (62 s instead of
-- 4.7 s: random insertions into five B-trees and a GIN index); building them after the COPY
-- costs a fraction of that. So titanic-etl's first load into an empty table drops them
-- (passengers_defer_indexes) and builds them again before it commits
-- (passengers_restore_indexes), in its one transaction: a failed load leaves them as they were.
-- Meanwhile the table is locked against readers too (DROP INDEX): it was empty anyway.
-- SECURITY DEFINER (the owner, who runs the migrations): the ETL's role owns nothing.
CREATE FUNCTION passengers_restore_indexes() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    SET maintenance_work_mem = '256MB' AS $$
BEGIN
    CREATE INDEX IF NOT EXISTS passengers_name_trgm ON passengers USING gin (name gin_trgm_ops);
    CREATE INDEX IF NOT EXISTS passengers_fare_id ON passengers (fare, passenger_id);
    CREATE INDEX IF NOT EXISTS passengers_age_id ON passengers (age, passenger_id);
    CREATE INDEX IF NOT EXISTS passengers_name_id ON passengers (name, passenger_id);
    CREATE INDEX IF NOT EXISTS passengers_pclass_id ON passengers (pclass, passenger_id);
    CREATE INDEX IF NOT EXISTS passengers_survived_id ON passengers (survived, passenger_id);
END
$$;

-- Drops the indexes above when passengers is empty (and says whether it did).
CREATE FUNCTION passengers_defer_indexes() RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM passengers) THEN
        RETURN false;
    END IF;
    DROP INDEX IF EXISTS passengers_name_trgm, passengers_fare_id, passengers_age_id,
        passengers_name_id, passengers_pclass_id, passengers_survived_id;
    RETURN true;
END
$$;

SELECT passengers_restore_indexes();

-- The bands of /stats/survival, once, for the summary and for anyone checking it.
CREATE FUNCTION passenger_age_band(age numeric) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN age IS NULL THEN 'unknown' WHEN age < 12 THEN '0-11'
                WHEN age < 18 THEN '12-17' WHEN age < 30 THEN '18-29'
                WHEN age < 45 THEN '30-44' WHEN age < 60 THEN '45-59' ELSE '60+' END
$$;
CREATE FUNCTION passenger_family_size_band(sibsp smallint, parch smallint) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN sibsp + parch = 0 THEN 'alone' WHEN sibsp + parch <= 3 THEN '2-4'
                ELSE '5+' END
$$;

-- Counts per combination of every /stats/survival dimension: at most 3 x 3 x 4 x 7 x 3 = 756
-- rows, whatever the number of passengers. Any grouping by up to three dimensions is a sum over
-- these. Groups that empty out keep a row of zeros (readers skip them). No CHECK (>= 0) on the
-- counts: an upsert's proposed row carries a negative delta, and CHECKs are tested on it too.
CREATE TABLE passenger_survival_summary (
    pclass           smallint NOT NULL,
    sex              text     NOT NULL,
    embarked         text,
    age_band         text     NOT NULL,
    family_size_band text     NOT NULL,
    passengers       bigint   NOT NULL,
    known            bigint   NOT NULL,
    survived         bigint   NOT NULL,
    -- NULLS NOT DISTINCT (PostgreSQL 15): an unknown port is one group, as GROUP BY has it.
    UNIQUE NULLS NOT DISTINCT (pclass, sex, embarked, age_band, family_size_band)
);

-- One statement's change to the summary: rows in new_rows join their group, rows in old_rows
-- leave theirs. Applied grouped and in key order, so writers that touch the same groups lock
-- them in the same order (they wait for each other instead of deadlocking), and a COPY of ten
-- million rows is a few hundred upserts.
-- SECURITY DEFINER (the owner, who runs the migrations): a writer needs no privilege on the
-- summary, so no workload role (migration 002) can write it other than through passengers.
CREATE FUNCTION passenger_survival_summary_apply() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    -- The same upsert three times: transition tables exist only for the trigger's own events.
    IF TG_OP = 'INSERT' THEN
        INSERT INTO passenger_survival_summary AS s
        SELECT pclass, sex, embarked, passenger_age_band(age),
               passenger_family_size_band(sibsp, parch), sum(sign),
               sum(sign * (survived IS NOT NULL)::int), sum(sign * coalesce(survived, 0))
        FROM (SELECT pclass, sex, embarked, age, sibsp, parch, survived, 1 AS sign FROM new_rows) d
        GROUP BY 1, 2, 3, 4, 5
        HAVING sum(sign) <> 0 OR sum(sign * (survived IS NOT NULL)::int) <> 0
            OR sum(sign * coalesce(survived, 0)) <> 0
        ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (pclass, sex, embarked, age_band, family_size_band) DO UPDATE
        SET passengers = s.passengers + excluded.passengers, known = s.known + excluded.known,
            survived = s.survived + excluded.survived;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO passenger_survival_summary AS s
        SELECT pclass, sex, embarked, passenger_age_band(age),
               passenger_family_size_band(sibsp, parch), sum(sign),
               sum(sign * (survived IS NOT NULL)::int), sum(sign * coalesce(survived, 0))
        FROM (SELECT pclass, sex, embarked, age, sibsp, parch, survived, -1 AS sign FROM old_rows) d
        GROUP BY 1, 2, 3, 4, 5
        HAVING sum(sign) <> 0 OR sum(sign * (survived IS NOT NULL)::int) <> 0
            OR sum(sign * coalesce(survived, 0)) <> 0
        ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (pclass, sex, embarked, age_band, family_size_band) DO UPDATE
        SET passengers = s.passengers + excluded.passengers, known = s.known + excluded.known,
            survived = s.survived + excluded.survived;
    ELSE
        INSERT INTO passenger_survival_summary AS s
        SELECT pclass, sex, embarked, passenger_age_band(age),
               passenger_family_size_band(sibsp, parch), sum(sign),
               sum(sign * (survived IS NOT NULL)::int), sum(sign * coalesce(survived, 0))
        FROM (SELECT pclass, sex, embarked, age, sibsp, parch, survived, 1 AS sign FROM new_rows
                 UNION ALL SELECT pclass, sex, embarked, age, sibsp, parch, survived, -1 AS sign FROM old_rows) d
        GROUP BY 1, 2, 3, 4, 5
        HAVING sum(sign) <> 0 OR sum(sign * (survived IS NOT NULL)::int) <> 0
            OR sum(sign * coalesce(survived, 0)) <> 0
        ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (pclass, sex, embarked, age_band, family_size_band) DO UPDATE
        SET passengers = s.passengers + excluded.passengers, known = s.known + excluded.known,
            survived = s.survived + excluded.survived;
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION passenger_survival_summary_clear() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    DELETE FROM passenger_survival_summary;
    RETURN NULL;
END
$$;

-- Statement-level, with transition tables: COPY and the ETL's merge fire them once per
-- statement, not once per row.
CREATE TRIGGER passengers_summary_insert AFTER INSERT ON passengers
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION passenger_survival_summary_apply();
CREATE TRIGGER passengers_summary_update AFTER UPDATE ON passengers
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION passenger_survival_summary_apply();
CREATE TRIGGER passengers_summary_delete AFTER DELETE ON passengers
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION passenger_survival_summary_apply();
CREATE TRIGGER passengers_summary_truncate AFTER TRUNCATE ON passengers
    FOR EACH STATEMENT EXECUTE FUNCTION passenger_survival_summary_clear();

-- titanic-api keeps a cache of looked-up passengers (api/passenger_cache.h) that must never
-- serve a row after a write to it committed: every statement that writes passengers, whoever
-- runs it, tells the listeners when it commits (the cache also waits for a barrier before a
-- hit, since a notification arrives a little after the writer's acknowledgement). No payload:
-- a load of ten million rows is one notification, and the cache forgets everything on a write.
CREATE FUNCTION passengers_notify() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('titanic_passengers', '');
    RETURN NULL;
END
$$;
CREATE TRIGGER passengers_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON passengers
    FOR EACH STATEMENT EXECUTE FUNCTION passengers_notify();

-- The passengers already stored (one scan, at migration time).
INSERT INTO passenger_survival_summary
SELECT pclass, sex, embarked, passenger_age_band(age), passenger_family_size_band(sibsp, parch),
       count(*), count(survived), coalesce(sum(survived), 0)
FROM passengers GROUP BY 1, 2, 3, 4, 5;

-- The analysts' view, from the summary instead of a scan (same columns, same rows).
CREATE OR REPLACE VIEW survival_by_class_sex AS
SELECT pclass, sex,
       sum(passengers)::bigint                                  AS passengers,
       sum(known)::bigint                                       AS known,
       sum(survived)::bigint                                     AS survived,
       round(sum(survived)::numeric / nullif(sum(known), 0), 4) AS survival_rate
FROM passenger_survival_summary
GROUP BY pclass, sex
HAVING sum(passengers) > 0
ORDER BY pclass, sex;

-- Workload roles (migration 002): the API reads the summary for /stats/survival and the list
-- totals; writers go through the triggers above. The trigger functions are the owner's only.
GRANT SELECT ON passenger_survival_summary TO titanic_api;
REVOKE EXECUTE ON FUNCTION passenger_survival_summary_apply(), passenger_survival_summary_clear(),
    passengers_defer_indexes(), passengers_restore_indexes() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION passengers_defer_indexes(), passengers_restore_indexes() TO titanic_etl;
