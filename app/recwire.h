/* recwire.h - ctitap's recorder (sinks/recorder.h) driven by the correlator's recording
 * triggers (issue 14): the application's wiring, the one place that knows both the engine,
 * which knows nothing of calls, and the correlator, which writes nothing to disk.
 *
 *  - Triggers (struct ct_recording_view, report hook `recording`) become engine calls: start
 *    opens a recording (the far end is the `in` endpoint, the agent the `out` one; payload types
 *    from the SDPs that announced them, correlator/media.h), pause and resume pause and resume
 *    it, update and any trigger whose endpoints moved give it the new media, stop stops it.
 *    Each trigger is written as its `recording` record with the chain entry the engine wrote
 *    for it (seq, prev, hash, sig); a stop's record waits until its file is finished (its
 *    SHA-256 is a read of the file) and carries the file (path, format, codec, duration,
 *    bytes, sha256, packets, loss, quality per direction). Without record.dir, or for a
 *    recording the engine refused, triggers are written as they come.
 *  - Open recordings are keyed by (call id, device) as the triggers name them; a merge of two
 *    calls (report hook `merged`) moves those of the merged call to the surviving id, and a
 *    device SIP named one way and CTI another (`renamed`) to CTI's name, so their later
 *    triggers find them (neither lost nor opened twice).
 *  - RTP: ct_recwire_rtp() hands each packet to the engine by endpoint, from the pipeline after
 *    the media module accounted it; nothing allocated, nothing printed.
 *  - The engine's events: a finished payload or evidence pcap is a `file` record; the engine
 *    stopping a recording itself (disk guard, write error), a file it could not write, files a
 *    crash left (repaired or broken), retention and one-way-audio / long-silence findings are
 *    audits (docs/records.md#audit).
 *  - Evidence (record.pcap): one pcap per recorded call: the frames of the SIP messages of the
 *    call's events, from its first INVITE (frames of calls not recorded yet wait in a hold of
 *    record.pcap_hold_kb), and the RTP frames its recordings take while they run; DTMF (SIP
 *    INFO bodies, RFC 4733 events) only with privacy.dtmf=clear. Closed when the call's record
 *    is written.
 *  - Privacy: the engine gets the device as privacy.* shows it (records/privacy.h), so its
 *    chain entries and the digest in its file names carry no number the records do not.
 *
 * Memory: the engine's (sinks/recorder.h); here 1 KiB per recording (992 bytes: names, endpoints,
 * payload types) and 144 bytes per evidence pcap, and the hold (record.pcap_hold_kb).
 * Threading: the pipeline's thread; engine events come back from inside the calls below.
 */
#ifndef CT_RECWIRE_H
#define CT_RECWIRE_H

#include <stdbool.h>
#include <stdint.h>

#include "../capture/capture.h"
#include "../correlator/media.h"
#include "../correlator/report.h"
#include "../records/records.h"
#include "../util/counters.h"
#include "../util/hash.h"
#include "config.h"

struct ct_recwire;

/* What the wiring borrows; everything must outlive it. */
struct ct_recwire_env {
	const struct ct_config *cfg;  /* record.*, privacy.*, numbers.*, sensor.name (read live: SIGHUP) */
	struct ct_records *rec;       /* recording records and audits are written through it */
	const struct ct_report *rep;  /* its audit hook */
	struct ct_media *media;       /* payload types by endpoint */
	const struct ct_capture *cap; /* the frame being decoded (evidence pcaps) */
	struct ct_counters *ctr;
	const struct ct_hashkey *key;
};

/* Opens the engine on record.dir when it is set (else recording is off until a reload sets it):
 * its lock, the chain, the repair of what a crash left (audits). Returns CT_OK, or the engine's
 * error with err saying why (another ctitap holds the folder, a key file, the folder itself),
 * CT_ENOMEM. */
int ct_recwire_new(struct ct_recwire **out, const struct ct_recwire_env *env, char *err, size_t errlen);
/* End of input, after the correlator ended every call (their stops came): every file is
 * finished and its record written, the engine freed. Counters stay readable. */
void ct_recwire_close(struct ct_recwire *w, ct_time_t now);
/* ct_recwire_close() if needed, then frees w. NULL is fine. */
void ct_recwire_free(struct ct_recwire *w, ct_time_t now);

/* The report hooks' parts: a trigger (its record is written here), a merge, a call record (its
 * evidence pcap closes). */
void ct_recwire_trigger(struct ct_recwire *w, const struct ct_recording_view *v);
void ct_recwire_merged(struct ct_recwire *w, ct_time_t ts, const char *into, const char *from);
void ct_recwire_renamed(struct ct_recwire *w, ct_time_t ts, const char *call, const char *from, const char *to);
void ct_recwire_call_end(struct ct_recwire *w, const char *call, ct_time_t ts);
/* A SIP message of call `call` (NULL: of none), being decoded now: its frame for the evidence.
 * reassembled: the datagram came from IP fragments (the frame is its last one). */
void ct_recwire_sip(struct ct_recwire *w, const char *call, const struct ct_sip_msg *m, ct_time_t ts, bool reassembled);

/* True with evidence pcaps on (record.pcap): only then is a SIP message's call worth finding. */
bool ct_recwire_wants_sip(const struct ct_recwire *w);
/* True while some recording is open: only then is an RTP packet worth parsing for it. */
bool ct_recwire_wants_rtp(const struct ct_recwire *w);
/* One RTP packet (not RTCP) of datagram pk, parsed into h. No allocation, no printf. */
void ct_recwire_rtp(struct ct_recwire *w, const struct ct_pkt *pk, const struct ct_rtp_hdr *h);
/* Timers of the engine (flush, findings, finishing files, disk guard, retention): call every
 * ~100 ms of packet time. */
void ct_recwire_tick(struct ct_recwire *w, ct_time_t now);

/* SIGHUP: when the recorder's settings (record.* but the trigger rules) differ from those the
 * engine runs with, every open recording is stopped (reason reload), the engine reopened with
 * the new ones, and the recordings go on in new files (start, reason reload). record.dir
 * emptied stops recording; set, starts it. Returns CT_OK, or the new engine's error (err says
 * why; recording is then off until the next good reload). */
int ct_recwire_reload(struct ct_recwire *w, ct_time_t now, char *err, size_t errlen);

/* The engine's counters for the stats record and /metrics (the last ones after close). */
void ct_recwire_stats(struct ct_recwire *w, struct ct_stats_group *g);
/* Recordings open, and files being finished. */
unsigned ct_recwire_active(const struct ct_recwire *w);
unsigned ct_recwire_finishing(const struct ct_recwire *w);

#endif
