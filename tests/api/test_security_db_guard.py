#!/usr/bin/env python3
"""The database guards what training reads (issue 19 item 7, migration 005). Connected as
titanic_api with its password (what a compromised API pod has), every way around provenance is
refused by PostgreSQL itself: flipping an ETL-loaded label, inserting a row that looks loaded,
deleting rows without a saved copy, forging or rewriting saved copies, deleting everything,
locking passengers ACCESS EXCLUSIVE, large objects, temporary tables. The one write path left
(passengers_api_update/delete) saves the ETL version first, so a retrain afterwards learns
exactly the model trained before. The role's own limits (statement_timeout, lock_timeout) are in
force at login, and what it changes of itself is undone by the next `titanic-etl --migrate`."""
import json
import os
import secrets
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import apitest  # noqa: E402
from apitest import TMP, Database, check, finish, log, require_pg, setup_binaries  # noqa: E402

require_pg()
setup_binaries()
db = Database("dbguard")
db.load()
db.train()

pwdir = os.path.join(TMP, "role_passwords")
os.mkdir(pwdir, 0o700)
password = secrets.token_urlsafe(24)
with open(os.path.join(pwdir, "titanic_api"), "w") as f:
    f.write(password + "\n")


def migrate_with_password():
    r = subprocess.run([apitest.ETL, "--migrate"], env=db.env(ROLE_PASSWORDS_DIR=pwdir),
                       capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, f"titanic-etl --migrate with ROLE_PASSWORDS_DIR: {r.stderr[-300:]}")


def as_api(sql):
    return apitest.psql_as(db.name, "titanic_api", password, sql)


def refused(sql, code="42501"):
    ok, out = as_api(sql)
    check(not ok and code in out, f"titanic_api is refused ({code}): {sql}: {out[:200]}")


def learned(version):
    """What a model learned, without its version and creation time."""
    doc = json.loads(db.q(f"SELECT document FROM models WHERE version = {version}"))
    return {k: doc.get(k) for k in ("coefficients", "features", "training", "threshold")}


def etl_view():
    return db.q("SELECT md5(string_agg(v::text, ',' ORDER BY passenger_id)) "
                "FROM passengers_etl_view v")


migrate_with_password()
reference = learned(int(db.q("SELECT version FROM models WHERE active")))
view_before = etl_view()
uuid = {i: db.q(f"SELECT uuid FROM passengers WHERE passenger_id = {i}") for i in (1, 2, 3, 4)}
ok, out = as_api("SELECT count(*) FROM passengers")
check(ok and out == "891", f"titanic_api logs in and reads passengers: {out[:200]}")

# ---- every way around provenance ----
refused("UPDATE passengers SET survived = 1 - survived WHERE passenger_id = 1")
refused("UPDATE passengers SET survived = 1 - survived, api_writer = NULL WHERE survived IS NOT NULL")
refused("INSERT INTO passengers (passenger_id, uuid, survived, pclass, name, sex, sibsp, parch, "
        "inserted_run) VALUES (5000, gen_random_uuid(), 1, 3, 'Looks, Mr. Loaded', 'male', 0, 0, 1)")
refused("DELETE FROM passengers WHERE passenger_id = 2")
refused("DELETE FROM passengers")
refused("TRUNCATE passengers")
refused("INSERT INTO passengers_etl_saved (passenger_id, uuid, survived, pclass, name, sex, sibsp, "
        "parch, saved_by) VALUES (2, gen_random_uuid(), 0, 1, 'Forged, Mr. X', 'male', 0, 0, 'x')")
refused("UPDATE passengers_etl_saved SET survived = 1 - survived")
refused("DELETE FROM passengers_etl_saved")
refused("BEGIN; LOCK TABLE passengers IN ACCESS EXCLUSIVE MODE; COMMIT")
refused("BEGIN; LOCK TABLE passengers IN SHARE ROW EXCLUSIVE MODE; COMMIT")
refused("SELECT lo_create(0)")
refused("SELECT lo_creat(-1)")
refused("SELECT lo_from_bytea(0, 'x')")
refused("CREATE TEMP TABLE hoard (b bytea)")
refused("ALTER ROLE titanic_api CREATEROLE")
refused(f"SELECT passengers_api_lock_and_save(1, '{uuid[1]}', 'x')")
# The write functions themselves: a create below the API's id range, or any write without a
# writer, would look loaded.
S = "::smallint"  # the functions take the columns' types; literals are integers
refused(f"SELECT passengers_api_create(6000, '{uuid[1]}', 1{S}, 1{S}, 'Looks, Mr. Loaded', 'male', "
        f"30, 0{S}, 0{S}, 10, 'x')", "23514")
for writer in ("NULL", "''"):
    refused(f"SELECT passengers_api_update(1, '{uuid[1]}', 1{S}, 1{S}, 'X, Mr. Y', 'male', 30, "
            f"0{S}, 0{S}, 10, {writer})", "23502")
    refused(f"SELECT passengers_api_delete(1, '{uuid[1]}', {writer})", "23502")

# ---- the path that remains saves the ETL version first ----
ok, out = as_api(f"SELECT passengers_api_update(3, '{uuid[3]}', 1{S}, 1{S}, 'Changed, Mr. X', "
                 f"'male', 80, 0{S}, 0{S}, 10, 'attacker')")
check(ok and out == "1", f"passengers_api_update as titanic_api: {out[:200]}")
ok, out = as_api(f"SELECT passengers_api_delete(4, '{uuid[4]}', 'attacker')")
check(ok and out == "1", f"passengers_api_delete as titanic_api: {out[:200]}")
ok, out = as_api(f"SELECT passengers_api_delete(4, '{uuid[4]}', 'attacker')")
check(ok and out == "0", f"deleting it again changes nothing: {out[:200]}")
check(db.q("SELECT string_agg(passenger_id || ':' || saved_by, ',' ORDER BY passenger_id) "
           "FROM passengers_etl_saved") == "3:attacker,4:attacker",
      "the ETL versions of the changed and the deleted row are saved, with their writer")
check(db.q("SELECT api_writer FROM passengers WHERE passenger_id = 3") == "attacker",
      "the changed row names its writer")
check(etl_view() == view_before, "the training view reads exactly what the ETL loaded")

# ---- the role's limits ----
ok, out = as_api("SELECT current_setting('statement_timeout') || ' ' || "
                 "current_setting('lock_timeout') || ' ' || "
                 "current_setting('idle_in_transaction_session_timeout')")
check(ok and out == "5s 2s 5min", f"titanic_api's session limits at login: {out[:200]}")
# A role may still change its own defaults (PostgreSQL allows it; docs/security.md): the next
# deploy's migrate puts them back.
ok, out = as_api("ALTER ROLE titanic_api SET statement_timeout = 0")
check(ok, f"titanic_api can ALTER ROLE itself SET (documented): {out[:200]}")
migrate_with_password()
check(db.q("SELECT titanic_role_has_setting('titanic_api', 'statement_timeout', '5s')") == "t",
      "titanic-etl --migrate restores the role's statement_timeout")

# ---- a retrain learns exactly the model trained before the attempts ----
r = db.train("--force")
after = learned(int(db.q("SELECT max(version) FROM models")))
check(after == reference, "after every attempt, a retrain learns the identical model "
      "(coefficients, features, training digest, threshold)")
log("database guard checks done")
finish()
