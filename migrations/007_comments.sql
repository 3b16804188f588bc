-- 007: a schema that explains itself (issue 21 item 2): a COMMENT on every table, view and column
-- of the public schema, so `\d+` in psql (or any SQL client's catalogue) says what each one holds.
-- docs/analysts.md says the same at more length; tests/api/test_analyst_sql.py fails when any
-- table, view or column lacks a comment, so a later migration must comment what it adds.
-- And a leftover goes (issue 20 item 4): migration 003's NOTIFY on every write to passengers,
-- which nothing LISTENs to (the API's model reload listens on titanic_model, which stays).

DROP TRIGGER passengers_notify ON passengers;
DROP FUNCTION passengers_notify();

COMMENT ON TABLE schema_migrations IS
    'The migrations applied to this database (migrations/NNN_name.sql), one row each.';
COMMENT ON COLUMN schema_migrations.version IS 'The migration''s number, NNN of its file name.';
COMMENT ON COLUMN schema_migrations.name IS 'The rest of its file name, without .sql.';
COMMENT ON COLUMN schema_migrations.checksum IS
    'SHA-256 of the file as applied; a build carrying a different text refuses to run.';
COMMENT ON COLUMN schema_migrations.applied_at IS 'When it was applied.';

COMMENT ON TABLE etl_runs IS
    'One row per titanic-etl run, committed or not: the audit trail of every data refresh. For a '
    'committed run rows_read = rows_inserted + rows_updated + rows_unchanged + rows_rejected.';
COMMENT ON COLUMN etl_runs.run_id IS 'The run''s number, increasing; passengers.inserted_run and '
    'updated_run name it.';
COMMENT ON COLUMN etl_runs.source IS 'The file loaded (its path as given to titanic-etl).';
COMMENT ON COLUMN etl_runs.layout IS
    'The file''s layout, recognised from its header: kaggle-train, kaggle-test or people-887.';
COMMENT ON COLUMN etl_runs.input_sha256 IS 'SHA-256 of the file''s bytes.';
COMMENT ON COLUMN etl_runs.started_at IS 'When the run started.';
COMMENT ON COLUMN etl_runs.finished_at IS 'When it committed or failed; NULL while running.';
COMMENT ON COLUMN etl_runs.rows_read IS 'Data records read from the file (the header excluded).';
COMMENT ON COLUMN etl_runs.rows_inserted IS 'Records stored as new passengers.';
COMMENT ON COLUMN etl_runs.rows_updated IS 'Records that changed a stored passenger.';
COMMENT ON COLUMN etl_runs.rows_unchanged IS 'Records identical to the stored passenger.';
COMMENT ON COLUMN etl_runs.rows_rejected IS 'Records refused, each with a row in etl_rejects.';
COMMENT ON COLUMN etl_runs.status IS
    'running, committed, failed (nothing of it was stored) or dry_run.';
COMMENT ON COLUMN etl_runs.error IS 'Why a failed run failed; NULL otherwise.';
COMMENT ON COLUMN etl_runs.id_base IS
    'For files without PassengerId: the ids given to their rows start above this.';
COMMENT ON COLUMN etl_runs.passengers_change IS
    'passengers_change_seq when the run committed: while unchanged, reloading the same file '
    'has nothing to do.';

COMMENT ON TABLE passengers IS
    'The passengers: loaded by titanic-etl, and written through the API''s /people routes '
    '(api_writer says which). Ranges are checked here as in the loader.';
COMMENT ON COLUMN passengers.passenger_id IS
    'The id: the file''s PassengerId, or above 1,000,000,000 for people created through the API.';
COMMENT ON COLUMN passengers.uuid IS
    'The id the /people routes use; a fixed function of passenger_id (its first 8 hex digits).';
COMMENT ON COLUMN passengers.survived IS '1 survived, 0 did not, NULL unknown (Kaggle test file).';
COMMENT ON COLUMN passengers.pclass IS 'Ticket class: 1, 2 or 3.';
COMMENT ON COLUMN passengers.name IS 'Name as in the file, e.g. "Braund, Mr. Owen Harris".';
COMMENT ON COLUMN passengers.sex IS 'male, female or other.';
COMMENT ON COLUMN passengers.age IS 'Age in years (fractions for infants); NULL unknown.';
COMMENT ON COLUMN passengers.sibsp IS 'Siblings and spouses aboard.';
COMMENT ON COLUMN passengers.parch IS 'Parents and children aboard.';
COMMENT ON COLUMN passengers.ticket IS 'Ticket number as printed; NULL unknown.';
COMMENT ON COLUMN passengers.fare IS 'Fare paid, in pounds; NULL unknown.';
COMMENT ON COLUMN passengers.cabin IS 'Cabin(s), e.g. "C85"; NULL unknown.';
COMMENT ON COLUMN passengers.embarked IS
    'Port of embarkation: C Cherbourg, Q Queenstown, S Southampton; NULL unknown.';
COMMENT ON COLUMN passengers.inserted_run IS 'The etl_runs.run_id that inserted the row; NULL '
    'for rows created through the API.';
COMMENT ON COLUMN passengers.updated_run IS 'The etl_runs.run_id that last wrote the row.';
COMMENT ON COLUMN passengers.created_at IS 'When the row was first stored.';
COMMENT ON COLUMN passengers.updated_at IS 'When the row was last written.';
COMMENT ON COLUMN passengers.api_writer IS
    'The API key label that last wrote the row through /people; NULL: as an ETL run wrote it.';

COMMENT ON TABLE etl_rejects IS
    'Records a run refused, with line and reason (etl_rejects_text shows raw as text).';
COMMENT ON COLUMN etl_rejects.run_id IS 'The etl_runs.run_id that read the record.';
COMMENT ON COLUMN etl_rejects.line IS 'Its line number in the file (the header is line 1).';
COMMENT ON COLUMN etl_rejects.field IS 'The column at fault; NULL when the whole record is.';
COMMENT ON COLUMN etl_rejects.reason IS 'Why it was refused.';
COMMENT ON COLUMN etl_rejects.raw IS
    'The record''s bytes exactly as in the file (bytea: they may not be valid text).';

COMMENT ON VIEW etl_rejects_text IS 'etl_rejects with the raw record as text, for people.';
COMMENT ON COLUMN etl_rejects_text.run_id IS 'The etl_runs.run_id that read the record.';
COMMENT ON COLUMN etl_rejects_text.line IS 'Its line number in the file (the header is line 1).';
COMMENT ON COLUMN etl_rejects_text.field IS 'The column at fault; NULL when the whole record is.';
COMMENT ON COLUMN etl_rejects_text.reason IS 'Why it was refused.';
COMMENT ON COLUMN etl_rejects_text.raw_text IS
    'The record as UTF-8 text; when its bytes are not valid UTF-8, escaped (\ooo octal).';

COMMENT ON TABLE models IS 'Model versions published by titanic-train; at most one is active.';
COMMENT ON COLUMN models.version IS 'The version number, increasing.';
COMMENT ON COLUMN models.created_at IS 'When it was published.';
COMMENT ON COLUMN models.active IS 'The version the API answers with (one at most).';
COMMENT ON COLUMN models.training_rows IS 'Passengers it was trained on.';
COMMENT ON COLUMN models.training_sha256 IS 'Digest of the training data: equal data, equal digest.';
COMMENT ON COLUMN models.metrics IS
    'Its estimated quality (nested cross-validation): accuracy, AUC, log loss and more, as JSON.';
COMMENT ON COLUMN models.document IS
    'The model itself: the exact JSON text the API loads (coefficients, features, threshold).';
COMMENT ON COLUMN models.report_html IS 'The model report (GET /model/report); NULL if none.';

COMMENT ON TABLE predictions IS
    'Scores of every stored passenger under a model version (titanic-train --score).';
COMMENT ON COLUMN predictions.model_version IS 'The models.version that scored.';
COMMENT ON COLUMN predictions.passenger_id IS 'The passengers.passenger_id scored.';
COMMENT ON COLUMN predictions.probability IS 'Predicted probability of survival, 0 to 1.';
COMMENT ON COLUMN predictions.label IS '1 when probability reaches the model''s threshold.';
COMMENT ON COLUMN predictions.scored_at IS 'When it was scored.';

COMMENT ON TABLE model_activations IS
    'Every change of the active model version, with who made it and why.';
COMMENT ON COLUMN model_activations.activation_id IS 'Increasing number of the change.';
COMMENT ON COLUMN model_activations.version IS 'The models.version activated.';
COMMENT ON COLUMN model_activations.previous_version IS 'The version active before; NULL if none.';
COMMENT ON COLUMN model_activations.activated_at IS 'When.';
COMMENT ON COLUMN model_activations.activated_by IS 'Who (the operator or job that ran it).';
COMMENT ON COLUMN model_activations.reason IS 'Why, as given.';
COMMENT ON COLUMN model_activations.source IS
    'train (a new model published) or activate (titanic-train --activate).';

COMMENT ON TABLE passengers_etl_saved IS
    'The ETL''s version of rows the API changed or deleted, saved before the write: training '
    'reads the data as the last ETL run left it.';
COMMENT ON COLUMN passengers_etl_saved.passenger_id IS 'As passengers.passenger_id.';
COMMENT ON COLUMN passengers_etl_saved.uuid IS 'As passengers.uuid.';
COMMENT ON COLUMN passengers_etl_saved.survived IS 'As passengers.survived, as the ETL loaded it.';
COMMENT ON COLUMN passengers_etl_saved.pclass IS 'As passengers.pclass, as the ETL loaded it.';
COMMENT ON COLUMN passengers_etl_saved.name IS 'As passengers.name, as the ETL loaded it.';
COMMENT ON COLUMN passengers_etl_saved.sex IS 'As passengers.sex, as the ETL loaded it.';
COMMENT ON COLUMN passengers_etl_saved.age IS 'As passengers.age, as the ETL loaded it.';
COMMENT ON COLUMN passengers_etl_saved.sibsp IS 'As passengers.sibsp, as the ETL loaded it.';
COMMENT ON COLUMN passengers_etl_saved.parch IS 'As passengers.parch, as the ETL loaded it.';
COMMENT ON COLUMN passengers_etl_saved.ticket IS 'As passengers.ticket, as the ETL loaded it.';
COMMENT ON COLUMN passengers_etl_saved.fare IS 'As passengers.fare, as the ETL loaded it.';
COMMENT ON COLUMN passengers_etl_saved.cabin IS 'As passengers.cabin, as the ETL loaded it.';
COMMENT ON COLUMN passengers_etl_saved.embarked IS 'As passengers.embarked, as the ETL loaded it.';
COMMENT ON COLUMN passengers_etl_saved.inserted_run IS 'As passengers.inserted_run.';
COMMENT ON COLUMN passengers_etl_saved.updated_run IS 'As passengers.updated_run.';
COMMENT ON COLUMN passengers_etl_saved.saved_at IS 'When the API''s write saved it.';
COMMENT ON COLUMN passengers_etl_saved.saved_by IS 'The API key label whose write saved it.';

COMMENT ON VIEW passengers_etl_view IS
    'What titanic-train learns from by default: every row as an ETL run wrote it, with the saved '
    'ETL version of rows the API changed or deleted since.';
COMMENT ON COLUMN passengers_etl_view.passenger_id IS 'As passengers.passenger_id.';
COMMENT ON COLUMN passengers_etl_view.uuid IS 'As passengers.uuid.';
COMMENT ON COLUMN passengers_etl_view.survived IS 'As passengers.survived.';
COMMENT ON COLUMN passengers_etl_view.pclass IS 'As passengers.pclass.';
COMMENT ON COLUMN passengers_etl_view.name IS 'As passengers.name.';
COMMENT ON COLUMN passengers_etl_view.sex IS 'As passengers.sex.';
COMMENT ON COLUMN passengers_etl_view.age IS 'As passengers.age.';
COMMENT ON COLUMN passengers_etl_view.sibsp IS 'As passengers.sibsp.';
COMMENT ON COLUMN passengers_etl_view.parch IS 'As passengers.parch.';
COMMENT ON COLUMN passengers_etl_view.ticket IS 'As passengers.ticket.';
COMMENT ON COLUMN passengers_etl_view.fare IS 'As passengers.fare.';
COMMENT ON COLUMN passengers_etl_view.cabin IS 'As passengers.cabin.';
COMMENT ON COLUMN passengers_etl_view.embarked IS 'As passengers.embarked.';

COMMENT ON TABLE passenger_survival_summary IS
    'Passenger and survivor counts per combination of class, sex, port, age band and family size '
    'band, kept current by triggers on passengers; /stats/survival sums it.';
COMMENT ON COLUMN passenger_survival_summary.pclass IS 'As passengers.pclass.';
COMMENT ON COLUMN passenger_survival_summary.sex IS 'As passengers.sex.';
COMMENT ON COLUMN passenger_survival_summary.embarked IS 'As passengers.embarked (NULL unknown).';
COMMENT ON COLUMN passenger_survival_summary.age_band IS
    'passenger_age_band(age): 0-11, 12-17, 18-29, 30-44, 45-59, 60+ or unknown.';
COMMENT ON COLUMN passenger_survival_summary.family_size_band IS
    'passenger_family_size_band(sibsp, parch): alone, 2-4 or 5+.';
COMMENT ON COLUMN passenger_survival_summary.passengers IS 'Passengers in the group (0: emptied).';
COMMENT ON COLUMN passenger_survival_summary.known IS 'Of them, with a known outcome.';
COMMENT ON COLUMN passenger_survival_summary.survived IS 'Of them, survivors.';

COMMENT ON VIEW survival_by_class_sex IS 'Passengers and survival rate per class and sex.';
COMMENT ON COLUMN survival_by_class_sex.pclass IS 'Ticket class: 1, 2 or 3.';
COMMENT ON COLUMN survival_by_class_sex.sex IS 'male, female or other.';
COMMENT ON COLUMN survival_by_class_sex.passengers IS 'Passengers in the group.';
COMMENT ON COLUMN survival_by_class_sex.known IS 'Of them, with a known outcome.';
COMMENT ON COLUMN survival_by_class_sex.survived IS 'Of them, survivors.';
COMMENT ON COLUMN survival_by_class_sex.survival_rate IS
    'survived / known, 4 decimals; NULL when no outcome is known.';

COMMENT ON VIEW latest_etl_run IS 'The last etl_runs row (committed or not).';
COMMENT ON COLUMN latest_etl_run.run_id IS 'As etl_runs.run_id.';
COMMENT ON COLUMN latest_etl_run.source IS 'As etl_runs.source.';
COMMENT ON COLUMN latest_etl_run.layout IS 'As etl_runs.layout.';
COMMENT ON COLUMN latest_etl_run.input_sha256 IS 'As etl_runs.input_sha256.';
COMMENT ON COLUMN latest_etl_run.started_at IS 'As etl_runs.started_at.';
COMMENT ON COLUMN latest_etl_run.finished_at IS 'As etl_runs.finished_at.';
COMMENT ON COLUMN latest_etl_run.rows_read IS 'As etl_runs.rows_read.';
COMMENT ON COLUMN latest_etl_run.rows_inserted IS 'As etl_runs.rows_inserted.';
COMMENT ON COLUMN latest_etl_run.rows_updated IS 'As etl_runs.rows_updated.';
COMMENT ON COLUMN latest_etl_run.rows_unchanged IS 'As etl_runs.rows_unchanged.';
COMMENT ON COLUMN latest_etl_run.rows_rejected IS 'As etl_runs.rows_rejected.';
COMMENT ON COLUMN latest_etl_run.status IS 'As etl_runs.status.';
COMMENT ON COLUMN latest_etl_run.error IS 'As etl_runs.error.';
COMMENT ON COLUMN latest_etl_run.id_base IS 'As etl_runs.id_base.';
COMMENT ON COLUMN latest_etl_run.passengers_change IS 'As etl_runs.passengers_change.';
