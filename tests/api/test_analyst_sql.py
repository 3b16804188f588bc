#!/usr/bin/env python3
"""Analysts in SQL (issue 21 items 1 and 2; migrations 006 and 007), on a loaded database (an ETL
load, a second load with rejects, a trained model with scored predictions):
- every ```sql block of docs/analysts.md runs as titanic_analyst, logged in with the password
  `titanic-etl --migrate` gave it from ROLE_PASSWORDS_DIR, and returns rows;
- the role reads exactly the documented tables and views, and is refused every write (INSERT,
  UPDATE, DELETE, TRUNCATE on each, even in a READ WRITE transaction), CREATE, large objects and
  SET ROLE; its session defaults are read-only with its own statement_timeout;
- every table, view and column of the public schema has a COMMENT."""
import os
import re
import secrets
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apitest  # noqa: E402
from apitest import TMP, Database, check, finish, log, require_pg, setup_binaries  # noqa: E402

require_pg()
setup_binaries()
db = Database("analyst")
csv = db.load()
db.train("--score")

# A second file: ten known passengers changed, two records refused (one of them not UTF-8).
with open(csv, "rb") as f:
    lines = f.read().split(b"\n")
second = os.path.join(TMP, "with_rejects.csv")
with open(second, "wb") as f:
    body = [ln.replace(b",3,", b",2,", 1) for ln in lines[1:11]]
    bad = [lines[11].replace(b",", b",9,", 1)[:200], b"900001,1,3,\"Bad\xff, Mr. Bytes\",male,x"]
    f.write(b"\n".join([lines[0]] + body + bad) + b"\n")
r = subprocess.run([apitest.ETL, "--no-progress", "--max-rejects", "50%", second], env=db.env(),
                   capture_output=True, text=True, timeout=120)
check(r.returncode == 0, f"a load with two rejects commits: {r.stderr[-400:]}")
check(db.q("SELECT count(*) FROM etl_rejects") == "2", "two rejects recorded")

pwdir = os.path.join(TMP, "role_passwords")
os.mkdir(pwdir, 0o700)
password = secrets.token_urlsafe(24)
with open(os.path.join(pwdir, "titanic_analyst"), "w") as f:
    f.write(password + "\n")
r = subprocess.run([apitest.ETL, "--migrate"], env=db.env(ROLE_PASSWORDS_DIR=pwdir),
                   capture_output=True, text=True, timeout=120)
check(r.returncode == 0, f"--migrate gives titanic_analyst its password: {r.stderr[-300:]}")


def as_analyst(sql):
    return apitest.psql_as(db.name, "titanic_analyst", password, sql)


def refused(sql, code="42501"):
    ok, out = as_analyst(sql)
    check(not ok and code in out, f"titanic_analyst is refused ({code}): {sql}: {out[:200]}")


# ---- a schema that explains itself ----
missing = db.q(
    "SELECT string_agg(what, ', ' ORDER BY what) FROM ("
    " SELECT c.relname AS what FROM pg_class c"
    " WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p')"
    "   AND obj_description(c.oid, 'pg_class') IS NULL"
    " UNION ALL"
    " SELECT c.relname || '.' || a.attname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid"
    " WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p')"
    "   AND a.attnum > 0 AND NOT a.attisdropped AND col_description(c.oid, a.attnum) IS NULL) m")
check(missing == "", f"every table, view and column of the public schema has a COMMENT "
                     f"(missing: {missing})")

# ---- the documented queries ----
doc = os.path.join(os.environ.get("TITANIC_SOURCE_DIR", "."), "docs", "analysts.md")
with open(doc) as f:
    queries = re.findall(r"```sql\n(.*?)```", f.read(), re.S)
check(len(queries) >= 10, f"docs/analysts.md has at least ten worked queries ({len(queries)})")
for q in queries:
    ok, out = as_analyst(q)
    first = q.strip().splitlines()[0]
    check(ok and out != "", f"documented query returns rows as titanic_analyst: {first}: "
                            f"{out[:200] if not ok or not out else ''}")
ok, out = as_analyst("SELECT raw_text FROM etl_rejects_text WHERE raw_text LIKE '900001,%'")
check(ok and "\\377" in out, f"a raw line that is not UTF-8 reads as escaped text: {out[:200]}")

# ---- exactly the documented reads ----
DOCUMENTED = ["passengers", "etl_runs", "etl_rejects", "etl_rejects_text", "models",
              "predictions", "model_activations", "survival_by_class_sex", "latest_etl_run"]
readable = db.q("SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_class c "
                "WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p') "
                "AND has_table_privilege('titanic_analyst', c.oid, 'SELECT')")
check(readable == ",".join(sorted(DOCUMENTED)),
      f"titanic_analyst reads exactly the documented relations: {readable}")
for rel in DOCUMENTED:
    ok, out = as_analyst(f"SELECT count(*) FROM {rel}")
    check(ok and out.isdigit(), f"titanic_analyst reads {rel}: {out[:200]}")
for rel in ["passengers_etl_saved", "passenger_survival_summary", "schema_migrations",
            "passengers_etl_view"]:
    refused(f"SELECT count(*) FROM {rel}")

# ---- no write, in a read-only default transaction and in an explicit READ WRITE one ----
WRITES = {
    "passengers": "UPDATE passengers SET survived = 1 - survived",
    "etl_runs": "UPDATE etl_runs SET status = 'failed'",
    "etl_rejects": "UPDATE etl_rejects SET reason = 'x'",
    "models": "UPDATE models SET active = NOT active",
    "predictions": "UPDATE predictions SET label = 1 - label",
    "model_activations": "UPDATE model_activations SET reason = 'x'",
}
for table, update in WRITES.items():
    for sql in [f"INSERT INTO {table} SELECT * FROM {table} LIMIT 1", update,
                f"DELETE FROM {table}", f"TRUNCATE {table}"]:
        refused(sql, "25006")  # the session default: read-only transactions
        refused(f"BEGIN READ WRITE; {sql}; COMMIT")  # and the privileges behind it
refused("BEGIN READ WRITE; DELETE FROM etl_rejects_text; COMMIT")  # an updatable view
refused("BEGIN READ WRITE; CREATE TABLE mine (i int); COMMIT")
refused("BEGIN READ WRITE; CREATE TEMP TABLE mine (i int); COMMIT")
refused("BEGIN READ WRITE; CREATE SCHEMA mine; COMMIT")
refused("BEGIN READ WRITE; CREATE VIEW mine AS SELECT 1; COMMIT")
refused("BEGIN READ WRITE; SELECT lo_create(0); COMMIT")
refused("BEGIN READ WRITE; SELECT lo_from_bytea(0, 'x'); COMMIT")
refused("SET ROLE titanic_api")
refused("SET ROLE titanic_etl")
refused("BEGIN READ WRITE; ALTER ROLE titanic_analyst CREATEROLE; COMMIT")
refused("SELECT passengers_api_delete(1, '00000001-0000-0000-0000-000000000000', 'x')")
ok, out = as_analyst("SELECT current_setting('default_transaction_read_only') || ' ' || "
                     "current_setting('statement_timeout') || ' ' || current_setting('lock_timeout')")
check(ok and out == "on 1min 5s", f"titanic_analyst's session defaults: {out[:200]}")
ok, out = as_analyst("SELECT 1 FROM pg_sleep(0.2)")
check(ok, f"an ordinary read passes the timeouts: {out[:200]}")
log(f"{len(queries)} documented queries ran as titanic_analyst")
finish()
