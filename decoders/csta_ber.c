/* csta_ber.c - CSTA over BER: ACSE (X.227) and ROSE (X.880) envelopes carrying ECMA-285
 * (Phase III) or ECMA-217/218 (Phase II, as Alcatel OXE sends it) arguments, into the
 * normalised struct ct_csta_msg.
 *
 * The PDU is first walked with a bounds-checked cursor (one definite-length TLV of exactly the
 * given size, nesting capped), so asn1c only sees well-formed BER; then asn1c decodes the
 * envelope (asn/CSTA-ROSE.asn1, asn/CSTA-ACSE.asn1) and the argument as the operation code
 * says (asn/CSTA-Phase3.asn1, asn/CSTA-Phase2.asn1). asn1c returns RC_OK on input it only
 * partly understood, so every decode must also consume its whole buffer. The decoded tree is
 * read generically through asn1c's member descriptors: a member's ASN.1 identifier and type
 * decide which field of the message it fills, so one walker serves every event and service of
 * both phases.
 */
#include <stdio.h>
#include <string.h>

#include "decoders/csta_ber.h"
#include "decoders/csta_names.h"
#include "util/cursor.h"

#include "ACSE-APDU.h"
#include "ACSE-CSTAUserInformation.h"
#include "ACSE-External.h"
#include "ROSE-PDU.h"
#include "ROSE-UniversalFailure.h"
/* Phase III */
#include "AlternateCallArgument.h"
#include "AnswerCallArgument.h"
#include "AssociatedCalledDeviceID.h"
#include "AssociatedCallingDeviceID.h"
#include "CSTACommonArguments.h"
#include "CSTAEventReportArgument.h"
#include "CSTAObject.h"
#include "CallLinkageData.h"
#include "CallLinkageDataList.h"
#include "CalledDeviceID.h"
#include "CallingDeviceID.h"
#include "ClearCallArgument.h"
#include "ClearConnectionArgument.h"
#include "ConferenceCallArgument.h"
#include "ConferenceCallResult.h"
#include "ConnectionID.h"
#include "ConnectionList.h"
#include "ConnectionListEntry.h"
#include "ConsultationCallArgument.h"
#include "ConsultationCallResult.h"
#include "DeflectCallArgument.h"
#include "DeviceID.h"
#include "EventCause.h"
#include "ExtendedDeviceID.h"
#include "HoldCallArgument.h"
#include "LocalConnectionState.h"
#include "MakeCallArgument.h"
#include "MakeCallResult.h"
#include "MonitorCrossRefID.h"
#include "MonitorStartArgument.h"
#include "MonitorStartResult.h"
#include "MonitorStopArgument.h"
#include "NetworkCalledDeviceID.h"
#include "NetworkCallingDeviceID.h"
#include "RedirectionDeviceID.h"
#include "RetrieveCallArgument.h"
#include "RouteCrossRefArgument.h"
#include "RouteRegisterArgument.h"
#include "RouteRegisterResult.h"
#include "RouteRequestArgument.h"
#include "RouteSelectArgument.h"
#include "RouteUsedArgument.h"
#include "RouteingCrossRefID.h"
#include "SetAgentStateArgument.h"
#include "SetAgentStateResult.h"
#include "SingleStepTransferCallArgument.h"
#include "SingleStepTransferCallResult.h"
#include "SnapshotCallArgument.h"
#include "SnapshotDeviceArgument.h"
#include "SubjectDeviceID.h"
#include "SystemStatusArgument.h"
#include "TransferCallArgument.h"
#include "TransferCallResult.h"
#include "UserData.h"
/* Phase II */
#include "P2-CSTAEventReportArgument.h"
#include "P2-CSTAObject.h"
#include "P2-CalledDeviceID.h"
#include "P2-CallingDeviceID.h"
#include "P2-CommonArguments.h"
#include "P2-ConnectionArgument.h"
#include "P2-ConnectionID.h"
#include "P2-DeviceID.h"
#include "P2-MakeCallArgument.h"
#include "P2-MonitorStartArgument.h"
#include "P2-MonitorStartResult.h"
#include "P2-MonitorStopArgument.h"
#include "P2-RedirectionDeviceID.h"
#include "P2-SnapshotDeviceArgument.h"
#include "P2-SubjectDeviceID.h"

#define OP_EVENT_REPORT 21

/* One operation: its code, snake_case name, and the module types of its argument and result
 * (NULL: not decoded beyond the envelope). Codes from ECMA-285 (the operation objects of the
 * modules) and, for Phase II, ECMA-218 as the OXE frames use it (systemStatus = 52). */
struct csta_op {
	int code;
	const char *name;
	asn_TYPE_descriptor_t *arg;
	asn_TYPE_descriptor_t *res;
};

static const struct csta_op ops_p3[] = {
	{ 1, "alternate_call", &asn_DEF_AlternateCallArgument, NULL },
	{ 2, "answer_call", &asn_DEF_AnswerCallArgument, NULL },
	{ 4, "clear_call", &asn_DEF_ClearCallArgument, NULL },
	{ 5, "clear_connection", &asn_DEF_ClearConnectionArgument, NULL },
	{ 6, "conference_call", &asn_DEF_ConferenceCallArgument, &asn_DEF_ConferenceCallResult },
	{ 7, "consultation_call", &asn_DEF_ConsultationCallArgument, &asn_DEF_ConsultationCallResult },
	{ 9, "hold_call", &asn_DEF_HoldCallArgument, NULL },
	{ 10, "make_call", &asn_DEF_MakeCallArgument, &asn_DEF_MakeCallResult },
	{ 14, "retrieve_call", &asn_DEF_RetrieveCallArgument, NULL },
	{ 16, "transfer_call", &asn_DEF_TransferCallArgument, &asn_DEF_TransferCallResult },
	{ 21, "event_report", &asn_DEF_CSTAEventReportArgument, NULL },
	{ 31, "route_request", &asn_DEF_RouteRequestArgument, NULL },
	{ 32, "re_route", &asn_DEF_RouteCrossRefArgument, NULL },
	{ 33, "route_select", &asn_DEF_RouteSelectArgument, NULL },
	{ 34, "route_used", &asn_DEF_RouteUsedArgument, NULL },
	{ 35, "route_end", &asn_DEF_RouteCrossRefArgument, NULL },
	{ 50, "single_step_transfer_call", &asn_DEF_SingleStepTransferCallArgument,
	  &asn_DEF_SingleStepTransferCallResult },
	{ 51, "escape", NULL, NULL },
	{ 71, "monitor_start", &asn_DEF_MonitorStartArgument, &asn_DEF_MonitorStartResult },
	{ 72, "change_monitor_filter", NULL, NULL },
	{ 73, "monitor_stop", &asn_DEF_MonitorStopArgument, NULL },
	{ 74, "snapshot_device", &asn_DEF_SnapshotDeviceArgument, NULL },
	{ 75, "snapshot_call", &asn_DEF_SnapshotCallArgument, NULL },
	{ 211, "system_status", &asn_DEF_SystemStatusArgument, NULL },
	{ 218, "deflect_call", &asn_DEF_DeflectCallArgument, NULL },
	{ 248, "route_register", &asn_DEF_RouteRegisterArgument, &asn_DEF_RouteRegisterResult },
	{ 312, "set_agent_state", &asn_DEF_SetAgentStateArgument, &asn_DEF_SetAgentStateResult },
};

static const struct csta_op ops_p2[] = {
	{ 1, "alternate_call", NULL, NULL },
	{ 2, "answer_call", &asn_DEF_P2_ConnectionArgument, NULL },
	{ 4, "clear_call", &asn_DEF_P2_ConnectionArgument, NULL },
	{ 5, "clear_connection", &asn_DEF_P2_ConnectionArgument, NULL },
	{ 6, "conference_call", NULL, NULL },
	{ 7, "consultation_call", NULL, NULL },
	{ 9, "hold_call", &asn_DEF_P2_ConnectionArgument, NULL },
	{ 10, "make_call", &asn_DEF_P2_MakeCallArgument, NULL },
	{ 14, "retrieve_call", &asn_DEF_P2_ConnectionArgument, NULL },
	{ 16, "transfer_call", NULL, NULL },
	{ 21, "event_report", &asn_DEF_P2_CSTAEventReportArgument, NULL },
	{ 31, "route_request", NULL, NULL },
	{ 32, "re_route", NULL, NULL },
	{ 33, "route_select", NULL, NULL },
	{ 34, "route_used", NULL, NULL },
	{ 35, "route_end", NULL, NULL },
	{ 51, "escape", NULL, NULL },
	{ 52, "system_status", NULL, NULL },
	{ 71, "monitor_start", &asn_DEF_P2_MonitorStartArgument, &asn_DEF_P2_MonitorStartResult },
	{ 72, "change_monitor_filter", NULL, NULL },
	{ 73, "monitor_stop", &asn_DEF_P2_MonitorStopArgument, NULL },
	{ 74, "snapshot_device", &asn_DEF_P2_SnapshotDeviceArgument, NULL },
	{ 75, "snapshot_call", NULL, NULL },
};

static const struct csta_op *op_find(const struct csta_op *t, size_t n, long code)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].code == code)
			return &t[i];
	return NULL;
}

/* ---- BER well-formedness: one definite-length TLV of exactly len bytes ---------------------- */

/* Walks the TLVs of c up to its end; constructed values recursively (depth capped). */
static bool ber_walk(struct ct_cur *c, int depth)
{
	if (depth > CT_CSTA_BER_MAX_DEPTH)
		return false;
	while (ct_cur_avail(c) > 0) {
		uint8_t id = ct_cur_u8(c);
		if ((id & 0x1f) == 0x1f) { /* high tag number: base-128, at most 4 bytes */
			int k = 0;
			uint8_t b;
			do {
				b = ct_cur_u8(c);
				if (c->err || ++k > 4)
					return false;
			} while (b & 0x80);
		}
		uint8_t l0 = ct_cur_u8(c);
		if (c->err)
			return false;
		size_t vlen;
		if (l0 < 0x80) {
			vlen = l0;
		} else {
			size_t nb = l0 & 0x7f;
			if (nb == 0 || nb > 3) /* indefinite length, or absurdly long: refused */
				return false;
			vlen = 0;
			for (size_t i = 0; i < nb; i++)
				vlen = (vlen << 8) | ct_cur_u8(c);
			if (c->err)
				return false;
		}
		const uint8_t *v = ct_cur_take(c, vlen);
		if (!v)
			return false;
		if (id & 0x20) {
			struct ct_cur in = ct_cur_make(v, vlen);
			if (!ber_walk(&in, depth + 1))
				return false;
		}
	}
	return c->err == 0;
}

static bool ber_one_tlv(const uint8_t *p, size_t len)
{
	if (len < 2)
		return false;
	struct ct_cur c = ct_cur_make(p, len);
	uint8_t id = ct_cur_u8(&c);
	if ((id & 0x1f) == 0x1f || !(id & 0x20))
		return false;
	uint8_t l0 = ct_cur_u8(&c);
	size_t vlen = l0;
	if (l0 >= 0x80) {
		size_t nb = l0 & 0x7f;
		if (nb == 0 || nb > 3)
			return false;
		vlen = 0;
		for (size_t i = 0; i < nb; i++)
			vlen = (vlen << 8) | ct_cur_u8(&c);
	}
	if (c.err || ct_cur_avail(&c) != vlen)
		return false;
	struct ct_cur in = ct_cur_rest(&c);
	return ber_walk(&in, 1);
}

/* ---- asn1c calls -------------------------------------------------------------------------- */

/* Decodes buf as td into *sptr (freed by the caller, also on failure); true only when the
 * decode succeeded and consumed every byte. */
static bool asn_dec(asn_TYPE_descriptor_t *td, void **sptr, const void *buf, size_t len)
{
	asn_codec_ctx_t ctx = { .max_stack_size = CT_CSTA_BER_STACK };
	asn_dec_rval_t rv = ber_decode(&ctx, td, sptr, buf, len);
	return rv.code == RC_OK && rv.consumed == len;
}

static void asn_free(asn_TYPE_descriptor_t *td, void *sptr)
{
	if (sptr)
		ASN_STRUCT_FREE(*td, sptr);
}

/* ---- text helpers ------------------------------------------------------------------------- */

#define SET(m, f, s, l) ct_csta_set((m), (m)->f, sizeof (m)->f, (s), (l))
#define SETZ(m, f, s) ct_csta_set((m), (m)->f, sizeof (m)->f, (s), strlen(s))
#define SETHEX(m, f, os) ct_csta_set_hex((m), (m)->f, sizeof (m)->f, (os)->buf, (size_t)(os)->size)

/* camelCase ASN.1 identifier -> snake_case ("connectionCleared" -> "connection_cleared",
 * "aCDBusy" -> "acd_busy", "callerIDStatus" -> "caller_id_status"). */
static void snake(char *dst, size_t cap, const char *id)
{
	size_t o = 0, n = strlen(id);
	for (size_t i = 0; i < n && o + 2 < cap; i++) {
		char ch = id[i];
		bool up = ch >= 'A' && ch <= 'Z';
		if (up && i > 1) {
			bool prev_low = id[i - 1] >= 'a' && id[i - 1] <= 'z';
			bool prev_up = id[i - 1] >= 'A' && id[i - 1] <= 'Z';
			bool next_low = i + 1 < n && id[i + 1] >= 'a' && id[i + 1] <= 'z';
			if (prev_low || (prev_up && next_low))
				dst[o++] = '_';
		}
		dst[o++] = up ? (char)(ch - 'A' + 'a') : (ch == '-' ? '_' : ch);
	}
	dst[o] = '\0';
}

static void set_snake(struct ct_csta_msg *m, char *dst, size_t cap, const char *id)
{
	char tmp[64];
	snake(tmp, sizeof tmp, id);
	ct_csta_set(m, dst, cap, tmp, strlen(tmp));
}

/* Name of an ENUMERATED value through the type's own map, or its number. */
static void set_enum(struct ct_csta_msg *m, char *dst, size_t cap, asn_TYPE_descriptor_t *td,
		     long v)
{
	const asn_INTEGER_specifics_t *sp = td->specifics;
	const asn_INTEGER_enum_map_t *e = sp ? INTEGER_map_value2enum((asn_INTEGER_specifics_t *)sp, v)
					     : NULL;
	if (e) {
		set_snake(m, dst, cap, e->enum_name);
	} else {
		char num[24];
		int k = snprintf(num, sizeof num, "%ld", v);
		ct_csta_set(m, dst, cap, num, (size_t)k);
	}
}

/* ---- generic walk of the decoded tree ------------------------------------------------------ */

static void *memb_ptr(const asn_TYPE_member_t *e, const void *sptr)
{
	void *p = (char *)sptr + e->memb_offset;
	return (e->flags & ATF_POINTER) ? *(void **)p : p;
}

/* The present alternative of a CHOICE, or NULL (nothing present / skipped extension). */
static const asn_TYPE_member_t *choice_sel(asn_TYPE_descriptor_t *td, const void *sptr,
					   void **alt)
{
	const asn_CHOICE_specifics_t *sp = td->specifics;
	const char *pp = (const char *)sptr + sp->pres_offset;
	int present;
	switch (sp->pres_size) {
	case sizeof(int): present = *(const int *)(const void *)pp; break;
	case sizeof(short): present = *(const short *)(const void *)pp; break;
	default: present = *(const signed char *)pp; break;
	}
	if (present <= 0 || present > td->elements_count)
		return NULL;
	const asn_TYPE_member_t *e = &td->elements[present - 1];
	*alt = memb_ptr(e, sptr);
	return *alt ? e : NULL;
}

static bool is_td(const asn_TYPE_descriptor_t *td, asn_TYPE_descriptor_t *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (td == list[i])
			return true;
	return false;
}

static asn_TYPE_descriptor_t *const extdev_p3[] = {
	&asn_DEF_ExtDevice, &asn_DEF_ExtendedDeviceID, &asn_DEF_CallingDeviceID,
	&asn_DEF_CalledDeviceID, &asn_DEF_SubjectDeviceID, &asn_DEF_AssociatedCallingDeviceID,
	&asn_DEF_AssociatedCalledDeviceID, &asn_DEF_NetworkCallingDeviceID,
	&asn_DEF_NetworkCalledDeviceID,
};
static asn_TYPE_descriptor_t *const extdev_p2[] = {
	&asn_DEF_P2_ExtDevice, &asn_DEF_P2_CallingDeviceID, &asn_DEF_P2_CalledDeviceID,
	&asn_DEF_P2_SubjectDeviceID, &asn_DEF_P2_RedirectionDeviceID,
};

/* Text of a device-identifier CHOICE alternative: number strings as they are, deviceNumber
 * as decimal, explicit TON forms through their inner string; NULL alternatives (notKnown,
 * restricted, ...) give "". */
static void dev_choice_text(struct ct_csta_msg *m, char *dst, size_t cap,
			    asn_TYPE_descriptor_t *td, const void *sptr)
{
	void *alt = NULL;
	const asn_TYPE_member_t *e = choice_sel(td, sptr, &alt);
	if (!e)
		return;
	if (e->type == &asn_DEF_NativeInteger) {
		char num[24];
		int k = snprintf(num, sizeof num, "%ld", *(const long *)alt);
		ct_csta_set(m, dst, cap, num, (size_t)k);
	} else if (e->type == &asn_DEF_IA5String || e->type == &asn_DEF_OCTET_STRING) {
		const OCTET_STRING_t *os = alt;
		ct_csta_set(m, dst, cap, (const char *)os->buf, (size_t)os->size);
	} else if (e->type == &asn_DEF_TON) {
		dev_choice_text(m, dst, cap, &asn_DEF_TON, alt);
	} else if (e->type == &asn_DEF_DeviceID) {
		const DeviceID_t *d = alt;
		dev_choice_text(m, dst, cap, e->type->elements[0].type, &d->deviceIdentifier);
	} else if (e->type == &asn_DEF_P2_DeviceID) {
		dev_choice_text(m, dst, cap, &asn_DEF_P2_DeviceID, alt);
	}
}

/* Writes any device-identifier type the modules have into dst. */
static bool device_text(struct ct_csta_msg *m, char *dst, size_t cap, asn_TYPE_descriptor_t *td,
			const void *sptr)
{
	if (td == &asn_DEF_DeviceID) {
		const DeviceID_t *d = sptr;
		dev_choice_text(m, dst, cap, td->elements[0].type, &d->deviceIdentifier);
	} else if (is_td(td, extdev_p3, CT_ARRAY_SIZE(extdev_p3))) {
		dev_choice_text(m, dst, cap, &asn_DEF_ExtDevice, sptr);
	} else if (td == &asn_DEF_RedirectionDeviceID) {
		dev_choice_text(m, dst, cap, &asn_DEF_RedirectionDeviceID, sptr);
	} else if (is_td(td, extdev_p2, CT_ARRAY_SIZE(extdev_p2))) {
		dev_choice_text(m, dst, cap, &asn_DEF_P2_ExtDevice, sptr);
	} else if (td == &asn_DEF_P2_DeviceID) {
		dev_choice_text(m, dst, cap, td, sptr);
	} else {
		return false;
	}
	return true;
}

static void conn_p3(struct ct_csta_msg *m, struct ct_csta_conn *c, const ConnectionID_t *id)
{
	const OCTET_STRING_t *call = NULL;
	const LocalDeviceID_t *dev = NULL;
	switch (id->present) {
	case ConnectionID_PR_callID: call = &id->choice.callID; break;
	case ConnectionID_PR_deviceID: dev = &id->choice.deviceID; break;
	case ConnectionID_PR_both:
		call = &id->choice.both.callID;
		dev = &id->choice.both.deviceID;
		break;
	default: break;
	}
	if (call)
		ct_csta_set_hex(m, c->call_id, sizeof c->call_id, call->buf, (size_t)call->size);
	if (dev && dev->present == LocalDeviceID_PR_staticID)
		device_text(m, c->device, sizeof c->device, &asn_DEF_DeviceID, &dev->choice.staticID);
	else if (dev && dev->present == LocalDeviceID_PR_dynamicID)
		ct_csta_set_hex(m, c->device, sizeof c->device, dev->choice.dynamicID.buf,
				(size_t)dev->choice.dynamicID.size);
}

static void conn_p2(struct ct_csta_msg *m, struct ct_csta_conn *c, const P2_ConnectionID_t *id)
{
	if (id->call)
		ct_csta_set_hex(m, c->call_id, sizeof c->call_id, id->call->buf, (size_t)id->call->size);
	const P2_LocalDeviceID_t *dev = id->device;
	if (dev && dev->present == P2_LocalDeviceID_PR_staticID)
		device_text(m, c->device, sizeof c->device, &asn_DEF_P2_DeviceID, &dev->choice.staticID);
	else if (dev && dev->present == P2_LocalDeviceID_PR_dynamicID)
		ct_csta_set_hex(m, c->device, sizeof c->device, dev->choice.dynamicID.buf,
				(size_t)dev->choice.dynamicID.size);
}

static bool name_in(const char *n, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(n, *list) == 0)
			return true;
	return false;
}

static const char *const names_called[] = { "calledDevice", "calledDirectoryNumber",
	"currentRoute", "routeSelected", "routeUsed", "consultedDevice", NULL };
static const char *const names_other[] = { "lastRedirectionDevice", "transferredToDevice",
	"transferredDevice", "addedParty", "newDestination", "transferredTo", NULL };
static const char *const names_skip[] = { "networkCallingDevice", "networkCalledDevice",
	"associatedCallingDevice", "associatedCalledDevice", "acdGroup", "originatingDevice",
	"dialingSequence", NULL };

static void take_linkage(struct ct_csta_msg *m, const CallLinkageData_t *l)
{
	const OCTET_STRING_t *id = l->globalCallData.globalCallLinkageID.present ==
						   LinkageID_PR_subDomain
					   ? &l->globalCallData.globalCallLinkageID.choice.subDomain
					   : &l->globalCallData.globalCallLinkageID.choice.globallyUnique;
	if (!m->global_call_id[0] && l->globalCallData.globalCallLinkageID.present != LinkageID_PR_NOTHING)
		SETHEX(m, global_call_id, id);
}

/* Fills m from the members of one decoded SEQUENCE (an event, an argument or a result). */
static void walk_seq(struct ct_csta_msg *m, asn_TYPE_descriptor_t *td, const void *sptr)
{
	for (int i = 0; i < td->elements_count; i++) {
		const asn_TYPE_member_t *e = &td->elements[i];
		const void *p = memb_ptr(e, sptr);
		const char *n = e->name;
		asn_TYPE_descriptor_t *t = e->type;
		if (!p)
			continue;
		if (t == &asn_DEF_ConnectionID || t == &asn_DEF_P2_ConnectionID) {
			struct ct_csta_conn *c = (strcmp(n, "secondaryOldCall") == 0 ||
						  m->conn.call_id[0] || m->conn.device[0])
							 ? &m->conn2
							 : &m->conn;
			if (t == &asn_DEF_ConnectionID)
				conn_p3(m, c, p);
			else
				conn_p2(m, c, p);
		} else if (t == &asn_DEF_MonitorCrossRefID || t == &asn_DEF_RouteingCrossRefID) {
			SETHEX(m, xref, (const OCTET_STRING_t *)p);
		} else if (t == &asn_DEF_LocalConnectionState) {
			set_enum(m, m->local_state, sizeof m->local_state, t, *(const long *)p);
		} else if (t == &asn_DEF_EventCause) {
			set_enum(m, m->cause, sizeof m->cause, t, *(const long *)p);
			if (strcmp(m->name, "agent_not_ready") == 0)
				SETZ(m, reason, m->cause);
		} else if (t == &asn_DEF_UserData) {
			SETHEX(m, user_data, (const OCTET_STRING_t *)p);
		} else if (t == &asn_DEF_CallLinkageData) {
			take_linkage(m, p);
		} else if (t == &asn_DEF_ConnectionList) {
			/* transferredConnections / conferenceConnections: the resulting call is the
			 * callID of the first newConnection (like XML's newConnection) */
			const ConnectionList_t *cl = p;
			for (int k = 0; k < cl->list.count && !m->new_call_id[0]; k++) {
				const ConnectionListEntry_t *ent = cl->list.array[k];
				if (ent && ent->newConnection) {
					struct ct_csta_conn nc;
					memset(&nc, 0, sizeof nc);
					conn_p3(m, &nc, ent->newConnection);
					memcpy(m->new_call_id, nc.call_id, sizeof m->new_call_id);
					if (!m->conn2.call_id[0] && !m->conn2.device[0])
						m->conn2 = nc;
				}
			}
		} else if (t == &asn_DEF_CallLinkageDataList) {
			take_linkage(m, &((const CallLinkageDataList_t *)p)->newCallLinkageData);
		} else if (t == &asn_DEF_CSTACommonArguments) {
			const CSTACommonArguments_t *x = p;
			if (x->privateData)
				m->private_data = true;
		} else if (t == &asn_DEF_P2_CommonArguments) {
			const P2_CommonArguments_t *x = p;
			if (x->privateData)
				m->private_data = true;
		} else if (t == &asn_DEF_CSTAObject || t == &asn_DEF_P2_CSTAObject) {
			void *alt = NULL;
			const asn_TYPE_member_t *a = choice_sel(t, p, &alt);
			if (a && (a->type == &asn_DEF_ConnectionID))
				conn_p3(m, &m->conn, alt);
			else if (a && a->type == &asn_DEF_P2_ConnectionID)
				conn_p2(m, &m->conn, alt);
			else if (a)
				device_text(m, m->monitor_device, sizeof m->monitor_device, a->type, alt);
			if (strcmp(n, "monitorObject") != 0 && a)
				SETZ(m, subject, m->monitor_device);
		} else if (strcmp(n, "correlatorData") == 0 && t == &asn_DEF_OCTET_STRING) {
			SETHEX(m, correlator, (const OCTET_STRING_t *)p);
		} else if (strcmp(n, "agentID") == 0) {
			const OCTET_STRING_t *os = p;
			SET(m, agent_id, (const char *)os->buf, (size_t)os->size);
		} else if (strcmp(n, "routeRegisterReqID") == 0) {
			if (!m->xref[0])
				SETHEX(m, xref, (const OCTET_STRING_t *)p);
		} else if (strcmp(n, "systemStatus") == 0) {
			set_enum(m, m->system_status, sizeof m->system_status, t, *(const long *)p);
		} else if (strcmp(n, "requestedAgentState") == 0 || strcmp(n, "pendingAgentState") == 0) {
			if (!m->agent_state[0])
				set_enum(m, m->agent_state, sizeof m->agent_state, t, *(const long *)p);
		} else if (name_in(n, names_skip)) {
			continue;
		} else if (strcmp(n, "callingDevice") == 0) {
			device_text(m, m->calling, sizeof m->calling, t, p);
		} else if (name_in(n, names_called)) {
			device_text(m, m->called, sizeof m->called, t, p);
		} else if (name_in(n, names_other)) {
			device_text(m, m->other, sizeof m->other, t, p);
		} else if (!m->subject[0]) {
			device_text(m, m->subject, sizeof m->subject, t, p);
		}
	}
}

/* Walks whatever an argument or result decoded as: a SEQUENCE, or a bare CHOICE (Phase II
 * SnapshotDevice: a device id). */
static void walk_any(struct ct_csta_msg *m, asn_TYPE_descriptor_t *td, const void *sptr)
{
	if (td == &asn_DEF_P2_SnapshotDeviceArgument)
		device_text(m, m->subject, sizeof m->subject, &asn_DEF_P2_DeviceID, sptr);
	else
		walk_seq(m, td, sptr);
}

/* ---- event reports ------------------------------------------------------------------------ */

/* Fills m from a decoded event report (either phase). Returns false when the event itself was
 * skipped (unknown alternative inside a known category). */
static bool event_fill(struct ct_csta_msg *m, asn_TYPE_descriptor_t *td, const void *arg)
{
	walk_seq(m, td, arg); /* crossRefIdentifier, extensions */
	const asn_TYPE_member_t *info = &td->elements[1];
	void *cat = NULL, *ev = NULL;
	const asn_TYPE_member_t *c = choice_sel(info->type, memb_ptr(info, arg), &cat);
	if (!c)
		return false;
	char tmp[48];
	snake(tmp, sizeof tmp, c->name); /* "call_control_events" -> "call_control" */
	size_t l = strlen(tmp);
	if (l > 7 && strcmp(tmp + l - 7, "_events") == 0)
		tmp[l - 7] = '\0';
	static const struct { const char *from, *to; } cats[] = {
		{ "physical_device_feature", "physical_device" },
		{ "logical_device_feature", "logical_device" },
		{ "vendor_spec", "private" },
	};
	const char *cname = tmp;
	for (size_t i = 0; i < CT_ARRAY_SIZE(cats); i++)
		if (strcmp(tmp, cats[i].from) == 0)
			cname = cats[i].to;
	SETZ(m, category, cname);
	const asn_TYPE_member_t *e = choice_sel(c->type, cat, &ev);
	if (!e || e->type == &asn_DEF_NULL)
		return false;
	set_snake(m, m->name, sizeof m->name, e->name);
	if (strcmp(m->name, "digits_generated_event") == 0 ||
	    strcmp(m->name, "telephony_tones_generated_event") == 0)
		m->name[strlen(m->name) - 6] = '\0';
	if (strncmp(m->name, "agent_", 6) == 0)
		SETZ(m, agent_state, m->name + 6);
	if (strcmp(c->name, "vendorSpecEvents") == 0)
		m->private_data = true;
	if (e->type->elements_count > 0 && e->type != &asn_DEF_Opaque)
		walk_seq(m, e->type, ev);
	return true;
}

/* ---- ACSE --------------------------------------------------------------------------------- */

static void acse_user_info(struct ct_csta_msg *m, const ACSE_AssociationInformation_t *ai)
{
	if (!ai)
		return;
	for (int i = 0; i < ai->list.count; i++) {
		const ACSE_External_t *x = ai->list.array[i];
		if (!x || x->encoding.present != ACSE_External__encoding_PR_single_ASN1_type)
			continue;
		const ANY_t *a = &x->encoding.choice.single_ASN1_type;
		ACSE_CSTAUserInformation_t *ui = NULL;
		if (asn_dec(&asn_DEF_ACSE_CSTAUserInformation, (void **)&ui, a->buf, (size_t)a->size)) {
			const BIT_STRING_t *v = ui->present == ACSE_CSTAUserInformation_PR_oldDefinition
							? &ui->choice.oldDefinition.cSTAVersion
							: &ui->choice.newDefinition.cSTAVersion;
			uint32_t bits = 0;
			size_t nbits = (size_t)v->size * 8;
			if (v->bits_unused >= 0 && v->bits_unused < 8 && nbits >= (size_t)v->bits_unused)
				nbits -= (size_t)v->bits_unused;
			for (size_t b = 0; b < nbits && b < 32; b++)
				if (v->buf[b / 8] & (0x80u >> (b % 8)))
					bits |= 1u << b;
			m->csta_version = bits;
		}
		asn_free(&asn_DEF_ACSE_CSTAUserInformation, ui);
	}
}

static int acse_decode(const uint8_t *pdu, size_t len, struct ct_csta_msg *m)
{
	ACSE_APDU_t *a = NULL;
	int rc = CT_EINVAL;
	if (!asn_dec(&asn_DEF_ACSE_APDU, (void **)&a, pdu, len))
		goto out_free;
	switch (a->present) {
	case ACSE_APDU_PR_aarq:
		m->kind = CT_CSTA_AARQ;
		SETZ(m, name, "aarq");
		acse_user_info(m, a->choice.aarq.user_information);
		break;
	case ACSE_APDU_PR_aare:
		m->kind = CT_CSTA_AARE;
		SETZ(m, name, "aare");
		if (a->choice.aare.result == 1)
			SETZ(m, error, "rejected_permanent");
		else if (a->choice.aare.result == 2)
			SETZ(m, error, "rejected_transient");
		acse_user_info(m, a->choice.aare.user_information);
		break;
	case ACSE_APDU_PR_rlrq: m->kind = CT_CSTA_RLRQ; SETZ(m, name, "rlrq"); break;
	case ACSE_APDU_PR_rlre: m->kind = CT_CSTA_RLRE; SETZ(m, name, "rlre"); break;
	case ACSE_APDU_PR_abrt: m->kind = CT_CSTA_ABRT; SETZ(m, name, "abrt"); break;
	default: goto out_free;
	}
	rc = CT_OK;
out_free:
	asn_free(&asn_DEF_ACSE_APDU, a);
	return rc;
}

/* ---- ROSE --------------------------------------------------------------------------------- */

/* Decodes an argument or result of operation `code` as the phase(s) allow; fills m and sets
 * m->phase on success. Returns false when no table type fits (or none exists). */
static bool decode_payload(struct ct_csta_msg *m, long code, bool result, const ANY_t *any,
			   int phase_hint)
{
	static const struct {
		int phase;
		const struct csta_op *t;
		size_t n;
	} tabs[] = {
		{ 3, ops_p3, CT_ARRAY_SIZE(ops_p3) },
		{ 2, ops_p2, CT_ARRAY_SIZE(ops_p2) },
	};
	for (size_t k = 0; k < CT_ARRAY_SIZE(tabs); k++) {
		if (phase_hint && phase_hint != tabs[k].phase)
			continue;
		const struct csta_op *op = op_find(tabs[k].t, tabs[k].n, code);
		if (!op)
			continue;
		asn_TYPE_descriptor_t *td = result ? op->res : op->arg;
		if (!td || !any)
			continue;
		void *s = NULL;
		bool ok = asn_dec(td, &s, any->buf, (size_t)any->size);
		if (ok) {
			struct ct_csta_msg save = *m;
			m->phase = (uint8_t)tabs[k].phase;
			if (code == OP_EVENT_REPORT && !result) {
				if (!event_fill(m, td, s)) {
					/* a known category with an event the module skips */
					char cat[sizeof m->category];
					memcpy(cat, m->category, sizeof cat);
					*m = save;
					memcpy(m->category, cat, sizeof cat);
					m->phase = (uint8_t)tabs[k].phase;
					ok = false;
				}
			} else {
				walk_any(m, td, s);
			}
		}
		asn_free(td, s);
		if (ok)
			return true;
		if (m->category[0])
			return false;
	}
	return false;
}

static void name_op(struct ct_csta_msg *m, long code, int phase_hint)
{
	const struct csta_op *op = NULL;
	if (phase_hint != 2)
		op = op_find(ops_p3, CT_ARRAY_SIZE(ops_p3), code);
	if (!op && phase_hint != 3)
		op = op_find(ops_p2, CT_ARRAY_SIZE(ops_p2), code);
	if (op && code != OP_EVENT_REPORT) {
		SETZ(m, name, op->name);
	} else {
		/* a fixed snake_case name (the schema's pattern): the code itself is in opcode, which
		 * may be any INTEGER, negative too */
		SETZ(m, name, op ? "unknown_event" : "unknown_op");
		if (!op)
			m->unknown = true;
	}
}

static bool code_local(const ROSE_Code_t *c, long *v)
{
	if (c->present != ROSE_Code_PR_local)
		return false;
	*v = c->choice.local;
	return true;
}

static int rose_decode(const uint8_t *pdu, size_t len, int phase_hint, struct ct_csta_msg *m)
{
	ROSE_PDU_t *r = NULL;
	int rc = CT_EINVAL;
	long code = -1;
	if (!asn_dec(&asn_DEF_ROSE_PDU, (void **)&r, pdu, len))
		goto out_free;
	switch (r->present) {
	case ROSE_PDU_PR_invoke: {
		const ROSE_Invoke_t *iv = &r->choice.invoke;
		m->has_invoke_id = true;
		m->invoke_id = iv->invokeId;
		if (!code_local(&iv->opcode, &code)) {
			m->unknown = true;
			m->kind = CT_CSTA_REQUEST;
			SETZ(m, name, "unknown_global");
			break;
		}
		m->opcode = (int32_t)code;
		m->has_opcode = true;
		m->kind = code == OP_EVENT_REPORT ? CT_CSTA_EVENT : CT_CSTA_REQUEST;
		name_op(m, code, phase_hint);
		if (m->unknown)
			break;
		if (!decode_payload(m, code, false, iv->argument, phase_hint)) {
			const struct csta_op *op3 = op_find(ops_p3, CT_ARRAY_SIZE(ops_p3), code);
			const struct csta_op *op2 = op_find(ops_p2, CT_ARRAY_SIZE(ops_p2), code);
			bool typed = (op3 && op3->arg && phase_hint != 2) || (op2 && op2->arg && phase_hint != 3);
			if (typed && iv->argument)
				m->unknown = true; /* the argument does not fit the module */
			if (!m->phase)
				m->phase = (uint8_t)phase_hint;
		}
		break;
	}
	case ROSE_PDU_PR_returnResult: {
		const ROSE_ReturnResult_t *rr = &r->choice.returnResult;
		m->kind = CT_CSTA_RESULT;
		m->has_invoke_id = true;
		m->invoke_id = rr->invokeId;
		if (!rr->result) {
			SETZ(m, name, "result");
			m->phase = (uint8_t)phase_hint;
			break;
		}
		if (!code_local(&rr->result->opcode, &code)) {
			SETZ(m, name, "result");
			break;
		}
		m->opcode = (int32_t)code;
		m->has_opcode = true;
		name_op(m, code, phase_hint);
		if (m->unknown)
			break;
		if (!decode_payload(m, code, true, &rr->result->result, phase_hint) && !m->phase)
			m->phase = (uint8_t)phase_hint;
		break;
	}
	case ROSE_PDU_PR_returnError: {
		const ROSE_ReturnError_t *re = &r->choice.returnError;
		m->kind = CT_CSTA_ERROR;
		m->has_invoke_id = true;
		m->invoke_id = re->invokeId;
		m->phase = (uint8_t)phase_hint;
		SETZ(m, name, "error");
		if (code_local(&re->errcode, &code))
			m->opcode = -1;
		ROSE_UniversalFailure_t *uf = NULL;
		void *alt = NULL;
		const asn_TYPE_member_t *e = NULL;
		if (re->parameter &&
		    asn_dec(&asn_DEF_ROSE_UniversalFailure, (void **)&uf, re->parameter->buf,
			    (size_t)re->parameter->size) &&
		    (e = choice_sel(&asn_DEF_ROSE_UniversalFailure, uf, &alt)) != NULL) {
			char tmp[64];
			snake(tmp, sizeof tmp, e->name);
			if (e->type == &asn_DEF_NativeInteger) {
				size_t l = strlen(tmp);
				snprintf(tmp + l, sizeof tmp - l, "_%ld", *(const long *)alt);
			}
			SETZ(m, error, tmp);
		} else {
			char tmp[32];
			int k = snprintf(tmp, sizeof tmp, "error_%ld", code);
			SET(m, error, tmp, (size_t)k);
		}
		asn_free(&asn_DEF_ROSE_UniversalFailure, uf);
		break;
	}
	case ROSE_PDU_PR_reject: {
		const ROSE_Reject_t *rj = &r->choice.reject;
		static const char *const probs[] = { "", "general", "invoke", "return_result",
						     "return_error" };
		m->kind = CT_CSTA_REJECT;
		m->phase = (uint8_t)phase_hint;
		SETZ(m, name, "reject");
		if (rj->invokeId.present == ROSE_Reject__invokeId_PR_present) {
			m->has_invoke_id = true;
			m->invoke_id = rj->invokeId.choice.present;
		}
		if (rj->problem.present > ROSE_Reject__problem_PR_NOTHING &&
		    rj->problem.present <= ROSE_Reject__problem_PR_returnError) {
			char tmp[48];
			long v = rj->problem.choice.general; /* every alternative is a long */
			int k = snprintf(tmp, sizeof tmp, "%s_%ld", probs[rj->problem.present], v);
			SET(m, error, tmp, (size_t)k);
		}
		break;
	}
	default:
		goto out_free;
	}
	rc = CT_OK;
out_free:
	asn_free(&asn_DEF_ROSE_PDU, r);
	return rc;
}

int ct_csta_ber_decode(const uint8_t *pdu, size_t len, int phase_hint, struct ct_csta_msg *out)
{
	if (!out)
		return CT_EINVAL;
	memset(out, 0, sizeof *out);
	out->encoding = CT_CSTA_BER;
	out->opcode = -1;
	if (!pdu || (phase_hint != 0 && phase_hint != 2 && phase_hint != 3))
		return CT_EINVAL;
	if (!ber_one_tlv(pdu, len))
		return CT_EINVAL;
	int rc;
	if (pdu[0] >= 0x60 && pdu[0] <= 0x64)
		rc = acse_decode(pdu, len, out);
	else if (pdu[0] >= 0xa1 && pdu[0] <= 0xa4)
		rc = rose_decode(pdu, len, phase_hint, out);
	else
		rc = CT_EINVAL;
	if (rc != CT_OK) {
		memset(out, 0, sizeof *out);
		out->encoding = CT_CSTA_BER;
		out->opcode = -1;
	} else {
		out->nid = (uint8_t)ct_csta_name_of(out->name);
	}
	return rc;
}
