/* recorded.h - what ctitap's recorder (sinks/recorder.h) hands back about its work, as typed
 * views the records layer writes into `recording` records (records/recording.c): the hash
 * chain's entry of an action, and a finished file with its quality. Types only: the recorder
 * fills them, the records layer reads them, neither knows the other's insides. */
#ifndef CT_RECORDED_H
#define CT_RECORDED_H

#include <stdbool.h>
#include <stdint.h>

#include "../util/ct.h"

/* What a chain entry returns to the caller, to be copied into its `recording` record. */
struct ct_rec_chain {
	uint64_t seq;           /* 1, 2, ... per sensor (DIR) */
	char prev[65];          /* hex SHA-256 of the previous entry ("0"*64 for the first) */
	char hash[65];          /* hex SHA-256 of this entry's canonical text */
	char sig[129];          /* hex Ed25519 signature of the hash, "" when not signing */
};

/* Per direction quality (QA). */
struct ct_rec_quality {
	uint64_t packets;       /* RTP packets of the direction while recording (all types) */
	int64_t lost;           /* RFC 3550 A.3, as decoders/rtp.h counts it */
	uint64_t late;          /* too late for the jitter buffer (not in the audio) */
	uint64_t audio_ms;      /* audio placed in the file */
	double jitter_ms_mean, jitter_ms_max;
	double burst_r;
	double r, mos;          /* E-model (util/emodel.h), on the codec's scale */
	bool wideband;          /* r on the G.107.1 scale (0..129) */
	bool published;         /* the codec's figures are ITU-T planning values */
	bool scored;            /* false: no packets, or a codec without figures */
	uint32_t ssrc_changes, ts_jumps; /* each re-anchored at the packet's arrival */
	uint32_t realigns;           /* talkspurts moved back to their arrival (sender clock drift) */
	uint64_t dtmf, cn, pt_other; /* telephone-event and comfort-noise packets, unknown PTs */
};

enum ct_rec_file_kind { CT_REC_FILE_AUDIO, CT_REC_FILE_PAYLOAD, CT_REC_FILE_EVIDENCE };

/* A file that is complete, repaired, or marked broken. */
struct ct_rec_file {
	enum ct_rec_file_kind kind;
	const char *call, *device;   /* device NULL for an evidence pcap */
	const char *path;            /* relative to DIR, '/' separated */
	const char *format;          /* "wav", "pcap" ("+enc" appended when encrypted) */
	const char *codec;           /* audio: "PCMA", "PCMU", "L16" (decoded); payload: the first codec
					written in it as SDP named it ("G729"); else NULL */
	uint64_t duration_ms;        /* audio: samples / rate */
	uint64_t bytes;              /* size on disk */
	char sha256[65];             /* of the bytes on disk */
	uint64_t packets;            /* RTP packets placed (audio), or frames written (pcaps) */
	int64_t lost;                /* both directions */
	struct ct_rec_quality q[2];  /* audio: per direction, indexed by enum ct_rec_dir (far end 0, agent 1) */
	ct_time_t start, end;
	const char *reason;          /* why the recording ended: the stop reason, "disk_full", ... */
	struct ct_rec_chain chain;
};

#endif
