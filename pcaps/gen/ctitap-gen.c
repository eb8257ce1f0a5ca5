/*
 * ctitap-gen - deterministic SIP/RTP capture generator.
 *
 * Writes a classic pcap (LINKTYPE_ETHERNET, microsecond timestamps) of
 * scripted SIP calls between a PBX/SBC (10.1.0.1) and agent phones
 * (10.1.1.x, 10.1.2.x, ...) together with their G.711 RTP and RTCP, the way
 * a SPAN port in front of the PBX would show them.
 *
 * Why it exists: ctitap needs captures for tests, the README demo and
 * benchmarks that are (a) reproducible byte for byte from a command line, so
 * a capture in git can be checked and regenerated, and (b) arbitrarily large
 * without keeping anything but a few kilobytes per call in memory.
 *
 * How: every concurrency slot owns one phone and runs calls back to back.
 * A call is a short precomputed SIP script (timestamps + message kinds) plus
 * two RTP streams generated lazily.  A binary min-heap of per-slot "next
 * packet" events keyed by (time, insertion number) merges everything into
 * one time-ordered stream that goes straight to a buffered writer.  All
 * randomness comes from splitmix64 seeded by (--seed, call number), so the
 * output depends on the options only.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GEN_US 1000000ULL
#define GEN_DEFAULT_START 1767603600ULL /* 2026-01-05T09:00:00Z */
#define GEN_PBX_IP 0x0a010001U          /* 10.1.0.1 */
#define GEN_SIP_PORT 5060U
#define GEN_PTIME_US 20000ULL
#define GEN_G711_BYTES 160U /* 20 ms at 8 kHz, one byte per sample */
#define GEN_RTP_HDR 12U
#define GEN_RTCP_US (5ULL * GEN_US)
#define GEN_DUP_US 30ULL
#define GEN_RETX_US 500000ULL /* RFC 3261 T1: first INVITE retransmission */
#define GEN_MIN_STEP_US 100ULL /* > GEN_DUP_US so a pending duplicate is always
                                  written before the next SIP message */
#define GEN_VLAN_ID 100U
#define GEN_VLAN_PCP 5U
#define GEN_TOS_SIP 0x60U /* DSCP CS3 */
#define GEN_TOS_RTP 0xb8U /* DSCP EF */
#define GEN_L3L4 28U      /* IPv4 (no options) + UDP */
#define GEN_MAX_SIP 1400U /* keeps every SIP message in one 1500-byte MTU */
#define GEN_MAX_FRAME 1600U
#define GEN_REC_HDR 16U
#define GEN_OUTBUF (1U << 20)
#define GEN_AUDIO_LEN 8000U /* one second; a multiple of GEN_G711_BYTES */
#define GEN_MAX_STEPS 24U
#define GEN_MAX_CONCURRENCY 10000U
#define GEN_EV_PER_SLOT 8U

/* ------------------------------------------------------------------ */
/* Deterministic PRNG                                                  */

typedef struct {
    uint64_t s;
} gen_rng;

static uint64_t gen_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t gen_rng_next(gen_rng *r)
{
    r->s += 0x9e3779b97f4a7c15ULL;
    return gen_mix(r->s);
}

/* Modulo bias is irrelevant at these ranges; n must be > 0. */
static uint64_t gen_rng_below(gen_rng *r, uint64_t n)
{
    return gen_rng_next(r) % n;
}

/* A duration varied uniformly within +-50 %, in integers so the result
 * never depends on floating-point rounding. */
static uint64_t gen_vary(gen_rng *r, uint64_t base)
{
    return base / 1000U * (500U + gen_rng_below(r, 1001U)) +
           (base % 1000U) * (500U + gen_rng_below(r, 1001U)) / 1000U;
}

/* ------------------------------------------------------------------ */
/* Byte helpers                                                        */

static void gen_be16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void gen_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* pcap headers are written little-endian explicitly so the file is the same
 * on any host. */
static void gen_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t gen_sum(const uint8_t *p, size_t n, uint32_t acc)
{
    while (n > 1) {
        acc += (uint32_t)p[0] << 8 | p[1];
        p += 2;
        n -= 2;
    }
    if (n)
        acc += (uint32_t)p[0] << 8;
    return acc;
}

static uint16_t gen_fold(uint32_t acc)
{
    while (acc >> 16)
        acc = (acc & 0xffffU) + (acc >> 16);
    return (uint16_t)~acc;
}

static void gen_ip_str(uint32_t ip, char out[16])
{
    snprintf(out, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xffU,
             (ip >> 8) & 0xffU, ip & 0xffU);
}

/* ------------------------------------------------------------------ */
/* G.711 encoders (after the public-domain Sun reference code)         */

static uint8_t gen_ulaw(int pcm)
{
    int sign = 0;
    if (pcm < 0) {
        pcm = -pcm;
        sign = 0x80;
    }
    if (pcm > 32635)
        pcm = 32635;
    pcm += 0x84;
    int exp = 7;
    for (int mask = 0x4000; (pcm & mask) == 0 && exp > 0; mask >>= 1)
        exp--;
    int mant = (pcm >> (exp + 3)) & 0x0f;
    return (uint8_t)~(sign | (exp << 4) | mant);
}

static uint8_t gen_alaw(int pcm)
{
    static const int seg_end[8] = {0x1f, 0x3f, 0x7f, 0xff,
                                   0x1ff, 0x3ff, 0x7ff, 0xfff};
    int mask;
    pcm /= 8;
    if (pcm >= 0) {
        mask = 0xd5;
    } else {
        mask = 0x55;
        pcm = -pcm - 1;
    }
    int seg = 0;
    while (seg < 8 && pcm > seg_end[seg])
        seg++;
    if (seg >= 8)
        return (uint8_t)(0x7f ^ mask);
    int aval = seg << 4;
    aval |= seg < 2 ? (pcm >> 1) & 0x0f : (pcm >> seg) & 0x0f;
    return (uint8_t)(aval ^ mask);
}

/* ------------------------------------------------------------------ */
/* Data model                                                          */

enum gen_scenario { GEN_SC_BASIC, GEN_SC_MIX };
enum gen_outcome { GEN_ANSWERED, GEN_HOLD, GEN_CANCEL, GEN_BUSY };

struct gen_pattern {
    enum gen_outcome outcome;
    bool retx; /* first INVITE retransmitted after T1 */
    bool dup;  /* every SIP frame also seen with an 802.1Q tag */
};

/*
 * The "mix" scenario cycles through this table by call number, so the
 * number of each SIP method/status in a capture follows from --calls alone
 * (pcaps/gen/check.sh relies on that; keep the two in step).
 */
static const struct gen_pattern gen_mix_pattern[10] = {
    {GEN_ANSWERED, false, false}, {GEN_HOLD, false, false},
    {GEN_CANCEL, false, false},   {GEN_ANSWERED, true, false},
    {GEN_BUSY, false, false},     {GEN_ANSWERED, false, true},
    {GEN_ANSWERED, false, false}, {GEN_ANSWERED, false, false},
    {GEN_ANSWERED, false, false}, {GEN_ANSWERED, false, false},
};

enum gen_method { GEN_M_INVITE, GEN_M_ACK, GEN_M_BYE, GEN_M_CANCEL };
static const char *const gen_method_name[] = {"INVITE", "ACK", "BYE",
                                              "CANCEL"};

/* Transactions of one call; each gets its own Via branch. */
enum gen_txn { GEN_T_INVITE, GEN_T_ACK, GEN_T_BYE, GEN_T_REINV1,
               GEN_T_ACK1, GEN_T_REINV2, GEN_T_ACK2 };

enum gen_sdp { GEN_SDP_NONE, GEN_SDP_OFFER_FULL, GEN_SDP_SINGLE };
static const char *const gen_dir_name[] = {"sendrecv", "sendonly",
                                           "recvonly"};

struct gen_host {
    uint32_t ip;
    uint8_t mac[6];
    uint16_t ip_id; /* per host, as a real IP stack increments it */
    char ip_str[16];
};

struct gen_side {
    struct gen_host *host;
    const char *agent;
    char user[24];
    char aor[96];
    char tag[24];
    uint32_t cseq; /* next CSeq this side will use */
    uint64_t sdp_sess;
    uint32_t sdp_ver;
    uint16_t rtp_port;
};

struct gen_step {
    uint64_t t;
    uint16_t code; /* 0: request */
    uint8_t method;
    uint8_t sender; /* side index 0 = UAC, 1 = UAS */
    uint8_t txn;
    uint8_t sdp;
    uint8_t dir;
    bool to_tag;
    bool in_dialog; /* request URI is the remote Contact */
    uint32_t cseq;
    uint32_t sdp_ver;
};

struct gen_stream {
    uint8_t src; /* side index of the sender */
    uint8_t pt;
    bool marker;
    uint16_t seq;
    uint32_t ssrc;
    uint32_t ts0;
    uint32_t pkts;
    uint32_t octets;
    uint32_t audio_off;
    uint64_t start, end, pause_s, pause_e;
    uint64_t n; /* 20 ms intervals since start: drives timestamp */
    uint64_t next_rtcp;
    gen_rng rng; /* arrival jitter */
};

struct gen_slot {
    uint32_t index;
    struct gen_host phone;
    uint64_t call_no;
    gen_rng rng;
    struct gen_pattern pat;
    struct gen_side side[2];
    char call_id[64];
    uint64_t branch_seed;
    uint8_t offer_pt[2];
    struct gen_step step[GEN_MAX_STEPS];
    unsigned nstep, cur;
    struct gen_stream st[2];
    uint8_t dup_mac[6];
    uint8_t dup[GEN_MAX_FRAME];
    size_t dup_len;
};

enum gen_ev_kind { GEN_EV_START, GEN_EV_SIP, GEN_EV_DUP, GEN_EV_RTP0,
                   GEN_EV_RTP1, GEN_EV_RTCP0, GEN_EV_RTCP1 };

struct gen_ev {
    uint64_t t;
    uint64_t seq; /* insertion order breaks ties deterministically */
    uint32_t slot;
    uint32_t kind;
};

struct gen_opts {
    const char *out_path;
    uint64_t calls;
    uint64_t concurrency;
    uint64_t talk_us;
    uint64_t ring_us;
    uint64_t seed;
    uint64_t start;
    bool no_rtp;
    bool quiet;
    enum gen_scenario scenario;
};

struct gen_out {
    FILE *f;
    uint8_t *buf;
    size_t len;
    uint64_t packets, bytes;
    bool failed;
};

struct gen_ctx {
    struct gen_opts opt;
    struct gen_slot *slots;
    uint32_t nslots;
    struct gen_ev *heap;
    size_t nheap, heap_cap;
    uint64_t ev_seq;
    uint64_t now;
    uint64_t calls_scheduled, calls_started;
    uint64_t outcomes[4];
    struct gen_host pbx;
    struct gen_out out;
    uint8_t audio_ulaw[GEN_AUDIO_LEN];
    uint8_t audio_alaw[GEN_AUDIO_LEN];
};

static const uint8_t gen_router_mac[6] = {0x00, 0x00, 0x5e, 0x00, 0x01, 0x01};

/* ------------------------------------------------------------------ */
/* Event heap                                                          */

static bool gen_ev_less(const struct gen_ev *a, const struct gen_ev *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void gen_push(struct gen_ctx *g, uint64_t t, uint32_t slot,
                     enum gen_ev_kind kind)
{
    if (g->nheap == g->heap_cap) {
        /* Cannot happen: at most 7 live events per slot. */
        fprintf(stderr, "ctitap-gen: internal error: event heap full\n");
        exit(2);
    }
    /* Never schedule into the past: output must stay time ordered. */
    struct gen_ev ev = {t < g->now ? g->now : t, g->ev_seq++, slot,
                        (uint32_t)kind};
    size_t i = g->nheap++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!gen_ev_less(&ev, &g->heap[parent]))
            break;
        g->heap[i] = g->heap[parent];
        i = parent;
    }
    g->heap[i] = ev;
}

static struct gen_ev gen_pop(struct gen_ctx *g)
{
    struct gen_ev top = g->heap[0];
    struct gen_ev last = g->heap[--g->nheap];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1;
        if (l >= g->nheap)
            break;
        size_t m = l;
        if (l + 1 < g->nheap && gen_ev_less(&g->heap[l + 1], &g->heap[l]))
            m = l + 1;
        if (!gen_ev_less(&g->heap[m], &last))
            break;
        g->heap[i] = g->heap[m];
        i = m;
    }
    if (g->nheap > 0)
        g->heap[i] = last;
    return top;
}

/* ------------------------------------------------------------------ */
/* Output                                                              */

static void gen_out_flush(struct gen_out *o)
{
    if (o->len && fwrite(o->buf, 1, o->len, o->f) != o->len)
        o->failed = true;
    o->len = 0;
}

/* Returns where the next frame is to be built; the record header in front
 * of it is filled in by gen_out_commit once the length is known. */
static uint8_t *gen_out_frame(struct gen_out *o)
{
    if (GEN_OUTBUF - o->len < GEN_REC_HDR + GEN_MAX_FRAME)
        gen_out_flush(o);
    return o->buf + o->len + GEN_REC_HDR;
}

static void gen_out_commit(struct gen_ctx *g, uint64_t t, size_t flen)
{
    uint8_t *rec = g->out.buf + g->out.len;
    uint64_t sec = g->opt.start + t / GEN_US;
    gen_le32(rec, (uint32_t)sec);
    gen_le32(rec + 4, (uint32_t)(t % GEN_US));
    gen_le32(rec + 8, (uint32_t)flen);
    gen_le32(rec + 12, (uint32_t)flen);
    g->out.len += GEN_REC_HDR + flen;
    g->out.packets++;
    g->out.bytes += flen;
}

static void gen_out_header(struct gen_out *o)
{
    uint8_t *h = o->buf;
    gen_le32(h, 0xa1b2c3d4U); /* microsecond resolution */
    h[4] = 2;                 /* version 2.4 */
    h[5] = 0;
    h[6] = 4;
    h[7] = 0;
    gen_le32(h + 8, 0);       /* thiszone */
    gen_le32(h + 12, 0);      /* sigfigs */
    gen_le32(h + 16, 262144); /* snaplen */
    gen_le32(h + 20, 1);      /* LINKTYPE_ETHERNET */
    o->len = 24;
}

static size_t gen_l2(uint8_t *f, const uint8_t src_mac[6], bool vlan)
{
    memcpy(f, gen_router_mac, 6);
    memcpy(f + 6, src_mac, 6);
    if (vlan) {
        gen_be16(f + 12, 0x8100);
        gen_be16(f + 14, GEN_VLAN_PCP << 13 | GEN_VLAN_ID);
        gen_be16(f + 16, 0x0800);
        return 18;
    }
    gen_be16(f + 12, 0x0800);
    return 14;
}

/*
 * Fills Ethernet/IPv4/UDP headers in front of a payload the caller has
 * already placed at f + 14 + GEN_L3L4, so payloads are built in place.
 * Frames carry src = sending host, dst = the voice VLAN's gateway, as an
 * access-side SPAN shows them.
 */
static size_t gen_udp_frame(uint8_t *f, struct gen_host *src,
                            const struct gen_host *dst, uint32_t tos,
                            uint32_t sport, uint32_t dport, size_t plen)
{
    uint8_t *ip = f + gen_l2(f, src->mac, false);
    uint32_t ip_len = (uint32_t)(GEN_L3L4 + plen);
    ip[0] = 0x45;
    ip[1] = (uint8_t)tos;
    gen_be16(ip + 2, ip_len);
    gen_be16(ip + 4, src->ip_id++);
    gen_be16(ip + 6, 0x4000); /* DF */
    ip[8] = 64;
    ip[9] = 17;
    gen_be16(ip + 10, 0);
    gen_be32(ip + 12, src->ip);
    gen_be32(ip + 16, dst->ip);
    gen_be16(ip + 10, gen_fold(gen_sum(ip, 20, 0)));

    uint8_t *udp = ip + 20;
    uint32_t udp_len = ip_len - 20;
    gen_be16(udp, sport);
    gen_be16(udp + 2, dport);
    gen_be16(udp + 4, udp_len);
    gen_be16(udp + 6, 0);
    uint32_t acc = (src->ip >> 16) + (src->ip & 0xffffU) + (dst->ip >> 16) +
                   (dst->ip & 0xffffU) + 17U + udp_len;
    uint16_t ck = gen_fold(gen_sum(udp, udp_len, acc));
    gen_be16(udp + 6, ck ? ck : 0xffffU);
    return 14U + ip_len;
}

/* ------------------------------------------------------------------ */
/* SIP / SDP text                                                      */

struct gen_sb {
    char *p;
    size_t cap, len;
    bool overflow;
};

__attribute__((format(printf, 2, 3))) static void
gen_sb_add(struct gen_sb *b, const char *fmt, ...)
{
    if (b->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= b->cap - b->len) {
        b->overflow = true;
        return;
    }
    b->len += (size_t)n;
}

static const char *gen_pt_name(uint8_t pt)
{
    return pt == 8 ? "PCMA" : "PCMU";
}

static size_t gen_sdp(char *out, size_t cap, const struct gen_slot *c,
                      const struct gen_side *s, const struct gen_step *st)
{
    struct gen_sb b = {out, cap, 0, false};
    gen_sb_add(&b, "v=0\r\no=- %" PRIu64 " %" PRIu32 " IN IP4 %s\r\n",
               s->sdp_sess, st->sdp_ver, s->host->ip_str);
    gen_sb_add(&b, "s=-\r\nc=IN IP4 %s\r\nt=0 0\r\n", s->host->ip_str);
    if (st->sdp == GEN_SDP_OFFER_FULL) {
        gen_sb_add(&b, "m=audio %u RTP/AVP %u %u 101\r\n",
                   (unsigned)s->rtp_port, (unsigned)c->offer_pt[0],
                   (unsigned)c->offer_pt[1]);
        for (unsigned i = 0; i < 2; i++)
            gen_sb_add(&b, "a=rtpmap:%u %s/8000\r\n", (unsigned)c->offer_pt[i],
                       gen_pt_name(c->offer_pt[i]));
    } else {
        gen_sb_add(&b, "m=audio %u RTP/AVP %u 101\r\n", (unsigned)s->rtp_port,
                   (unsigned)c->offer_pt[0]);
        gen_sb_add(&b, "a=rtpmap:%u %s/8000\r\n", (unsigned)c->offer_pt[0],
                   gen_pt_name(c->offer_pt[0]));
    }
    gen_sb_add(&b, "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"
                   "a=ptime:20\r\na=%s\r\n",
               gen_dir_name[st->dir]);
    return b.overflow ? 0 : b.len;
}

static const char *gen_reason(unsigned code)
{
    switch (code) {
    case 100: return "Trying";
    case 180: return "Ringing";
    case 200: return "OK";
    case 486: return "Busy Here";
    case 487: return "Request Terminated";
    default: return "Unknown";
    }
}

/* Builds one SIP message; returns 0 if it would not fit (a bug, reported). */
static size_t gen_sip(const struct gen_slot *c, const struct gen_step *s,
                      char *out, size_t cap)
{
    struct gen_sb b = {out, cap, 0, false};
    const struct gen_side *snd = &c->side[s->sender];
    const struct gen_side *oth = &c->side[1 - s->sender];
    const char *method = gen_method_name[s->method];
    uint64_t branch = gen_mix(c->branch_seed + s->txn);
    char body[640];
    size_t blen = 0;
    if (s->sdp != GEN_SDP_NONE) {
        blen = gen_sdp(body, sizeof body, c, snd, s);
        if (blen == 0)
            return 0;
    }

    if (s->code == 0) {
        /* Request: Via/From are the sender's, To is the peer's. */
        if (s->in_dialog)
            gen_sb_add(&b, "%s sip:%s@%s:%u SIP/2.0\r\n", method, oth->user,
                       oth->host->ip_str, GEN_SIP_PORT);
        else
            gen_sb_add(&b, "%s sip:%s@%s SIP/2.0\r\n", method,
                       c->side[1].user, c->side[1].host->ip_str);
        gen_sb_add(&b, "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bK%016" PRIx64
                       "\r\nMax-Forwards: 70\r\n",
                   snd->host->ip_str, GEN_SIP_PORT, branch);
        gen_sb_add(&b, "From: %s;tag=%s\r\nTo: %s", snd->aor, snd->tag,
                   oth->aor);
        if (s->to_tag)
            gen_sb_add(&b, ";tag=%s", oth->tag);
        gen_sb_add(&b, "\r\n");
    } else {
        /* Response: Via/From/To are copied from the request the peer sent;
         * the responder adds its To tag once it has one. */
        gen_sb_add(&b, "SIP/2.0 %u %s\r\n", (unsigned)s->code,
                   gen_reason(s->code));
        gen_sb_add(&b, "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bK%016" PRIx64
                       "\r\n",
                   oth->host->ip_str, GEN_SIP_PORT, branch);
        gen_sb_add(&b, "From: %s;tag=%s\r\nTo: %s", oth->aor, oth->tag,
                   snd->aor);
        if (s->to_tag)
            gen_sb_add(&b, ";tag=%s", snd->tag);
        gen_sb_add(&b, "\r\n");
    }
    gen_sb_add(&b, "Call-ID: %s\r\nCSeq: %" PRIu32 " %s\r\n", c->call_id,
               s->cseq, method);
    bool invite = s->method == GEN_M_INVITE;
    if (invite && (s->code == 0 || s->code == 180 || s->code == 200))
        gen_sb_add(&b, "Contact: <sip:%s@%s:%u>\r\n", snd->user,
                   snd->host->ip_str, GEN_SIP_PORT);
    if (invite && (s->code == 0 || s->code == 200))
        gen_sb_add(&b, "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, "
                       "UPDATE, REFER, NOTIFY\r\nSupported: replaces\r\n");
    if (s->method == GEN_M_BYE && s->code == 0)
        gen_sb_add(&b, "Reason: Q.850;cause=16;text=\"Normal call clearing\""
                       "\r\n");
    gen_sb_add(&b, "%s: %s\r\n", s->code == 0 ? "User-Agent" : "Server",
               snd->agent);
    if (blen)
        gen_sb_add(&b, "Content-Type: application/sdp\r\n");
    gen_sb_add(&b, "Content-Length: %zu\r\n\r\n", blen);
    if (b.overflow || cap - b.len < blen)
        return 0;
    memcpy(out + b.len, body, blen);
    return b.len + blen;
}

/* ------------------------------------------------------------------ */
/* Call construction                                                   */

static const char *const gen_names[] = {
    "Anna Schmidt", "Jonas Weber",  "Mia Fischer",   "Lukas Wagner",
    "Lea Becker",   "Paul Hoffmann", "Emma Schulz", "Felix Koch",
};

static void gen_add(struct gen_slot *c, uint64_t t, uint16_t code,
                    enum gen_method method, unsigned sender, enum gen_txn txn,
                    uint32_t cseq, enum gen_sdp sdp, unsigned dir, bool to_tag,
                    bool in_dialog)
{
    if (c->nstep >= GEN_MAX_STEPS) {
        fprintf(stderr, "ctitap-gen: internal error: SIP script too long\n");
        exit(2);
    }
    /* Keep steps strictly apart so a pending SPAN duplicate (t + 30 us)
     * always goes out before the call's next SIP message reuses the
     * duplicate buffer. */
    if (c->nstep > 0 && t < c->step[c->nstep - 1].t + GEN_MIN_STEP_US)
        t = c->step[c->nstep - 1].t + GEN_MIN_STEP_US;
    struct gen_step *s = &c->step[c->nstep++];
    s->t = t;
    s->code = code;
    s->method = (uint8_t)method;
    s->sender = (uint8_t)sender;
    s->txn = (uint8_t)txn;
    s->cseq = cseq;
    s->sdp = (uint8_t)sdp;
    s->dir = (uint8_t)dir;
    s->to_tag = to_tag;
    s->in_dialog = in_dialog;
    s->sdp_ver = c->side[sender].sdp_ver;
}

static void gen_stream_init(struct gen_slot *c, unsigned d, unsigned src,
                            uint64_t start, uint64_t end)
{
    struct gen_stream *st = &c->st[d];
    memset(st, 0, sizeof *st);
    st->src = (uint8_t)src;
    st->pt = c->offer_pt[0];
    st->marker = true;
    st->seq = (uint16_t)gen_rng_next(&c->rng);
    st->ssrc = (uint32_t)gen_rng_next(&c->rng);
    st->ts0 = (uint32_t)gen_rng_next(&c->rng);
    st->audio_off = (uint32_t)gen_rng_below(&c->rng, GEN_AUDIO_LEN /
                                                         GEN_G711_BYTES) *
                    GEN_G711_BYTES;
    st->start = start;
    st->end = end;
    st->next_rtcp = start + GEN_RTCP_US - gen_rng_below(&c->rng, 500000);
    st->rng.s = gen_rng_next(&c->rng);
}

static void gen_call_start(struct gen_ctx *g, uint32_t slot_no, uint64_t t0)
{
    struct gen_slot *c = &g->slots[slot_no];
    uint64_t k = g->calls_started++;
    c->call_no = k;
    c->rng.s = gen_mix(g->opt.seed ^ gen_mix(k + 0x5eed));
    gen_rng *r = &c->rng;
    c->pat = g->opt.scenario == GEN_SC_MIX
                 ? gen_mix_pattern[k % 10]
                 : (struct gen_pattern){GEN_ANSWERED, false, false};
    g->outcomes[c->pat.outcome]++;

    /* A call centre: most calls come in from the trunk to an agent. */
    bool inbound = gen_rng_below(r, 100) < 65;
    unsigned pi = inbound ? 1 : 0; /* phone's side index */
    struct gen_side *phone = &c->side[pi];
    struct gen_side *pbx = &c->side[1 - pi];
    memset(c->side, 0, sizeof c->side);
    phone->host = &c->phone;
    pbx->host = &g->pbx;
    phone->agent = "ExamplePhone/6.4.2";
    pbx->agent = "ExamplePBX/18.2";
    /* Formatted into locals first: the side structs share one array, and
     * gcc's restrict check cannot tell user[] and aor[] apart there. */
    unsigned ext = 2000U + slot_no;
    char user[24], aor[96];
    snprintf(user, sizeof user, "%u", ext);
    snprintf(aor, sizeof aor, "\"Agent %u\" <sip:%u@%s>", ext, ext,
             g->pbx.ip_str);
    memcpy(phone->user, user, sizeof user);
    memcpy(phone->aor, aor, sizeof aor);
    if (inbound) {
        snprintf(user, sizeof user, "+4930%07u",
                 (unsigned)gen_rng_below(r, 10000000));
        if (gen_rng_below(r, 2))
            snprintf(aor, sizeof aor, "\"%s\" <sip:%s@%s>",
                     gen_names[gen_rng_below(r, 8)], user, g->pbx.ip_str);
        else
            snprintf(aor, sizeof aor, "<sip:%s@%s>", user, g->pbx.ip_str);
    } else {
        snprintf(user, sizeof user, "089%07u",
                 (unsigned)gen_rng_below(r, 10000000));
        snprintf(aor, sizeof aor, "<sip:%s@%s>", user, g->pbx.ip_str);
    }
    memcpy(pbx->user, user, sizeof user);
    memcpy(pbx->aor, aor, sizeof aor);
    for (unsigned i = 0; i < 2; i++) {
        struct gen_side *s = &c->side[i];
        snprintf(s->tag, sizeof s->tag, "%010" PRIx64,
                 gen_rng_next(r) & (uint64_t)0xffffffffffU);
        s->cseq = 1U + (uint32_t)gen_rng_below(r, 9000);
        s->sdp_sess = 1000000000ULL + gen_rng_below(r, 1000000000ULL);
        s->sdp_ver = (uint32_t)gen_rng_below(r, 1000);
    }
    phone->rtp_port = (uint16_t)(16384U + 2U * gen_rng_below(r, 8000));
    /* Unique among the calls in progress, as a PBX port allocator would. */
    pbx->rtp_port = (uint16_t)(10000U + 2U * (k % 20000U));
    snprintf(c->call_id, sizeof c->call_id, "%016" PRIx64 "%08" PRIx64 "@%s",
             gen_rng_next(r), gen_rng_next(r) & (uint64_t)0xffffffffU,
             c->side[0].host->ip_str);
    c->branch_seed = gen_rng_next(r);
    bool alaw_first = gen_rng_below(r, 2);
    c->offer_pt[0] = alaw_first ? 8 : 0;
    c->offer_pt[1] = alaw_first ? 0 : 8;

    /* The SIP script, in time order. */
    c->nstep = c->cur = 0;
    struct gen_side *uac = &c->side[0];
    uint32_t icseq = uac->cseq++;
    uint64_t t = t0;
    gen_add(c, t, 0, GEN_M_INVITE, 0, GEN_T_INVITE, icseq, GEN_SDP_OFFER_FULL,
            0, false, false);
    if (c->pat.retx) {
        t += GEN_RETX_US;
        gen_add(c, t, 0, GEN_M_INVITE, 0, GEN_T_INVITE, icseq,
                GEN_SDP_OFFER_FULL, 0, false, false);
    }
    t += 1000 + gen_rng_below(r, 20000);
    gen_add(c, t, 100, GEN_M_INVITE, 1, GEN_T_INVITE, icseq, GEN_SDP_NONE, 0,
            false, false);
    bool answered = false;
    uint64_t t_ans = 0, t_ack = 0, t_bye = 0, t_held = 0, t_resumed = 0;
    if (c->pat.outcome == GEN_BUSY) {
        t += 40000 + gen_rng_below(r, 300000);
        gen_add(c, t, 486, GEN_M_INVITE, 1, GEN_T_INVITE, icseq, GEN_SDP_NONE,
                0, true, false);
        t += 1000 + gen_rng_below(r, 20000);
        /* ACK to a non-2xx final response is hop-by-hop: same branch. */
        gen_add(c, t, 0, GEN_M_ACK, 0, GEN_T_INVITE, icseq, GEN_SDP_NONE, 0,
                true, false);
    } else {
        t += 20000 + gen_rng_below(r, 200000);
        gen_add(c, t, 180, GEN_M_INVITE, 1, GEN_T_INVITE, icseq, GEN_SDP_NONE,
                0, true, false);
        uint64_t ring = gen_vary(r, g->opt.ring_us);
        t += ring < 100000 ? 100000 : ring;
        if (c->pat.outcome == GEN_CANCEL) {
            gen_add(c, t, 0, GEN_M_CANCEL, 0, GEN_T_INVITE, icseq,
                    GEN_SDP_NONE, 0, false, false);
            t += 1000 + gen_rng_below(r, 15000);
            gen_add(c, t, 200, GEN_M_CANCEL, 1, GEN_T_INVITE, icseq,
                    GEN_SDP_NONE, 0, true, false);
            t += 200 + gen_rng_below(r, 3000);
            gen_add(c, t, 487, GEN_M_INVITE, 1, GEN_T_INVITE, icseq,
                    GEN_SDP_NONE, 0, true, false);
            t += 1000 + gen_rng_below(r, 20000);
            gen_add(c, t, 0, GEN_M_ACK, 0, GEN_T_INVITE, icseq, GEN_SDP_NONE,
                    0, true, false);
        } else {
            answered = true;
            t_ans = t;
            gen_add(c, t, 200, GEN_M_INVITE, 1, GEN_T_INVITE, icseq,
                    GEN_SDP_SINGLE, 0, true, false);
            t += 2000 + gen_rng_below(r, 30000);
            t_ack = t;
            gen_add(c, t, 0, GEN_M_ACK, 0, GEN_T_ACK, icseq, GEN_SDP_NONE, 0,
                    true, true);
            uint64_t talk = gen_vary(r, g->opt.talk_us);
            if (talk < GEN_US)
                talk = GEN_US;
            t_bye = t_ans + talk;
            if (c->pat.outcome == GEN_HOLD) {
                /* The agent's phone holds the far end (a=sendonly); the
                 * PBX answers a=recvonly and stops sending until resume. */
                unsigned bi = 1 - pi;
                for (unsigned h = 0; h < 2; h++) {
                    t = t_ans + talk * 3 * (h + 1) / 10;
                    uint32_t cs = phone->cseq++;
                    phone->sdp_ver++;
                    pbx->sdp_ver++;
                    enum gen_txn inv = h ? GEN_T_REINV2 : GEN_T_REINV1;
                    enum gen_txn ack = h ? GEN_T_ACK2 : GEN_T_ACK1;
                    gen_add(c, t, 0, GEN_M_INVITE, pi, inv, cs,
                            GEN_SDP_SINGLE, h ? 0 : 1, true, true);
                    t += 5000 + gen_rng_below(r, 40000);
                    gen_add(c, t, 200, GEN_M_INVITE, bi, inv, cs,
                            GEN_SDP_SINGLE, h ? 0 : 2, true, true);
                    if (h)
                        t_resumed = t;
                    else
                        t_held = t;
                    t += 2000 + gen_rng_below(r, 20000);
                    gen_add(c, t, 0, GEN_M_ACK, pi, ack, cs, GEN_SDP_NONE, 0,
                            true, true);
                }
            }
            unsigned by = (unsigned)gen_rng_below(r, 2);
            uint32_t bcs = c->side[by].cseq++;
            gen_add(c, t_bye, 0, GEN_M_BYE, by, GEN_T_BYE, bcs, GEN_SDP_NONE,
                    0, true, true);
            t = t_bye + 2000 + gen_rng_below(r, 30000);
            gen_add(c, t, 200, GEN_M_BYE, 1 - by, GEN_T_BYE, bcs,
                    GEN_SDP_NONE, 0, true, true);
        }
    }
    uint64_t t_end = c->step[c->nstep - 1].t;
    gen_push(g, c->step[0].t, slot_no, GEN_EV_SIP);

    if (answered && !g->opt.no_rtp) {
        /* The UAS starts sending right after its 200 OK, the UAC once it
         * has ACKed; both stop when the BYE goes out / arrives. */
        gen_stream_init(c, 0, 0, t_ack + 500 + gen_rng_below(r, 2500), t_bye);
        gen_stream_init(c, 1, 1, t_ans + 1000 + gen_rng_below(r, 4000),
                        t_bye);
        if (c->pat.outcome == GEN_HOLD) {
            struct gen_stream *held = &c->st[pi == 0 ? 1 : 0];
            held->pause_s = t_held;
            held->pause_e = t_resumed + 500;
        }
        for (unsigned d = 0; d < 2; d++) {
            gen_push(g, c->st[d].start, slot_no,
                     (enum gen_ev_kind)(GEN_EV_RTP0 + d));
            if (c->st[d].next_rtcp < c->st[d].end)
                gen_push(g, c->st[d].next_rtcp, slot_no,
                         (enum gen_ev_kind)(GEN_EV_RTCP0 + d));
        }
    }

    /* This slot's next call, after everything of this one is out. */
    if (g->calls_scheduled < g->opt.calls) {
        g->calls_scheduled++;
        gen_push(g, t_end + 500000 + gen_rng_below(r, 3000000), slot_no,
                 GEN_EV_START);
    }
}

/* ------------------------------------------------------------------ */
/* Packet emitters                                                     */

static void gen_emit_sip(struct gen_ctx *g, struct gen_slot *c, uint64_t t)
{
    const struct gen_step *s = &c->step[c->cur++];
    struct gen_side *snd = &c->side[s->sender];
    const struct gen_side *oth = &c->side[1 - s->sender];
    uint8_t *f = gen_out_frame(&g->out);
    size_t plen = gen_sip(c, s, (char *)(f + 14 + GEN_L3L4), GEN_MAX_SIP);
    if (plen == 0) {
        fprintf(stderr, "ctitap-gen: internal error: SIP message too long\n");
        exit(2);
    }
    size_t flen = gen_udp_frame(f, snd->host, oth->host, GEN_TOS_SIP,
                                GEN_SIP_PORT, GEN_SIP_PORT, plen);
    if (c->pat.dup) {
        c->dup_len = flen - 14;
        memcpy(c->dup, f + 14, c->dup_len);
        memcpy(c->dup_mac, snd->host->mac, 6);
        gen_push(g, t + GEN_DUP_US, c->index, GEN_EV_DUP);
    }
    gen_out_commit(g, t, flen);
    if (c->cur < c->nstep)
        gen_push(g, c->step[c->cur].t, c->index, GEN_EV_SIP);
}

/* The SPAN copy: same IP packet, seen again through a tagged trunk. */
static void gen_emit_dup(struct gen_ctx *g, struct gen_slot *c, uint64_t t)
{
    uint8_t *f = gen_out_frame(&g->out);
    size_t l2 = gen_l2(f, c->dup_mac, true);
    memcpy(f + l2, c->dup, c->dup_len);
    gen_out_commit(g, t, l2 + c->dup_len);
}

static bool gen_paused(const struct gen_stream *st, uint64_t t)
{
    return st->pause_e > st->pause_s && t >= st->pause_s && t < st->pause_e;
}

static void gen_emit_rtp(struct gen_ctx *g, struct gen_slot *c, unsigned d,
                         uint64_t t)
{
    struct gen_stream *st = &c->st[d];
    struct gen_side *src = &c->side[st->src];
    const struct gen_side *dst = &c->side[1 - st->src];
    uint8_t *f = gen_out_frame(&g->out);
    uint8_t *p = f + 14 + GEN_L3L4;
    p[0] = 0x80;
    p[1] = (uint8_t)((st->marker ? 0x80U : 0U) | st->pt);
    gen_be16(p + 2, st->seq);
    gen_be32(p + 4, st->ts0 + (uint32_t)(st->n * GEN_G711_BYTES));
    gen_be32(p + 8, st->ssrc);
    const uint8_t *audio = st->pt == 8 ? g->audio_alaw : g->audio_ulaw;
    memcpy(p + GEN_RTP_HDR,
           audio + (st->audio_off + st->n * GEN_G711_BYTES) % GEN_AUDIO_LEN,
           GEN_G711_BYTES);
    size_t flen = gen_udp_frame(f, src->host, dst->host, GEN_TOS_RTP,
                                src->rtp_port, dst->rtp_port,
                                GEN_RTP_HDR + GEN_G711_BYTES);
    gen_out_commit(g, t, flen);
    st->seq++;
    st->pkts++;
    st->octets += GEN_G711_BYTES;
    st->marker = false;
    st->n++;

    uint64_t next = st->start + st->n * GEN_PTIME_US;
    if (gen_paused(st, next)) {
        /* On hold: the timestamp clock keeps running, the sequence number
         * does not; the first packet after resume starts a talkspurt. */
        st->n = (st->pause_e - st->start + GEN_PTIME_US - 1) / GEN_PTIME_US;
        next = st->start + st->n * GEN_PTIME_US;
        st->marker = true;
    }
    if (next < st->end)
        gen_push(g, next + gen_rng_below(&st->rng, 400), c->index,
                 (enum gen_ev_kind)(GEN_EV_RTP0 + d));
}

/* RTCP compound packet: SR + SDES CNAME, as RFC 3550 6.1 requires. */
static void gen_emit_rtcp(struct gen_ctx *g, struct gen_slot *c, unsigned d,
                          uint64_t t)
{
    struct gen_stream *st = &c->st[d];
    if (!gen_paused(st, t) && st->pkts > 0) {
        struct gen_side *src = &c->side[st->src];
        const struct gen_side *dst = &c->side[1 - st->src];
        uint8_t *f = gen_out_frame(&g->out);
        uint8_t *p = f + 14 + GEN_L3L4;
        uint64_t usec = t % GEN_US;
        uint64_t ntp_sec = g->opt.start + t / GEN_US + 2208988800ULL;
        p[0] = 0x80;
        p[1] = 200;
        gen_be16(p + 2, 6);
        gen_be32(p + 4, st->ssrc);
        gen_be32(p + 8, (uint32_t)ntp_sec);
        gen_be32(p + 12, (uint32_t)((usec << 32) / GEN_US));
        gen_be32(p + 16, st->ts0 + (uint32_t)((t - st->start) / 125U));
        gen_be32(p + 20, st->pkts);
        gen_be32(p + 24, st->octets);
        uint8_t *sd = p + 28;
        char cname[48];
        int n = snprintf(cname, sizeof cname, "%s@%s", src->user,
                         src->host->ip_str);
        size_t cl = n < 0 ? 0 : (size_t)n >= sizeof cname ? sizeof cname - 1
                                                             : (size_t)n;
        size_t chunk = 4 + 2 + cl + 1;   /* SSRC, item hdr, text, END */
        size_t padded = (chunk + 3) & ~(size_t)3;
        sd[0] = 0x81;
        sd[1] = 202;
        gen_be16(sd + 2, (uint32_t)(padded / 4));
        gen_be32(sd + 4, st->ssrc);
        sd[8] = 1;
        sd[9] = (uint8_t)cl;
        memcpy(sd + 10, cname, cl);
        memset(sd + 10 + cl, 0, padded - 6 - cl);
        size_t plen = 28 + 4 + padded;
        size_t flen = gen_udp_frame(f, src->host, dst->host, GEN_TOS_RTP,
                                    src->rtp_port + 1U, dst->rtp_port + 1U,
                                    plen);
        gen_out_commit(g, t, flen);
    }
    st->next_rtcp += GEN_RTCP_US;
    if (st->next_rtcp < st->end)
        gen_push(g, st->next_rtcp, c->index,
                 (enum gen_ev_kind)(GEN_EV_RTCP0 + d));
}

/* ------------------------------------------------------------------ */
/* Setup                                                               */

static void gen_audio_init(struct gen_ctx *g)
{
    /* Low-level noise shaped into 250 ms "syllables": cheap, fixed, and
     * not all-silence so payload-sniffing code sees varied bytes. */
    gen_rng r = {0x61756469ULL};
    for (unsigned i = 0; i < GEN_AUDIO_LEN; i++) {
        unsigned ph = i % 2000U;
        int amp = 200 + (int)(ph < 1000U ? ph : 2000U - ph) * 3;
        int v = (int)gen_rng_below(&r, (uint64_t)(2 * amp + 1)) - amp;
        g->audio_ulaw[i] = gen_ulaw(v);
        g->audio_alaw[i] = gen_alaw(v);
    }
}

static void gen_usage(FILE *f)
{
    fprintf(f,
"usage: ctitap-gen -o FILE [options]\n"
"Writes a deterministic pcap of scripted SIP calls with RTP/RTCP.\n"
"\n"
"  -o, --output FILE      output pcap (required; '-' for stdout)\n"
"      --calls N          total number of calls (default 10)\n"
"      --concurrency N    max calls in progress at once (default 4, max %u)\n"
"      --talk SECONDS     talk time per answered call, varied +-50%%\n"
"                         (default 30; fractions allowed, min 1 s per call)\n"
"      --ring MS          ringing time before answer/cancel, varied +-50%%\n"
"                         (default 4000)\n"
"      --scenario NAME    basic: every call answered (default)\n"
"                         mix: cycle of 10 calls: answered, hold/resume,\n"
"                         CANCEL/487, INVITE retransmitted, 486 busy,\n"
"                         SPAN-duplicated SIP (802.1Q + untagged), 4x answered\n"
"      --seed N           PRNG seed (default 1)\n"
"      --start EPOCH      first call's time, Unix seconds\n"
"                         (default %llu = 2026-01-05T09:00:00Z)\n"
"      --no-rtp           SIP only\n"
"  -q, --quiet            no summary on stderr\n"
"  -h, --help             this text\n"
"Same options give a byte-identical file.\n",
            GEN_MAX_CONCURRENCY, GEN_DEFAULT_START);
}

static bool gen_parse_u64(const char *s, uint64_t min, uint64_t max,
                          uint64_t *out)
{
    if (s == NULL || *s < '0' || *s > '9')
        return false;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static bool gen_parse_seconds(const char *s, uint64_t *out_us)
{
    if (s == NULL || ((*s < '0' || *s > '9') && *s != '.'))
        return false;
    errno = 0;
    char *end = NULL;
    double v = strtod(s, &end);
    /* The negated form also rejects NaN. */
    if (errno != 0 || end == s || *end != '\0' || !(v >= 0.001 && v <= 86400))
        return false;
    *out_us = (uint64_t)(v * 1e6 + 0.5);
    return true;
}

enum {
    GEN_OPT_CALLS = 256,
    GEN_OPT_CONC,
    GEN_OPT_TALK,
    GEN_OPT_RING,
    GEN_OPT_SEED,
    GEN_OPT_START,
    GEN_OPT_NORTP,
    GEN_OPT_SCEN,
};

static int gen_parse_args(int argc, char **argv, struct gen_opts *o)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'},
        {"calls", required_argument, NULL, GEN_OPT_CALLS},
        {"concurrency", required_argument, NULL, GEN_OPT_CONC},
        {"talk", required_argument, NULL, GEN_OPT_TALK},
        {"ring", required_argument, NULL, GEN_OPT_RING},
        {"seed", required_argument, NULL, GEN_OPT_SEED},
        {"start", required_argument, NULL, GEN_OPT_START},
        {"no-rtp", no_argument, NULL, GEN_OPT_NORTP},
        {"scenario", required_argument, NULL, GEN_OPT_SCEN},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (struct gen_opts){
        .calls = 10,
        .concurrency = 4,
        .talk_us = 30 * GEN_US,
        .ring_us = 4000000,
        .seed = 1,
        .start = GEN_DEFAULT_START,
        .scenario = GEN_SC_BASIC,
    };
    int ch, li = -1;
    while ((ch = getopt_long(argc, argv, "o:qh", longopts, &li)) != -1) {
        bool ok = true;
        uint64_t ms = 0;
        switch (ch) {
        case 'o': o->out_path = optarg; break;
        case 'q': o->quiet = true; break;
        case 'h': gen_usage(stdout); exit(0);
        case GEN_OPT_CALLS:
            ok = gen_parse_u64(optarg, 1, 100000000, &o->calls);
            break;
        case GEN_OPT_CONC:
            ok = gen_parse_u64(optarg, 1, GEN_MAX_CONCURRENCY,
                               &o->concurrency);
            break;
        case GEN_OPT_TALK: ok = gen_parse_seconds(optarg, &o->talk_us); break;
        case GEN_OPT_RING:
            ok = gen_parse_u64(optarg, 0, 600000, &ms);
            o->ring_us = ms * 1000;
            break;
        case GEN_OPT_SEED:
            ok = gen_parse_u64(optarg, 0, UINT64_MAX, &o->seed);
            break;
        case GEN_OPT_START:
            /* Leave room for a year of calls before the 32-bit pcap
             * seconds field wraps. */
            ok = gen_parse_u64(optarg, 0, UINT32_MAX - 31536000ULL,
                               &o->start);
            break;
        case GEN_OPT_NORTP: o->no_rtp = true; break;
        case GEN_OPT_SCEN:
            if (strcmp(optarg, "basic") == 0)
                o->scenario = GEN_SC_BASIC;
            else if (strcmp(optarg, "mix") == 0)
                o->scenario = GEN_SC_MIX;
            else
                ok = false;
            break;
        default: gen_usage(stderr); return -1;
        }
        if (!ok) {
            /* Only long options take checked values, so li is valid. */
            fprintf(stderr, "ctitap-gen: invalid value for --%s: '%s'\n",
                    li >= 0 ? longopts[li].name : "?", optarg ? optarg : "");
            return -1;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "ctitap-gen: unexpected argument '%s'\n",
                argv[optind]);
        return -1;
    }
    if (o->out_path == NULL) {
        fprintf(stderr, "ctitap-gen: -o FILE is required (see --help)\n");
        return -1;
    }
    return 0;
}

static void gen_host_init(struct gen_host *h, uint32_t ip, const uint8_t mac[6],
                          uint16_t ip_id)
{
    h->ip = ip;
    memcpy(h->mac, mac, 6);
    h->ip_id = ip_id;
    gen_ip_str(ip, h->ip_str);
}

int main(int argc, char **argv)
{
    struct gen_ctx *g = calloc(1, sizeof *g);
    if (g == NULL) {
        fprintf(stderr, "ctitap-gen: out of memory\n");
        return 1;
    }
    if (gen_parse_args(argc, argv, &g->opt) != 0)
        return 2;
    struct gen_opts *o = &g->opt;
    g->nslots = (uint32_t)(o->concurrency < o->calls ? o->concurrency
                                                      : o->calls);
    g->slots = calloc(g->nslots, sizeof *g->slots);
    g->heap_cap = (size_t)g->nslots * GEN_EV_PER_SLOT;
    g->heap = calloc(g->heap_cap, sizeof *g->heap);
    g->out.buf = malloc(GEN_OUTBUF);
    if (g->slots == NULL || g->heap == NULL || g->out.buf == NULL) {
        fprintf(stderr, "ctitap-gen: out of memory\n");
        return 1;
    }

    gen_audio_init(g);
    static const uint8_t pbx_mac[6] = {0x00, 0x50, 0x56, 0xa1, 0x00, 0x01};
    gen_rng idr = {gen_mix(o->seed ^ 0x1d1d1d1dULL)};
    gen_host_init(&g->pbx, GEN_PBX_IP, pbx_mac,
                  (uint16_t)gen_rng_next(&idr));
    /* Phones spread over 10.1.1.0/24, 10.1.2.0/24, ... one per slot. */
    uint32_t nsub = (g->nslots + 199U) / 200U;
    if (nsub < 2)
        nsub = 2;
    for (uint32_t s = 0; s < g->nslots; s++) {
        uint32_t ip = 0x0a010000U | (1U + s % nsub) << 8 | (10U + s / nsub);
        uint8_t mac[6] = {0x00, 0x04, 0xf2, (uint8_t)(s >> 16),
                          (uint8_t)(s >> 8), (uint8_t)s};
        g->slots[s].index = s;
        gen_host_init(&g->slots[s].phone, ip, mac,
                      (uint16_t)gen_rng_next(&idr));
    }

    bool to_stdout = strcmp(o->out_path, "-") == 0;
    g->out.f = to_stdout ? stdout : fopen(o->out_path, "wb");
    if (g->out.f == NULL) {
        fprintf(stderr, "ctitap-gen: cannot open %s: %s\n", o->out_path,
                strerror(errno));
        return 1;
    }
    gen_out_header(&g->out);

    /* Stagger the first call of each slot over one mean call duration so
     * the load ramps up instead of starting with a burst of INVITEs. */
    uint64_t mean = o->ring_us + o->talk_us + 2 * GEN_US;
    uint64_t stagger = mean / g->nslots;
    for (uint32_t s = 0; s < g->nslots; s++) {
        g->calls_scheduled++;
        gen_push(g, s * stagger + gen_mix(o->seed + s) % 100000U, s,
                 GEN_EV_START);
    }

    while (g->nheap > 0) {
        struct gen_ev ev = gen_pop(g);
        g->now = ev.t;
        struct gen_slot *c = &g->slots[ev.slot];
        switch ((enum gen_ev_kind)ev.kind) {
        case GEN_EV_START: gen_call_start(g, ev.slot, ev.t); break;
        case GEN_EV_SIP: gen_emit_sip(g, c, ev.t); break;
        case GEN_EV_DUP: gen_emit_dup(g, c, ev.t); break;
        case GEN_EV_RTP0:
        case GEN_EV_RTP1:
            gen_emit_rtp(g, c, ev.kind - GEN_EV_RTP0, ev.t);
            break;
        case GEN_EV_RTCP0:
        case GEN_EV_RTCP1:
            gen_emit_rtcp(g, c, ev.kind - GEN_EV_RTCP0, ev.t);
            break;
        }
        if (g->out.failed)
            break;
    }
    gen_out_flush(&g->out);
    bool failed = g->out.failed;
    if (to_stdout ? fflush(stdout) != 0 : fclose(g->out.f) != 0)
        failed = true;
    if (failed) {
        fprintf(stderr, "ctitap-gen: write to %s failed: %s\n", o->out_path,
                strerror(errno));
        return 1;
    }
    if (!o->quiet)
        fprintf(stderr,
                "ctitap-gen: %s: %" PRIu64 " calls (answered %" PRIu64
                ", hold %" PRIu64 ", cancelled %" PRIu64 ", busy %" PRIu64
                "), %" PRIu64 " packets, %" PRIu64 " bytes, %.3f s\n",
                o->out_path, g->calls_started, g->outcomes[GEN_ANSWERED],
                g->outcomes[GEN_HOLD], g->outcomes[GEN_CANCEL],
                g->outcomes[GEN_BUSY], g->out.packets, g->out.bytes,
                (double)g->now / 1e6);
    free(g->heap);
    free(g->slots);
    free(g->out.buf);
    free(g);
    return 0;
}
