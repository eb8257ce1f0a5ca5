/* recorder_pcap.c - the recorder's pcaps, written by libpcap's pcap_dump through the output
 * stream (hash, encryption, .part): the evidence capture of a call (the frames the caller
 * adds, as captured) and the payload capture of a recording whose codec ctitap does not
 * decode (each RTP packet rebuilt from its header fields behind a synthetic IPv4/IPv6 + UDP
 * header between the recording's endpoints, LINKTYPE_RAW, so Wireshark's RTP player plays it).
 */
#define _GNU_SOURCE
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include "../util/log.h"
#include "recorder_int.h"

struct rec_pcapw {
	struct rec_pcapw *next, *prev;   /* the engine's evidence pcaps */
	struct ct_recorder *eng;
	pcap_t *dead;
	pcap_dumper_t *dumper;
	FILE *f;
	struct rec_job *job;             /* the file's output stream and its FILE event */
	int linktype;
	bool evidence;
};

static ssize_t cookie_write(void *c, const char *buf, size_t n)
{
	struct rec_out *o = c;
	return rec_out_write(o, buf, n) == CT_OK ? (ssize_t)n : -1;
}

static int cookie_close(void *c)
{
	(void)c;
	return 0;
}

/* Nothing useful was written: the writer, its stream and its .part go, no event, no entry. */
static void pcapw_discard(struct rec_pcapw *w)
{
	struct rec_job *job = w->job;
	if (w->dumper)
		pcap_dump_close(w->dumper); /* closes f */
	else if (w->f)
		fclose(w->f);
	if (w->dead)
		pcap_close(w->dead);
	if (job->out.fd >= 0) {
		char day[11];
		memcpy(day, job->path, 10);
		day[10] = '\0';
		int dfd = rec_day_open(w->eng, day, false);
		if (dfd >= 0) {
			const char *slash = strrchr(job->part, '/');
			unlinkat(dfd, slash ? slash + 1 : job->part, 0);
			close(dfd);
		}
	}
	rec_out_abort(&job->out);
	free(job);
	free(w);
}

/* Creates the file and its pcap writer. */
static struct rec_pcapw *pcapw_new(struct ct_recorder *r, uint16_t y, uint16_t mo, uint16_t dd, const char *base,
				   const char *ext, int linktype, const char *call, const char *device, ct_time_t start,
				   enum ct_rec_file_kind kind)
{
	struct rec_pcapw *w = calloc(1, sizeof(*w));
	struct rec_job *job = calloc(1, sizeof(*job));
	if (!w || !job) {
		free(w);
		free(job);
		return NULL;
	}
	w->eng = r;
	w->job = job;
	w->linktype = linktype;
	job->out.fd = -1;
	if (rec_store_create(r, y, mo, dd, base, ext, &job->out, job->path, sizeof(job->path), false) != CT_OK)
		goto fail;
	snprintf(job->part, sizeof(job->part), "%s.part", job->path);
	w->dead = pcap_open_dead(linktype, 262144);
	cookie_io_functions_t io = { .read = NULL, .write = cookie_write, .seek = NULL, .close = cookie_close };
	w->f = w->dead ? fopencookie(&job->out, "w", io) : NULL;
	if (!w->f)
		goto fail;
	setvbuf(w->f, NULL, _IONBF, 0); /* the output stream buffers: no stdio buffer to allocate later */
	w->dumper = pcap_dump_fopen(w->dead, w->f);
	if (!w->dumper)
		goto fail;
	snprintf(job->call, sizeof(job->call), "%s", call);
	snprintf(job->device, sizeof(job->device), "%s", device ? device : "");
	snprintf(job->format, sizeof(job->format), "pcap%s", r->enc ? "+enc" : "");
	job->info.kind = kind;
	job->info.start = start;
	return w;
fail:
	pcapw_discard(w);
	return NULL;
}

static void pcapw_close(struct rec_pcapw *w, ct_time_t at, const char *reason, uint64_t frames)
{
	struct rec_job *job = w->job;
	pcap_dump_close(w->dumper); /* fflush + fclose of the cookie stream */
	pcap_close(w->dead);
	job->info.end = at;
	job->info.packets = frames;
	snprintf(job->reason, sizeof(job->reason), "%s", reason ? reason : "");
	job->info.call = job->call;
	job->info.device = job->device[0] ? job->device : NULL;
	job->info.path = job->path;
	job->info.format = job->format;
	job->info.codec = job->codec[0] ? job->codec : NULL;
	job->info.reason = job->reason[0] ? job->reason : NULL;
	rec_job_submit(w->eng, job);
	free(w);
}

static void dump(struct rec_pcapw *w, ct_time_t ts, const uint8_t *p, uint32_t caplen, uint32_t wirelen)
{
	struct pcap_pkthdr h;
	h.ts.tv_sec = (time_t)(ts / CT_USEC_PER_SEC);
	h.ts.tv_usec = (suseconds_t)(ts % CT_USEC_PER_SEC);
	h.caplen = caplen;
	h.len = wirelen < caplen ? caplen : wirelen;
	pcap_dump((u_char *)w->dumper, &h, p);
}

/* ---- evidence ---- */

static uint64_t evidence_frames(const struct rec_pcapw *w)
{
	return w->job->info.packets;
}

int ct_recorder_pcap_open(struct ct_recorder *r, const char *call, ct_time_t start, int linktype,
			  struct ct_rec_pcap **out)
{
	*out = NULL;
	if (!r->cfg.pcap)
		return CT_ENOTSUP;
	if (!call || !call[0])
		return CT_EINVAL;
	if (r->guard) {
		r->st.refused_disk++;
		return CT_ELIMIT;
	}
	time_t t = (time_t)(start / CT_USEC_PER_SEC);
	struct tm tm;
	gmtime_r(&t, &tm);
	char base[80];
	rec_call_name(call, base, sizeof(base));
	struct rec_pcapw *w = pcapw_new(r, (uint16_t)(tm.tm_year + 1900), (uint16_t)(tm.tm_mon + 1),
					(uint16_t)tm.tm_mday, base, "pcap", linktype, call, NULL, start,
					CT_REC_FILE_EVIDENCE);
	if (!w)
		return CT_EIO;
	w->evidence = true;
	w->next = r->pcaps;
	if (w->next)
		w->next->prev = w;
	r->pcaps = w;
	*out = (struct ct_rec_pcap *)w;
	return CT_OK;
}

void ct_rec_pcap_add(struct ct_rec_pcap *p, ct_time_t ts, int linktype, const uint8_t *frame, uint32_t caplen,
		     uint32_t wirelen)
{
	struct rec_pcapw *w = (struct rec_pcapw *)p;
	if (!w || !w->dumper)
		return;
	if (linktype != w->linktype) {
		w->eng->st.pcap_linktype_other++;
		return;
	}
	dump(w, ts, frame, caplen, wirelen);
	w->job->info.packets++;
	w->eng->st.pcap_frames++;
}

int ct_rec_pcap_close(struct ct_rec_pcap *p, ct_time_t at)
{
	struct rec_pcapw *w = (struct rec_pcapw *)p;
	if (!w)
		return CT_EINVAL;
	struct ct_recorder *r = w->eng;
	if (w->prev)
		w->prev->next = w->next;
	else
		r->pcaps = w->next;
	if (w->next)
		w->next->prev = w->prev;
	pcapw_close(w, at, NULL, evidence_frames(w));
	return CT_OK;
}

void rec_pcaps_close_all(struct ct_recorder *r, ct_time_t at)
{
	while (r->pcaps)
		ct_rec_pcap_close((struct ct_rec_pcap *)r->pcaps, at);
}

/* ---- payload ---- */

int rec_pcapw_open_payload(struct ct_rec *rec)
{
	if (rec->payload)
		return CT_OK;
	struct rec_pcapw *w = pcapw_new(rec->eng, rec->y, rec->mo, rec->dd, rec->name, "rtp.pcap", DLT_RAW, rec->call,
					rec->device, rec->t0, CT_REC_FILE_PAYLOAD);
	if (!w)
		return CT_EIO;
	rec->payload = w;
	return CT_OK;
}

static uint16_t csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint32_t csum_add(uint32_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

void rec_pcapw_payload(struct ct_rec *rec, int dir, const struct ct_rtp_hdr *h, ct_time_t at)
{
	struct rec_pcapw *w = rec->payload;
	if (!w || h->plen > 1400)
		return;
	if (!w->job->info.packets) /* the file's codec: the first one written, as SDP named it */
		for (unsigned i = 0; i < rec->pt.n; i++)
			if (rec->pt.e[i].pt == h->pt) {
				snprintf(w->job->codec, sizeof(w->job->codec), "%s", rec->pt.e[i].name);
				break;
			}
	const struct ct_rec_ep *src = &rec->d[dir].ep, *dst = &rec->d[1 - dir].ep;
	bool v4 = ct_addr_is_v4(&src->addr) && ct_addr_is_v4(&dst->addr);
	uint8_t *b = rec->eng->scratch;
	size_t ip = v4 ? 20 : 40, udp_len = 8 + 12 + h->plen, total = ip + udp_len;
	memset(b, 0, ip + 8);
	uint8_t *u = b + ip, *rtp = u + 8;
	rtp[0] = 0x80;
	rtp[1] = (uint8_t)(h->pt | (h->marker ? 0x80 : 0));
	rtp[2] = (uint8_t)(h->seq >> 8);
	rtp[3] = (uint8_t)h->seq;
	for (int i = 0; i < 4; i++) {
		rtp[4 + i] = (uint8_t)(h->ts >> (24 - 8 * i));
		rtp[8 + i] = (uint8_t)(h->ssrc >> (24 - 8 * i));
	}
	memcpy(rtp + 12, h->payload, h->plen);
	u[0] = (uint8_t)(src->port >> 8);
	u[1] = (uint8_t)src->port;
	u[2] = (uint8_t)(dst->port >> 8);
	u[3] = (uint8_t)dst->port;
	u[4] = (uint8_t)(udp_len >> 8);
	u[5] = (uint8_t)udp_len;
	uint32_t s = 0;
	if (v4) {
		b[0] = 0x45;
		b[2] = (uint8_t)(total >> 8);
		b[3] = (uint8_t)total;
		b[8] = 64;
		b[9] = 17;
		memcpy(b + 12, src->addr.a + 12, 4);
		memcpy(b + 16, dst->addr.a + 12, 4);
		uint16_t ipc = csum_fold(csum_add(0, b, 20));
		b[10] = (uint8_t)(ipc >> 8);
		b[11] = (uint8_t)ipc;
		s = csum_add(s, b + 12, 8);
	} else {
		b[0] = 0x60;
		b[4] = (uint8_t)(udp_len >> 8);
		b[5] = (uint8_t)udp_len;
		b[6] = 17;
		b[7] = 64;
		memcpy(b + 8, src->addr.a, 16);
		memcpy(b + 24, dst->addr.a, 16);
		s = csum_add(s, b + 8, 32);
	}
	/* the UDP checksum over the pseudo-header, so a reader sees a clean packet */
	s += 17 + (uint32_t)udp_len;
	s = csum_add(s, u, udp_len);
	uint16_t uc = csum_fold(s);
	if (uc == 0)
		uc = 0xffff;
	u[6] = (uint8_t)(uc >> 8);
	u[7] = (uint8_t)uc;
	dump(w, at, b, (uint32_t)total, (uint32_t)total);
	w->job->info.packets++;
	rec->eng->st.rtp_payload_pcap++;
}

void rec_pcapw_close_payload(struct ct_rec *rec, ct_time_t at)
{
	if (!rec->payload)
		return;
	struct rec_pcapw *w = rec->payload;
	rec->payload = NULL;
	if (!w->job->info.packets) {
		/* opened with the recording (nothing is allocated on the packet path) because an SDP
		 * offered such a codec; none was sent: no empty file beside the audio */
		pcapw_discard(w);
		return;
	}
	pcapw_close(w, at, rec->reason, w->job->info.packets);
}
