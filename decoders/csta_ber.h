/* csta_ber.h - one CSTA BER PDU (ACSE or ROSE; ECMA-285 Phase III or the ECMA-217/218 Phase II
 * encoding of Alcatel OXE) into the normalised struct ct_csta_msg, through asn1c-generated
 * decoders of the modules in asn/. */
#ifndef CT_CSTA_BER_H
#define CT_CSTA_BER_H

#include <stddef.h>
#include <stdint.h>

#include "decoders/csta.h"
#include "util/ct.h"

/* Nesting deeper than this many constructed levels is refused before asn1c sees the PDU. */
#define CT_CSTA_BER_MAX_DEPTH 24
/* asn1c's own stack budget (bytes) for one decode: deep input fails cleanly (real events need
 * about 1.7 KB). */
#define CT_CSTA_BER_STACK 30000

/* Decodes ONE bare BER PDU (link framing already removed) into *out (overwritten).
 * phase_hint: 0 = Phase III first, then Phase II, the first decode that consumes the whole
 * argument wins; 2 or 3 = that phase only (choose per link when known: cross-decoding can
 * succeed wrongly). Returns CT_OK with out->unknown set when only the ROSE envelope was
 * understood (unknown operation or event, or an argument of a known operation that does not
 * fit the module): name is then "unknown_op" (an unknown operation code, kept in opcode with
 * has_opcode), "unknown_event" (an event report of an unknown event) or the service name.
 * Returns CT_EINVAL for
 * anything that is not one well-formed, definite-length BER ACSE or ROSE PDU of exactly len
 * bytes. Allocates only inside the call (asn1c structures, all freed before it returns);
 * reentrant, no global state. */
int ct_csta_ber_decode(const uint8_t *pdu, size_t len, int phase_hint, struct ct_csta_msg *out);

#endif
