/* recctl.h - a device's recording paused and resumed on request (card payments, PCI DSS), on the
 * HTTP endpoint (http.h), for an agent desktop or a payment IVR:
 *
 *   POST /record/pause    device=<device>[&call=<ctitap call id>]
 *   POST /record/resume   the same
 *
 * as query or form (application/x-www-form-urlencoded) arguments. Only to an authenticated
 * client: without http.user the answer is 403 (pausing a compliance recording is not for anyone
 * who reaches the port); a wrong password is the endpoint's 401. Answers are JSON:
 *   200 {"call","device","state":"paused"|"recording","paused_for":[held|request|payment...]}
 *   404 {"error",...} the device has no recording in progress (in that call)
 *   409 {"error",...,"state","paused_for"} already paused on request / not paused on request
 *   400 no device; 403 not authenticated; 503 no capture is running.
 * The pause is the correlator's (ct_calls_pause_device()): a `recording` record with reason
 * request at the pipeline's packet clock, the audio silence or cut as for a hold
 * (record.pause_mode); a retrieve does not end it, and a resume asked during a hold leaves the
 * recording paused for the hold. The handlers run on the pipeline's thread (http.h).
 */
#ifndef CT_RECCTL_H
#define CT_RECCTL_H

#include "http.h"

/* user: the struct ct_monitor the routes share (its pipeline, and the request counters). */
void ct_recctl_pause(void *user, const struct ct_http_req *req, struct ct_http_resp *resp);
void ct_recctl_resume(void *user, const struct ct_http_req *req, struct ct_http_resp *resp);

#endif
