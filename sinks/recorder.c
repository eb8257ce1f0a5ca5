/* recorder.c - the recording engine: recordings opened, paused, resumed and stopped by the
 * caller's triggers, RTP found by endpoint, timers, one-way-audio and silence findings, and
 * the quality of each direction (behaviour in recorder.h, the rest in docs/recording.md). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../decoders/sdp.h"
#include "../util/emodel.h"
#include "../util/log.h"
#include "recorder_int.h"

#define FLUSH_AFTER_US (1 * CT_USEC_PER_SEC) /* buffered file data older than this is written */

void ct_recorder_cfg_default(struct ct_recorder_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->pause_mode = CT_REC_PAUSE_SILENCE;
	cfg->max_active = 2000;
	cfg->jitter_ms = 100;
	cfg->silence_s = 10;
	cfg->finish_kb = 8192;
}

void rec_emit(struct ct_recorder *r, const struct ct_rec_event *ev)
{
	if (r->cfg.on_event)
		r->cfg.on_event(r->cfg.user, ev);
}

const struct ct_recorder_stats *ct_recorder_stats(const struct ct_recorder *r)
{
	return &r->st;
}

unsigned ct_recorder_active(const struct ct_recorder *r)
{
	return r->nactive;
}

unsigned ct_recorder_finishing(const struct ct_recorder *r)
{
	return r->njobs;
}

/* ---- payload type maps ---- */

static uint8_t codec_of_name(const char *name)
{
	struct ct_slice n = ct_slice_cstr(name);
	if (ct_slice_ieq(n, "PCMU"))
		return CT_RC_PCMU;
	if (ct_slice_ieq(n, "PCMA"))
		return CT_RC_PCMA;
	if (ct_slice_ieq(n, "G722"))
		return CT_RC_G722;
	if (ct_slice_ieq(n, "opus"))
		return CT_RC_OPUS;
	if (ct_slice_ieq(n, "telephone-event"))
		return CT_RC_EVENT;
	if (ct_slice_ieq(n, "CN"))
		return CT_RC_CN;
	return CT_RC_OTHER;
}

bool ct_rec_ptmap_add(struct ct_rec_ptmap *m, uint8_t pt, const char *name, uint32_t clock)
{
	if (m->n >= CT_REC_MAX_PT || pt > 127 || !clock)
		return false;
	for (unsigned i = 0; i < m->n; i++)
		if (m->e[i].pt == pt)
			return true; /* the first meaning stands */
	m->e[m->n].pt = pt;
	m->e[m->n].codec = codec_of_name(name);
	m->e[m->n].clock = clock;
	snprintf(m->e[m->n].name, sizeof(m->e[m->n].name), "%s", name);
	m->n++;
	return true;
}

void ct_rec_ptmap_from_sdp(struct ct_rec_ptmap *m, const struct ct_sdp_media *sm)
{
	memset(m, 0, sizeof(*m));
	for (unsigned i = 0; i < sm->nfmt; i++) {
		uint32_t clock = 0;
		struct ct_slice name = ct_sdp_codec(sm, sm->fmt[i], &clock);
		char nm[16];
		size_t n = name.len < sizeof(nm) - 1 ? name.len : sizeof(nm) - 1;
		for (size_t k = 0; k < n; k++)
			nm[k] = (name.p[k] >= 0x21 && name.p[k] < 0x7f) ? (char)name.p[k] : '?'; /* packet text */
		nm[n] = '\0';
		if (n)
			ct_rec_ptmap_add(m, sm->fmt[i], nm, clock);
	}
}

/* ---- names ---- */

void rec_call_name(const char *call, char *out, size_t cap)
{
	size_t n = strlen(call);
	bool ok = n >= 1 && n <= 64;
	for (size_t i = 0; ok && i < n; i++) {
		char c = call[i];
		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
	}
	if (ok) {
		snprintf(out, cap, "%s", call);
		return;
	}
	uint8_t h[32];
	char hex[65];
	crypto_hash_sha256(h, (const uint8_t *)call, n);
	rec_hex(h, 8, hex);
	snprintf(out, cap, "h%s", hex);
}

static void device_hash(const char *device, char out[13])
{
	uint8_t h[32];
	crypto_hash_sha256(h, (const uint8_t *)device, strlen(device));
	rec_hex(h, 6, out);
}

/* ---- the endpoint index ---- */

static uint64_t ep_hash(const struct ct_recorder *r, const struct ct_addr *a, uint16_t port)
{
	uint8_t k[18];
	memcpy(k, a->a, 16);
	k[16] = (uint8_t)(port >> 8);
	k[17] = (uint8_t)port;
	return ct_hash(&r->hkey, k, sizeof(k));
}

static void ep_link(struct ct_recorder *r, struct ct_rec *rec, int dir)
{
	struct rec_dir *d = &rec->d[dir];
	if (d->node.linked || !d->ep.port)
		return;
	d->node.rec = rec;
	ct_htab_add(&r->eps, &d->node.hn, ep_hash(r, &d->ep.addr, d->ep.port));
	d->node.linked = true;
}

static void ep_unlink(struct ct_recorder *r, struct ct_rec *rec, int dir)
{
	struct rec_dir *d = &rec->d[dir];
	if (!d->node.linked)
		return;
	ct_htab_del(&r->eps, &d->node.hn);
	d->node.linked = false;
}

/* Every recording with a direction at (a, port): fn(rec, that direction) once per recording and
 * packet (serial). */
static unsigned ep_each(struct ct_recorder *r, const struct ct_addr *a, uint16_t port, uint64_t serial, bool flip,
			const struct ct_rtp_hdr *h, ct_time_t at)
{
	unsigned took = 0;
	uint64_t hv = ep_hash(r, a, port);
	for (struct ct_hnode *n = ct_htab_first(&r->eps, hv); n; n = ct_htab_next(n)) {
		struct rec_epnode *e = CT_CONTAINER_OF(n, struct rec_epnode, hn);
		struct ct_rec *rec = e->rec;
		int dir = e == &rec->d[0].node ? 0 : 1;
		if (rec->d[dir].ep.port != port || memcmp(&rec->d[dir].ep.addr, a, sizeof(*a)) != 0 || rec->serial == serial)
			continue;
		rec->serial = serial;
		int side = flip ? 1 - dir : dir;
		if (!flip) {
			rec->d[dir].own = true;
		} else if (rec->d[side].own) {
			/* that side's own endpoint sends: this is a copy a media relay sends on (both
			 * legs of it seen), and mixing it in would interleave two streams */
			r->st.rtp_relay_copy++;
			continue;
		}
		rec_audio_packet(rec, side, h, at);
		took++;
	}
	return took;
}

/* ---- engine ---- */

int ct_recorder_new(const struct ct_recorder_cfg *cfg, struct ct_recorder **out, char *err, size_t errlen)
{
	*out = NULL;
	if (!cfg->dir || !cfg->dir[0]) {
		snprintf(err, errlen, "record.dir is not set");
		return CT_EINVAL;
	}
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium did not initialise");
		return CT_EIO;
	}
	struct ct_recorder *r = calloc(1, sizeof(*r));
	if (!r)
		return CT_ENOMEM;
	r->cfg = *cfg;
	r->dirfd = r->chaindirfd = r->lockfd = r->logfd = -1;
	if (!r->cfg.max_active)
		r->cfg.max_active = 2000;
	if (r->cfg.jitter_ms < 20)
		r->cfg.jitter_ms = 20;
	if (r->cfg.jitter_ms > 400)
		r->cfg.jitter_ms = 400;
	if (!r->cfg.finish_kb)
		r->cfg.finish_kb = 8192;
	r->dir = strdup(cfg->dir);
	r->sensor = strdup(cfg->sensor && cfg->sensor[0] ? cfg->sensor : "ctitap");
	r->cfg.dir = r->dir;
	r->cfg.sensor = r->sensor;
	r->cfg.sign_key = r->cfg.encrypt_to = NULL; /* read below, not kept */
	r->scratch = malloc(REC_SCRATCH);
	int rc = CT_ENOMEM;
	if (!r->dir || !r->sensor || !r->scratch || ct_htab_init(&r->eps, 2 * (size_t)r->cfg.max_active, 1u << 24) != CT_OK)
		goto fail;
	ct_json_init(&r->json);
	rec_audio_tables(r);
	if ((rc = ct_hashkey_random(&r->hkey)) != CT_OK)
		goto fail;
	if (cfg->sign_key && cfg->sign_key[0]) {
		if ((rc = rec_key_load(cfg->sign_key, r->sign_sk, sizeof(r->sign_sk), err, errlen)) != CT_OK)
			goto fail;
		r->sign = true;
	}
	if (cfg->encrypt_to && cfg->encrypt_to[0]) {
		if ((rc = rec_key_load(cfg->encrypt_to, r->box_pk, sizeof(r->box_pk), err, errlen)) != CT_OK)
			goto fail;
		r->enc = true;
	}
	if ((rc = rec_store_open_root(r, err, errlen)) != CT_OK)
		goto fail;
	if ((rc = rec_chain_open(r, err, errlen)) != CT_OK)
		goto fail;
	rec_store_scan(r);
	rec_store_guard(r, 0, true);
	*out = r;
	return CT_OK;
fail:
	if (rc == CT_ENOMEM && err[0] == '\0')
		snprintf(err, errlen, "out of memory");
	ct_recorder_free(r);
	return rc;
}

static void finalize(struct ct_rec *rec, ct_time_t at, const char *reason);

void ct_recorder_free(struct ct_recorder *r)
{
	if (!r)
		return;
	ct_time_t at = r->now;
	while (r->active) {
		snprintf(r->active->reason, sizeof(r->active->reason), "shutdown");
		finalize(r->active, at, "shutdown");
	}
	rec_pcaps_close_all(r, at);
	rec_jobs_step(r, UINT64_MAX);
	while (r->dead) {
		struct ct_rec *d = r->dead;
		r->dead = d->next;
		free(d);
	}
	if (r->chaindirfd >= 0)
		rec_chain_close(r);
	if (r->chaindirfd >= 0)
		close(r->chaindirfd);
	if (r->dirfd >= 0)
		close(r->dirfd);
	sodium_memzero(r->sign_sk, sizeof(r->sign_sk));
	ct_json_free(&r->json);
	ct_htab_free(&r->eps);
	free(r->scratch);
	free(r->dir);
	free(r->sensor);
	free(r);
}

/* ---- recordings ---- */

int ct_recorder_open(struct ct_recorder *r, const struct ct_rec_open *o, struct ct_rec **out,
		     struct ct_rec_chain *chain)
{
	*out = NULL;
	if (chain)
		memset(chain, 0, sizeof(*chain));
	if (!o->call || !o->call[0] || !o->device || !o->device[0])
		return CT_EINVAL;
	if (r->nactive >= r->cfg.max_active) {
		r->st.refused_max_active++;
		return CT_ELIMIT;
	}
	if (o->start > r->now)
		r->now = o->start;
	rec_store_guard(r, r->now, true);
	if (r->guard) {
		r->st.refused_disk++;
		return CT_ELIMIT;
	}
	struct ct_rec *rec = calloc(1, sizeof(*rec));
	if (!rec)
		return CT_ENOMEM;
	rec->eng = r;
	rec->out.fd = -1;
	snprintf(rec->call, sizeof(rec->call), "%s", o->call);
	snprintf(rec->device, sizeof(rec->device), "%s", o->device);
	snprintf(rec->reason, sizeof(rec->reason), "%s", o->reason ? o->reason : "");
	rec->t0 = rec->now = rec->running_since = o->start;
	rec->pt = o->pt;
	rec->d[CT_REC_FAR].ep = o->far;
	rec->d[CT_REC_AGENT].ep = o->agent;
	time_t t = (time_t)(o->start / CT_USEC_PER_SEC);
	struct tm tm;
	gmtime_r(&t, &tm);
	rec->y = (uint16_t)(tm.tm_year + 1900);
	rec->mo = (uint16_t)(tm.tm_mon + 1);
	rec->dd = (uint16_t)tm.tm_mday;
	char cname[72], dh[13];
	rec_call_name(o->call, cname, sizeof(cname));
	device_hash(o->device, dh);
	snprintf(rec->name, sizeof(rec->name), "%s-%s", cname, dh);
	char codec[16], path[REC_PATH_MAX];
	int rc = rec_audio_init(rec, codec, sizeof(codec));
	if (rc == CT_OK)
		rc = rec_store_create(r, rec->y, rec->mo, rec->dd, rec->name, "wav", &rec->out, path, sizeof(path), true);
	if (rc != CT_OK)
		goto fail;
	/* the payload pcap takes the audio file's name, ordinal included */
	const char *base = strrchr(path, '/') + 1;
	snprintf(rec->name, sizeof(rec->name), "%.*s", (int)strcspn(base, "."), base);
	SF_INFO si;
	memset(&si, 0, sizeof(si));
	si.samplerate = (int)rec->rate;
	si.channels = 2;
	si.format = SF_FORMAT_WAV | (rec->fcodec == CT_RC_PCMA ? SF_FORMAT_ALAW
				     : rec->fcodec == CT_RC_PCMU ? SF_FORMAT_ULAW
								 : SF_FORMAT_PCM_16);
	rec->snd = sf_open_virtual(&rec_vio, SFM_WRITE, &si, &rec->out);
	if (!rec->snd || rec_out_header_known(&rec->out) != CT_OK) {
		ct_warn("recorder: libsndfile refused %s/%s: %s", r->dir, path, sf_strerror(rec->snd));
		rc = CT_EIO;
		goto fail_file;
	}
	bool payload = false;
	for (unsigned i = 0; i < rec->pt.n; i++) {
		uint8_t c = rec->pt.e[i].codec;
		if (c == CT_RC_OTHER || (rec->fcodec != CT_RC_NONE && (c == CT_RC_G722 || c == CT_RC_OPUS)))
			payload = true;
	}
	if (payload && rec_pcapw_open_payload(rec) != CT_OK)
		ct_warn("recorder: no payload pcap for %s (its other codecs are counted, not kept)", path);
	struct ct_rec_file info;
	memset(&info, 0, sizeof(info));
	info.kind = CT_REC_FILE_AUDIO;
	info.path = path;
	info.format = r->enc ? "wav+enc" : "wav";
	info.codec = codec;
	struct rec_entry e = { .ts = o->start,
			       .action = "start",
			       .call = rec->call,
			       .device = rec->device,
			       .reason = rec->reason[0] ? rec->reason : NULL,
			       .file = &info };
	rec_chain_append(r, &e, chain);
	for (int dir = 0; dir < 2; dir++)
		ep_link(r, rec, dir);
	rec->next = r->active;
	if (r->active)
		r->active->prev = rec;
	r->active = rec;
	r->nactive++;
	r->st.opened++;
	*out = rec;
	return CT_OK;
fail_file:
	if (rec->snd)
		sf_close(rec->snd);
	{
		char day[11];
		memcpy(day, path, 10);
		day[10] = '\0';
		int dfd = rec_day_open(r, day, false);
		char part[REC_PATH_MAX + 8];
		snprintf(part, sizeof(part), "%s.part", base);
		if (dfd >= 0) {
			unlinkat(dfd, part, 0);
			close(dfd);
		}
	}
	rec_out_abort(&rec->out);
fail:
	rec_pcapw_close_payload(rec, o->start);
	rec_audio_free(rec);
	free(rec);
	return rc;
}

static bool usable(const struct ct_rec *rec)
{
	return rec && rec->state != REC_DEAD;
}

static void finding_end(struct ct_rec *rec, ct_time_t at);

int ct_rec_pause(struct ct_rec *rec, ct_time_t at, const char *reason, struct ct_rec_chain *chain)
{
	if (chain)
		memset(chain, 0, sizeof(*chain));
	if (!usable(rec))
		return CT_EINVAL;
	if (rec->state != REC_PAUSED) { /* paused already: another cause (a payment IVR in a hold), chained too */
		if (at > rec->eng->now)
			rec->eng->now = at;
		rec_audio_advance(rec, at);
		rec_audio_pause(rec, at);
		rec->state = REC_PAUSED;
		finding_end(rec, at);
	}
	struct rec_entry e = { .ts = at, .action = "pause", .call = rec->call, .device = rec->device, .reason = reason };
	return rec_chain_append(rec->eng, &e, chain);
}

int ct_rec_resume(struct ct_rec *rec, ct_time_t at, const char *reason, struct ct_rec_chain *chain)
{
	if (chain)
		memset(chain, 0, sizeof(*chain));
	if (!usable(rec))
		return CT_EINVAL;
	if (rec->state == REC_RUNNING)
		return CT_OK;
	if (at > rec->eng->now)
		rec->eng->now = at;
	rec_audio_advance(rec, at);
	rec_audio_resume(rec, at);
	rec->state = REC_RUNNING;
	rec->running_since = at;
	struct rec_entry e = { .ts = at, .action = "resume", .call = rec->call, .device = rec->device, .reason = reason };
	return rec_chain_append(rec->eng, &e, chain);
}

int ct_rec_set_media(struct ct_rec *rec, const struct ct_rec_ep *far, const struct ct_rec_ep *agent,
		     const struct ct_rec_ptmap *pt)
{
	if (!usable(rec))
		return CT_EINVAL;
	struct ct_recorder *r = rec->eng;
	const struct ct_rec_ep *ep[2] = { far, agent };
	for (int dir = 0; dir < 2; dir++) {
		if (!ep[dir] || !ep[dir]->port)
			continue;
		ep_unlink(r, rec, dir);
		if (ep[dir]->port != rec->d[dir].ep.port ||
		    memcmp(&ep[dir]->addr, &rec->d[dir].ep.addr, sizeof(ep[dir]->addr)) != 0)
			rec->d[dir].own = false;
		rec->d[dir].ep = *ep[dir];
		ep_link(r, rec, dir);
	}
	if (!pt)
		return CT_OK;
	rec->pt = *pt;
	/* decoders a new codec needs are made now, never on the packet path */
	int rc = rec_audio_codecs(rec);
	if (rc != CT_OK)
		return rc;
	for (unsigned i = 0; i < pt->n; i++) {
		uint8_t c = pt->e[i].codec;
		if (c == CT_RC_OTHER || (rec->fcodec != CT_RC_NONE && (c == CT_RC_G722 || c == CT_RC_OPUS)))
			rec_pcapw_open_payload(rec);
		for (int dir = 0; dir < 2; dir++) {
			if (c == CT_RC_EVENT)
				rec->d[dir].st.dtmf_pt = pt->e[i].pt;
			else if (c == CT_RC_CN && pt->e[i].pt >= 96)
				rec->d[dir].st.cn_pt = pt->e[i].pt;
		}
	}
	for (int dir = 0; dir < 2; dir++)
		ct_rtp_stream_retyped(&rec->d[dir].st);
	return CT_OK;
}

/* ---- quality ---- */

static void quality(const struct ct_rec *rec, int dir, const char *codec, struct ct_rec_quality *q)
{
	const struct rec_dir *d = &rec->d[dir];
	memset(q, 0, sizeof(*q));
	q->packets = d->st.packets;
	q->lost = ct_rtp_stream_lost(&d->st);
	q->late = d->late;
	q->audio_ms = rec->rate ? d->placed * 1000 / rec->rate : 0;
	q->jitter_ms_mean = d->st.jitter_ms_mean;
	q->jitter_ms_max = d->st.jitter_ms_max;
	q->burst_r = ct_emodel_burst_r(d->received, d->burst_lost, d->bursts);
	q->ssrc_changes = d->ssrc_changes;
	q->ts_jumps = d->ts_jumps;
	q->realigns = d->realigns;
	q->dtmf = d->dtmf;
	q->cn = d->cn;
	q->pt_other = d->pt_other;
	const struct ct_emodel_codec *c = ct_emodel_codec(codec);
	if (!c || !q->packets)
		return;
	uint64_t lost = q->lost > 0 ? (uint64_t)q->lost : 0;
	struct ct_emodel_in in = { .ie = c->ie,
				   .bpl = c->bpl,
				   .wideband = c->wideband,
				   .ppl = 100.0 * (double)(lost + q->late) / (double)(q->packets + lost),
				   .burst_r = q->burst_r,
				   /* no path delay on a passive tap: a 20 ms frame and a jitter buffer of
				    * twice the mean jitter */
				   .ta_ms = 20.0 + 2.0 * q->jitter_ms_mean };
	q->r = ct_emodel_r(&in);
	q->mos = ct_emodel_mos(q->r, c->wideband);
	q->wideband = c->wideband;
	q->published = c->published;
	q->scored = true;
}

/* The codec the recording's audio carries: the primary codec's SDP name. */
static const char *primary_name(const struct ct_rec *rec)
{
	for (unsigned i = 0; i < rec->pt.n; i++)
		if (rec->pt.e[i].codec != CT_RC_EVENT && rec->pt.e[i].codec != CT_RC_CN)
			return rec->pt.e[i].name;
	return "";
}

/* Ends a recording: its audio is flushed and closed, its files go to the finishing queue. */
static void finalize(struct ct_rec *rec, ct_time_t at, const char *reason)
{
	struct ct_recorder *r = rec->eng;
	if (at < rec->t0)
		at = rec->t0;
	finding_end(rec, at);
	rec_audio_finish(rec, at);
	struct rec_job *job = calloc(1, sizeof(*job));
	if (rec->snd && sf_close(rec->snd) != 0 && !rec->out.err)
		rec->out.err = CT_EIO;
	rec->snd = NULL;
	if (!job) {
		rec->out.err = CT_ENOMEM;
		rec_out_abort(&rec->out); /* its .part stays: the next start marks it */
	} else {
		job->out = rec->out;
		rec->out.buf = NULL;
		rec->out.fd = -1;
		struct ct_rec_file *f = &job->info;
		snprintf(job->call, sizeof(job->call), "%s", rec->call);
		snprintf(job->device, sizeof(job->device), "%s", rec->device);
		snprintf(job->reason, sizeof(job->reason), "%s", reason ? reason : "");
		snprintf(job->codec, sizeof(job->codec), "%s",
			 rec->fcodec == CT_RC_PCMA ? "PCMA" : rec->fcodec == CT_RC_PCMU ? "PCMU" : "L16");
		snprintf(job->format, sizeof(job->format), "wav%s", r->enc ? "+enc" : "");
		snprintf(job->path, sizeof(job->path), "%04u/%02u/%02u/%s.wav%s", rec->y, rec->mo, rec->dd, rec->name,
			 r->enc ? ".enc" : "");
		snprintf(job->part, sizeof(job->part), "%s.part", job->path);
		f->kind = CT_REC_FILE_AUDIO;
		f->call = job->call;
		f->device = job->device;
		f->path = job->path;
		f->format = job->format;
		f->codec = job->codec;
		f->reason = job->reason;
		f->start = rec->t0;
		f->end = at;
		f->duration_ms = (uint64_t)rec->written * 1000 / rec->rate;
		for (int dir = 0; dir < 2; dir++) {
			quality(rec, dir, primary_name(rec), &f->q[dir]);
			f->packets += rec->d[dir].st.packets;
			f->lost += ct_rtp_stream_lost(&rec->d[dir].st);
		}
		rec_job_submit(r, job);
	}
	rec_pcapw_close_payload(rec, at);
	for (int dir = 0; dir < 2; dir++)
		ep_unlink(r, rec, dir);
	if (rec->prev)
		rec->prev->next = rec->next;
	else
		r->active = rec->next;
	if (rec->next)
		rec->next->prev = rec->prev;
	rec->next = rec->prev = NULL;
	r->nactive--;
	rec_audio_free(rec);
	rec->state = REC_DEAD;
}

int ct_rec_stop(struct ct_rec *rec, ct_time_t at, const char *reason)
{
	if (!rec)
		return CT_EINVAL;
	struct ct_recorder *r = rec->eng;
	if (rec->state == REC_DEAD) {
		/* the engine stopped it already: only the handle is left */
		struct ct_rec **pp = &r->dead;
		while (*pp && *pp != rec)
			pp = &(*pp)->next;
		if (*pp)
			*pp = rec->next;
		free(rec);
		return CT_OK;
	}
	if (at > r->now)
		r->now = at;
	finalize(rec, at, reason);
	free(rec);
	/* small files are finished at once; the rest over the next ticks */
	rec_jobs_step(r, (uint64_t)r->cfg.finish_kb << 10);
	return CT_OK;
}

void rec_engine_stop_all(struct ct_recorder *r, const char *why, ct_time_t at)
{
	while (r->active) {
		struct ct_rec *rec = r->active;
		struct ct_rec_event ev = { .kind = CT_REC_EV_STOPPED, .ts = at, .call = rec->call, .device = rec->device,
					   .reason = why };
		rec_emit(r, &ev);
		finalize(rec, at, why);
		rec->next = r->dead;
		r->dead = rec;
		r->st.stopped_disk++;
	}
}

/* ---- packets ---- */

void ct_rec_rtp(struct ct_rec *rec, enum ct_rec_dir dir, const struct ct_rtp_hdr *h, ct_time_t at)
{
	if (!usable(rec) || (dir != CT_REC_FAR && dir != CT_REC_AGENT))
		return;
	if (at > rec->eng->now)
		rec->eng->now = at;
	rec_audio_packet(rec, (int)dir, h, at);
}

unsigned ct_recorder_rtp(struct ct_recorder *r, const struct ct_addr *src, uint16_t sport, const struct ct_addr *dst,
			 uint16_t dport, const struct ct_rtp_hdr *h, ct_time_t at)
{
	if (!r->nactive)
		return 0;
	uint64_t serial = ++r->serial;
	if (at > r->now)
		r->now = at;
	/* the sender's own endpoint first (symmetric RTP); then, for recordings that did not take
	 * it, the endpoint it is sent to: it comes from the other side */
	return ep_each(r, src, sport, serial, false, h, at) + ep_each(r, dst, dport, serial, true, h, at);
}

/* ---- findings ---- */

static void finding_emit(struct ct_rec *rec, enum rec_find f, bool active, ct_time_t at, ct_time_t since)
{
	struct ct_recorder *r = rec->eng;
	struct ct_rec_event ev = { .kind = CT_REC_EV_FINDING,
				   .ts = at,
				   .call = rec->call,
				   .device = rec->device,
				   .finding = f == REC_FIND_SILENCE ? CT_REC_LONG_SILENCE : CT_REC_ONE_WAY,
				   .dir = f == REC_FIND_ONE_WAY_AGENT ? CT_REC_AGENT : CT_REC_FAR,
				   .active = active,
				   .duration_ms = at > since ? (at - since) / 1000 : 0 };
	if (f == REC_FIND_ONE_WAY_FAR || f == REC_FIND_ONE_WAY_AGENT) {
		const struct rec_dir *d = &rec->d[ev.dir];
		ev.no_packets = d->last_pkt < since;
	}
	if (active)
		r->st.findings++;
	rec_emit(r, &ev);
}

static void finding_end(struct ct_rec *rec, ct_time_t at)
{
	if (rec->find != REC_FIND_NONE)
		finding_emit(rec, rec->find, false, at, rec->find_since);
	rec->find = REC_FIND_NONE;
}

static void findings(struct ct_rec *rec, ct_time_t now)
{
	uint32_t n = rec->eng->cfg.silence_s;
	if (!n || rec->state != REC_RUNNING)
		return;
	ct_time_t win = (ct_time_t)n * CT_USEC_PER_SEC;
	ct_time_t since[2];
	bool quiet[2];
	for (int dir = 0; dir < 2; dir++) {
		since[dir] = rec->d[dir].last_audio > rec->running_since ? rec->d[dir].last_audio : rec->running_since;
		quiet[dir] = now >= since[dir] + win;
	}
	enum rec_find f = quiet[0] && quiet[1] ? REC_FIND_SILENCE
			  : quiet[0]            ? REC_FIND_ONE_WAY_FAR
			  : quiet[1]            ? REC_FIND_ONE_WAY_AGENT
						: REC_FIND_NONE;
	if (f == rec->find)
		return;
	finding_end(rec, now);
	if (f != REC_FIND_NONE) {
		rec->find = f;
		rec->find_since = f == REC_FIND_SILENCE ? (since[0] > since[1] ? since[0] : since[1])
						       : since[f == REC_FIND_ONE_WAY_FAR ? 0 : 1];
		finding_emit(rec, f, true, now, rec->find_since);
	}
}

/* ---- timers ---- */

void ct_recorder_tick(struct ct_recorder *r, ct_time_t now)
{
	if (now > r->now)
		r->now = now;
	now = r->now;
	struct ct_rec *next;
	for (struct ct_rec *rec = r->active; rec; rec = next) {
		next = rec->next;
		rec_audio_advance(rec, now);
		if (rec->out.blen && now > rec->out.written_at + FLUSH_AFTER_US)
			rec_out_flush(&rec->out); /* a crash loses at most about a second */
		if (rec->out.err) {
			/* a write failed: this recording ends; its file is kept as .broken */
			struct ct_rec_event ev = { .kind = CT_REC_EV_STOPPED, .ts = now, .call = rec->call,
						   .device = rec->device, .reason = "write_error" };
			rec_emit(r, &ev);
			finalize(rec, now, "write_error");
			rec->next = r->dead;
			r->dead = rec;
			continue;
		}
		findings(rec, now);
	}
	rec_jobs_step(r, (uint64_t)r->cfg.finish_kb << 10);
	rec_store_guard(r, now, false);
	rec_store_retention(r);
	uint64_t s = now / CT_USEC_PER_SEC;
	if (s != r->last_sync_s) {
		r->last_sync_s = s;
		rec_chain_sync(r);
	}
}

void ct_recorder_drain(struct ct_recorder *r)
{
	rec_jobs_step(r, UINT64_MAX);
	rec_chain_sync(r);
}
