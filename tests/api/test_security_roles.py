#!/usr/bin/env python3
"""Least-privilege database roles (issue 10, migration 002), against a real PostgreSQL:
- `titanic-etl --migrate` (as the owner) with ROLE_PASSWORDS_DIR gives titanic_api, titanic_etl
  and titanic_train LOGIN and their file's password (stored as a SCRAM verifier);
- each workload runs as its own role: the ETL loads, the trainer trains and scores, the API
  serves reads and /people writes;
- each role is refused (SQLSTATE 42501) what it must not do: the API cannot DROP, TRUNCATE or
  ALTER anything, write models, or write passengers other than through its functions (migration
  005; tests/api/test_security_db_guard.py); the ETL cannot write models or delete passengers; the trainer
  cannot write passengers; none can set role passwords or create tables;
- the migration is safe when several databases of one cluster run it at once (roles are
  cluster-wide)."""
import os
import secrets
import subprocess
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apitest  # noqa: E402
from apitest import TMP, Database, Server, check, finish, log, require_pg, setup_binaries  # noqa: E402

require_pg()
setup_binaries()
db = Database("roles")
db.load()  # migrations 001 and 002 and the first load, as the owner (the cluster's superuser)

ROLES = ["titanic_api", "titanic_etl", "titanic_train"]
pwdir = os.path.join(TMP, "role_passwords")
os.mkdir(pwdir, 0o700)
passwords = {}
for role in ROLES:
    passwords[role] = secrets.token_urlsafe(24)
    with open(os.path.join(pwdir, role), "w") as f:
        f.write(passwords[role] + "\n")
r = subprocess.run([apitest.ETL, "--migrate"], env=db.env(ROLE_PASSWORDS_DIR=pwdir),
                   capture_output=True, text=True, timeout=60)
check(r.returncode == 0, f"titanic-etl --migrate with ROLE_PASSWORDS_DIR: {r.stderr[-500:]}")
check(all(p not in r.stderr for p in passwords.values()), "no password in the ETL's log")
for role in ROLES:
    row = db.q(f"SELECT rolcanlogin, rolsuper OR rolcreaterole OR rolcreatedb OR rolbypassrls, "
               f"left(rolpassword, 13) FROM pg_authid WHERE rolname = '{role}'")
    check(row == "t|f|SCRAM-SHA-256", f"{role}: LOGIN, no special powers, a SCRAM verifier: {row}")


def url(role):
    port = os.environ.get("PGPORT", "5432")
    return (f"host=127.0.0.1 port={port} dbname={db.name} user={role} "
            f"password={passwords[role]}")


def as_role(role, sql):
    return apitest.psql_as(db.name, role, passwords[role], sql)


def refused(role, sql):
    ok, message = as_role(role, sql)
    check(not ok and "42501" in message,
          f"{role} is refused (42501): {sql}: {message[:160] if ok or '42501' not in message else ''}")


NEW_MODEL = ("INSERT INTO models (version, training_rows, training_sha256, metrics, document) "
             "VALUES (999, 1, 'x', '{}', '{}')")
NEW_PASSENGER = ("INSERT INTO passengers (passenger_id, uuid, pclass, name, sex, sibsp, parch) "
                 "VALUES (77777, gen_random_uuid(), 1, 'X', 'male', 0, 0)")
NEW_PREDICTION = ("INSERT INTO predictions (model_version, passenger_id, probability, label) "
                  "SELECT version, 1, 0.5, 1 FROM models LIMIT 1")
EVERYONE_REFUSED = ["CREATE TABLE intruder (i int)", "DROP TABLE passengers",
                    "TRUNCATE passengers", "ALTER TABLE passengers ADD COLUMN x int",
                    "DROP TABLE models", "TRUNCATE models", "ALTER TABLE models DROP COLUMN document",
                    "DELETE FROM schema_migrations", "DELETE FROM etl_runs",
                    "SELECT titanic_set_role_password('titanic_api', 'x')",
                    "ALTER ROLE titanic_api CREATEROLE"]

# ---- the workloads, each as its role ----
etl_env = dict(os.environ, DATABASE_URL=url("titanic_etl"))
csv = os.path.join(TMP, "second.csv")
with open(csv, "w") as out:
    subprocess.run([apitest.ETL, "--generate", "891", "--seed", "2"], stdout=out, check=True)
r = subprocess.run([apitest.ETL, "--no-progress", csv], env=etl_env, capture_output=True, text=True,
                   timeout=120)
check(r.returncode == 0, f"titanic-etl loads (a merge with updates) as titanic_etl: {r.stderr[-400:]}")
r = subprocess.run([apitest.ETL, "--migrate"], env=etl_env, capture_output=True, text=True, timeout=60)
check(r.returncode == 0, f"titanic-etl --migrate on an up-to-date database as titanic_etl: "
                         f"{r.stderr[-300:]}")
r = subprocess.run([apitest.TRAIN, "--folds", "3", "--repeats", "1", "--score"],
                   env=dict(os.environ, DATABASE_URL=url("titanic_train")), capture_output=True,
                   text=True, timeout=300)
check(r.returncode == 0, f"titanic-train trains and scores as titanic_train: {r.stderr[-400:]}")

api = Server(db, DATABASE_URL=url("titanic_api"))
check(api.get("/ready").status == 200, "titanic-api is ready as titanic_api")
for path in ["/passengers/1", "/passengers?limit=5", "/stats/survival?by=sex", "/models",
             "/model/report", "/people"]:
    check(api.get(path).status == 200, f"GET {path} as titanic_api")
person = {"survived": True, "passengerClass": 2, "name": "Ms. Role Test", "sex": "female",
          "age": 40, "siblingsOrSpousesAboard": 0, "parentsOrChildrenAboard": 1, "fare": 20.0}
r = api.post("/people", person)
check(r.status == 201, f"POST /people as titanic_api: {r!r}")
etl_uuid = api.get("/people").json()[0]["uuid"]
r = api.request("PUT", f"/people/{etl_uuid}", body=person)
check(r.status == 200, f"PUT /people on an ETL row (saves its ETL version) as titanic_api: {r!r}")
r = api.request("DELETE", f"/people/{etl_uuid}")
check(r.status == 204, f"DELETE /people as titanic_api: {r.status}")
check(api.stop() == 0, "clean stop")

# ---- what each role must not do ----
for sql in EVERYONE_REFUSED:
    for role in ROLES:
        refused(role, sql)
for sql in [NEW_MODEL, "UPDATE models SET active = NOT active", "DELETE FROM models",
            NEW_PREDICTION, "UPDATE etl_runs SET error = 'x'", "DELETE FROM passengers_etl_saved",
            NEW_PASSENGER, "DELETE FROM passengers WHERE passenger_id = 1"]:
    refused("titanic_api", sql)
for sql in [NEW_MODEL, "UPDATE models SET active = NOT active", "DELETE FROM models",
            NEW_PREDICTION, "DELETE FROM passengers WHERE passenger_id = 1",
            "INSERT INTO passengers_etl_saved (passenger_id, uuid, pclass, name, sex, sibsp, parch, "
            "saved_by) VALUES (1, gen_random_uuid(), 1, 'X', 'male', 0, 0, 'x')"]:
    refused("titanic_etl", sql)
for sql in [NEW_PASSENGER, "UPDATE passengers SET name = 'X' WHERE passenger_id = 1",
            "DELETE FROM passengers WHERE passenger_id = 1", "UPDATE passengers_etl_saved SET name = 'X'",
            "INSERT INTO etl_runs (source, status) VALUES ('x', 'running')"]:
    refused("titanic_train", sql)
ok, _ = as_role("titanic_train", "SELECT count(*) FROM passengers_etl_view")
check(ok, "titanic_train reads the training view")
# Issue 21: the analysts' views were "permission denied" for every workload role.
for role, rel in [("titanic_etl", "latest_etl_run"), ("titanic_etl", "etl_rejects_text"),
                  ("titanic_api", "survival_by_class_sex")]:
    ok, out = as_role(role, f"SELECT count(*) FROM {rel}")
    check(ok, f"{role} reads {rel}: {out[:160]}")
# A later migration that adds a table must grant the workloads what they need on it: a table no
# workload role can read is almost surely a forgotten GRANT (the workloads run as these roles).
orphans = db.q("SELECT string_agg(c.relname, ', ' ORDER BY c.relname) FROM pg_class c "
               "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' "
               "AND c.relkind IN ('r', 'v', 'p') "
               "AND NOT (has_table_privilege('titanic_analyst', c.oid, 'SELECT') OR "
               "has_table_privilege('titanic_api', c.oid, 'SELECT') OR "
               "has_table_privilege('titanic_etl', c.oid, 'SELECT') OR "
               "has_table_privilege('titanic_train', c.oid, 'SELECT'))")
check(orphans == "", f"every table is granted to some workload role (missing: {orphans})")

# ---- several databases of the cluster migrating at once ----
others = [Database(f"roles{i}") for i in range(3)]
results = [None] * len(others)


def migrate(i):
    results[i] = subprocess.run([apitest.ETL, "--migrate"], env=others[i].env(),
                                capture_output=True, text=True, timeout=120)


threads = [threading.Thread(target=migrate, args=(i,)) for i in range(len(others))]
for t in threads:
    t.start()
for t in threads:
    t.join()
check(all(r.returncode == 0 for r in results),
      f"three databases migrate at once: {[r.stderr[-200:] for r in results if r.returncode]}")
check(db.q("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'titanic\\_%'") == "4",
      "the roles (three workloads, the analysts') exist once in the cluster")
check(all(o.q("SELECT has_function_privilege('titanic_api', "
              "'passengers_api_delete(integer, uuid, text)', 'EXECUTE') AND NOT "
              "has_table_privilege('titanic_api', 'passengers', 'DELETE') AND NOT "
              "has_table_privilege('titanic_api', 'models', 'INSERT') AND "
              "has_table_privilege('titanic_analyst', 'latest_etl_run', 'SELECT')") == "t"
          for o in others),
      "each database has its grants")
log("role checks done")
finish()
