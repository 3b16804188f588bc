/* Fetching one stored passenger for a route: shared by the passenger, prediction and people
 * routes, and answering the database's errors the one way all routes do. */
#ifndef TITANIC_PASSENGER_FETCH_H
#define TITANIC_PASSENGER_FETCH_H

#include "http.h"
#include "passenger.h"

/* 1 found, 0 not found, -1 after answering the request with an error (503/500). */
int fetch_passenger(http_request *r, int32_t id, passenger *out);

#endif
