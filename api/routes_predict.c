/* Predictions: POST /predict for one passenger, a batch, or a stored passenger, and
 * GET /passengers/{id}/prediction. The model is taken once per request, so a batch is scored
 * by one model version even while a reload swaps it. */
#include "model_holder.h"
#include "monitor.h"
#include "passenger_json.h"
#include "lookup_batch.h"
#include "routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum MHD_Result route_no_model(http_request *r) {
    return http_error(r, 503, ROUTE_NO_MODEL, NULL);
}

static json_t *prediction_json(const titanic_model *m, const passenger *p, int explain) {
    double probability = model_predict(m, p);
    int survived = probability >= model_threshold(m);
    monitor_record(model_version(m), p, probability, survived);
    json_t *o = json_pack("{s:f, s:b, s:i, s:s, s:o}", "probability", probability, "survived",
                          survived, "model_version", model_version(m), "path", model_path(m, p),
                          "imputed", model_imputed(m, p));
    if (explain)
        json_object_set_new(o, "explanation", model_explain(m, p));
    return o;
}

/* The hot path, one passenger without explanation: the answer is written directly, formatted
 * exactly as jansson would write it, instead of building and dumping a JSON object (a third of
 * the request's cost). */
static enum MHD_Result answer_single(http_request *r, const titanic_model *m, const passenger *p) {
    double probability = model_predict(m, p);
    int survived = probability >= model_threshold(m);
    monitor_record(model_version(m), p, probability, survived);
    char number[40], body[256], imputed[80] = "";
    http_format_real(probability, number, sizeof number);
    json_t *list = model_imputed(m, p); /* a few fixed names: ["title","age","fare","embarked"] */
    for (size_t i = 0, used = 0; i < json_array_size(list); i++)
        used += (size_t)snprintf(imputed + used, sizeof imputed - used, "%s\"%s\"", i ? "," : "",
                                 json_string_value(json_array_get(list, i)));
    json_decref(list);
    int n =
        snprintf(body, sizeof body,
                 "{\"probability\":%s,\"survived\":%s,\"model_version\":%d,\"path\":\"%s\","
                 "\"imputed\":[%s]}",
                 number, survived ? "true" : "false", model_version(m), model_path(m, p), imputed);
    return http_text(r, 200, "application/json", body, (size_t)n);
}

/* ?explain=true|false; answers 400 itself and returns -1 on anything else. */
static int parse_explain(http_request *r, int *explain) {
    static const char *const allowed[] = {"explain", NULL};
    if (http_refuse_unknown_query(r, allowed, "unknown query parameter (only explain)"))
        return -1;
    const char *v = http_query(r, "explain");
    *explain = v && (!strcmp(v, "true") || !strcmp(v, "1"));
    if (v && !*explain && strcmp(v, "false") && strcmp(v, "0")) {
        http_error(r, 400, "explain: expected true or false", "explain");
        return -1;
    }
    return 0;
}

enum MHD_Result route_invalid(http_request *r, const input_error *e) {
    char message[400];
    snprintf(message, sizeof message, "%s%s%s", e->field, e->field[0] ? ": " : "", e->reason);
    return http_error(r, 400, message, e->field[0] ? e->field : NULL);
}

/* A stored passenger's prediction, once the batched lookup (lookup_batch.h) has read it: the
 * model is taken here, when the answer is made. explain was checked before the lookup. */
static enum MHD_Result answer_stored(http_request *r, const lookup_result *found) {
    int explain;
    if (parse_explain(r, &explain) != 0)
        return MHD_YES;
    model_ref *ref = model_holder_acquire();
    if (!ref)
        return route_no_model(r);
    enum MHD_Result rc;
    if (found->found < 0) {
        rc = http_database_error(r, found->unavailable, found->err);
    } else if (!found->found) {
        rc = http_error(r, 404, "no passenger with this passenger_id", "passenger_id");
    } else {
        json_t *o = prediction_json(model_ref_model(ref), &found->row, explain);
        json_object_set_new(o, "passenger_id", json_integer(found->row.id));
        rc = http_json(r, 200, o);
    }
    model_holder_release(ref);
    return rc;
}

static enum MHD_Result predict_batch(http_request *r, const titanic_model *m, json_t *list,
                                     int explain) {
    if (!json_is_array(list))
        return http_error(r, 400, "passengers: expected an array of passenger objects",
                          "passengers");
    size_t n = json_array_size(list);
    if (n == 0 || n > (size_t)http_config.max_batch) {
        char message[128];
        snprintf(message, sizeof message, "passengers: expected 1 to %d passengers, got %zu",
                 http_config.max_batch, n);
        return http_error(r, 400, message, "passengers");
    }
    /* Every passenger is checked before any is scored, so a refused batch leaves no prediction
     * counted in the monitoring. n <= MAX_BATCH bounds the array. */
    passenger *batch = calloc(n, sizeof *batch);
    if (!batch)
        return http_error(r, 500, "out of memory", NULL);
    for (size_t i = 0; i < n; i++) {
        char prefix[48];
        snprintf(prefix, sizeof prefix, "passengers[%zu].", i);
        input_error e;
        if (passenger_from_predict_json(json_array_get(list, i), prefix, &batch[i], &e) != 0) {
            free(batch);
            size_t len = strlen(e.field);
            if (len > 0 && e.field[len - 1] == '.') /* the element itself, not a field */
                e.field[len - 1] = '\0';
            return route_invalid(r, &e);
        }
    }
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(out, prediction_json(m, &batch[i], explain));
    free(batch);
    return http_json(
        r, 200, json_pack("{s:o, s:i}", "predictions", out, "model_version", model_version(m)));
}

static enum MHD_Result predict_body(http_request *r, const titanic_model *m, json_t *body,
                                    int explain) {
    if (json_is_object(body) && json_object_size(body) == 1) {
        json_t *list = json_object_get(body, "passengers");
        if (list)
            return predict_batch(r, m, list, explain);
        json_t *id = json_object_get(body, "passenger_id");
        if (id)
            return json_is_integer(id) && json_integer_value(id) >= 1 &&
                           json_integer_value(id) <= PASSENGER_ID_MAX
                       ? lookup_batch_park(r, (int32_t)json_integer_value(id), answer_stored)
                       : http_error(r, 400, "passenger_id: expected a positive integer",
                                    "passenger_id");
    }
    passenger p;
    input_error e;
    if (passenger_from_predict_json(body, "", &p, &e) != 0)
        return route_invalid(r, &e);
    if (explain)
        return http_json(r, 200, prediction_json(m, &p, explain));
    return answer_single(r, m, &p);
}

enum MHD_Result route_predict(http_request *r) {
    int explain;
    if (parse_explain(r, &explain) != 0)
        return MHD_YES;
    /* The common request, one flat passenger without explanation, is read without a JSON tree;
     * anything else, errors included, is parsed by jansson (which words the errors). */
    passenger p;
    int flat = !explain && passenger_from_predict_text(r->body, r->body_len, &p);
    input_error e;
    json_t *body = flat ? NULL : parse_json_body(r->body, r->body_len, &e);
    if (!flat && !body)
        return route_invalid(r, &e);
    model_ref *ref = model_holder_acquire();
    enum MHD_Result rc = !ref   ? route_no_model(r)
                         : flat ? answer_single(r, model_ref_model(ref), &p)
                                : predict_body(r, model_ref_model(ref), body, explain);
    model_holder_release(ref);
    json_decref(body);
    return rc;
}

enum MHD_Result route_passenger_prediction(http_request *r) {
    const char *id_text = r->target.seg[1];
    int explain;
    if (parse_explain(r, &explain) != 0)
        return MHD_YES;
    char reason[160];
    int32_t id;
    if (passenger_parse_id(id_text, strlen(id_text), &id, reason, sizeof reason) != 0)
        return http_error(r, 400, "passenger id must be a positive integer", "id");
    return lookup_batch_park(r, id, answer_stored);
}
