/* csta_names.h - the names of ECMA-269 events and services, as ctitap writes them (snake_case
 * of the ECMA-323 element, the same for ECMA-285 BER), their category (the ECMA-269 clause),
 * and the ones the correlator acts on as an enum. One table for both encodings: the XML
 * decoder reads categories from it, both decoders set struct ct_csta_msg's `nid` from it,
 * the correlator compares `nid` and never a name.
 */
#ifndef CT_CSTA_NAMES_H
#define CT_CSTA_NAMES_H

#include <stdbool.h>

enum ct_csta_name {
	CT_CSTA_N_OTHER = 0, /* a name the correlator does not act on (or none) */
	/* call control events (ECMA-269 clause 15) */
	CT_CSTA_N_CALL_CLEARED,
	CT_CSTA_N_CONFERENCED,
	CT_CSTA_N_CONNECTION_CLEARED,
	CT_CSTA_N_DELIVERED,
	CT_CSTA_N_DIVERTED,
	CT_CSTA_N_ESTABLISHED,
	CT_CSTA_N_FAILED,
	CT_CSTA_N_HELD,
	CT_CSTA_N_NETWORK_REACHED,
	CT_CSTA_N_OFFERED,
	CT_CSTA_N_ORIGINATED,
	CT_CSTA_N_QUEUED,
	CT_CSTA_N_RETRIEVED,
	CT_CSTA_N_SERVICE_INITIATED,
	CT_CSTA_N_TRANSFERRED,
	/* agent events (logical device features, clause 21) */
	CT_CSTA_N_AGENT_BUSY,
	CT_CSTA_N_AGENT_LOGGED_ON,
	CT_CSTA_N_AGENT_LOGGED_OFF,
	CT_CSTA_N_AGENT_NOT_READY,
	CT_CSTA_N_AGENT_READY,
	CT_CSTA_N_AGENT_WORKING_AFTER_CALL,
	/* monitoring (clause 13) */
	CT_CSTA_N_MONITOR_START,
	CT_CSTA_N_MONITOR_STOP,
	CT_CSTA_N_MONITOR_ENDED,
	/* services the correlator watches */
	CT_CSTA_N_MAKE_CALL,
	CT_CSTA_N_CONSULTATION_CALL,
	CT_CSTA_N_TRANSFER_CALL,
	CT_CSTA_N_SINGLE_STEP_TRANSFER_CALL,
	CT_CSTA_N_SYSTEM_STATUS,
	/* routeing (clause 25): XML route_select_request, BER route_select, ... */
	CT_CSTA_N_ROUTE_REQUEST,
	CT_CSTA_N_RE_ROUTE,
	CT_CSTA_N_ROUTE_SELECT,
	CT_CSTA_N_ROUTE_USED,
	CT_CSTA_N_ROUTE_END,
	CT_CSTA_N_COUNT
};

struct ct_csta_name_info {
	const char *name;      /* snake_case */
	const char *category;  /* call_control, logical_device, monitoring, routeing, ... */
	enum ct_csta_name id;
};

/* The event (event true) or service named `name`, NULL when it is not an ECMA-269 one.
 * Static storage. */
const struct ct_csta_name_info *ct_csta_name_find(const char *name, bool event);
/* The id of a name: events first, then services; CT_CSTA_N_OTHER when unknown. */
enum ct_csta_name ct_csta_name_of(const char *name);
/* True when the tables are sorted (bsearch needs it; a unit test checks). */
bool ct_csta_names_sorted(void);

#endif
