/* counters.h - every counter ctitap keeps, declared once.
 *
 * The X-macro list is the single source for the struct, the JSON stats record and the
 * human summary of --stats, so a counter cannot be added to one and forgotten in another.
 * Counters are plain uint64_t: ctitap's pipeline runs on one thread.
 */
#ifndef CT_COUNTERS_H
#define CT_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#define CT_COUNTER_LIST(X)                                                                   \
	X(packets, "frames read")                                                           \
	X(bytes, "bytes on the wire of the frames read")                                    \
	X(snapped, "frames cut short by the snap length")                                   \
	X(clock_outliers, "frames dated off the capture clock, processed at its time (docs/capture.md)") \
	X(clock_jumps, "times the capture clock moved to a new time line (back, or over 1 h forward)") \
	X(clock_invalid, "frames dated past 9999-12-31, processed at the capture clock's time") \
	X(truncated, "frames shorter than their headers claim")                             \
	X(malformed, "frames with impossible header values")                                \
	X(linktype_unsupported, "frames of a link type ctitap does not decode")             \
	X(l3_other, "frames carrying neither IPv4 nor IPv6 (ARP, STP, ...)")                \
	X(l4_other, "IP packets of a transport other than UDP and TCP")                     \
	X(vlan_tags, "802.1Q/802.1ad tags removed")                                         \
	X(vlan_too_deep, "frames with more VLAN tags than capture.vlan_max")                \
	X(mpls_labels, "MPLS labels removed")                                               \
	X(pppoe, "PPPoE session frames decoded")                                            \
	X(tunnel_gre, "GRE packets decapsulated")                                           \
	X(tunnel_erspan, "ERSPAN packets decapsulated (types I, II, III)")                   \
	X(tunnel_vxlan, "VXLAN packets decapsulated")                                       \
	X(tunnel_ipip, "IP-in-IP packets decapsulated")                                     \
	X(tunnel_too_deep, "packets nested deeper than capture.tunnel_max")                 \
	X(ipv4, "IPv4 packets")                                                             \
	X(ipv6, "IPv6 packets")                                                             \
	X(ipv6_ext_headers, "IPv6 extension headers walked")                                \
	X(frag_fragments, "IP fragments seen")                                              \
	X(frag_reassembled, "IP datagrams reassembled from fragments")                      \
	X(frag_timeout, "partial datagrams dropped after defrag.timeout")                   \
	X(frag_overlap, "fragments overlapping earlier ones (policy in docs/capture.md)")    \
	X(frag_dup, "exact duplicate fragments ignored")                                    \
	X(frag_too_big, "reassemblies over 65535 bytes dropped")                            \
	X(frag_memcap, "fragments dropped at defrag.memcap_mb or defrag.max_datagrams")     \
	X(span_dups, "SPAN duplicates suppressed")                                          \
	X(udp, "UDP datagrams")                                                             \
	X(tcp, "TCP segments")                                                              \
	X(sctp, "SCTP packets")                                                             \
	X(sctp_fragments, "SCTP DATA chunks that were fragments of a user message")         \
	X(sctp_dropped, "SCTP user messages dropped (fragments out of order, over the cap)") \
	X(flows, "flows created")                                                           \
	X(flows_udp, "UDP flows created")                                                   \
	X(flows_tcp, "TCP flows (streams) created")                                         \
	X(flows_expired, "flows ended by idle expiry")                                      \
	X(flows_evicted, "flows evicted because flow.max was reached")                      \
	X(tcp_syn, "TCP segments with SYN")                                                 \
	X(tcp_midstream, "TCP directions joined without their SYN")                         \
	X(tcp_bytes, "TCP payload bytes delivered in order")                                \
	X(tcp_retrans, "TCP segments entirely already delivered (retransmissions)")         \
	X(tcp_overlap, "TCP segments partly already delivered")                             \
	X(tcp_ooo, "TCP segments queued out of order")                                      \
	X(tcp_gaps, "TCP holes skipped (data the capture never saw)")                       \
	X(tcp_gap_bytes, "bytes of the TCP holes skipped")                                  \
	X(tcp_flow_memcap, "TCP holes forced by tcp.flow_memcap_kb")                        \
	X(tcp_memcap, "TCP holes forced by tcp.memcap_mb")                                  \
	X(tcp_evicted, "TCP streams without a parsed message whose buffers were dropped at tcp.memcap_mb") \
	X(tcp_fin, "TCP directions closed by FIN")                                          \
	X(tcp_rst, "TCP connections reset")                                                 \
	X(tcp_rst_ignored, "TCP resets ignored: sequence far outside the window (RFC 5961)") \
	X(tcp_parse_errors, "stream parser errors (the parser resyncs)")                    \
	X(tcp_bad_header, "TCP headers with an impossible data offset")                     \
	X(sip_messages, "SIP messages parsed")                                             \
	X(sip_bad, "SIP messages that did not parse (counted, skipped)")                    \
	X(sip_oversized, "SIP messages over the TCP stream cap, skipped whole by their Content-Length") \
	X(sip_skipped_bytes, "SIP stream bytes skipped (oversized messages, resync to the next start line)") \
	X(sip_retrans, "SIP retransmissions recognised (not counted twice)")                \
	X(sip_requests_other, "OPTIONS, REGISTER, SUBSCRIBE, MESSAGE, PUBLISH: counted only") \
	X(sip_calls, "SIP calls (Call-IDs with an INVITE) tracked")                         \
	X(sip_calls_answered, "SIP calls answered (2xx to an INVITE)")                     \
	X(sip_calls_evicted, "SIP calls dropped at sip.max_calls")                          \
	X(sip_callid_refused, "SIP messages not tracked: Call-ID over 256 bytes (never cut)")  \
	X(sip_timers_failed, "SIP calls whose timer could not be set (out of memory)")          \
	X(sip_fields_cut, "SIP users, tags or Replaces cut to what the correlator keeps (63/63/256 bytes)") \
	X(sip_csta_sessions, "SIP dialogs carrying uaCSTA (CSTA sessions, not calls)")      \
	X(sdp_bodies, "SDP bodies parsed")                                                  \
	X(sdp_bad, "SDP bodies that did not parse")                                         \
	X(rtp_flows, "UDP flows found to carry the RTP/RTCP an SDP announced")              \
	X(rtp_packets, "RTP packets accounted")                                             \
	X(rtcp_packets, "RTCP compound packets accounted")                                  \
	X(rtp_bad, "packets on RTP flows that were neither valid RTP nor RTCP")             \
	X(rtp_expect_full, "SDP endpoints not tracked: a call's or the table's cap was hit")  \
	X(csta_links, "TCP connections found to carry CSTA")                                \
	X(csta_messages, "CSTA messages decoded (BER or XML)")                             \
	X(csta_unknown, "CSTA messages decoded only as far as their envelope")             \
	X(csta_bad, "CSTA messages that did not decode (counted, skipped)")                 \
	X(csta_resync, "CSTA links that lost their framing and resynced")                   \
	X(csta_skipped_bytes, "CSTA stream bytes skipped while resyncing on the next frame") \
	X(csta_links_evicted, "CSTA links evicted at csta.max_links (evicted audits)")             \
	X(csta_links_refused, "CSTA messages of links not tracked: csta.max_links full of busy working links") \
	X(csta_monitors_dropped, "MonitorStart results not remembered: csta.max_monitors or csta.max_monitors_total")       \
	X(csta_pending_dropped, "CSTA requests forgotten unanswered (per-link cap)")         \
	X(csta_unmatched, "CSTA results or errors with no request seen")                    \
	X(csta_unknown_xref, "CSTA events for a monitor cross-reference never started")     \
	X(csta_unknown_monitors, "monitor cross-references with events but no MonitorStart (unknown_monitor audits)") \
	X(csta_dup_events, "CSTA events seen twice for the same monitor (duplicate_event audits)") \
	X(csta_missing_responses, "CSTA requests never answered (missing_response audits)")  \
	X(cti_blind_periods, "periods a CSTA link or monitor could not be seen (cti_blind audits)") \
	X(calls, "customer calls (call records) started")                                   \
	X(calls_evicted, "call records written early at calls.max_calls")                    \
	X(calls_merged, "calls merged into another (transfer, conference, REFER, late evidence)") \
	X(calls_consultations, "CSTA calls joined to the customer call their device holds as its consultation") \
	X(calls_b2bua_paired, "SIP dialogs paired with the one a B2BUA relays them to")          \
	X(calls_ambiguous, "legs left apart because several calls fitted them equally")          \
	X(calls_names_learnt, "device names learnt (a DDI or SIP user CTI showed to be a device)") \
	X(calls_names_forgotten, "device names forgotten when the table was full (oldest first)") \
	X(calls_legs_dropped, "legs not added to a call that had calls' maximum already")     \
	X(calls_parties_dropped, "devices not kept in a call's parties (never answered; cap reached)") \
	X(calls_keys_dropped, "ids of a call not indexed: its key slots were full (or out of memory)") \
	X(calls_keys_refused, "ids too long for the call index: refused, never cut")           \
	X(call_details_cut, "audit details cut to 159 bytes in a call record (the audit record is whole)") \
	X(call_audits, "audit findings about calls")                                          \
	X(recording_triggers, "recording records (start, pause, resume, stop)")               \
	X(rec_triggers_unmatched, "recording triggers for no recording the recorder holds (refused at its start, or a device renamed): written, nothing recorded") \
	X(rec_not_opened, "recordings the recorder could not open (record.max_active, the disk guard, a file error): audited") \
	X(rec_pcap_hold_evicted, "SIP frames pushed out of the evidence hold (record.pcap_hold_kb) before their call was recorded") \
	X(rec_pcap_withheld, "frames kept out of evidence pcaps: RTP while paused; DTMF (SIP INFO, RFC 4733) unless privacy.dtmf=clear") \
	X(rec_pcap_partial, "SIP messages reassembled from IP fragments, in evidence pcaps as their last fragment") \
	X(agents_tracked, "agent devices tracked (named by a CSTA agent event)")            \
	X(agent_state_changes, "agent state changes written (agent_state events)")          \
	X(agents_evicted, "agent devices forgotten at agents.max (least recently changed)") \
	X(records, "records written")                                                       \
	X(output_errors, "records an output lost (disk full past its hold buffer, ...)")              \
	X(output_retries, "output writes that failed (disk full, ...), rolled back and retried later") \
	X(output_rotations, "output files rotated")                                         \
	X(kafka_produced, "records handed to librdkafka")                                   \
	X(kafka_delivered, "records the Kafka broker acknowledged")                         \
	X(kafka_failed, "records the Kafka broker refused for good")                        \
	X(kafka_dead_letter, "records the broker refused kept in the spool's dead-letter file") \
	X(kafka_queue_full, "times librdkafka's queue was full (records wait in the spool)")\
	X(kafka_retried, "records produced again after a delivery timeout")                 \
	X(spool_written, "records written to the Kafka spool journal")                      \
	X(spool_replayed, "records an earlier run left in the spool, delivered first")      \
	X(spool_dropped, "undelivered records dropped at kafka.spool.max_mb")               \
	X(spool_corrupt, "spool journal records lost to a corrupt segment (skipped)") \
	X(pcap_drop, "packets dropped by the kernel (pcap_stats ps_drop)")                  \
	X(pcap_ifdrop, "packets dropped by the interface (pcap_stats ps_ifdrop)")           \
	X(file_errors, "capture files that ended in a read error or were cut short")

struct ct_counters {
#define CT_COUNTER_FIELD(name, desc) uint64_t name;
	CT_COUNTER_LIST(CT_COUNTER_FIELD)
#undef CT_COUNTER_FIELD
};

struct ct_counter_desc {
	const char *name;
	const char *desc;
	size_t offset;
};

/* Table of every counter in declaration order; ct_counter_count entries. */
extern const struct ct_counter_desc ct_counter_table[];
extern const size_t ct_counter_count;

static inline uint64_t ct_counter_get(const struct ct_counters *c, const struct ct_counter_desc *d)
{
	return *(const uint64_t *)(const void *)((const char *)c + d->offset);
}

#endif
