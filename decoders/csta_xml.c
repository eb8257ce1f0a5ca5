/* csta_xml.c - CSTA XML (ECMA-323 editions 2 to 6; the ECMA-269 services and events it encodes)
 * into struct ct_csta_msg, through libxml2's SAX2 parser and a walk over what it reported.
 *
 * Why SAX: the DOCTYPE, depth and element-count checks run while libxml2 parses (its SAX
 * callbacks, on the decoder's own parser context), so an entity bomb or a 10 000-level nest
 * stops at its first offending token. The same callbacks record each element's name,
 * namespace, children and first TXT_MAX bytes of own text into arrays the decoder keeps
 * (struct xdoc): what the walk reads of a document, without the libxml2 tree it used to
 * build, node by node and string by string, and free again for every message (the
 * allocations that grew with the heap of a tap holding 10 000 calls, docs/performance.md).
 * Names and namespaces are the parser dictionary's strings; the text is copied, since libxml2
 * hands it over in pieces valid only during the callback. The walk repeats the depth and
 * element budget as a second line.
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

/* ---- the document: elements and their own text, from SAX events ----------------------- */

/* Text buffer larger than every field of ct_csta_msg, so a cut here is also a cut there. */
#define TXT_MAX 256

/* An element as the walk needs it. Links are indexes into xdoc.el (0: none; element 0 is the
 * document, whose first child is the root). */
struct xel {
	const xmlChar *name;	  /* local name ("prefix:name" when the prefix is not declared, as
				   * libxml2's tree names it), in the parser context's dictionary */
	const xmlChar *href;	  /* namespace URI, in the dictionary; NULL: none */
	uint32_t parent, first, last, next;
	uint32_t text, text_last; /* its own text: pieces in xdoc.pc (0: none) */
	uint16_t tlen;		  /* bytes of it kept, at most TXT_MAX ... */
	bool tover;		  /* ... and whether there was more */
};

/* A run of an element's text in xdoc.txt; an element's text is in several pieces only where
 * child elements interrupt it. */
struct xpiece {
	uint32_t off, len, next;
};

/* One document, in arrays a decoder keeps from one document to the next: a document costs no
 * allocation once they are large enough (they are given back after one over XDOC_KEEP_*). */
struct xdoc {
	struct xel *el;
	uint32_t nel, cel;
	struct xpiece *pc;
	uint32_t npc, cpc;
	char *txt;
	uint32_t ntxt, ctxt;
	uint32_t cur; /* the open element (0: none) */
	bool oom;
};

#define XDOC_KEEP_EL  1024u
#define XDOC_KEEP_PC  2048u
#define XDOC_KEEP_TXT (64u * 1024u)

/* Room for one more of n items of size `size` in *arr (capacity *cap); false when out of memory. */
static bool xdoc_room(void **arr, uint32_t *cap, uint32_t n, size_t size, uint32_t first)
{
	if (n < *cap)
		return true;
	uint32_t c = *cap ? 2 * *cap : first;
	void *a = realloc(*arr, (size_t)c * size);
	if (!a)
		return false;
	*arr = a;
	*cap = c;
	return true;
}

static void xdoc_reset(struct xdoc *d)
{
	d->nel = 1; /* the document */
	d->npc = 1; /* 0: no piece */
	d->ntxt = 0;
	d->cur = 0;
	d->oom = false;
	if (d->cel)
		memset(&d->el[0], 0, sizeof d->el[0]);
}

static void xdoc_free(struct xdoc *d)
{
	free(d->el);
	free(d->pc);
	free(d->txt);
	memset(d, 0, sizeof *d);
}

/* After a document: arrays a hostile one made large are given back. */
static void xdoc_trim(struct xdoc *d)
{
	if (d->cel > XDOC_KEEP_EL || d->cpc > XDOC_KEEP_PC || d->ctxt > XDOC_KEEP_TXT)
		xdoc_free(d);
}

static const struct xel *xel_at(const struct xdoc *d, uint32_t i)
{
	return i ? &d->el[i] : NULL;
}

/* ---- parse guard and tree building (SAX callbacks on the decoder's context) --------------- */

struct guard {
	unsigned depth;
	unsigned elements;
	enum ct_csta_xml_reject why;
	struct xdoc *doc;
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

/* The other declarations of a DTD: unreachable once internalSubset stopped the parse, stopped
 * here too rather than handed to libxml2's tree builder, which has no document here. */
static void guard_notation_decl(void *ctx, const xmlChar *name CT_UNUSED, const xmlChar *public_id CT_UNUSED,
				const xmlChar *system_id CT_UNUSED)
{
	guard_stop(ctx, CT_CSTA_XML_DOCTYPE);
}

static void guard_attribute_decl(void *ctx, const xmlChar *elem CT_UNUSED, const xmlChar *fullname CT_UNUSED,
				 int type CT_UNUSED, int def CT_UNUSED, const xmlChar *default_value CT_UNUSED,
				 xmlEnumerationPtr tree)
{
	xmlFreeEnumeration(tree); /* the callback owns it */
	guard_stop(ctx, CT_CSTA_XML_DOCTYPE);
}

static void guard_element_decl(void *ctx, const xmlChar *name CT_UNUSED, int type CT_UNUSED,
			       xmlElementContentPtr content CT_UNUSED)
{
	guard_stop(ctx, CT_CSTA_XML_DOCTYPE);
}

static void guard_unparsed_entity_decl(void *ctx, const xmlChar *name CT_UNUSED, const xmlChar *public_id CT_UNUSED,
				       const xmlChar *system_id CT_UNUSED, const xmlChar *notation CT_UNUSED)
{
	guard_stop(ctx, CT_CSTA_XML_DOCTYPE);
}

static void out_of_memory(xmlParserCtxtPtr ctxt)
{
	struct guard *g = ctxt->_private;
	g->doc->oom = true;
	xmlStopParser(ctxt);
}

static void guard_start(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
			int nb_namespaces CT_UNUSED, const xmlChar **namespaces CT_UNUSED,
			int nb_attributes CT_UNUSED, int nb_defaulted CT_UNUSED, const xmlChar **attributes CT_UNUSED)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct guard *g = ctxt->_private;
	struct xdoc *d = g->doc;
	if (++g->depth > CT_CSTA_XML_MAX_DEPTH) {
		guard_stop(ctxt, CT_CSTA_XML_TOO_DEEP);
		return;
	}
	if (++g->elements > CT_CSTA_XML_MAX_ELEMENTS) {
		guard_stop(ctxt, CT_CSTA_XML_TOO_MANY);
		return;
	}
	if (!xdoc_room((void **)&d->el, &d->cel, d->nel, sizeof d->el[0], 64)) {
		out_of_memory(ctxt);
		return;
	}
	/* an undeclared prefix stays in the name, as libxml2's tree builder (SAX2.c) names it */
	if (prefix && !uri) {
		const xmlChar *q = xmlDictQLookup(ctxt->dict, prefix, localname);
		if (!q) {
			out_of_memory(ctxt);
			return;
		}
		localname = q;
	}
	uint32_t i = d->nel++;
	struct xel *e = &d->el[i], *p = &d->el[d->cur];
	memset(e, 0, sizeof *e);
	e->name = localname;
	e->href = uri;
	e->parent = d->cur;
	if (p->last)
		d->el[p->last].next = i;
	else
		p->first = i;
	p->last = i;
	d->cur = i;
}

static void guard_end(void *ctx, const xmlChar *localname CT_UNUSED, const xmlChar *prefix CT_UNUSED,
		      const xmlChar *uri CT_UNUSED)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct guard *g = ctxt->_private;
	if (g->depth)
		g->depth--;
	if (g->doc->cur) /* libxml2 ends only what it started; a stop ends nothing */
		g->doc->cur = g->doc->el[g->doc->cur].parent;
}

/* Text and CDATA (XML_PARSE_NOCDATA hands CDATA here too) of the open element: its first
 * TXT_MAX bytes are kept, the rest only noted. */
static void text_chars(void *ctx, const xmlChar *ch, int len)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct guard *g = ctxt->_private;
	struct xdoc *d = g->doc;
	if (!d->cur || len <= 0)
		return;
	struct xel *e = &d->el[d->cur];
	size_t n = (size_t)len, room = TXT_MAX - (size_t)e->tlen;
	if (n > room) {
		n = room;
		e->tover = true;
	}
	if (!n)
		return;
	while (d->ntxt + n > d->ctxt)
		if (!xdoc_room((void **)&d->txt, &d->ctxt, d->ctxt, 1, 4096)) {
			out_of_memory(ctxt);
			return;
		}
	struct xpiece *last = e->text_last ? &d->pc[e->text_last] : NULL;
	if (last && last->off + last->len == d->ntxt) {
		last->len += (uint32_t)n;
	} else {
		if (!xdoc_room((void **)&d->pc, &d->cpc, d->npc, sizeof d->pc[0], 64)) {
			out_of_memory(ctxt);
			return;
		}
		uint32_t k = d->npc++;
		d->pc[k] = (struct xpiece){d->ntxt, (uint32_t)n, 0};
		if (e->text_last)
			d->pc[e->text_last].next = k;
		else
			e->text = k;
		e->text_last = k;
	}
	memcpy(d->txt + d->ntxt, ch, n);
	d->ntxt += (uint32_t)n;
	e->tlen = (uint16_t)(e->tlen + n);
}

/* libxml2 reports through this instead of printing: the reason is in struct guard already. */
static void silent_error(void *ctx CT_UNUSED, xmlErrorPtr err CT_UNUSED) {}

/* Errors libxml2 raises without a parser context (a document's bytes that its declared
 * encoding cannot convert: "encoding error : input conversion failed") go to its generic
 * channel, stderr by default, a line per hostile document; its handlers are per thread, and
 * this decoder is the process's only libxml2 user. */
static void silent_generic(void *ctx CT_UNUSED, const char *msg CT_UNUSED, ...) {}

/* ---- text helpers ---------------------------------------------------------------------- */

static bool is_xml_ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct txt {
	char s[TXT_MAX];
	size_t len; /* bytes in s */
	bool over;  /* the text was longer than s */
};

/* The element's own text (text and CDATA children, concatenated), trimmed of XML blanks. */
static void own_text(const struct xdoc *d, const struct xel *n, struct txt *t)
{
	t->len = 0;
	t->over = n->tover;
	for (uint32_t k = n->text; k; k = d->pc[k].next) {
		memcpy(t->s + t->len, d->txt + d->pc[k].off, d->pc[k].len);
		t->len += d->pc[k].len;
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

static const struct xel *first_elem(const struct xdoc *d, const struct xel *n)
{
	return n ? xel_at(d, n->first) : NULL;
}

static const struct xel *child_named(const struct xdoc *d, const struct xel *n, const char *name)
{
	for (const struct xel *c = xel_at(d, n->first); c; c = xel_at(d, c->next))
		if (strcmp((const char *)c->name, name) == 0)
			return c;
	return NULL;
}

/* The value of a device-like element: its own text (MakeCall's callingDevice, deviceID), or the
 * text of its chosen child (deviceIdentifier, numberDialed, staticID, dynamicID, string,
 * octets, globallyUnique ...), two levels at most (staticID/deviceIdentifier). */
static void value_text(const struct xdoc *d, const struct xel *n, struct txt *t)
{
	own_text(d, n, t);
	for (int level = 0; t->len == 0 && !t->over && level < 2; level++) {
		n = first_elem(d, n);
		if (!n)
			break;
		own_text(d, n, t);
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
	const struct xdoc *d;
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
static bool is_vendor(const struct walk *w, const struct xel *n)
{
	if (!n->href)
		return false;
	if (w->root_ns && xmlStrEqual(n->href, w->root_ns))
		return false;
	return !is_ecma_ns(n->href);
}

static bool conn_empty(const struct ct_csta_conn *c)
{
	return !c->call_id[0] && !c->device[0];
}

static void fill_conn(const struct xdoc *d, struct ct_csta_msg *m, struct ct_csta_conn *c, const struct xel *n)
{
	struct txt t;
	const struct xel *x = child_named(d, n, "callID");
	if (x) {
		own_text(d, x, &t);
		put(m, c->call_id, sizeof c->call_id, &t);
	}
	x = child_named(d, n, "deviceID");
	if (x) {
		value_text(d, x, &t);
		put(m, c->device, sizeof c->device, &t);
	}
}

static void fill_device(const struct xdoc *d, struct ct_csta_msg *m, char *dst, size_t cap, const struct xel *n)
{
	struct txt t;
	if (dst[0])
		return;
	value_text(d, n, &t);
	put(m, dst, cap, &t);
}

/* Fills what element n means; returns whether its children are to be walked. */
static bool visit(struct walk *w, const struct xel *n)
{
	const struct xdoc *d = w->d;
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
			own_text(d, n, &t);
			put(m, m->xref, sizeof m->xref, &t);
		}
		return false;
	case F_CONN:
		if (conn_empty(&m->conn))
			fill_conn(d, m, &m->conn, n);
		else if (conn_empty(&m->conn2))
			fill_conn(d, m, &m->conn2, n);
		return false;
	case F_CONN2:
		if (conn_empty(&m->conn2))
			fill_conn(d, m, &m->conn2, n);
		return false;
	case F_NEWCONN:
		if (!m->new_call_id[0]) {
			struct ct_csta_conn nc;
			memset(&nc, 0, sizeof nc);
			fill_conn(d, m, &nc, n);
			memcpy(m->new_call_id, nc.call_id, sizeof m->new_call_id);
			if (conn_empty(&m->conn2))
				m->conn2 = nc;
		}
		return false;
	case F_SUBJECT:
		fill_device(d, m, m->subject, sizeof m->subject, n);
		return false;
	case F_CALLING:
		/* MakeCallResponse: callingDevice is the new call's ConnectionID */
		if (child_named(d, n, "callID") || child_named(d, n, "deviceID")) {
			if (conn_empty(&m->conn))
				fill_conn(d, m, &m->conn, n);
			if (!m->calling[0])
				ct_csta_set(m, m->calling, sizeof m->calling, m->conn.device, strlen(m->conn.device));
			return false;
		}
		fill_device(d, m, m->calling, sizeof m->calling, n);
		return false;
	case F_CALLED:
		fill_device(d, m, m->called, sizeof m->called, n);
		return false;
	case F_OTHER:
		fill_device(d, m, m->other, sizeof m->other, n);
		return false;
	case F_LOCAL:
		fill_device(d, m, m->local_state, sizeof m->local_state, n);
		return false;
	case F_CAUSE:
		if (!m->cause[0]) {
			own_text(d, n, &t);
			put_snake(m, m->cause, sizeof m->cause, &t);
		}
		return false;
	case F_CORRELATOR:
		fill_device(d, m, m->correlator, sizeof m->correlator, n);
		return false;
	case F_USERDATA:
		fill_device(d, m, m->user_data, sizeof m->user_data, n);
		return false;
	case F_GLOBALID:
		fill_device(d, m, m->global_call_id, sizeof m->global_call_id, n);
		return false;
	case F_AGENT_STATE:
		if (!m->agent_state[0]) {
			own_text(d, n, &t);
			put_snake(m, m->agent_state, sizeof m->agent_state, &t);
		}
		return false;
	case F_AGENT_ID:
		fill_device(d, m, m->agent_id, sizeof m->agent_id, n);
		return false;
	case F_REASON:
		fill_device(d, m, m->reason, sizeof m->reason, n);
		return false;
	case F_MONITOR:
		fill_device(d, m, m->monitor_device, sizeof m->monitor_device, n);
		return false;
	case F_SYSSTATUS:
		if (!m->system_status[0]) {
			own_text(d, n, &t);
			put_snake(m, m->system_status, sizeof m->system_status, &t);
		}
		return false;
	}
	return true;
}

static void walk(struct walk *w, const struct xel *parent, unsigned depth)
{
	for (const struct xel *n = xel_at(w->d, parent->first); n && w->why == CT_CSTA_XML_OK;
	     n = xel_at(w->d, n->next)) {
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

static void classify_root(const struct xdoc *d, struct ct_csta_msg *m, const struct xel *root, bool vendor_root)
{
	const char *el = (const char *)root->name;
	size_t n = strlen(el), stem = n;
	char name[sizeof m->name + 8];
	const struct ct_csta_name_info *known = NULL;

	if (strcmp(el, "CSTAErrorCode") == 0 || strcmp(el, "UniversalFailure") == 0) {
		/* the error's category element; its text is the value (invalidDeviceID, ...) */
		const struct xel *e = first_elem(d, root);
		struct txt t;
		m->kind = CT_CSTA_ERROR;
		if (e) {
			own_text(d, e, &t);
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

static bool is_soap_ns(const xmlChar *href)
{
	return href && (xmlStrEqual(href, (const xmlChar *)ns_soap11) || xmlStrEqual(href, (const xmlChar *)ns_soap12));
}

/* A CSTA message inside a SOAP envelope (ECMA-323 annex on SOAP): the first element of Body. */
static const struct xel *unwrap_soap(const struct xdoc *d, const struct xel *root)
{
	if (!is_soap_ns(root->href) || strcmp((const char *)root->name, "Envelope") != 0)
		return root;
	for (const struct xel *c = xel_at(d, root->first); c; c = xel_at(d, c->next))
		if (is_soap_ns(c->href) && strcmp((const char *)c->name, "Body") == 0)
			return first_elem(d, c) ? first_elem(d, c) : root;
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
	struct xdoc doc;       /* the document being walked; its arrays kept */
	uint64_t renewals;
};

struct ct_csta_xml *ct_csta_xml_new(void)
{
	return calloc(1, sizeof(struct ct_csta_xml));
}

/* What x holds, x itself apart. */
static void xml_release(struct ct_csta_xml *x)
{
	if (x->ctxt)
		xmlFreeParserCtxt(x->ctxt);
	x->ctxt = NULL;
	xdoc_free(&x->doc);
}

void ct_csta_xml_free(struct ct_csta_xml *x)
{
	if (!x)
		return;
	xml_release(x);
	free(x);
}

uint64_t ct_csta_xml_renewals(const struct ct_csta_xml *x)
{
	return x->renewals;
}

/* A parser context whose SAX table (its own, allocated with it) carries the guards and builds
 * struct xdoc instead of a libxml2 tree; they stay for every document parsed on it
 * (xmlCtxtUseOptions() changes only the error and CDATA callbacks). Entities: getEntity stays
 * libxml2's, which without a DTD knows the five predefined ones only; reference, comments and
 * processing instructions are dropped (the walk never read them). */
static xmlParserCtxtPtr ctxt_new(void)
{
	init_libxml_once();
	xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
	if (!ctxt)
		return NULL;
	xmlSAXHandler *sax = ctxt->sax;
	sax->internalSubset = guard_internal_subset;
	sax->externalSubset = guard_internal_subset;
	sax->entityDecl = guard_entity_decl;
	sax->notationDecl = guard_notation_decl;
	sax->attributeDecl = guard_attribute_decl;
	sax->elementDecl = guard_element_decl;
	sax->unparsedEntityDecl = guard_unparsed_entity_decl;
	sax->startDocument = NULL;
	sax->endDocument = NULL;
	sax->startElementNs = guard_start;
	sax->endElementNs = guard_end;
	sax->characters = text_chars;
	sax->ignorableWhitespace = text_chars; /* as libxml2's tree keeps blanks by default */
	sax->cdataBlock = text_chars;
	sax->reference = NULL;
	sax->comment = NULL;
	sax->processingInstruction = NULL;
	sax->serror = silent_error;
	return ctxt;
}

/* Parses xml on ctxt into g->doc (the guard says why it stopped, if it did; the caller reads
 * ctxt->wellFormed). xmlCtxtReadMemory() resets the context first: input, name stack, errors,
 * the document's version and encoding, attribute defaults, entity counts. The reset of libxml2
 * 2.9.14 as released keeps the namespace stack (Debian 12's package carries the fix, upstream
 * commit 5930fe01): a parse stopped inside an element would lend its prefixes to the next
 * document, so it is emptied here whatever the library does. */
static void parse_doc(xmlParserCtxtPtr ctxt, const uint8_t *xml, size_t len, struct guard *g)
{
	ctxt->nsNr = 0;
	ctxt->_private = g;
	xmlSetGenericErrorFunc(NULL, silent_generic); /* this thread's; two pointer stores */
	xmlSetStructuredErrorFunc(NULL, silent_error);
	xmlDocPtr none = xmlCtxtReadMemory(ctxt, (const char *)xml, (int)len, NULL, NULL, PARSE_OPTIONS);
	xmlFreeDoc(none); /* no startDocument: libxml2 makes no tree */
	ctxt->_private = NULL;
}

/* Whether ctxt's dictionary holds more than a decoder keeps between documents. */
static bool dict_full(const xmlParserCtxt *ctxt)
{
	return xmlDictSize(ctxt->dict) > CT_CSTA_XML_DICT_NAMES || xmlDictGetUsage(ctxt->dict) > CT_CSTA_XML_DICT_BYTES;
}

int ct_csta_xml_parse(struct ct_csta_xml *x, const uint8_t *xml, size_t len, struct ct_csta_msg *out,
		      enum ct_csta_xml_reject *why)
{
	struct xdoc *d = &x->doc;
	struct guard g = {0, 0, CT_CSTA_XML_OK, d};
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
	if (!x->ctxt || !xdoc_room((void **)&d->el, &d->cel, 0, sizeof d->el[0], 64)) {
		rc = CT_ENOMEM;
		goto out;
	}
	xdoc_reset(d);
	parse_doc(x->ctxt, xml, len, &g);
	if (d->oom) {
		rc = CT_ENOMEM;
		goto done;
	}
	if (!x->ctxt->wellFormed && g.why == CT_CSTA_XML_OK)
		g.why = CT_CSTA_XML_NOT_XML;
	if (g.why != CT_CSTA_XML_OK)
		goto done;
	const struct xel *root = xel_at(d, d->el[0].first);
	if (!root) {
		g.why = CT_CSTA_XML_NOT_XML;
		goto done;
	}
	root = unwrap_soap(d, root);

	struct walk w = {d, out, root->href, 0, CT_CSTA_XML_OK};
	if (root->href)
		ct_csta_set(out, out->ns, sizeof out->ns, (const char *)root->href, strlen((const char *)root->href));
	bool vendor_root = root->href && !is_ecma_ns(root->href);
	classify_root(d, out, root, vendor_root);
	if (!vendor_root)
		walk(&w, root, 2);
	if (w.why != CT_CSTA_XML_OK) {
		g.why = w.why;
		goto done;
	}
	rc = CT_OK;

done:
	xdoc_trim(d);
	if (dict_full(x->ctxt)) { /* the names in d die with it: d is reset before its next use */
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
	struct ct_csta_xml x;
	memset(&x, 0, sizeof x);
	int rc = ct_csta_xml_parse(&x, xml, len, out, why);
	xml_release(&x);
	return rc;
}

int ct_csta_xml_decode(const uint8_t *xml, size_t len, struct ct_csta_msg *out)
{
	return ct_csta_xml_decode_why(xml, len, out, NULL);
}
