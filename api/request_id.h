/* Request ids: one id follows a request from the load balancer through every log line about it
 * and into its error body. Taken from X-Request-Id, else from the ALB's X-Amzn-Trace-Id, when it
 * is short and made of safe characters (it is echoed into headers, JSON and logs); otherwise
 * made here. Every answer carries it back as X-Request-Id. */
#ifndef TITANIC_REQUEST_ID_H
#define TITANIC_REQUEST_ID_H

#include <microhttpd.h>

#define REQUEST_ID_MAX 128

/* Fills out (REQUEST_ID_MAX + 1 bytes) with the id for the request on c. */
void request_id_for(struct MHD_Connection *c, char *out);

#endif
