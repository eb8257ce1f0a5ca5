/* report.c - the name tables of the correlator's enums, and audit formatting (report.h). */
#include "report.h"

#include <stdarg.h>
#include <stdio.h>

/* One lookup for every table: a value past the table (or a hole in it) reads "unknown". */
#define NAME_OF(table, v) ((unsigned)(v) < CT_ARRAY_SIZE(table) && (table)[v] ? (table)[v] : "unknown")

const char *ct_sip_moment_name(enum ct_sip_moment m)
{
	static const char *const names[CT_SIP_M_COUNT] = {
		[CT_SIP_M_MESSAGE] = "sip_message",
		[CT_SIP_M_INVITE] = "invite",
		[CT_SIP_M_REINVITE] = "reinvite",
		[CT_SIP_M_ACK] = "ack",
		[CT_SIP_M_BYE] = "bye",
		[CT_SIP_M_CANCEL] = "cancel",
		[CT_SIP_M_REFER] = "refer",
		[CT_SIP_M_NOTIFY] = "notify",
		[CT_SIP_M_INFO] = "info",
		[CT_SIP_M_UPDATE] = "update",
		[CT_SIP_M_PRACK] = "prack",
		[CT_SIP_M_REQUEST] = "request",
		[CT_SIP_M_RINGING] = "ringing",
		[CT_SIP_M_ANSWER] = "answer",
		[CT_SIP_M_REINVITE_ANSWER] = "reinvite_answer",
		[CT_SIP_M_FAILURE] = "failure",
		[CT_SIP_M_HOLD] = "hold",
		[CT_SIP_M_RESUME] = "resume",
		[CT_SIP_M_REFER_ACCEPTED] = "refer_accepted",
		[CT_SIP_M_DIALOG_END] = "dialog_end",
	};
	return NAME_OF(names, m);
}

const char *ct_dialog_end_reason_name(enum ct_dialog_end_reason r)
{
	static const char *const names[CT_DEND_COUNT] = {
		[CT_DEND_UNKNOWN] = "unknown",
		[CT_DEND_ENDED] = "ended",
		[CT_DEND_TIMEOUT] = "timeout",
		[CT_DEND_EVICTED] = "evicted",
		[CT_DEND_SHUTDOWN] = "shutdown",
	};
	return NAME_OF(names, r);
}

const char *ct_dialog_state_name(enum ct_dialog_state s)
{
	static const char *const names[CT_DLG_COUNT] = {
		[CT_DLG_CALLING] = "calling",
		[CT_DLG_EARLY] = "early",
		[CT_DLG_CONFIRMED] = "confirmed",
		[CT_DLG_TERMINATED] = "terminated",
		[CT_DLG_JOINED] = "joined",
	};
	return NAME_OF(names, s);
}

const char *ct_disposition_name(enum ct_disposition d)
{
	static const char *const names[CT_DISP_COUNT] = {
		[CT_DISP_NONE] = "unknown",
		[CT_DISP_ANSWERED] = "answered",
		[CT_DISP_BUSY] = "busy",
		[CT_DISP_ABANDONED] = "abandoned",
		[CT_DISP_NO_ANSWER] = "no_answer",
		[CT_DISP_FAILED] = "failed",
	};
	return NAME_OF(names, d);
}

const char *ct_direction_name(enum ct_direction d)
{
	static const char *const names[CT_DIR_COUNT] = {
		[CT_DIR_UNKNOWN] = "unknown",
		[CT_DIR_INBOUND] = "inbound",
		[CT_DIR_OUTBOUND] = "outbound",
		[CT_DIR_INTERNAL] = "internal",
	};
	return NAME_OF(names, d);
}

const char *ct_join_method_name(enum ct_join_method m)
{
	static const char *const names[CT_JOIN_COUNT] = {
		[CT_JOIN_NUMBER_TIME] = "number_time",
		[CT_JOIN_DEVICE_TIME] = "device_time",
		[CT_JOIN_SHARED_ID] = "shared_id",
		[CT_JOIN_CSTA_ONLY] = "csta_only",
		[CT_JOIN_SIP_ONLY] = "sip_only",
	};
	return NAME_OF(names, m);
}

const char *ct_xfer_kind_name(enum ct_xfer_kind k)
{
	static const char *const names[CT_XFER_COUNT] = {
		[CT_XFER_SINGLE_STEP] = "single_step",
		[CT_XFER_CONSULTATION] = "consultation",
		[CT_XFER_REFER] = "refer",
		[CT_XFER_REPLACES] = "replaces",
		[CT_XFER_DIVERSION] = "diversion",
	};
	return NAME_OF(names, k);
}

const char *ct_rec_action_name(enum ct_rec_action a)
{
	static const char *const names[CT_RECA_COUNT] = {
		[CT_RECA_START] = "start",
		[CT_RECA_PAUSE] = "pause",
		[CT_RECA_RESUME] = "resume",
		[CT_RECA_STOP] = "stop",
		[CT_RECA_UPDATE] = "update",
		[CT_RECA_FILE] = "file",
	};
	return NAME_OF(names, a);
}

const char *ct_rec_reason_name(enum ct_rec_reason r)
{
	static const char *const names[CT_RECR_COUNT] = {
		[CT_RECR_ANSWERED] = "answered",
		[CT_RECR_ALERTED] = "alerted",
		[CT_RECR_HELD] = "held",
		[CT_RECR_RETRIEVED] = "retrieved",
		[CT_RECR_CLEARED] = "cleared",
		[CT_RECR_TRANSFERRED] = "transferred",
		[CT_RECR_DIVERTED] = "diverted",
		[CT_RECR_MERGED] = "merged",
		[CT_RECR_CONSULTATION] = "consultation",
		[CT_RECR_MEDIA] = "media",
		[CT_RECR_DISK_FULL] = "disk_full",
		[CT_RECR_MAX_MB] = "max_mb",
		[CT_RECR_WRITE_ERROR] = "write_error",
		[CT_RECR_SHUTDOWN] = "shutdown",
		[CT_RECR_RELOAD] = "reload",
		[CT_RECR_REQUEST] = "request",
		[CT_RECR_PAYMENT] = "payment",
	};
	return NAME_OF(names, r);
}

const char *ct_audit_kind_name(enum ct_audit_kind k)
{
	static const char *const names[CT_AUDIT_COUNT] = {
		[CT_AUDIT_SPAN_DUPLICATE] = "span_duplicate",
		[CT_AUDIT_DUPLICATE_EVENT] = "duplicate_event",
		[CT_AUDIT_MISSING_EVENT] = "missing_event",
		[CT_AUDIT_MISSING_RESPONSE] = "missing_response",
		[CT_AUDIT_UNKNOWN_MONITOR] = "unknown_monitor",
		[CT_AUDIT_CTI_BLIND] = "cti_blind",
		[CT_AUDIT_NO_RTP] = "no_rtp",
		[CT_AUDIT_RETRANSMISSION] = "retransmission",
		[CT_AUDIT_ORPHAN_DIALOG] = "orphan_dialog",
		[CT_AUDIT_ACD_NOT_READY] = "acd_not_ready",
		[CT_AUDIT_EVICTED] = "evicted",
		[CT_AUDIT_TRUNCATED] = "audit_truncated",
		[CT_AUDIT_REFUSED] = "refused",
		[CT_AUDIT_CLOCK_JUMP] = "clock_jump",
		[CT_AUDIT_AMBIGUOUS_JOIN] = "ambiguous_join",
		[CT_AUDIT_RECORDING_STOPPED] = "recording_stopped",
		[CT_AUDIT_RECORDING_ERROR] = "recording_error",
		[CT_AUDIT_RECORDING_REPAIRED] = "recording_repaired",
		[CT_AUDIT_RECORDING_BROKEN] = "recording_broken",
		[CT_AUDIT_RECORDING_RETENTION] = "recording_retention",
		[CT_AUDIT_ONE_WAY_AUDIO] = "one_way_audio",
		[CT_AUDIT_LONG_SILENCE] = "long_silence",
		[CT_AUDIT_RECORDING_PAYLOAD] = "recording_payload",
	};
	return NAME_OF(names, k);
}

const char *ct_agent_state_name(enum ct_agent_state s)
{
	static const char *const names[CT_AGENT_NSTATES] = {
		[CT_AGENT_LOGGED_OFF] = "logged_off",
		[CT_AGENT_READY] = "ready",
		[CT_AGENT_NOT_READY] = "not_ready",
		[CT_AGENT_WORK_AFTER_CALL] = "work_after_call",
		[CT_AGENT_BUSY] = "busy",
	};
	return NAME_OF(names, s);
}

void ct_report_audit(const struct ct_report *rep, ct_time_t ts, const char *call, enum ct_audit_kind kind,
		     const char *link, uint64_t count, const char *fmt, ...)
{
	if (!rep || !rep->audit)
		return;
	char detail[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	struct ct_audit_view v = { ts, call, kind, link, count, detail };
	rep->audit(rep->user, &v);
}

enum ct_disposition ct_disposition_of_status(unsigned status)
{
	switch (status) {
	case 486:
	case 600: return CT_DISP_BUSY;
	case 408:
	case 480: return CT_DISP_NO_ANSWER;
	case 487: return CT_DISP_ABANDONED;
	default: return CT_DISP_FAILED;
	}
}
