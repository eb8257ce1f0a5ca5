/* asn1_quiet.h - force-included into the asn1c-generated code (CMakeLists.txt, csta_asn1).
 *
 * asn1c 0.9.28's skeletons define ASN_DEBUG, when their debug output is off, as an empty
 * *function* (asn_internal.h), so its arguments are still evaluated: ber_tlv_tag_string()
 * snprintf()s a tag's name for every tag checked, about 10 % of the time of a CSTA BER link
 * (perf, bench/README.md). asn_internal.h keeps a definition it finds: this one drops the
 * arguments unevaluated. */
#ifndef CT_ASN1_QUIET_H
#define CT_ASN1_QUIET_H
#define ASN_DEBUG(...) \
	do {           \
	} while (0)
#endif
