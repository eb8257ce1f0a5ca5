/* calls_audit.c - findings about calls: audit records, and the lines of the call record
 * (calls_int.h; the rules in docs/records.md#audit). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calls_int.h"

void note(struct ct_calls *t, struct ccall *cc, enum ct_audit_kind kind, const char *detail)
{
	if (!cc->audit)
		cc->audit = calloc(CALLS_MAX_AUDIT, sizeof(*cc->audit));
	if (!cc->audit || cc->naudit >= CALLS_MAX_AUDIT) {
		cc->audit_more++;
		return;
	}
	struct ct_call_finding *f = &cc->audit[cc->naudit++];
	f->kind = kind;
	if ((size_t)snprintf(f->detail, sizeof(f->detail), "%s", detail) >= sizeof(f->detail))
		t->ctr->call_details_cut++; /* the audit record has it whole */
}

void finding(struct ct_calls *t, struct ccall *cc, ct_time_t ts, enum ct_audit_kind kind, const char *link,
	     const char *detail)
{
	t->ctr->call_audits++;
	ct_report_audit(t->rep, ts, cc ? cc->id : NULL, kind, link, 0, "%s", detail);
	if (cc)
		note(t, cc, kind, detail);
}

void final_findings(struct ct_calls *t, struct ccall *cc, ct_time_t end, bool answered_call)
{
	char d[512];
	for (unsigned i = 0; i < cc->nlegs; i++) {
		const struct leg *l = cc->legs[i];
		if (!l->sip && !l->cleared && !l->superseded) {
			snprintf(d, sizeof(d), "CSTA call %s on link %s: no clearing event was seen", l->call_id, l->link);
			finding(t, cc, end, CT_AUDIT_MISSING_EVENT, l->link, d);
		}
	}
	/* media: one flow may carry several legs (a B2BUA's direct media), so the call counts */
	unsigned answered_legs = 0, flows = 0;
	for (unsigned i = 0; i < cc->nlegs; i++)
		if (cc->legs[i]->sip) {
			answered_legs += cc->legs[i]->sip->answered_sip;
			flows += cc->legs[i]->sip->rtp_flows;
		}
	if (t->cfg.rtp && answered_legs && !flows) {
		snprintf(d, sizeof(d), "call answered (%u SIP dialogs) but no RTP flowed on any SDP endpoint of it",
			 answered_legs);
		finding(t, cc, end, CT_AUDIT_NO_RTP, NULL, d);
	}
	/* CTI cleared the call while SIP dialogs of it never said goodbye: their BYEs were lost */
	if (has_csta(cc) && !all_ended(cc, true))
		for (unsigned i = 0; i < cc->nlegs; i++) {
			const struct leg *l = cc->legs[i];
			if (l->sip && !l->ended && l->answered) {
				snprintf(d, sizeof(d), "SIP dialog %.120s was answered but no BYE was seen (CTI cleared the call)",
					 l->call_id);
				finding(t, cc, end, CT_AUDIT_MISSING_EVENT, NULL, d);
			}
		}
	if (t->csta_seen && answered_call && has_sip(cc) && !has_csta(cc)) {
		snprintf(d, sizeof(d), "answered SIP call %s never appeared on a CTI link", cc->legs[0]->call_id);
		finding(t, cc, end, CT_AUDIT_ORPHAN_DIALOG, NULL, d);
	}
}


void ct_calls_audit_csta(struct ct_calls *t, const char *link, const char *csta_call_id, ct_time_t ts,
			 enum ct_audit_kind kind, const char *detail)
{
	char key[CALLS_KEY];
	struct ccall *cc = NULL;
	if (!calls_empty(csta_call_id)) {
		mkkey(key, "csta", link, csta_call_id);
		leg_of(t, key, &cc);
	}
	finding(t, cc, ts, kind, link, detail);
}

unsigned ct_calls_link_blind(struct ct_calls *t, const char *link, ct_time_t from, ct_time_t to, const char *why)
{
	unsigned n = 0;
	for (struct ccall *cc = t->head.next; cc != &t->head; cc = cc->next) {
		bool on_link = false;
		for (unsigned i = 0; i < cc->nlegs; i++)
			if (!cc->legs[i]->sip && strcmp(cc->legs[i]->link, link) == 0 &&
			    (!cc->legs[i]->ended || cc->legs[i]->superseded))
				on_link = true;
		if (!on_link)
			continue;
		char d[512];
		snprintf(d, sizeof(d), "CTI link blind for %" PRIu64 " ms (%s) while this call was up",
			 (uint64_t)((to - from) / 1000u), why);
		note(t, cc, CT_AUDIT_CTI_BLIND, d); /* the link's own audit record counts the calls */
		n++;
	}
	return n;
}

