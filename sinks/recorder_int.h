/* recorder_int.h - what the recorder's files share (not for other modules): the engine, a
 * recording, the output stream every file is written through, and the finishing queue.
 *
 *  recorder.c        engine, recordings, triggers, endpoint index, ticks, findings, quality
 *  recorder_audio.c  the timeline: codecs, reorder queue, placement by RTP timestamp, ring
 *  recorder_store.c  paths, safe creation, output streams (hash, encryption), libsndfile's
 *                    virtual file, finishing
 *  recorder_upkeep.c crash repair at start-up, disk guard, retention
 *  recorder_chain.c  the hash chain and its state, signatures
 *  recorder_verify.c `ctitap verify`
 *  recorder_tools.c  keygen, decrypt, the command line
 *  recorder_pcap.c   evidence and payload pcaps (libpcap's pcap_dump)
 */
#ifndef CT_RECORDER_INT_H
#define CT_RECORDER_INT_H

#include <dirent.h>
#include <sndfile.h>
#include <sodium.h>

#include "../util/hash.h"
#include "../util/htab.h"
#include "../util/json.h"
#include "recorder.h"

#define REC_SLOTS 8            /* reorder queue per direction (stateful codecs) */
#define REC_SLOT_BYTES 640     /* 80 ms of G.711, 80 ms of G.722, any voice Opus packet */
#define REC_HDR_MAX 256        /* WAV header libsndfile writes (58 bytes for A-law) */
#define REC_BUF 8192           /* write buffer / encryption chunk */
#define REC_RESYNC_AHEAD_MS 250  /* a packet placed this far after its arrival: timestamp jump */
#define REC_RESYNC_BEHIND_MS 1000 /* ... or this far before it */
#define REC_REALIGN_MS 40      /* a talkspurt placed further off its arrival is realigned */
#define REC_MAX_PKT_MS 120     /* longest packet the ring makes room for */
#define REC_PATH_MAX 160       /* "YYYY/MM/DD/" + name: ids are at most 64 characters */
#define REC_SCRATCH (64 * 1024)
#define REC_PCM_MAX 2048       /* decoded samples of one packet (120 ms at 16 kHz = 1920) */
#define REC_ENC_MAGIC "CTREC\x01\0\0"
#define REC_ENC_MAGIC_LEN 8
#define REC_ENC_KIND_WAV 1     /* header trailer: the final chunk is the WAV header */
#define REC_ENC_KIND_STREAM 2  /* written in order: the final chunk is empty */

struct ct_recorder;

/* Everything a file is written through: buffered appends, SHA-256 of the bytes on disk (as
 * they are written, except a plain WAV whose header libsndfile rewrites at the end: hashed by
 * a read of the file when complete), and optional encryption (per-file key sealed to the
 * public key; XChaCha20-Poly1305 secretstream chunks). For WAV it is also libsndfile's virtual
 * file: the header (bytes written before the first sample) is kept aside, so the sample
 * bytes are pure appends. */
struct rec_out {
	struct ct_recorder *eng;
	int fd;                          /* the .part file; -1 when closed */
	bool wav, enc;
	int err;                         /* sticky CT_E* */
	uint64_t disk;                   /* bytes on disk (the file's size) */
	uint64_t written_at;             /* packet time of the last write to disk (tick flushes) */
	crypto_hash_sha256_state sha;    /* over the bytes on disk (not used for a plain WAV) */
	crypto_secretstream_xchacha20poly1305_state ss;
	uint8_t *buf;                    /* REC_BUF: pending appends (plain) or chunk plaintext (enc) */
	size_t blen;
	/* libsndfile's virtual file */
	int64_t vpos, vlen, hlen;        /* hlen < 0 until sf_open returned */
	uint8_t hdr[REC_HDR_MAX];
	uint64_t data_bytes;             /* sample bytes appended */
};

/* A file on its way to complete: what its FILE event needs, owned. */
struct rec_job {
	struct rec_job *next;
	struct rec_out out;
	struct ct_rec_file info;         /* strings point into the fields below */
	char call[72], device[80], path[REC_PATH_MAX + 24], format[16], codec[16], reason[32];
	char part[REC_PATH_MAX + 32];     /* its current name (relative) */
	uint64_t hashed;                 /* plain WAV: bytes read back so far */
	crypto_hash_sha256_state rsha;
	bool failed;                     /* a write failed: finished as .broken */
};

/* An endpoint index entry (util/htab.h): embedded in the recording, one per direction. */
struct rec_epnode {
	struct ct_hnode hn;
	struct ct_rec *rec;
	bool linked;
};

/* One direction: its sender, accounting, timeline anchor, decoder and reorder queue. */
struct rec_slot {
	bool used, marker;
	uint8_t pt;
	uint16_t seq, len;
	uint32_t ts, ssrc;
	ct_time_t at;
	uint8_t data[REC_SLOT_BYTES];
};

/* A media packet on its way to the timeline. */
struct rec_pkt {
	const uint8_t *p;
	size_t len;
	ct_time_t at;
	uint32_t ts, ssrc;
	uint16_t seq;
	bool marker;
};

struct rec_dir {
	struct ct_rec_ep ep;
	struct rec_epnode node;
	bool own;                        /* ep itself has sent: packets sent to the other side's
					    endpoint from a third address no longer count for this side */
	struct ct_rtp_stream st;         /* RFC 3550 loss and jitter (decoders/rtp.h) */
	/* timeline: position of RTP timestamp ts = anchor_pos + (ts - anchor_ts) * rate / clock */
	bool anchored;
	uint32_t ssrc, anchor_ts, clock;
	int64_t anchor_pos, last_end;
	/* the last packet placed: talkspurt starts (RFC 3551 4.1) */
	bool have_last;
	uint16_t last_seq_pl;
	uint32_t last_ts, last_dur;      /* last_dur in RTP clock units */
	/* loss bursts, for the E-model's BurstR */
	bool have_seq;
	uint16_t last_seq;
	uint64_t bursts, burst_lost, received;
	/* counters */
	uint64_t placed, late, dtmf, cn, pt_other, mismatch;
	uint32_t ssrc_changes, ts_jumps, realigns;
	ct_time_t last_pkt, last_audio;  /* 0: never */
	int16_t last_lin;                /* previous sample, for 8 -> 16 kHz interpolation */
	/* stateful decoders and their reorder queue (NULL for a G.711 file) */
	void *g722, *opus;
	struct rec_slot *q;
	unsigned qn;
	bool q_have;
	uint16_t q_last;                 /* last sequence number released to the decoder */
	uint32_t q_ssrc;
};

enum rec_state { REC_RUNNING, REC_PAUSED, REC_DEAD };
enum rec_find { REC_FIND_NONE, REC_FIND_ONE_WAY_FAR, REC_FIND_ONE_WAY_AGENT, REC_FIND_SILENCE };

struct rec_pcapw;

struct ct_rec {
	struct ct_recorder *eng;
	struct ct_rec *next, *prev;      /* the engine's list of open recordings */
	enum rec_state state;
	char call[72], device[80], name[96], reason[32];
	uint16_t y, mo, dd;              /* day folder */
	ct_time_t t0, now, paused_at;
	int64_t now_pos;                 /* highest arrival position seen (frames) */
	int64_t written;                 /* frames flushed to the file */
	int64_t placed_end;              /* frame after the last audio placed: silence past it is written
					    only when a later packet or the end needs it, so a stop that
					    comes late still ends the file at its time */
	int64_t cut;                     /* frames removed by pauses in cut mode */
	int64_t pause_pos;               /* cut mode: the file position where the pause began */
	uint32_t rate;                   /* file sample rate */
	uint8_t fcodec;                  /* CT_RC_PCMA, CT_RC_PCMU, or CT_RC_NONE for 16-bit PCM */
	unsigned bps;                    /* bytes per sample: 1 (G.711) or 2 */
	struct ct_rec_ptmap pt;
	uint8_t *ring;                   /* ring_frames * 2 channels * bps */
	uint32_t ring_frames, mask;
	int64_t hold;                    /* jitter hold, frames */
	SNDFILE *snd;
	struct rec_out out;
	struct rec_pcapw *payload;       /* payload pcap (codecs not decoded), or NULL */
	struct rec_dir d[2];
	uint64_t serial;                 /* last ct_recorder_rtp() packet it took */
	enum rec_find find;
	ct_time_t find_since;
	ct_time_t running_since;         /* last open or resume */
};

struct ct_recorder {
	struct ct_recorder_cfg cfg;
	char *dir, *sensor;
	int dirfd, chaindirfd, lockfd, logfd;
	char logname[48];               /* chain log open in logfd */
	uint64_t seq;                    /* last chain entry */
	uint8_t last_hash[32];
	unsigned since_state;            /* entries since the state file was written */
	bool log_dirty;
	bool sign, enc;
	uint8_t sign_sk[crypto_sign_SECRETKEYBYTES];
	uint8_t box_pk[crypto_box_PUBLICKEYBYTES];
	struct ct_hashkey hkey;
	struct ct_htab eps;              /* RTP endpoints -> recordings (2 per recording) */
	struct ct_rec *active;
	unsigned nactive;
	struct ct_rec *dead;             /* recordings the engine stopped, until the caller's stop */
	struct rec_pcapw *pcaps;         /* open evidence pcaps */
	struct rec_job *jobs, *jobs_tail;
	unsigned njobs;
	struct ct_recorder_stats st;
	uint64_t disk_bytes;             /* what DIR holds, as measured at start and counted since */
	bool guard;                      /* the disk guard holds: nothing is recorded */
	uint64_t guard_checked_ms;       /* packet time of the last statvfs */
	ct_time_t now;
	uint64_t last_sync_s;
	uint64_t serial;
	struct ct_json json;
	uint8_t *scratch;                /* REC_SCRATCH: read-back, ciphertext, repair */
	int16_t pcm[REC_PCM_MAX];
	/* G.711 tables */
	int16_t alaw_lin[256], ulaw_lin[256];
	uint8_t a2u[256], u2a[256];
	/* retention */
	time_t retention_next;
	bool retention_busy;
	char retention_day[16];          /* "YYYY/MM/DD" being emptied */
	char retention_after[16];        /* the last day emptied this round */
	uint64_t retention_files;
};

/* recorder.c */
void rec_emit(struct ct_recorder *r, const struct ct_rec_event *ev);
void rec_call_name(const char *call, char *out, size_t cap);
void rec_engine_stop_all(struct ct_recorder *r, const char *why, ct_time_t at);

/* recorder_audio.c */
void rec_audio_tables(struct ct_recorder *r);
int rec_audio_init(struct ct_rec *rec, char *codec_name, size_t cap);
/* Makes the reorder queues and decoders rec->pt needs that are not there yet. */
int rec_audio_codecs(struct ct_rec *rec);
void rec_audio_free(struct ct_rec *rec);
void rec_audio_packet(struct ct_rec *rec, int dir, const struct ct_rtp_hdr *h, ct_time_t at);
void rec_audio_advance(struct ct_rec *rec, ct_time_t now);
void rec_audio_pause(struct ct_rec *rec, ct_time_t at);
void rec_audio_resume(struct ct_rec *rec, ct_time_t at);
void rec_audio_finish(struct ct_rec *rec, ct_time_t at);
uint8_t rec_codec_of(const struct ct_rec_ptmap *m, uint8_t pt, uint32_t *clock, const char **name);
uint8_t g711_alaw_enc(int16_t x);
uint8_t g711_ulaw_enc(int16_t x);

/* recorder_store.c */
int rec_store_open_root(struct ct_recorder *r, char *err, size_t errlen);
int rec_store_create(struct ct_recorder *r, uint16_t y, uint16_t mo, uint16_t dd, const char *base, const char *ext,
		     struct rec_out *out, char *relpath, size_t cap, bool wav);
int rec_out_write(struct rec_out *o, const void *p, size_t n);
void rec_out_flush(struct rec_out *o);
void rec_out_abort(struct rec_out *o);
extern SF_VIRTUAL_IO rec_vio;
int rec_out_header_known(struct rec_out *o);
void rec_job_submit(struct ct_recorder *r, struct rec_job *job);
bool rec_jobs_step(struct ct_recorder *r, uint64_t budget);
int rec_store_scan(struct ct_recorder *r);
void rec_store_guard(struct ct_recorder *r, ct_time_t now, bool force);
void rec_store_retention(struct ct_recorder *r);
int rec_wav_repair_header(uint8_t *hdr, size_t hlen_cap, uint64_t file_size, size_t *hlen, uint64_t *frames,
			  unsigned *rate);
void rec_hex(const uint8_t *b, size_t n, char *out);
int rec_day_open(struct ct_recorder *r, const char *day, bool create);
/* A path as ctitap writes them, relative to record.dir: YYYY/MM/DD/<[A-Za-z0-9._-]+>, no "..". */
bool rec_path_ok(const char *p);

/* recorder_chain.c */
int rec_chain_open(struct ct_recorder *r, char *err, size_t errlen);
void rec_chain_close(struct ct_recorder *r);
void rec_chain_sync(struct ct_recorder *r);
struct rec_entry {
	ct_time_t ts;
	const char *action, *call, *device, *reason;
	const struct ct_rec_file *file;   /* file fields, or NULL */
	const char *day;                  /* retention */
	uint64_t files;                   /* retention */
};
int rec_chain_append(struct ct_recorder *r, const struct rec_entry *e, struct ct_rec_chain *out);
int rec_key_load(const char *path, uint8_t *key, size_t keylen, char *err, size_t errlen);

/* A top-level field of a chain line (recorder_chain.c's flat JSON reader). */
struct jfield {
	const char *key;
	const char *p; /* value text (a string's content without quotes, escapes left as they are) */
	size_t len;
	bool str;
};
bool rec_json_fields(const char *s, size_t len, struct jfield *f, size_t nf);
bool rec_jf_u64(const struct jfield *f, uint64_t *v);
bool rec_jf_hex(const struct jfield *f, uint8_t *out, size_t n);
bool rec_line_body_hash(const char *line, size_t len, uint8_t h[32]);
bool rec_entry_parse(const char *line, size_t len, uint64_t *seq, uint8_t prev[32], uint8_t hash[32]);
/* Calls fn for every line of every chain log of the folder chainfd, logs in name order. */
typedef void (*chain_line_fn)(void *arg, const char *log, unsigned lineno, const char *line, size_t len);
void rec_chain_each_line(int chainfd, chain_line_fn fn, void *arg);

/* recorder_store.c (shared) */
int rec_open_dir_at(int at, const char *name, bool create);
int rec_day_openat(int root, const char *day, bool create);
/* A listing of the folder dirfd on its own descriptor (dirfd stays open); NULL on failure. */
DIR *rec_opendir(int dirfd);
/* Calls fn for every day folder "YYYY/MM/DD" under root, unsorted; nothing followed through a
 * symlink, names that are not the date tree's skipped. */
void rec_walk_days(int root, void (*fn)(const char *day, void *arg), void *arg);
int rec_rename_noreplace(struct ct_recorder *r, const char *relfrom, const char *to_name);

/* recorder_pcap.c */
int rec_pcapw_open_payload(struct ct_rec *rec);
void rec_pcapw_payload(struct ct_rec *rec, int dir, const struct ct_rtp_hdr *h, ct_time_t at);
void rec_pcapw_close_payload(struct ct_rec *rec, ct_time_t at);
void rec_pcaps_close_all(struct ct_recorder *r, ct_time_t at);

#endif
