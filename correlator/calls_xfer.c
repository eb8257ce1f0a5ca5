/* calls_xfer.c - transfers, diversions and conferences of a call: one transfer entry per
 * transfer however many signals report it (CTI's kind, the earliest completion evidence), the
 * devices a conference holds. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../util/id.h"
#include "../util/log.h"
#include "calls_int.h"
#include "numbers.h"

void transfer_asked(struct ct_calls *t, struct ccall *cc, const char *device, ct_time_t ts)
{
	if (calls_empty(device))
		return;
	str_set(t, &cc->xfer_dev, device);
	cc->xfer_ts = ts;
	cc->xfer_left = 0;
}

static bool cti_kind(enum ct_xfer_kind k)
{
	return k == CT_XFER_SINGLE_STEP || k == CT_XFER_CONSULTATION;
}

static bool near(const struct ct_calls *t, ct_time_t a, ct_time_t b)
{
	return (a > b ? a - b : b - a) <= t->cfg.window;
}

void transfer_seen(struct ct_calls *t, struct ccall *cc, const char *from, const char *to, enum ct_xfer_kind kind,
		   ct_time_t ts, bool weak)
{
	from = device_of(t, from);
	to = device_of(t, to);
	if (cc->xfer_left && !strcmp(device_of(t, cc->xfer_dev), from) && near(t, cc->xfer_left, ts) &&
	    (weak || cc->xfer_left < ts)) {
		ts = cc->xfer_left; /* the transferring device left first */
		weak = false;
	}
	for (unsigned i = 0; i < cc->nxfers; i++) {
		struct ct_call_transfer *x = &cc->xfers[i];
		bool xweak = cc->xfer_weak & (1u << i);
		if (strcmp(x->from, from) || strcmp(x->to, to) || !near(t, x->ts, ts))
			continue;
		/* the same transfer: CTI says what kind it was; its time, the earliest evidence */
		if (cti_kind(kind) && !cti_kind(x->kind))
			x->kind = kind;
		if (xweak && !weak) {
			x->ts = ts;
			cc->xfer_weak &= (uint8_t)~(1u << i);
		} else if (!weak && ts < x->ts) {
			x->ts = ts;
		}
		return;
	}
	if (add_xfer(&cc->xfers, &cc->nxfers, from, to, kind, ts) && weak)
		cc->xfer_weak |= (uint8_t)(1u << (cc->nxfers - 1));
}

void transfer_done(struct ct_calls *t, struct ccall *cc, const char *from, ct_time_t ts)
{
	from = device_of(t, from);
	if (!strcmp(device_of(t, cc->xfer_dev), from))
		calls_min_time(&cc->xfer_left, ts);
	for (unsigned i = 0; i < cc->nxfers; i++) {
		struct ct_call_transfer *x = &cc->xfers[i];
		if (strcmp(x->from, from) || !near(t, x->ts, ts))
			continue;
		if (cc->xfer_weak & (1u << i) || ts < x->ts)
			x->ts = ts;
		cc->xfer_weak &= (uint8_t)~(1u << i);
	}
}

/* A new entry of *list (allocated at the first, at the cap), NULL when full. */
struct ct_call_transfer *xfer_new(struct ct_call_transfer **list, uint8_t *n)
{
	if (*n >= CALLS_MAX_XFER || (!*list && !(*list = calloc(CALLS_MAX_XFER, sizeof(**list)))))
		return NULL;
	return &(*list)[(*n)++];
}

bool add_xfer(struct ct_call_transfer **list, uint8_t *n, const char *from, const char *to, enum ct_xfer_kind kind,
	      ct_time_t ts)
{
	struct ct_call_transfer *x = xfer_new(list, n);
	if (!x)
		return false;
	snprintf(x->from, sizeof(x->from), "%s", from ? from : "");
	snprintf(x->to, sizeof(x->to), "%s", to ? to : "");
	x->kind = kind;
	x->ts = ts;
	return true;
}

/* A conference device added to the list as it is (conf_add() checks it). */
void conf_put(struct ct_calls *t, struct ccall *cc, const char *device)
{
	if (cc->nconf >= CALLS_MAX_PARTIES || (!cc->conf && !(cc->conf = calloc(CALLS_MAX_PARTIES, sizeof(cc->conf[0])))))
		return;
	cc->conf[cc->nconf] = ct_intern_empty;
	str_set(t, &cc->conf[cc->nconf++], device);
}

void conf_add(struct ct_calls *t, struct ccall *cc, const char *device)
{
	if (calls_empty(device) || cc->nconf >= CALLS_MAX_PARTIES)
		return;
	for (unsigned i = 0; i < cc->nconf; i++)
		if (strcmp(cc->conf[i], device) == 0)
			return;
	conf_put(t, cc, device);
}
