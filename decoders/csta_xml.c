/* csta_xml.c - CSTA XML (ECMA-323 editions 2 to 6; the ECMA-269 services and events it encodes)
 * into struct ct_csta_msg, through libxml2's tree API with a guarded SAX front.
 *
 * Why a guarded SAX front: the DOCTYPE, depth and element-count checks run while libxml2 parses
 * (its SAX callbacks, wrapped on the decoder's own parser context), so an entity bomb or a
 * 10 000-level nest stops at its first offending token instead of after a tree is built.
 * The tree walk then repeats the depth and element budget as a second line.
 *
 * Field mapping: CSTA XML is shallow and its element names are the ECMA-269 parameter names,
 * so the walk dispatches on the local name of each element, whatever its depth, and fills a
 * field the first time it is seen (connections: main, then second). Elements in a vendor
 * namespace and privateData subtrees are not read: they only set private_data.
 */
#include "csta_xml.h"
#include "csta_names.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/SAX2.h>
#include <libxml/dict.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>

/* ---- names ---------------------------------------------------------------------------- */

/* ECMA-323 namespaces: ed2 at ecma.ch, ed3 to ed6 at ecma-international.org. */
static const char ns_ed2[] = "http://www.ecma.ch/standards/ecma-323/csta/ed";
static const char ns_edn[] = "http://www.ecma-international.org/standards/ecma-323/csta/ed";
static const char ns_ecma354[] = "http://www.ecma-international.org/standards/ecma-354/";
static const char ns_soap11[] = "http://schemas.xmlsoap.org/soap/envelope/";
static const char ns_soap12[] = "http://www.w3.org/2003/05/soap-envelope";

/* Which field an element of a CSTA document fills. */
enum field {
	F_NONE = 0,
	F_XREF,
	F_CONN,	 /* a ConnectionID: the main connection, else the second one */
	F_CONN2, /* a ConnectionID that is always the second one */
	F_NEWCONN, /* newConnection of a transfer/conference list: the resulting call */
	F_SUBJECT,
	F_CALLING,
	F_CALLED,
	F_OTHER,
	F_LOCAL,
	F_CAUSE,
	F_CORRELATOR,
	F_USERDATA,
	F_GLOBALID,
	F_AGENT_STATE,
	F_AGENT_ID,
	F_REASON,
	F_MONITOR,
	F_SYSSTATUS,
	F_PRIVATE, /* privateData: opaque vendor content */
	F_SKIP,	   /* a subtree whose names mean something else (requestTypes flags) */
};

struct elem_field {
	const char *name;
	enum field f;
};

/* Sorted by name (strcmp order: upper case before lower case) for bsearch(); the unit test
 * checks the order. */
static const struct elem_field fields[] = {
	{"activeCall", F_CONN},
	{"addedParty", F_OTHER},
	{"agentDevice", F_SUBJECT},
	{"agentID", F_AGENT_ID},
	{"agentState", F_AGENT_STATE},
	{"alertingDevice", F_SUBJECT},
	{"answeringDevice", F_SUBJECT},
	{"bridgedConnection", F_CONN},
	{"callObject", F_CONN},
	{"callToBeAccepted", F_CONN},
	{"callToBeAnswered", F_CONN},
	{"callToBeCleared", F_CONN},
	{"callToBeDiverted", F_CONN},
	{"callToBeHeld", F_CONN},
	{"callToBeJoined", F_CONN},
	{"callToBePickedUp", F_CONN},
	{"callToBeRetrieved", F_CONN},
	{"callToPark", F_CONN},
	{"calledDevice", F_CALLED},
	{"calledDirectoryNumber", F_CALLED},
	{"callingDevice", F_CALLING},
	{"cause", F_CAUSE},
	{"clearedCall", F_CONN},
	{"conferenceCall", F_CONN},
	{"conferencingDevice", F_SUBJECT},
	{"connection", F_CONN},
	{"connectionObject", F_CONN},
	{"connectionToBeCleared", F_CONN},
	{"consultedDevice", F_CALLED},
	{"correlatorData", F_CORRELATOR},
	{"crossRefIdentifier", F_XREF},
	{"currentRoute", F_CALLED},
	{"deflectTo", F_OTHER},
	{"device", F_SUBJECT},
	{"deviceObject", F_MONITOR},
	{"dialingConnection", F_CONN},
	{"dialingDevice", F_SUBJECT},
	{"divertingDevice", F_SUBJECT},
	{"droppedConnection", F_CONN},
	{"establishedConnection", F_CONN},
	{"existingCall", F_CONN},
	{"failedConnection", F_CONN},
	{"failingDevice", F_SUBJECT},
	{"globalCallLinkageID", F_GLOBALID},
	{"heldCall", F_CONN},
	{"heldConnection", F_CONN},
	{"holdingDevice", F_SUBJECT},
	{"initiatedCall", F_CONN},
	{"initiatedConnection", F_CONN},
	{"initiatingDevice", F_SUBJECT},
	{"lastRedirectionDevice", F_OTHER},
	{"localConnectionInfo", F_LOCAL},
	{"monitorCrossRefID", F_XREF},
	{"networkInterfaceUsed", F_SUBJECT},
	{"newConnection", F_NEWCONN},
	{"newDestination", F_OTHER},
	{"offeredConnection", F_CONN},
	{"offeredDevice", F_SUBJECT},
	{"originatedConnection", F_CONN},
	{"outboundConnection", F_CONN},
	{"primaryOldCall", F_CONN},
	{"privateData", F_PRIVATE},
	{"queue", F_SUBJECT},
	{"queuedConnection", F_CONN},
	{"reason", F_REASON},
	{"reasonCode", F_REASON},
	{"releasingDevice", F_SUBJECT},
	{"requestTypes", F_SKIP},
	{"requestedAgentState", F_AGENT_STATE},
	{"retrievedConnection", F_CONN},
	{"retrievingDevice", F_SUBJECT},
	{"routeSelected", F_OTHER},
	{"routeUsed", F_OTHER},
	{"routedCall", F_CONN},
	{"routeingCrossRefID", F_XREF},
	{"secondaryOldCall", F_CONN2},
	{"snapshotObject", F_SUBJECT},
	{"systemStatus", F_SYSSTATUS},
	{"transferredCall", F_CONN},
	{"transferredTo", F_OTHER},
	{"transferredToDevice", F_OTHER},
	{"transferringDevice", F_SUBJECT},
	{"userData", F_USERDATA},
};

static int field_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct elem_field *)elem)->name);
}

static enum field field_of(const xmlChar *name)
{
	const struct elem_field *e = bsearch(name, fields, CT_ARRAY_SIZE(fields), sizeof(fields[0]), field_cmp);
	return e ? e->f : F_NONE;
}

/* For the unit test: whether fields[] is in the order bsearch() needs. */
bool ct_csta_xml_fields_sorted(void)
{
	for (size_t i = 1; i < CT_ARRAY_SIZE(fields); i++)
		if (strcmp(fields[i - 1].name, fields[i].name) >= 0)
			return false;
	return true;
}

/* ---- parse guard (SAX callbacks on the decoder's context) -------------------------------- */

struct guard {
	unsigned depth;
	unsigned elements;
	enum ct_csta_xml_reject why;
};

static void guard_stop(xmlParserCtxtPtr ctxt, enum ct_csta_xml_reject why)
{
	struct guard *g = ctxt->_private;
	if (g->why == CT_CSTA_XML_OK)
		g->why = why;
	xmlStopParser(ctxt);
}

static void guard_internal_subset(void *ctx, const xmlChar *name CT_UNUSED, const xmlChar *ext_id CT_UNUSED,
				  const xmlChar *sys_id CT_UNUSED)
{
	guard_stop(ctx, CT_CSTA_XML_DOCTYPE);
}

static void guard_entity_decl(void *ctx, const xmlChar *name CT_UNUSED, int type CT_UNUSED,
			      const xmlChar *public_id CT_UNUSED, const xmlChar *system_id CT_UNUSED,
			      xmlChar *content CT_UNUSED)
{
	guard_stop(ctx, CT_CSTA_XML_DOCTYPE);
}

static void guard_start(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
			int nb_namespaces, const xmlChar **namespaces, int nb_attributes, int nb_defaulted,
			const xmlChar **attributes)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct guard *g = ctxt->_private;
	if (++g->depth > CT_CSTA_XML_MAX_DEPTH) {
		guard_stop(ctxt, CT_CSTA_XML_TOO_DEEP);
		return;
	}
	if (++g->elements > CT_CSTA_XML_MAX_ELEMENTS) {
		guard_stop(ctxt, CT_CSTA_XML_TOO_MANY);
		return;
	}
	xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes, nb_defaulted,
			      attributes);
}

static void guard_end(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct guard *g = ctxt->_private;
	if (g->depth)
		g->depth--;
	xmlSAX2EndElementNs(ctx, localname, prefix, uri);
}

/* libxml2 reports through this instead of printing: the reason is in struct guard already. */
static void silent_error(void *ctx CT_UNUSED, xmlErrorPtr err CT_UNUSED) {}

/* ---- text helpers ---------------------------------------------------------------------- */

static bool is_xml_ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Text buffer larger than every field of ct_csta_msg, so a cut here is also a cut there. */
#define TXT_MAX 256

struct txt {
	char s[TXT_MAX];
	size_t len; /* bytes in s */
	bool over;  /* the text was longer than s */
};

/* The element's own text (text and CDATA children, concatenated), trimmed of XML blanks. */
static void own_text(const xmlNode *n, struct txt *t)
{
	t->len = 0;
	t->over = false;
	for (const xmlNode *c = n->children; c; c = c->next) {
		if ((c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE) || !c->content)
			continue;
		size_t l = strlen((const char *)c->content);
		size_t room = sizeof t->s - t->len;
		if (l > room) {
			l = room;
			t->over = true;
		}
		memcpy(t->s + t->len, c->content, l);
		t->len += l;
	}
	size_t b = 0, e = t->len;
	while (b < e && is_xml_ws((uint8_t)t->s[b]))
		b++;
	while (e > b && is_xml_ws((uint8_t)t->s[e - 1]))
		e--;
	if (b)
		memmove(t->s, t->s + b, e - b);
	t->len = e - b;
}

static const xmlNode *first_elem(const xmlNode *n)
{
	for (const xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return c;
	return NULL;
}

static const xmlNode *child_named(const xmlNode *n, const char *name)
{
	for (const xmlNode *c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
			return c;
	return NULL;
}

/* The value of a device-like element: its own text (MakeCall's callingDevice, deviceID), or the
 * text of its chosen child (deviceIdentifier, numberDialed, staticID, dynamicID, string,
 * octets, globallyUnique ...), two levels at most (staticID/deviceIdentifier). */
static void value_text(const xmlNode *n, struct txt *t)
{
	own_text(n, t);
	for (int level = 0; t->len == 0 && !t->over && level < 2; level++) {
		n = first_elem(n);
		if (!n)
			break;
		own_text(n, t);
	}
}

static void put(struct ct_csta_msg *m, char *dst, size_t cap, const struct txt *t)
{
	ct_csta_set(m, dst, cap, t->s, t->len);
	if (t->over)
		m->truncated = true;
}

/* Writes the snake_case of an ECMA-323 identifier (MonitorStart, GetCSTAFeatures, normalClearing)
 * into out; returns its length, or cap when it did not fit (out is then cut, NUL-terminated). */
static size_t snake(const char *in, size_t n, char *out, size_t cap)
{
	size_t o = 0;
	bool cut = false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)in[i];
		bool up = c >= 'A' && c <= 'Z';
		if (up && i > 0) {
			uint8_t p = (uint8_t)in[i - 1];
			bool p_low = (p >= 'a' && p <= 'z') || (p >= '0' && p <= '9');
			bool p_up = p >= 'A' && p <= 'Z';
			bool n_low = i + 1 < n && in[i + 1] >= 'a' && in[i + 1] <= 'z';
			if ((p_low || (p_up && n_low)) && o + 1 < cap)
				out[o++] = '_';
		}
		if (c == '-' || c == ' ' || c == '.')
			c = '_';
		if (o + 1 >= cap) {
			cut = true;
			break;
		}
		out[o++] = (char)(up ? c + 32 : c);
	}
	if (cap)
		out[o] = '\0';
	return cut ? cap : o;
}

static void put_snake(struct ct_csta_msg *m, char *dst, size_t cap, const struct txt *t)
{
	char tmp[TXT_MAX];
	size_t l = snake(t->s, t->len, tmp, sizeof tmp);
	if (l >= sizeof tmp) {
		l = sizeof tmp - 1;
		m->truncated = true;
	}
	ct_csta_set(m, dst, cap, tmp, l);
	if (t->over)
		m->truncated = true;
}

/* ---- the walk -------------------------------------------------------------------------- */

struct walk {
	struct ct_csta_msg *m;
	const xmlChar *root_ns; /* namespace of the CSTA root element (NULL: none) */
	unsigned visited;
	enum ct_csta_xml_reject why;
};

/* An ECMA-323 edition namespace exactly (".../edN"; ".../ed3/priv1" is Avaya's, not ECMA's),
 * or ECMA-354's (application sessions, which ECMA-323 links use). */
static bool is_ecma_ns(const xmlChar *href)
{
	const char *h = (const char *)href;
	size_t k;
	if (strncmp(h, ns_ed2, sizeof ns_ed2 - 1) == 0)
		k = sizeof ns_ed2 - 1;
	else if (strncmp(h, ns_edn, sizeof ns_edn - 1) == 0)
		k = sizeof ns_edn - 1;
	else
		return strncmp(h, ns_ecma354, sizeof ns_ecma354 - 1) == 0; /* application sessions */
	size_t d = 0;
	while (h[k + d] >= '0' && h[k + d] <= '9')
		d++;
	return d >= 1 && d <= 2 && h[k + d] == '\0';
}

/* Vendor content: an element in a namespace that is neither the root's nor an ECMA-323 one
 * (OpenScape, Avaya priv1..5 and avaya.com, Microsoft RCC, ...). */
static bool is_vendor(const struct walk *w, const xmlNode *n)
{
	if (!n->ns || !n->ns->href)
		return false;
	if (w->root_ns && xmlStrEqual(n->ns->href, w->root_ns))
		return false;
	return !is_ecma_ns(n->ns->href);
}

static bool conn_empty(const struct ct_csta_conn *c)
{
	return !c->call_id[0] && !c->device[0];
}

static void fill_conn(struct ct_csta_msg *m, struct ct_csta_conn *c, const xmlNode *n)
{
	struct txt t;
	const xmlNode *x = child_named(n, "callID");
	if (x) {
		own_text(x, &t);
		put(m, c->call_id, sizeof c->call_id, &t);
	}
	x = child_named(n, "deviceID");
	if (x) {
		value_text(x, &t);
		put(m, c->device, sizeof c->device, &t);
	}
}

static void fill_device(struct ct_csta_msg *m, char *dst, size_t cap, const xmlNode *n)
{
	struct txt t;
	if (dst[0])
		return;
	value_text(n, &t);
	put(m, dst, cap, &t);
}

/* Fills what element n means; returns whether its children are to be walked. */
static bool visit(struct walk *w, const xmlNode *n)
{
	struct ct_csta_msg *m = w->m;
	struct txt t;

	if (is_vendor(w, n)) {
		m->private_data = true;
		return false;
	}
	switch (field_of(n->name)) {
	case F_NONE:
		return true;
	case F_SKIP:
		return false;
	case F_PRIVATE:
		m->private_data = true;
		return false;
	case F_XREF:
		if (!m->xref[0]) {
			own_text(n, &t);
			put(m, m->xref, sizeof m->xref, &t);
		}
		return false;
	case F_CONN:
		if (conn_empty(&m->conn))
			fill_conn(m, &m->conn, n);
		else if (conn_empty(&m->conn2))
			fill_conn(m, &m->conn2, n);
		return false;
	case F_CONN2:
		if (conn_empty(&m->conn2))
			fill_conn(m, &m->conn2, n);
		return false;
	case F_NEWCONN:
		if (!m->new_call_id[0]) {
			struct ct_csta_conn nc;
			memset(&nc, 0, sizeof nc);
			fill_conn(m, &nc, n);
			memcpy(m->new_call_id, nc.call_id, sizeof m->new_call_id);
			if (conn_empty(&m->conn2))
				m->conn2 = nc;
		}
		return false;
	case F_SUBJECT:
		fill_device(m, m->subject, sizeof m->subject, n);
		return false;
	case F_CALLING:
		/* MakeCallResponse: callingDevice is the new call's ConnectionID */
		if (child_named(n, "callID") || child_named(n, "deviceID")) {
			if (conn_empty(&m->conn))
				fill_conn(m, &m->conn, n);
			if (!m->calling[0])
				ct_csta_set(m, m->calling, sizeof m->calling, m->conn.device, strlen(m->conn.device));
			return false;
		}
		fill_device(m, m->calling, sizeof m->calling, n);
		return false;
	case F_CALLED:
		fill_device(m, m->called, sizeof m->called, n);
		return false;
	case F_OTHER:
		fill_device(m, m->other, sizeof m->other, n);
		return false;
	case F_LOCAL:
		fill_device(m, m->local_state, sizeof m->local_state, n);
		return false;
	case F_CAUSE:
		if (!m->cause[0]) {
			own_text(n, &t);
			put_snake(m, m->cause, sizeof m->cause, &t);
		}
		return false;
	case F_CORRELATOR:
		fill_device(m, m->correlator, sizeof m->correlator, n);
		return false;
	case F_USERDATA:
		fill_device(m, m->user_data, sizeof m->user_data, n);
		return false;
	case F_GLOBALID:
		fill_device(m, m->global_call_id, sizeof m->global_call_id, n);
		return false;
	case F_AGENT_STATE:
		if (!m->agent_state[0]) {
			own_text(n, &t);
			put_snake(m, m->agent_state, sizeof m->agent_state, &t);
		}
		return false;
	case F_AGENT_ID:
		fill_device(m, m->agent_id, sizeof m->agent_id, n);
		return false;
	case F_REASON:
		fill_device(m, m->reason, sizeof m->reason, n);
		return false;
	case F_MONITOR:
		fill_device(m, m->monitor_device, sizeof m->monitor_device, n);
		return false;
	case F_SYSSTATUS:
		if (!m->system_status[0]) {
			own_text(n, &t);
			put_snake(m, m->system_status, sizeof m->system_status, &t);
		}
		return false;
	}
	return true;
}

static void walk(struct walk *w, const xmlNode *parent, unsigned depth)
{
	for (const xmlNode *n = parent->children; n && w->why == CT_CSTA_XML_OK; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (depth > CT_CSTA_XML_MAX_DEPTH) {
			w->why = CT_CSTA_XML_TOO_DEEP;
			return;
		}
		if (++w->visited > CT_CSTA_XML_MAX_ELEMENTS) {
			w->why = CT_CSTA_XML_TOO_MANY;
			return;
		}
		if (visit(w, n))
			walk(w, n, depth + 1);
	}
}

/* ---- the root element: kind, name, category -------------------------------------------- */

static bool ends_with(const char *s, size_t n, const char *suffix, size_t *stem)
{
	size_t k = strlen(suffix);
	if (n <= k || memcmp(s + n - k, suffix, k) != 0)
		return false;
	*stem = n - k;
	return true;
}

static void classify_root(struct ct_csta_msg *m, const xmlNode *root, bool vendor_root)
{
	const char *el = (const char *)root->name;
	size_t n = strlen(el), stem = n;
	char name[sizeof m->name + 8];
	const struct ct_csta_name_info *known = NULL;

	if (strcmp(el, "CSTAErrorCode") == 0 || strcmp(el, "UniversalFailure") == 0) {
		/* the error's category element; its text is the value (invalidDeviceID, ...) */
		const xmlNode *e = first_elem(root);
		struct txt t;
		m->kind = CT_CSTA_ERROR;
		if (e) {
			own_text(e, &t);
			if (t.len == 0) {
				t.len = CT_MIN(strlen((const char *)e->name), sizeof t.s);
				memcpy(t.s, e->name, t.len);
			}
			put_snake(m, m->error, sizeof m->error, &t);
		}
		return;
	}
	if (ends_with(el, n, "Event", &stem)) {
		m->kind = CT_CSTA_EVENT;
	} else if (ends_with(el, n, "PosResponse", &stem)) {
		m->kind = CT_CSTA_RESULT; /* ECMA-354 StartApplicationSessionPosResponse */
	} else if (ends_with(el, n, "NegResponse", &stem)) {
		m->kind = CT_CSTA_ERROR;
	} else if (ends_with(el, n, "Response", &stem)) {
		m->kind = CT_CSTA_RESULT;
	} else {
		m->kind = CT_CSTA_REQUEST;
	}
	size_t l = snake(el, stem, name, sizeof name);
	if (l >= sizeof m->name) {
		l = sizeof m->name - 1;
		m->truncated = true;
	}
	name[l] = '\0';
	/* a record's name is snake_case (schemas/common.schema.json): XML names may also hold
	 * non-ASCII letters or start with '_' */
	for (size_t i = 0; i < l; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9')))
			name[i] = '_';
	if (!(name[0] >= 'a' && name[0] <= 'z'))
		l = (size_t)snprintf(name, sizeof name, "unknown_op");
	/* "Transfered" (one r) is what products send (CSTA-NOTES.md) */
	if (m->kind == CT_CSTA_EVENT && strcmp(name, "transfered") == 0)
		l = snake("Transferred", 11, name, sizeof name);
	ct_csta_set(m, m->name, sizeof m->name, name, l);

	known = ct_csta_name_find(m->name, m->kind == CT_CSTA_EVENT);
	if (vendor_root) {
		m->private_data = true;
		ct_csta_set(m, m->category, sizeof m->category, "private", 7);
		m->unknown = true;
		return;
	}
	if (known) {
		m->nid = (uint8_t)known->id;
		ct_csta_set(m, m->category, sizeof m->category, known->category, strlen(known->category));
		if (strncmp(m->name, "agent_", 6) == 0 && m->kind == CT_CSTA_EVENT) {
			const char *st = m->name + 6; /* agent_ready -> ready, agent_not_ready -> ... */
			ct_csta_set(m, m->agent_state, sizeof m->agent_state, st, strlen(st));
		}
		return;
	}
	m->unknown = true;
	if (m->kind == CT_CSTA_REQUEST)
		m->kind = CT_CSTA_UNKNOWN; /* no suffix and not a service we know */
}

static bool is_soap_ns(const xmlNs *ns)
{
	return ns && ns->href &&
	       (xmlStrEqual(ns->href, (const xmlChar *)ns_soap11) || xmlStrEqual(ns->href, (const xmlChar *)ns_soap12));
}

/* A CSTA message inside a SOAP envelope (ECMA-323 annex on SOAP): the first element of Body. */
static const xmlNode *unwrap_soap(const xmlNode *root)
{
	if (!is_soap_ns(root->ns) || strcmp((const char *)root->name, "Envelope") != 0)
		return root;
	for (const xmlNode *c = root->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && is_soap_ns(c->ns) && strcmp((const char *)c->name, "Body") == 0)
			return first_elem(c) ? first_elem(c) : root;
	return root;
}

/* ---- entry points ---------------------------------------------------------------------- */

const char *ct_csta_xml_reject_name(enum ct_csta_xml_reject why)
{
	switch (why) {
	case CT_CSTA_XML_OK:
		return "ok";
	case CT_CSTA_XML_NOT_XML:
		return "not_xml";
	case CT_CSTA_XML_TOO_BIG:
		return "too_big";
	case CT_CSTA_XML_DOCTYPE:
		return "doctype";
	case CT_CSTA_XML_TOO_DEEP:
		return "too_deep";
	case CT_CSTA_XML_TOO_MANY:
		return "too_many_elements";
	}
	return "?";
}

static void init_libxml_once(void)
{
	static bool done;
	if (!done) {
		xmlInitParser();
		done = true;
	}
}

static void msg_init(struct ct_csta_msg *m)
{
	memset(m, 0, sizeof *m);
	m->encoding = CT_CSTA_XML;
	m->phase = 0;
	m->opcode = -1;
}

/* The options of every parse: no XML_PARSE_NOENT (no substitution), no DTDLOAD/DTDATTR, no
 * HUGE, no RECOVER. */
#define PARSE_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA)

struct ct_csta_xml {
	xmlParserCtxtPtr ctxt; /* NULL until the first document, and after a renewal */
	uint64_t renewals;
};

struct ct_csta_xml *ct_csta_xml_new(void)
{
	return calloc(1, sizeof(struct ct_csta_xml));
}

void ct_csta_xml_free(struct ct_csta_xml *x)
{
	if (!x)
		return;
	if (x->ctxt)
		xmlFreeParserCtxt(x->ctxt);
	free(x);
}

uint64_t ct_csta_xml_renewals(const struct ct_csta_xml *x)
{
	return x->renewals;
}

/* A parser context whose SAX table (its own, allocated with it) carries the guards; they stay
 * for every document parsed on it (xmlCtxtUseOptions() changes only the error and CDATA
 * callbacks). */
static xmlParserCtxtPtr ctxt_new(void)
{
	init_libxml_once();
	xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
	if (!ctxt)
		return NULL;
	ctxt->sax->internalSubset = guard_internal_subset;
	ctxt->sax->externalSubset = guard_internal_subset;
	ctxt->sax->entityDecl = guard_entity_decl;
	ctxt->sax->startElementNs = guard_start;
	ctxt->sax->endElementNs = guard_end;
	ctxt->sax->serror = silent_error;
	return ctxt;
}

/* Parses xml on ctxt into a tree (NULL when it is not well-formed or a guard stopped it; the
 * guard says why). xmlCtxtReadMemory() resets the context first: input, node and name stacks,
 * errors, the document's version and encoding, attribute defaults, entity counts. The reset of
 * libxml2 2.9.14 as released keeps the namespace stack (Debian 12's package carries the fix,
 * upstream commit 5930fe01): a parse stopped inside an element would lend its prefixes to the
 * next document, so it is emptied here whatever the library does. */
static xmlDocPtr parse_tree(xmlParserCtxtPtr ctxt, const uint8_t *xml, size_t len, struct guard *g)
{
	ctxt->nsNr = 0;
	ctxt->_private = g;
	return xmlCtxtReadMemory(ctxt, (const char *)xml, (int)len, NULL, NULL, PARSE_OPTIONS);
}

/* Whether ctxt's dictionary holds more than a decoder keeps between documents. */
static bool dict_full(const xmlParserCtxt *ctxt)
{
	return xmlDictSize(ctxt->dict) > CT_CSTA_XML_DICT_NAMES || xmlDictGetUsage(ctxt->dict) > CT_CSTA_XML_DICT_BYTES;
}

int ct_csta_xml_parse(struct ct_csta_xml *x, const uint8_t *xml, size_t len, struct ct_csta_msg *out,
		      enum ct_csta_xml_reject *why)
{
	struct guard g = {0, 0, CT_CSTA_XML_OK};
	xmlDocPtr doc = NULL;
	int rc = CT_EINVAL;

	msg_init(out);
	if (!xml || len == 0) {
		g.why = CT_CSTA_XML_NOT_XML;
		goto out;
	}
	if (len > CT_CSTA_XML_MAX_BYTES) {
		g.why = CT_CSTA_XML_TOO_BIG;
		goto out;
	}
	if (!x->ctxt)
		x->ctxt = ctxt_new();
	if (!x->ctxt) {
		rc = CT_ENOMEM;
		goto out;
	}
	doc = parse_tree(x->ctxt, xml, len, &g);
	if (!x->ctxt->wellFormed && g.why == CT_CSTA_XML_OK)
		g.why = CT_CSTA_XML_NOT_XML;
	if (g.why != CT_CSTA_XML_OK)
		goto free_doc;
	if (!doc || doc->intSubset || doc->extSubset) {
		g.why = doc ? CT_CSTA_XML_DOCTYPE : CT_CSTA_XML_NOT_XML;
		goto free_doc;
	}
	const xmlNode *root = xmlDocGetRootElement(doc);
	if (!root) {
		g.why = CT_CSTA_XML_NOT_XML;
		goto free_doc;
	}
	root = unwrap_soap(root);

	struct walk w = {out, root->ns ? root->ns->href : NULL, 0, CT_CSTA_XML_OK};
	if (root->ns && root->ns->href)
		ct_csta_set(out, out->ns, sizeof out->ns, (const char *)root->ns->href,
			    strlen((const char *)root->ns->href));
	bool vendor_root = root->ns && root->ns->href && !is_ecma_ns(root->ns->href);
	classify_root(out, root, vendor_root);
	if (!vendor_root)
		walk(&w, root, 2);
	if (w.why != CT_CSTA_XML_OK) {
		g.why = w.why;
		goto free_doc;
	}
	rc = CT_OK;

free_doc:
	xmlFreeDoc(doc);
	x->ctxt->_private = NULL;
	if (dict_full(x->ctxt)) {
		xmlFreeParserCtxt(x->ctxt);
		x->ctxt = NULL;
		x->renewals++;
	}
out:
	if (rc != CT_OK)
		msg_init(out);
	if (why)
		*why = rc == CT_OK ? CT_CSTA_XML_OK : g.why == CT_CSTA_XML_OK ? CT_CSTA_XML_NOT_XML : g.why;
	return rc;
}

int ct_csta_xml_decode_why(const uint8_t *xml, size_t len, struct ct_csta_msg *out, enum ct_csta_xml_reject *why)
{
	struct ct_csta_xml x = {NULL, 0};
	int rc = ct_csta_xml_parse(&x, xml, len, out, why);
	if (x.ctxt)
		xmlFreeParserCtxt(x.ctxt);
	return rc;
}

int ct_csta_xml_decode(const uint8_t *xml, size_t len, struct ct_csta_msg *out)
{
	return ct_csta_xml_decode_why(xml, len, out, NULL);
}
