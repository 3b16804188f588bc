-- 009: titanic-etl's first load past PostgreSQL's floor (issue 21). One transaction builds one
-- index at a time, and another connection cannot help: it does not see the transaction's rows.
-- So a first load (into an empty passengers) now goes into a new table, passengers_next, whose
-- rows are committed where no reader looks; its primary key, indexes and survival summary are
-- built on several connections at once; then one short transaction puts it in passengers'
-- place with all that passengers had: its triggers, the views over it, grants and comments.
-- The load's own transaction holds passengers' load lock from before the COPY until that swap,
-- so no write can slip in between. A failed load drops passengers_next: passengers never held a
-- row of it. The indexes stay defined by the migrations that made them on passengers: they are
-- copied from it here, never written twice. Replaces migration 008's in-transaction rebuild.

DROP FUNCTION passengers_defer_indexes(), passengers_restore_indexes();

-- In the COPY's transaction: a fresh passengers_next, shaped as passengers (columns, defaults,
-- CHECKs, comments) without indexes, that the caller may fill. Created in that transaction, so
-- the COPY may FREEZE its rows (no hint-bit rewrite of every page after the load).
CREATE FUNCTION passengers_next_create() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    SET client_min_messages = warning AS $$
BEGIN
    DROP TABLE IF EXISTS passengers_next, passengers_next_summary;
    CREATE TABLE passengers_next (LIKE passengers INCLUDING DEFAULTS INCLUDING CONSTRAINTS
        INCLUDING STORAGE INCLUDING COMMENTS);
    EXECUTE format('GRANT INSERT ON passengers_next TO %I', session_user);
END
$$;

-- What passengers_next still needs, one statement per row, the longest first: each index of
-- passengers (named with a _next suffix until the swap), then the survival summary's rows.
CREATE FUNCTION passengers_next_tasks() RETURNS TABLE (ord integer, is_gin boolean, task text)
    LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
    SELECT (row_number() OVER (ORDER BY am.amname <> 'gin', c.relname))::integer,
           am.amname = 'gin',
           regexp_replace(pg_get_indexdef(i.indexrelid),
                          '^(CREATE (UNIQUE )?INDEX )(\S+) ON (public\.)?passengers ',
                          '\1\3_next ON public.passengers_next ')
    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
    WHERE i.indrelid = 'passengers'::regclass
    UNION ALL
    SELECT 1000, false,
           'CREATE TABLE passengers_next_summary AS SELECT pclass, sex, embarked,'
           ' passenger_age_band(age) AS age_band,'
           ' passenger_family_size_band(sibsp, parch) AS family_size_band,'
           ' count(*) AS passengers, count(survived) AS known,'
           ' coalesce(sum(survived), 0) AS survived FROM passengers_next GROUP BY 1, 2, 3, 4, 5'
$$;

-- Part `part` (0-based) of `parts` running at once, each on its own connection: a GIN index
-- (the trigram one is a third of the whole) alone on part 0, the rest dealt out in turn over
-- the other parts (all on part 0 when there is one part).
CREATE FUNCTION passengers_next_build(part integer, parts integer) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
    SET maintenance_work_mem = '256MB' AS $$
DECLARE
    t record;
    others integer := 0;
BEGIN
    IF parts < 1 OR part < 0 OR part >= parts THEN
        RAISE EXCEPTION 'passengers_next_build: part % of % does not exist', part, parts;
    END IF;
    FOR t IN SELECT * FROM passengers_next_tasks() ORDER BY ord LOOP
        IF parts = 1 OR (t.is_gin AND part = 0)
           OR (NOT t.is_gin AND 1 + others % (parts - 1) = part) THEN
            EXECUTE t.task;
        END IF;
        IF NOT t.is_gin THEN
            others := others + 1;
        END IF;
    END LOOP;
END
$$;

-- The grants and comments rel has, as statements that give them to the relation that will bear
-- its name (its columns' comments too: views are recreated without them).
CREATE FUNCTION passengers_keep_acl_and_comments(rel regclass) RETURNS text[]
    LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
    SELECT coalesce(array_agg(s), '{}') FROM (
        SELECT format('GRANT %s ON %I TO %s', a.privilege_type, c.relname,
                      CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(a.grantee::regrole::text) END) AS s
        FROM pg_class c, aclexplode(c.relacl) a
        WHERE c.oid = rel AND a.grantee <> c.relowner
        UNION ALL
        SELECT format('COMMENT ON %s %I IS %L',
                      CASE c.relkind WHEN 'v' THEN 'VIEW' ELSE 'TABLE' END, c.relname, d.description)
        FROM pg_class c JOIN pg_description d
          ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0
        WHERE c.oid = rel
        UNION ALL
        SELECT format('COMMENT ON COLUMN %I.%I IS %L', c.relname, a.attname, d.description)
        FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
        JOIN pg_description d ON d.objoid = c.oid AND d.classoid = 'pg_class'::regclass
             AND d.objsubid = a.attnum
        WHERE c.oid = rel AND c.relkind = 'v') x
$$;

-- In the load's transaction, which holds the load lock: passengers_next, indexed, becomes
-- passengers. Refuses when passengers is no longer empty or something it cannot carry over
-- depends on it (a foreign key, a view over one of its views).
CREATE FUNCTION passengers_next_publish() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    keep text[];
    stmt text;
    v record;
    pkey text;
BEGIN
    LOCK TABLE passengers IN ACCESS EXCLUSIVE MODE;
    IF EXISTS (SELECT 1 FROM passengers) THEN
        RAISE EXCEPTION 'passengers is no longer empty: the first load is not published';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_constraint WHERE confrelid = 'passengers'::regclass) THEN
        RAISE EXCEPTION 'a foreign key references passengers: a first load cannot replace it';
    END IF;
    SELECT conname INTO pkey FROM pg_constraint
    WHERE conrelid = 'passengers'::regclass AND contype = 'p';
    keep := passengers_keep_acl_and_comments('passengers');
    SELECT keep || coalesce(array_agg(pg_get_triggerdef(oid) ORDER BY tgname), '{}') INTO keep
    FROM pg_trigger WHERE tgrelid = 'passengers'::regclass AND NOT tgisinternal;
    -- The views over passengers: dropped with it, made again the same.
    FOR v IN SELECT DISTINCT r.ev_class::regclass AS view, c.relname, c.reloptions
             FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
             JOIN pg_class c ON c.oid = r.ev_class
             WHERE d.classid = 'pg_rewrite'::regclass AND d.refobjid = 'passengers'::regclass
               AND r.ev_class <> 'passengers'::regclass LOOP
        IF EXISTS (SELECT 1 FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
                   WHERE d.classid = 'pg_rewrite'::regclass AND d.refobjid = v.view
                     AND r.ev_class <> v.view) THEN
            RAISE EXCEPTION 'view % has views over it: a first load cannot replace passengers', v.view;
        END IF;
        keep := keep || format('CREATE VIEW %I%s AS %s', v.relname,
                               coalesce(' WITH (' || array_to_string(v.reloptions, ', ') || ')', ''),
                               pg_get_viewdef(v.view))
                     || passengers_keep_acl_and_comments(v.view);
    END LOOP;
    DROP TABLE passengers CASCADE;
    ALTER TABLE passengers_next RENAME TO passengers;
    FOR v IN SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
             WHERE i.indrelid = 'passengers'::regclass LOOP
        EXECUTE format('ALTER INDEX %I RENAME TO %I', v.relname, left(v.relname, -5));
    END LOOP;
    IF pkey IS NOT NULL THEN
        EXECUTE format('ALTER TABLE passengers ADD CONSTRAINT %I PRIMARY KEY USING INDEX %I',
                       pkey, pkey);
    END IF;
    -- Only the owner's own rights stay (and the INSERT passengers_next_create gave the loader).
    REVOKE ALL ON passengers FROM PUBLIC;
    IF session_user <> (SELECT relowner::regrole::name FROM pg_class WHERE oid = 'passengers'::regclass) THEN
        EXECUTE format('REVOKE ALL ON passengers FROM %I', session_user);
    END IF;
    FOREACH stmt IN ARRAY keep LOOP
        EXECUTE stmt;
    END LOOP;
    DELETE FROM passenger_survival_summary;
    INSERT INTO passenger_survival_summary SELECT * FROM passengers_next_summary;
    DROP TABLE passengers_next_summary;
    PERFORM nextval('passengers_change_seq');
END
$$;

-- After a failed first load (or before the next one): what it left behind goes.
CREATE FUNCTION passengers_next_discard() RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp
    SET client_min_messages = warning AS $$
    DROP TABLE IF EXISTS passengers_next, passengers_next_summary;
$$;

REVOKE EXECUTE ON FUNCTION passengers_next_create(), passengers_next_build(integer, integer),
    passengers_next_publish(), passengers_next_discard() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION passengers_next_create(), passengers_next_build(integer, integer),
    passengers_next_publish(), passengers_next_discard() TO titanic_etl;

COMMENT ON FUNCTION passengers_next_create() IS
    'titanic-etl''s first load: a fresh, unindexed passengers_next shaped as passengers, for the rows.';
COMMENT ON FUNCTION passengers_next_tasks() IS
    'titanic-etl''s first load: the statements that give passengers_next the indexes of passengers and the survival summary of its rows.';
COMMENT ON FUNCTION passengers_next_build(integer, integer) IS
    'titanic-etl''s first load: runs part $1 of $2 of passengers_next_tasks(), the parts at once on their own connections.';
COMMENT ON FUNCTION passengers_keep_acl_and_comments(regclass) IS
    'The grants and comments of a relation, as statements that give them to its replacement.';
COMMENT ON FUNCTION passengers_next_publish() IS
    'titanic-etl''s first load: puts the indexed passengers_next in the place of the empty passengers, with its triggers, views, grants and comments.';
COMMENT ON FUNCTION passengers_next_discard() IS
    'titanic-etl''s first load: drops what a failed first load left (passengers_next and its summary).';
