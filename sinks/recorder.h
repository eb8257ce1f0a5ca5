/* recorder.h - compliance recording: the media of a call's device written to disk by ctitap
 * itself, tamper-evident, from the correlator's triggers (issue 14). docs/recording.md tells
 * the whole story; this header is the contract.
 *
 * The engine knows nothing of the correlator. A recording is opened for (call id, device,
 * start time, the two RTP directions each named by its sender's SDP endpoint, the payload
 * types of the SDP); paused, resumed and stopped with a reason; and fed RTP packets, either
 * through its handle and a direction or by endpoint lookup. What it writes:
 *
 *  - audio: one stereo WAV per recording, far end on channel 0 (left), agent on channel 1
 *    (right), placed by RTP timestamp. G.711 is kept as on the wire (WAV A-law/u-law: the data
 *    bytes are the RTP payload bytes); G.722 and Opus are decoded (libspandsp, libopus) into
 *    16-bit PCM at 16 kHz. Loss, gaps, DTMF (RFC 4733) and comfort noise (RFC 3389) are
 *    silence; pauses are silence or cut (record.pause_mode). Other codecs: their payloads go
 *    into a per-recording pcap (synthetic IP/UDP, LINKTYPE_RAW) that Wireshark plays.
 *  - evidence: optionally one pcap per call with the frames the caller adds (record.pcap).
 *  - integrity: each file's SHA-256 and size; every recording action an entry in a hash chain
 *    (DIR/chain/YYYY-MM-DD.jsonl, state in DIR/chain/state), optionally Ed25519-signed; files
 *    optionally encrypted to a public key the sensor cannot decrypt with.
 *
 * Storage: DIR/YYYY/MM/DD/<call id>-<device hash>[-n].<ext> (UTC date of the start; names
 * made only of ctitap's ids and hex digests, never of packet text), mode 0640, created
 * O_EXCL|O_NOFOLLOW as <name>.part and renamed (never over an existing file) when complete.
 * ct_recorder_new() finishes or marks what a crash left. A disk guard stops recording at
 * record.min_free_mb / record.max_mb; retention removes day folders older than
 * record.retention_days, a bounded amount of work per tick.
 *
 * Memory: fixed per active recording, allocated at open, nothing per packet. G.711: 31.6 KiB
 * (the recording 2.2 KiB, a 512 ms stereo ring 8 KiB, a write buffer 8 KiB, libsndfile's handle
 * 13.4 KiB); bench/recorder.c measures 23-27 KiB resident per recording over 1000 of them.
 * G.722: 66 KiB (a 16-bit 16 kHz ring of 32 KiB, two 8-packet reorder queues of 5.2 KiB);
 * Opus: 102 KiB (two decoders of 17.8 KiB more). A recording whose SDP lists a codec ctitap
 * does not decode adds its payload pcap (libpcap's dumper, about 1 KiB, and an 8 KiB buffer).
 * Each open file holds a descriptor: raise `ulimit -n` above record.max_active + 64.
 *
 * Threading: one thread (the pipeline's). Clock: packet time for everything the files and
 * entries hold; the wall clock only for retention (the age of what is on disk).
 */
#ifndef CT_RECORDER_H
#define CT_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "../capture/packet.h"
#include "../decoders/rtp.h"
#include "../records/recorded.h"
#include "../util/ct.h"

struct ct_recorder;
struct ct_rec;
struct ct_rec_pcap;
struct ct_sdp_media;

/* The two directions of a recording, and its channels. */
enum ct_rec_dir { CT_REC_FAR = 0, CT_REC_AGENT = 1 };

enum ct_rec_pause_mode { CT_REC_PAUSE_SILENCE = 0, CT_REC_PAUSE_CUT = 1 };

enum ct_rec_codec {
	CT_RC_NONE = 0,  /* no such payload type */
	CT_RC_PCMU,
	CT_RC_PCMA,
	CT_RC_G722,
	CT_RC_OPUS,
	CT_RC_EVENT,     /* telephone-event (RFC 4733): kept out of the audio, counted */
	CT_RC_CN,        /* comfort noise (RFC 3389): silence */
	CT_RC_OTHER,     /* any other codec: its payloads go to the payload pcap */
};

#define CT_REC_MAX_PT 16

/* The payload types of an SDP media section: what each number means. */
struct ct_rec_ptmap {
	struct {
		uint8_t pt;
		uint8_t codec;      /* enum ct_rec_codec */
		uint32_t clock;     /* RTP clock rate */
		char name[16];      /* encoding name as SDP gave it (cut), for records */
	} e[CT_REC_MAX_PT];
	unsigned n;             /* e[0] is the primary codec (first audio format of the m= line) */
};

/* Fills *m from an SDP audio section: its formats in m= order, named by rtpmap or the RFC
 * 3551 static table. Formats without a known clock are left out. */
void ct_rec_ptmap_from_sdp(struct ct_rec_ptmap *m, const struct ct_sdp_media *sm);
/* Adds one entry by name ("PCMA", "telephone-event", ...); false when the map is full. */
bool ct_rec_ptmap_add(struct ct_rec_ptmap *m, uint8_t pt, const char *name, uint32_t clock);

/* An RTP endpoint: the address and port a direction's packets come from (its sender's SDP
 * endpoint; symmetric RTP, RFC 4961). port 0: not known yet. */
struct ct_rec_ep {
	struct ct_addr addr;
	uint16_t port;
};

struct ct_rec_open {
	const char *call;       /* ctitap's call id. In the file name when it is 1 to 64 of
	                           [A-Za-z0-9_-], else replaced by 'h' + 16 hex of its SHA-256 */
	const char *device;     /* the recorded device as records show it: the caller passes the text
	                           privacy.* makes of it (records/privacy.h, ct_privacy_party()), so
	                           chain entries and the file name's digest of it leak no number
	                           the records do not; only ever hashed into paths */
	ct_time_t start;        /* packet time of the trigger: the file's first sample */
	struct ct_rec_ep far, agent;
	struct ct_rec_ptmap pt;
	const char *reason;     /* snake case, into the chain entry ("answered") */
};

/* struct ct_rec_chain, ct_rec_quality and ct_rec_file, what the recorder hands back for a
 * `recording` record, are in records/recorded.h. */

enum ct_rec_finding {
	CT_REC_ONE_WAY,          /* dir has had no audio for record.silence_s while the other had */
	CT_REC_LONG_SILENCE,     /* neither direction had audio for record.silence_s */
};

enum ct_rec_event_kind {
	CT_REC_EV_FILE,          /* a file is complete (the audio's entry is the `stop`) */
	CT_REC_EV_STOPPED,       /* the engine stopped a recording itself; its FILE follows */
	CT_REC_EV_FINDING,       /* while recording (not paused) */
	CT_REC_EV_REPAIRED,      /* start-up: a .part a crash left, repaired and renamed */
	CT_REC_EV_BROKEN,        /* start-up: a .part that could not be repaired, renamed .broken */
	CT_REC_EV_RETENTION,     /* a day folder removed by age */
	CT_REC_EV_ERROR,         /* a write failed: the recording ends, its file is kept as .broken */
};

struct ct_rec_event {
	enum ct_rec_event_kind kind;
	ct_time_t ts;                     /* packet time (start-up and retention: the last known) */
	const struct ct_rec_file *file;   /* FILE, REPAIRED, BROKEN (path only), ERROR */
	const char *call, *device;        /* STOPPED, FINDING */
	const char *reason;               /* STOPPED: "disk_full", "max_mb", "shutdown", "write_error";
	                                     RETENTION: the day "YYYY/MM/DD" */
	enum ct_rec_finding finding;      /* FINDING */
	enum ct_rec_dir dir;              /*   the quiet direction (ONE_WAY) */
	bool no_packets;                  /*   ONE_WAY: no packets at all (else only silence) */
	bool active;                      /*   true when it starts, false when it ends */
	uint64_t duration_ms;             /*   at its end */
	uint64_t files;                   /* RETENTION: files removed */
	const struct ct_rec_chain *chain; /* the entry written for it, when one was */
};

/* Ownership: ev and everything it points to live only during the call. */
typedef void (*ct_rec_event_fn)(void *user, const struct ct_rec_event *ev);

struct ct_recorder_cfg {
	const char *dir;               /* record.dir (created 0750 when missing) */
	const char *sensor;            /* sensor.name, in the chain entries */
	enum ct_rec_pause_mode pause_mode;
	bool pcap;                     /* record.pcap: evidence pcaps are accepted */
	uint32_t min_free_mb;          /* stop everything below this much free space (0: off) */
	uint32_t max_mb;               /* stop everything when DIR holds this much (0: off) */
	uint32_t retention_days;       /* remove day folders older than this (0: keep) */
	const char *sign_key;          /* Ed25519 secret key file (ct_recorder_keygen), or NULL */
	const char *encrypt_to;        /* X25519 public key file (ct_recorder_keygen), or NULL */
	uint32_t max_active;           /* recordings open at once (default 2000) */
	uint32_t jitter_ms;            /* reorder and jitter hold, 20..400 (default 100) */
	uint32_t silence_s;            /* ONE_WAY / LONG_SILENCE after this long (0: off; default 10) */
	uint32_t finish_kb;            /* hashing work per tick, KiB (default 8192) */
	ct_rec_event_fn on_event;
	void *user;
	time_t (*wall_clock)(void);    /* retention's clock; NULL: time() */
};

void ct_recorder_cfg_default(struct ct_recorder_cfg *cfg);

/* Opens the engine on cfg->dir: takes its lock (one ctitap per DIR), loads the chain state,
 * repairs or marks what a crash left (REPAIRED/BROKEN events, chain entries), measures what
 * DIR holds. cfg strings are copied. Returns CT_OK, ct_esys(errno) (DIR, its chain folder or a
 * key file cannot be used: err says why), CT_ELIMIT (another process holds DIR), CT_EFORMAT (a
 * key or the state file is malformed), CT_ENOMEM. */
int ct_recorder_new(const struct ct_recorder_cfg *cfg, struct ct_recorder **out, char *err, size_t errlen);
/* Stops every recording (reason "shutdown"), finishes every file, writes the chain state,
 * frees r. Events may be emitted from inside. */
void ct_recorder_free(struct ct_recorder *r);

/* Opens a recording. *chain gets the `start` entry. The handle stays valid until
 * ct_rec_stop() (or an engine STOPPED event for it, after which every call on it is refused
 * with CT_EINVAL until the caller's ct_rec_stop(), which then frees it). Returns CT_OK,
 * CT_EINVAL (no call or device), CT_ELIMIT (record.max_active, or the disk guard),
 * ct_esys(errno) (the file cannot be created), CT_EIO (libsndfile refused), CT_ENOMEM. */
int ct_recorder_open(struct ct_recorder *r, const struct ct_rec_open *o, struct ct_rec **out,
		     struct ct_rec_chain *chain);
/* Pause and resume (reason in snake case). Pausing a paused recording (another cause: a payment
 * IVR joining a held call) changes no audio but is chained; resuming a running one changes
 * nothing and returns CT_OK with chain->seq 0. */
int ct_rec_pause(struct ct_rec *rec, ct_time_t at, const char *reason, struct ct_rec_chain *chain);
int ct_rec_resume(struct ct_rec *rec, ct_time_t at, const char *reason, struct ct_rec_chain *chain);
/* New endpoints or payload types (re-INVITE, transfer, media moved to a mixer); a NULL or
 * port-0 endpoint keeps the old one. */
int ct_rec_set_media(struct ct_rec *rec, const struct ct_rec_ep *far, const struct ct_rec_ep *agent,
		     const struct ct_rec_ptmap *pt);
/* Stops the recording at `at` and frees the handle. The file is finished in the following
 * ticks (its hash is a read of the file); its FILE event carries the `stop` chain entry. */
int ct_rec_stop(struct ct_rec *rec, ct_time_t at, const char *reason);

/* One RTP packet of the recording's direction `dir`, arrived at `at`. No allocation, no I/O
 * beyond a buffered write. h->payload is read during the call only. */
void ct_rec_rtp(struct ct_rec *rec, enum ct_rec_dir dir, const struct ct_rtp_hdr *h, ct_time_t at);
/* The same, found by endpoint: every recording whose direction sends from (src, sport) takes
 * it in that direction; a recording without such a sender but with an endpoint at (dst, dport)
 * takes it as sent towards that endpoint (a NATed sender), unless that side's own endpoint has
 * sent since it was set: then it is a copy a media relay sends on (counted rtp_relay_copy, not
 * written). Returns how many took it. */
unsigned ct_recorder_rtp(struct ct_recorder *r, const struct ct_addr *src, uint16_t sport,
			 const struct ct_addr *dst, uint16_t dport, const struct ct_rtp_hdr *h, ct_time_t at);
/* Timers: flushes recordings to `now` (packet time), evaluates findings, finishes files,
 * checks the disk guard, runs retention. Call at least every 100 ms of packet time. */
void ct_recorder_tick(struct ct_recorder *r, ct_time_t now);
/* Finishes every stopped file now (shutdown, tests). */
void ct_recorder_drain(struct ct_recorder *r);
/* Recordings open, and files waiting to be finished. */
unsigned ct_recorder_active(const struct ct_recorder *r);
unsigned ct_recorder_finishing(const struct ct_recorder *r);

/* Evidence capture (record.pcap): one pcap per call. linktype is the DLT of the frames the
 * caller will add (DLT_EN10MB, ...); frames of another link type are counted, not written.
 * Returns CT_ENOTSUP when record.pcap is off. The FILE event (kind EVIDENCE) follows close. */
int ct_recorder_pcap_open(struct ct_recorder *r, const char *call, ct_time_t start, int linktype,
			  struct ct_rec_pcap **out);
void ct_rec_pcap_add(struct ct_rec_pcap *p, ct_time_t ts, int linktype, const uint8_t *frame, uint32_t caplen,
		     uint32_t wirelen);
int ct_rec_pcap_close(struct ct_rec_pcap *p, ct_time_t at);

/* Counters of the engine, each with a stated policy (docs/recording.md). */
#define CT_RECORDER_COUNTERS(X)                                                                   \
	X(opened, "recordings opened")                                                            \
	X(refused_max_active, "recordings refused at record.max_active")                          \
	X(refused_disk, "recordings refused while the disk guard holds")                          \
	X(stopped_disk, "recordings stopped by the disk guard (min_free_mb, max_mb)")             \
	X(write_errors, "recordings ended by a write error (file kept as .broken)")               \
	X(files, "files completed")                                                               \
	X(rtp_packets, "RTP packets given to recordings")                                         \
	X(rtp_paused, "RTP packets dropped while paused")                                         \
	X(rtp_late, "RTP packets too late for the jitter buffer")                                 \
	X(rtp_dtmf, "RFC 4733 telephone-event packets kept out of the audio")                     \
	X(rtp_cn, "comfort-noise packets (silence)")                                              \
	X(rtp_pt_unknown, "RTP packets of a payload type the SDP did not announce (dropped)")     \
	X(rtp_codec_mismatch, "packets of a codec the file cannot hold (into the payload pcap)")  \
	X(rtp_payload_pcap, "packets written to payload pcaps (codecs ctitap does not decode)")   \
	X(rtp_relay_copy, "copies a relay sends on while that side's endpoint sends (dropped)")   \
	X(rtp_oversize, "RTP payloads larger than a reorder slot (640 bytes; dropped)")           \
	X(rtp_decode_errors, "G.722/Opus payloads the decoder refused (silence)")                 \
	X(ssrc_changes, "SSRC changes (re-anchored at the packet's arrival)")                     \
	X(ts_jumps, "RTP timestamp jumps (re-anchored at the packet's arrival)")                  \
	X(findings, "one-way audio and long-silence findings")                                    \
	X(pcap_frames, "frames written to evidence pcaps")                                        \
	X(pcap_linktype_other, "frames not written: not the evidence pcap's link type")           \
	X(repaired, "files a crash left, repaired at start-up")                                   \
	X(broken, "files a crash left that could not be repaired (renamed .broken)")              \
	X(retention_files, "files removed by retention")                                          \
	X(chain_entries, "chain entries written")

struct ct_recorder_stats {
#define CT_RECORDER_FIELD(name, desc) uint64_t name;
	CT_RECORDER_COUNTERS(CT_RECORDER_FIELD)
#undef CT_RECORDER_FIELD
};

const struct ct_recorder_stats *ct_recorder_stats(const struct ct_recorder *r);

/* A finished file of record.dir `dir` for reading (the live call view's links), no engine
 * needed: path as records name it (YYYY/MM/DD/<name>.wav|.pcap, .enc appended when encrypted;
 * never a .part, never through a symlink below dir). Returns the descriptor (the caller closes
 * it) with the file's size in
 * *size; CT_ENOENT when the path is not one ctitap writes, ct_esys(ENOENT) when there is no
 * such file (ct_err_kind() of both is CT_ENOENT), another ct_esys() code when it cannot be
 * opened. */
int ct_recorder_file_open(const char *dir, const char *path, uint64_t *size);

/* ---- integrity tools (no engine needed; `ctitap verify|decrypt|keygen`) ---- */

/* Checks DIR against its chain: every entry's hash and link (and signature, with pubkey_file,
 * else DIR/chain/signing.pub when present), the state file, every file's size and SHA-256;
 * reports missing, changed and unexpected files and entries, one line each, on `report`.
 * Returns 0 when everything agrees, 1 when something does not, a negative CT_E* when DIR
 * cannot be read. */
int ct_recorder_verify(const char *dir, const char *pubkey_file, FILE *report);
/* Decrypts an encrypted file (x.wav.enc, x.pcap.enc) into `out` (created, never
 * overwritten) with the secret key file of the public key it was encrypted to. salvage: a
 * file a crash cut short gives what authenticates, with a WAV header fixed to it. */
int ct_recorder_decrypt(const char *in, const char *out, const char *secret_key_file, bool salvage, FILE *report);
/* Writes PREFIX.key (mode 0600) and PREFIX.pub: kind "sign" (Ed25519, record.sign_key takes
 * the .key) or "box" (X25519, record.encrypt_to takes the .pub; decrypt takes the .key). */
int ct_recorder_keygen(const char *kind, const char *prefix, FILE *report);
/* `ctitap verify DIR [--pubkey F]`, `ctitap decrypt [--salvage] KEY IN OUT`,
 * `ctitap keygen sign|box PREFIX`: argv[0] is the subcommand. Returns an exit code. */
int ct_recorder_cli(int argc, char **argv);

#endif
