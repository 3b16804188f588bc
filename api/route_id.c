/* Route template names. See route_id.h. */
#include "route_id.h"

#define ROUTE_NAME(id, template) template,
const char *const route_names[ROUTE_COUNT] = {ROUTE_LIST(ROUTE_NAME)};
