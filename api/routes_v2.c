/* The Open Inference Protocol v2 (KServe v2, also spoken by Triton and MLServer) for the model
 * "titanic-survival": server metadata, liveness and readiness, model metadata and readiness, and
 * inference on a batch given as named tensors, for the active version or any stored one
 * (model_holder.h). Inputs are /predict's fields, each a tensor of shape [N] or [N,1] (MLServer's
 * PandasCodec), or one [N,F] table in the metadata's column order; every value is set by
 * /predict's own field setter (passenger_json.h, core/passenger.h). Binary tensors are refused by
 * name. Errors are the protocol's {"error": "..."}, with the request id beside it as in every
 * other error of this API. */
#include "api_db.h"
#include "config.h"
#include "errors.h"
#include "log.h"
#include "model_holder.h"
#include "models_store.h"
#include "monitor.h"
#include "passenger_json.h"
#include "routes.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define V2_MODEL_NAME "titanic-survival"
#define V2_PLATFORM "titanic_logistic_regression"

typedef enum { KIND_INT, KIND_REAL, KIND_TEXT } tensor_kind;

/* The model's inputs, in /predict's names; only pclass and sex are required. */
static const struct {
    const char *name;
    const char *datatype;
    tensor_kind kind;
} v2_inputs[] = {
    {"pclass", "INT64", KIND_INT},    {"sex", "BYTES", KIND_TEXT},  {"age", "FP64", KIND_REAL},
    {"sibsp", "INT64", KIND_INT},     {"parch", "INT64", KIND_INT}, {"fare", "FP64", KIND_REAL},
    {"embarked", "BYTES", KIND_TEXT}, {"name", "BYTES", KIND_TEXT}, {"ticket", "BYTES", KIND_TEXT},
    {"cabin", "BYTES", KIND_TEXT},
};
#define V2_INPUTS (int)(sizeof v2_inputs / sizeof v2_inputs[0])

static const char *const v2_outputs[2][2] = {{"probability", "FP64"}, {"survived", "BOOL"}};

/* ---- server ---- */

enum MHD_Result route_v2_server(http_request *r) {
    return http_json(r, 200,
                     json_pack("{s:s, s:s, s:[]}", "name", "titanic-api", "version",
                               TITANIC_VERSION, "extensions"));
}

enum MHD_Result route_v2_live(http_request *r) {
    return http_json(r, 200, json_pack("{s:b}", "live", 1));
}

/* Ready when the model can answer: inference needs no database, so none is asked (/ready is
 * the check that includes it). Not ready is a 4xx, as the protocol says. */
enum MHD_Result route_v2_ready(http_request *r) {
    const char *why = atomic_load(&http_config.draining) ? "shutting down"
                      : model_holder_version() == 0      ? ROUTE_NO_MODEL
                                                         : NULL;
    if (why)
        return http_json(
            r, 400,
            json_pack("{s:b, s:s, s:s}", "ready", 0, "error", why, "request_id", r->request_id));
    return http_json(r, 200, json_pack("{s:b}", "ready", 1));
}

/* ---- model metadata ---- */

static json_t *tensor_metadata(const char *name, const char *datatype) {
    return json_pack("{s:s, s:s, s:[i]}", "name", name, "datatype", datatype, "shape", -1);
}

/* The stored versions as strings, newest first; only the active one when the database is away. */
static json_t *stored_versions(http_request *r) {
    int unavailable, count = 0;
    char err[512];
    model_row *rows = NULL;
    json_t *list = json_array();
    if (models_store_list(api_db_store(), &rows, &count, &unavailable, err, sizeof err) != 0) {
        log_warn("model versions not listed", "{s:s, s:s}", "error", err, "route",
                 route_template(r->route));
        if (model_holder_version() > 0)
            json_array_append_new(list, json_sprintf("%d", model_holder_version()));
        return list;
    }
    for (int i = 0; i < count; i++)
        json_array_append_new(list, json_sprintf("%d", rows[i].version));
    models_store_free_rows(rows, count);
    return list;
}

/* "parameters": the column order of an [N,F] table and, with m (NULL: none loaded), the inputs
 * the version reads, required and optional, and which of its models answers which request. */
static enum MHD_Result model_metadata(http_request *r, json_t *versions, const titanic_model *m) {
    /* columns: the column order of a single [N,F] input tensor, the inputs' order, of which a
     * table gives the first F */
    json_t *inputs = json_array(), *outputs = json_array(), *columns = json_array();
    for (int i = 0; i < V2_INPUTS; i++) {
        json_array_append_new(inputs, tensor_metadata(v2_inputs[i].name, v2_inputs[i].datatype));
        json_array_append_new(columns, json_string(v2_inputs[i].name));
    }
    for (int i = 0; i < 2; i++)
        json_array_append_new(outputs, tensor_metadata(v2_outputs[i][0], v2_outputs[i][1]));
    json_t *meta =
        json_pack("{s:s, s:o, s:s, s:o, s:o}", "name", V2_MODEL_NAME, "versions", versions,
                  "platform", V2_PLATFORM, "inputs", inputs, "outputs", outputs);
    json_t *parameters = json_pack("{s:o}", "columns", columns);
    if (m)
        json_object_set_new(parameters, "inputs", model_inputs(m));
    json_object_set_new(meta, "parameters", parameters);
    return http_json(r, 200, meta);
}

/* ---- inference: the request ---- */

/* Copies body with every bare NaN token outside strings turned into null: Python's json module
 * (and so most clients) writes a missing FP64 as NaN, which is not JSON. NULL when there is none
 * (the body is used as it is); the copy is at most a third longer than the body. */
static char *nan_to_null(const char *body, size_t len, size_t *out_len) {
    if (!body || !strstr(body, "NaN")) /* the server ends every body with a NUL */
        return NULL;
    char *out = malloc(len + len / 3 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    int in_string = 0;
    for (size_t i = 0; i < len; i++) {
        char c = body[i];
        if (in_string) {
            if (c == '\\' && i + 1 < len)
                out[o++] = body[i++];
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if (c == 'N' && i + 3 <= len && memcmp(body + i, "NaN", 3) == 0) {
            memcpy(out + o, "null", 4);
            o += 4;
            i += 2;
            continue;
        }
        out[o++] = body[i];
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

static int input_index(const char *name) {
    for (int i = 0; i < V2_INPUTS; i++) {
        if (strcmp(name, v2_inputs[i].name) == 0)
            return i;
    }
    return -1;
}

/* Whether datatype is acceptable for an input of kind: any integer type for INT64 inputs, FP32 or
 * FP64 for FP64 ones (the protocol lets a server coerce), BYTES for text. */
static int datatype_fits(tensor_kind kind, const char *datatype) {
    static const char *const accepted[][9] = {
        [KIND_INT] = {"INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64"},
        [KIND_REAL] = {"FP64", "FP32"},
        [KIND_TEXT] = {"BYTES"}};
    for (int i = 0; accepted[kind][i]; i++) {
        if (strcmp(datatype, accepted[kind][i]) == 0)
            return 1;
    }
    return 0;
}

/* Where one field's values sit in the request: column offset of a tensor of width columns, whose
 * data is flat (row-major) or nested (one array per row). */
typedef struct {
    json_t *data;
    size_t width, offset;
    int nested;
} column;

/* The row count and width of a shape [N], [N,1] (MLServer's PandasCodec) or [N,F]. */
static long shape_of(json_t *shape, const char *name, size_t *width, char *message, size_t len) {
    size_t dims = json_array_size(shape);
    json_t *n = json_array_get(shape, 0), *f = json_array_get(shape, 1);
    if (!json_is_array(shape) || dims < 1 || dims > 2 || !json_is_integer(n) ||
        (dims == 2 &&
         (!json_is_integer(f) || json_integer_value(f) < 1 || json_integer_value(f) > V2_INPUTS)))
        return errorf(message, len, "input '%s': shape must be [N], [N,1] or [N,F] with F <= %d",
                      name, V2_INPUTS);
    json_int_t rows = json_integer_value(n);
    if (rows < 1 || rows > http_config.max_batch)
        return errorf(message, len, "input '%s': shape [%lld]: expected 1 to %d rows", name,
                      (long long)rows, http_config.max_batch);
    *width = dims == 2 ? (size_t)json_integer_value(f) : 1;
    return (long)rows;
}

/* Whether data holds rows x width elements: flat, or nested as rows arrays of width. */
static int data_fits(json_t *data, long rows, size_t width, int *nested) {
    if (!json_is_array(data) || json_array_size(data) == 0)
        return 0;
    *nested = json_is_array(json_array_get(data, 0));
    if (!*nested)
        return json_array_size(data) == (size_t)rows * width;
    if (json_array_size(data) != (size_t)rows)
        return 0;
    for (long i = 0; i < rows; i++) {
        if (json_array_size(json_array_get(data, (size_t)i)) != width)
            return 0;
    }
    return 1;
}

static json_t *element(const column *c, size_t row) {
    return c->nested ? json_array_get(json_array_get(c->data, row), c->offset)
                     : json_array_get(c->data, row * c->width + c->offset);
}

/* Files a tensor's columns under their fields: a named input is one field ([N] or [N,1]); any
 * other name is a table of F columns, the first F of v2_inputs in order (the metadata's
 * "columns"), which must then be the only input. */
static int file_columns(json_t *input, const char *n, long rows, size_t width, size_t count,
                        column cols[V2_INPUTS], char *message, size_t len) {
    int f = input_index(n), nested = 0;
    if (!data_fits(json_object_get(input, "data"), rows, width, &nested))
        return errorf(message, len, "input '%s': data must hold %ld x %zu elements (its shape)", n,
                      rows, width);
    if (f >= 0 && width != 1)
        return errorf(message, len, "input '%s': shape [%ld, %zu]: one field is [N] or [N,1]", n,
                      rows, width);
    if (f < 0 && (width < 2 || count != 1))
        return errorf(message, len,
                      width < 2
                          ? "unknown input '%.64s' (inputs: pclass, sex, age, sibsp, parch, fare, "
                            "embarked, name, ticket, cabin)"
                          : "input '%.64s': a [N,F] table must be the only input",
                      n);
    for (size_t k = 0; k < width; k++) {
        int field = f >= 0 ? f : (int)k;
        if (cols[field].data)
            return errorf(message, len, "input '%s' given twice", v2_inputs[field].name);
        cols[field] = (column){json_object_get(input, "data"), width, k, nested};
    }
    return 0;
}

/* Checks one input tensor and files its data under its fields; returns its row count or -1. */
static long take_input(json_t *input, size_t count, column cols[V2_INPUTS], char *message,
                       size_t len) {
    json_t *name = json_object_get(input, "name"), *datatype = json_object_get(input, "datatype");
    if (!json_is_object(input) || !json_is_string(name) || !json_is_string(datatype) ||
        !json_object_get(input, "shape") || !json_object_get(input, "data"))
        return errorf(message, len, "each input needs name, shape, datatype and data");
    const char *n = json_string_value(name);
    int f = input_index(n);
    if (f >= 0 && !datatype_fits(v2_inputs[f].kind, json_string_value(datatype)))
        return errorf(message, len, "input '%s': datatype %.16s, expected %s", n,
                      json_string_value(datatype), v2_inputs[f].datatype);
    size_t width = 0;
    long rows = shape_of(json_object_get(input, "shape"), n, &width, message, len);
    if (rows < 0 || file_columns(input, n, rows, width, count, cols, message, len) != 0)
        return -1;
    return rows;
}

/* Every input filed under its fields, all of one batch size, which is returned (-1 on error). */
static long take_inputs(json_t *inputs, column cols[V2_INPUTS], char *message, size_t len) {
    if (!json_is_array(inputs) || json_array_size(inputs) == 0)
        return errorf(message, len, "inputs: expected a non-empty array of input tensors");
    long batch = 0;
    size_t i;
    json_t *input;
    json_array_foreach(inputs, i, input) {
        long rows = take_input(input, json_array_size(inputs), cols, message, len);
        if (rows < 0)
            return -1;
        if (batch && rows != batch)
            return errorf(message, len, "every input must have the same shape: [%ld] and [%ld]",
                          batch, rows);
        batch = rows;
    }
    return batch;
}

/* Row i of the tensors as a passenger, each value set by /predict's own field setter (which also
 * takes integers only for INT64 inputs, and names the field); "" in a text input is unknown. */
static int row_passenger(const column cols[V2_INPUTS], size_t i, passenger *p, char *message,
                         size_t len) {
    passenger_init(p);
    p->pclass = 0;
    p->sex = -1; /* both required */
    input_error e = {"", ""};
    for (int f = 0; f < V2_INPUTS && !e.reason[0]; f++) {
        json_t *v = cols[f].data ? element(&cols[f], i) : NULL;
        if (!v || (json_is_string(v) && json_string_length(v) == 0))
            continue;
        passenger_set_predict_field(v2_inputs[f].name, v, "", p, &e);
    }
    if (!e.reason[0] && (p->pclass == 0 || p->sex < 0)) {
        snprintf(e.field, sizeof e.field, "%s", p->pclass == 0 ? "pclass" : "sex");
        snprintf(e.reason, sizeof e.reason, "required");
    }
    if (e.reason[0])
        snprintf(message, len, "input '%s' element %zu: %s", e.field, i, e.reason);
    return e.reason[0] ? -1 : 0;
}

/* The outputs asked for, as flags over v2_outputs (both when the request names none). */
static int requested_outputs(json_t *outputs, int wanted[2], char *message, size_t len) {
    wanted[0] = wanted[1] = !outputs;
    if (!outputs)
        return 0;
    if (!json_is_array(outputs))
        return errorf(message, len, "outputs: expected an array of {\"name\": ...}");
    size_t i;
    json_t *o;
    json_array_foreach(outputs, i, o) {
        json_t *name = json_object_get(o, "name");
        const char *n = json_is_string(name) ? json_string_value(name) : "";
        int k = strcmp(n, "probability") == 0 ? 0 : strcmp(n, "survived") == 0 ? 1 : -1;
        if (k < 0)
            return errorf(message, len, "unknown output '%.64s' (outputs: probability, survived)",
                          n);
        wanted[k] = 1;
    }
    return 0;
}

static int check_request_keys(json_t *body, char *message, size_t len) {
    if (!json_is_object(body))
        return errorf(message, len, "expected an inference request object");
    const char *key;
    json_t *v;
    json_object_foreach(body, key, v) {
        if (strcmp(key, "id") && strcmp(key, "parameters") && strcmp(key, "inputs") &&
            strcmp(key, "outputs"))
            return errorf(message, len, "unknown field '%.64s' (id, parameters, inputs, outputs)",
                          key);
    }
    json_t *id = json_object_get(body, "id"), *parameters = json_object_get(body, "parameters");
    if (id && !json_is_string(id))
        return errorf(message, len, "id: expected a string");
    if (parameters && !json_is_object(parameters))
        return errorf(message, len, "parameters: expected an object");
    return 0;
}

/* ---- inference: the answer ---- */

static json_t *output_tensor(int k, long rows, json_t *data) {
    return json_pack("{s:s, s:s, s:[I], s:o}", "name", v2_outputs[k][0], "datatype",
                     v2_outputs[k][1], "shape", (json_int_t)rows, "data", data);
}

/* Scores every row (all checked first, so a bad row leaves no prediction counted). */
static enum MHD_Result infer_rows(http_request *r, const titanic_model *m, json_t *body,
                                  const column cols[V2_INPUTS], long rows, const int wanted[2]) {
    char message[512];
    passenger *batch = calloc((size_t)rows, sizeof *batch); /* rows <= MAX_BATCH */
    if (!batch)
        return http_error(r, 500, "out of memory", NULL);
    for (long i = 0; i < rows; i++) {
        if (row_passenger(cols, (size_t)i, &batch[i], message, sizeof message) != 0) {
            free(batch);
            return http_error(r, 400, message, NULL);
        }
    }
    json_t *probability = json_array(), *survived = json_array();
    json_t *paths = json_array(), *imputed = json_array(); /* per row, in "parameters" */
    int version = model_version(m);
    for (long i = 0; i < rows; i++) {
        double p = model_predict(m, &batch[i]);
        int label = p >= model_threshold(m);
        monitor_record(version, &batch[i], p, label);
        json_array_append_new(probability, json_real(p));
        json_array_append_new(survived, json_boolean(label));
        json_array_append_new(paths, json_string(model_path(m, &batch[i])));
        json_array_append_new(imputed, model_imputed(m, &batch[i]));
    }
    free(batch);
    json_t *outputs = json_array();
    json_t *data[2] = {probability, survived};
    for (int k = 0; k < 2; k++) {
        if (wanted[k])
            json_array_append_new(outputs, output_tensor(k, rows, data[k]));
        else
            json_decref(data[k]);
    }
    /* The protocol echoes the request's id; without one, the request id names the answer. */
    json_t *id = json_object_get(body, "id");
    return http_json(r, 200,
                     json_pack("{s:s, s:o, s:s, s:o, s:{s:o, s:o}}", "model_name", V2_MODEL_NAME,
                               "model_version", json_sprintf("%d", version), "id",
                               id ? json_string_value(id) : r->request_id, "outputs", outputs,
                               "parameters", "path", paths, "imputed", imputed));
}

/* tritonclient's default request: a JSON header, then raw tensor bytes (the binary tensor
 * extension, which this server does not list). Named plainly rather than as malformed JSON. */
static int binary_request(const http_request *r) {
    return MHD_lookup_connection_value(r->connection, MHD_HEADER_KIND,
                                       "Inference-Header-Content-Length") ||
           (r->body && strstr(r->body, "\"binary_data_size\"")); /* the body ends with a NUL */
}

static enum MHD_Result infer(http_request *r, const titanic_model *m) {
    char message[512];
    if (binary_request(r))
        return http_error(r, 400, "binary tensor data is not supported; send JSON \"data\"", NULL);
    size_t fixed_len = 0;
    char *fixed = nan_to_null(r->body, r->body_len, &fixed_len);
    input_error e;
    json_t *body = parse_json_body(fixed ? fixed : r->body, fixed ? fixed_len : r->body_len, &e);
    free(fixed);
    if (!body)
        return http_error(r, 400, e.reason, NULL);
    column cols[V2_INPUTS] = {{0}};
    int wanted[2];
    long rows = -1;
    if (check_request_keys(body, message, sizeof message) == 0 &&
        requested_outputs(json_object_get(body, "outputs"), wanted, message, sizeof message) == 0)
        rows = take_inputs(json_object_get(body, "inputs"), cols, message, sizeof message);
    enum MHD_Result rc =
        rows < 0 ? http_error(r, 400, message, NULL) : infer_rows(r, m, body, cols, rows, wanted);
    json_decref(body);
    return rc;
}

/* ---- model routes ---- */

/* "7" -> 7; 0 for anything that is not a stored version's form (no sign, no leading zero). */
static int parse_version(const char *text) {
    long v;
    return text[0] != '0' && config_parse_long(text, 1, INT_MAX, &v) == 0 ? (int)v : 0;
}

/* The model of version (NULL: the active one) with a reference taken, or answers and NULL. */
static model_ref *model_for(http_request *r, const char *version, enum MHD_Result *answered) {
    model_ref *ref = NULL;
    char err[600], message[160];
    if (!version) {
        if (!(ref = model_holder_acquire()))
            *answered = route_no_model(r);
        return ref;
    }
    int v = parse_version(version);
    model_cache_status status =
        v ? model_holder_acquire_version(v, &ref, err, sizeof err) : MODEL_CACHE_NOT_FOUND;
    if (status == MODEL_CACHE_OK)
        return ref;
    snprintf(message, sizeof message, "model %s has no version '%.24s'", V2_MODEL_NAME, version);
    if (status == MODEL_CACHE_NOT_FOUND)
        *answered = http_error(r, 404, message, NULL);
    else if (status == MODEL_CACHE_UNAVAILABLE)
        *answered = http_database_error(r, 1, err);
    else {
        log_error("model version unusable", "{s:s}", "error", err);
        *answered =
            http_error(r, 500, "internal error; quote the request_id when reporting it", NULL);
    }
    return NULL;
}

static enum MHD_Result model_ready(http_request *r, const char *version) {
    if (!version && model_holder_version() == 0)
        return http_json(r, 400,
                         json_pack("{s:s, s:b, s:s, s:s}", "name", V2_MODEL_NAME, "ready", 0,
                                   "error", ROUTE_NO_MODEL, "request_id", r->request_id));
    enum MHD_Result answered = MHD_YES;
    model_ref *ref = model_for(r, version, &answered);
    if (!ref)
        return answered;
    model_holder_release(ref);
    return http_json(r, 200, json_pack("{s:s, s:b}", "name", V2_MODEL_NAME, "ready", 1));
}

enum MHD_Result route_v2_model(http_request *r) {
    const char *name = r->target.seg[2];
    /* /v2/models/{name}/versions/{version}[/...]; without it, the active version */
    const char *version = r->target.n >= 5 ? r->target.seg[4] : NULL;
    int infer_route = r->route == ROUTE_V2_INFER || r->route == ROUTE_V2_VERSION_INFER;
    if (strcmp(name, V2_MODEL_NAME) != 0) {
        char message[160];
        snprintf(message, sizeof message, "unknown model '%.64s' (this server serves %s)", name,
                 V2_MODEL_NAME);
        return http_error(r, 404, message, NULL);
    }
    if (r->route == ROUTE_V2_MODEL_READY || r->route == ROUTE_V2_VERSION_READY)
        return model_ready(r, version);
    if (!infer_route && !version) {
        model_ref *active = model_holder_acquire();
        enum MHD_Result rc =
            model_metadata(r, stored_versions(r), active ? model_ref_model(active) : NULL);
        model_holder_release(active);
        return rc;
    }
    enum MHD_Result answered = MHD_YES;
    model_ref *ref = model_for(r, version, &answered);
    if (!ref)
        return answered;
    const titanic_model *m = model_ref_model(ref);
    enum MHD_Result rc =
        infer_route ? infer(r, m)
                    : model_metadata(r, json_pack("[o]", json_sprintf("%d", model_version(m))), m);
    model_holder_release(ref);
    return rc;
}
