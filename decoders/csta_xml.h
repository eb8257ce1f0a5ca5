/* csta_xml.h - one CSTA XML document (ECMA-323 editions 2 to 6, with or without a namespace,
 * bare or in a SOAP Body; also the uaCSTA bodies of SIP INFO/INVITE, application/csta+xml)
 * decoded through libxml2 into the normalised struct ct_csta_msg of csta.h.
 *
 * The input is the XML alone: the 8-byte frame header of CSTA over TCP is the framing layer's
 * (it also sets out->invoke_id / has_invoke_id afterwards; this decoder leaves them 0/false).
 *
 * Hostile input policy: documents over CT_CSTA_XML_MAX_BYTES, with any DOCTYPE (internal subset,
 * entity declarations, external DTD: billion laughs and XXE), nested deeper than
 * CT_CSTA_XML_MAX_DEPTH or with more than CT_CSTA_XML_MAX_ELEMENTS elements are rejected with
 * CT_EINVAL as the parse reaches the offending token; so are documents that are not well-formed
 * (truncated, not UTF-8 where they say so). Entities are never substituted, nothing is loaded
 * from the network or the file system. Nothing is printed; the reason is returned through
 * ct_csta_xml_decode_why() so the caller can count it.
 *
 * A decoder (struct ct_csta_xml) keeps one libxml2 parser context, its name dictionary and the
 * arrays the document is read into from one document to the next, reset before each: a CSTA
 * link's documents then cost no allocation of their own but libxml2's input buffer
 * (allocations that grew with the heap of a tap holding 10 000 calls). Nothing of a document
 * outlives its decode but the dictionary's names, and the dictionary is bounded: past
 * CT_CSTA_XML_DICT_NAMES names or CT_CSTA_XML_DICT_BYTES bytes (element names an attacker
 * makes up), the context is replaced before the next document (counted in
 * ct_csta_xml_renewals()); arrays a large document grew past 1 024 elements or 64 KiB of text
 * are given back after it. ct_csta_xml_decode() is the same with a decoder of its own, made
 * and freed in the call.
 *
 * Thread use: a decoder belongs to one thread at a time. libxml2's xmlInitParser() must have
 * run once before two threads decode at the same time; the first decode here runs it when
 * nobody did.
 */
#ifndef CT_CSTA_XML_H
#define CT_CSTA_XML_H

#include <stddef.h>
#include <stdint.h>

#include "../util/ct.h"
#include "csta.h"

#define CT_CSTA_XML_MAX_BYTES	 (64u * 1024u) /* one CSTA document; real ones are under 4 KiB */
#define CT_CSTA_XML_MAX_DEPTH	 32	       /* element nesting, the root being depth 1 */
#define CT_CSTA_XML_MAX_ELEMENTS 4096	       /* elements in one document */
#define CT_CSTA_XML_DICT_NAMES	 4096	       /* names a decoder's dictionary keeps ... */
#define CT_CSTA_XML_DICT_BYTES	 (256u * 1024u) /* ... and their bytes, before it is replaced */

/* Why a document was rejected (CT_CSTA_XML_OK when it was not). */
enum ct_csta_xml_reject {
	CT_CSTA_XML_OK = 0,
	CT_CSTA_XML_NOT_XML,  /* empty, not XML, not well-formed, truncated, bad encoding */
	CT_CSTA_XML_TOO_BIG,  /* over CT_CSTA_XML_MAX_BYTES */
	CT_CSTA_XML_DOCTYPE,  /* a DOCTYPE / DTD / entity declaration (never processed) */
	CT_CSTA_XML_TOO_DEEP, /* over CT_CSTA_XML_MAX_DEPTH */
	CT_CSTA_XML_TOO_MANY, /* over CT_CSTA_XML_MAX_ELEMENTS */
};

struct ct_csta_xml;

/* A decoder for a sequence of documents (a CSTA link, the uaCSTA bodies of a pipeline).
 * Returns NULL when out of memory; the caller owns it and frees it with ct_csta_xml_free(). */
struct ct_csta_xml *ct_csta_xml_new(void);
/* Frees x and its parser context; NULL is a no-op. */
void ct_csta_xml_free(struct ct_csta_xml *x);
/* Decodes one document as ct_csta_xml_decode_why() does, on x's parser context (made again
 * first if the last one was dropped for its dictionary's size, or could not be made). What a
 * document decodes to does not depend on the documents x decoded before. */
int ct_csta_xml_parse(struct ct_csta_xml *x, const uint8_t *xml, size_t len, struct ct_csta_msg *out,
		      enum ct_csta_xml_reject *why);
/* Times x replaced its parser context because the dictionary reached its cap. */
uint64_t ct_csta_xml_renewals(const struct ct_csta_xml *x);

/* Decodes one document of len bytes into *out (fully overwritten; encoding CT_CSTA_XML, phase 0,
 * opcode -1). Returns CT_OK, also for well-formed documents whose root element it does not know
 * (then out->unknown is set and kind follows the name's suffix), or CT_EINVAL. Reads xml only
 * during the call; keeps no pointer into it. */
int ct_csta_xml_decode(const uint8_t *xml, size_t len, struct ct_csta_msg *out);

/* Same; *why (may be NULL) receives the reason of a rejection. */
int ct_csta_xml_decode_why(const uint8_t *xml, size_t len, struct ct_csta_msg *out, enum ct_csta_xml_reject *why);

/* Static name of a reject reason ("doctype", "too_deep", ...). */
const char *ct_csta_xml_reject_name(enum ct_csta_xml_reject why);
/* True when the element table is sorted as its binary search needs (checked by the tests). */
bool ct_csta_xml_fields_sorted(void);

#endif
