/*
 * ctitap-gen - deterministic SIP/RTP capture generator.
 *
 * Writes a classic pcap (LINKTYPE_ETHERNET, microsecond timestamps) of
 * scripted SIP calls between a PBX/SBC (10.1.0.1) and agent phones
 * (10.1.1.x, 10.1.2.x, ...) together with their G.711 RTP and RTCP, the way
 * a SPAN port in front of the PBX would show them.  With --csta it also
 * writes the PBX's CSTA link(s) to a CTI server (ECMA-323 XML and/or
 * ECMA-285 BER over TCP) reporting the same calls, and with --expect the
 * messages and calls a reader should find, as JSON lines.
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
/* CSTA links (--csta) */
#define GEN_CSTA_PBX_IP 0x0a010005U /* 10.1.0.5: the PBX's CTI interface */
#define GEN_CSTA_CLI_IP 0x0a010032U /* 10.1.0.50: the CTI server */
#define GEN_XML_PORT 1040U
#define GEN_BER_PORT 2555U
#define GEN_CSTA_LEAD_US 10000ULL /* a call's START runs this early so the
                                     PBX can report it before its INVITE */
#define GEN_MSS 1460U
#define GEN_MAX_CSTEPS 16U
#define GEN_CSTA_BUF 4096U

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

/* One CSTA event of a call, reported at the agent's monitor. */
struct gen_cstep {
    uint64_t t;
    uint8_t ev;         /* enum gen_cev */
    uint8_t conn_other; /* the connection is the far party's, not the agent's */
    uint8_t subj_other; /* the subject device is the far party */
    uint8_t state;      /* LocalConnectionState */
    uint8_t cause;      /* index into gen_causes[] */
    uint8_t flags;      /* GEN_CF_* */
};

struct gen_link;

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
    /* CSTA view of the call (--csta): callID, Avaya-style UCID, script */
    bool inbound;
    bool uui; /* the PBX's INVITE to the agent carries the UCID */
    uint8_t pi; /* the phone's side index */
    uint8_t csta_call[4];
    uint8_t ucid[8];
    struct gen_cstep cst[GEN_MAX_CSTEPS];
    unsigned ncst, ccur;
    uint8_t dup_mac[6];
    uint8_t dup[GEN_MAX_FRAME];
    size_t dup_len;
};

enum gen_ev_kind { GEN_EV_START, GEN_EV_SIP, GEN_EV_DUP, GEN_EV_RTP0,
                   GEN_EV_RTP1, GEN_EV_RTCP0, GEN_EV_RTCP1, GEN_EV_CSTA,
                   GEN_EV_LINK };

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
    unsigned csta; /* bit 0: XML link, bit 1: BER link */
    const char *expect_path;
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
    /* --csta */
    uint64_t t_off;  /* every call starts this much later (link set-up) */
    uint64_t lead;   /* START events run this much before the INVITE */
    struct gen_host cti_pbx, cti_cli;
    struct gen_link *link[2]; /* [0] XML, [1] BER; NULL when off */
    uint32_t xref_base;
    uint32_t callid_base;
    FILE *expect;
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
    if (c->uui && invite && s->code == 0 && s->txn == GEN_T_INVITE) {
        /* Avaya-style UCID in UUI: protocol discriminator 00, IE FA,
         * length 08, then the 8 bytes. */
        gen_sb_add(&b, "User-to-User: 00FA08");
        for (unsigned i = 0; i < 8; i++)
            gen_sb_add(&b, "%02X", (unsigned)c->ucid[i]);
        gen_sb_add(&b, ";encoding=hex\r\n");
    }
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
/* CSTA links (--csta)                                                 */
/*
 * The PBX's CTI interface (10.1.0.5) reports every call at the monitored
 * agent devices to a CTI server (10.1.0.50) over one TCP connection per
 * link: ECMA-323 ed4 XML behind the 8-byte header on port 1040, and/or
 * ECMA-285 (Phase III) BER behind a 2-byte length on port 2555 (OXE
 * style), the latter opened with an ACSE association.  Each call's CSTA
 * script is derived from its SIP script: events triggered by a message the
 * PBX sends are reported a few ms before it, events the PBX learns from
 * the phone a few ms after.  A link is strictly sequential: a message is
 * segmented (mostly one segment, sometimes split), ACKed by the receiver,
 * and the next message starts after that ACK.
 */

enum gen_cev { GEN_CE_DELIVERED, GEN_CE_ESTABLISHED, GEN_CE_CLEARED,
               GEN_CE_HELD, GEN_CE_RETRIEVED, GEN_CE_FAILED,
               GEN_CE_SERVICE_INITIATED, GEN_CE_ORIGINATED,
               GEN_CE_NETWORK_REACHED };

#define GEN_F_CALLING 1U
#define GEN_F_CALLED 2U
#define GEN_F_REDIR 4U

struct gen_cev_info {
    const char *xml;  /* ECMA-323 element */
    const char *name; /* snake_case, as in the expect file */
    uint8_t tag;      /* CallControlEvents alternative (ECMA-285) */
    uint8_t fields;   /* which of calling/called/lastRedirection follow */
    uint8_t corr_tag; /* context tag of correlatorData in this event */
    const char *conn; /* ECMA-323 names of the connection ... */
    const char *subj; /* ... and of the subject device */
};

static const struct gen_cev_info gen_cevs[] = {
    {"DeliveredEvent", "delivered", 4,
     GEN_F_CALLING | GEN_F_CALLED | GEN_F_REDIR, 0, "connection",
     "alertingDevice"},
    {"EstablishedEvent", "established", 7,
     GEN_F_CALLING | GEN_F_CALLED | GEN_F_REDIR, 1, "establishedConnection",
     "answeringDevice"},
    {"ConnectionClearedEvent", "connection_cleared", 3, 0, 0,
     "droppedConnection", "releasingDevice"},
    {"HeldEvent", "held", 9, 0, 0, "heldConnection", "holdingDevice"},
    {"RetrievedEvent", "retrieved", 15, 0, 0, "retrievedConnection",
     "retrievingDevice"},
    {"FailedEvent", "failed", 8, GEN_F_CALLING | GEN_F_CALLED | GEN_F_REDIR,
     0, "failedConnection", "failingDevice"},
    {"ServiceInitiatedEvent", "service_initiated", 16, 0, 0,
     "initiatedConnection", "initiatingDevice"},
    /* Originated's callingDevice is its subject (a SubjectDeviceID). */
    {"OriginatedEvent", "originated", 13, GEN_F_CALLED, 2,
     "originatedConnection", "callingDevice"},
    {"NetworkReachedEvent", "network_reached", 11,
     GEN_F_CALLING | GEN_F_CALLED | GEN_F_REDIR, 0, "outboundConnection",
     "networkInterfaceUsed"},
};

enum { GEN_CA_NEWCALL, GEN_CA_NORMALCLR, GEN_CA_CANCELLED, GEN_CA_BUSY,
       GEN_CA_NORMAL };
static const struct {
    uint8_t v;
    const char *xml, *name;
} gen_causes[] = {
    {22, "newCall", "new_call"},
    {48, "normalClearing", "normal_clearing"},
    {5, "callCancelled", "call_cancelled"},
    {3, "busy", "busy"},
    {78, "normal", "normal"},
};

enum { GEN_LCS_NULL, GEN_LCS_INITIATED, GEN_LCS_ALERTING, GEN_LCS_CONNECTED,
       GEN_LCS_HOLD, GEN_LCS_QUEUED, GEN_LCS_FAIL };
static const char *const gen_lcs[] = {"null", "initiated", "alerting",
                                      "connected", "hold", "queued", "fail"};

#define GEN_CF_CORR 1U /* correlatorData = the call's UCID */
#define GEN_CF_SWAP 2U /* the message's two segments arrive swapped */
#define GEN_CF_RETX 4U /* the message's segment is retransmitted */

/* Devices a step refers to. */
enum { GEN_DEV_AGENT, GEN_DEV_OTHER, GEN_DEV_TRUNK };
#define GEN_TRUNK_DEV "T001"

static const char gen_ns323[] =
    "http://www.ecma-international.org/standards/ecma-323/csta/ed4";

/* -- tiny BER writer: definite lengths, single-byte tags -- */

struct gen_ber {
    uint8_t *p;
    size_t len, cap;
    size_t stack[16];
    unsigned depth;
    bool overflow;
};

static void gen_ber_raw(struct gen_ber *b, const void *d, size_t n)
{
    if (b->overflow || b->cap - b->len < n) {
        b->overflow = true;
        return;
    }
    if (n)
        memcpy(b->p + b->len, d, n);
    b->len += n;
}

static void gen_ber_hdr(struct gen_ber *b, uint8_t tag, size_t n)
{
    uint8_t h[4] = {tag, 0, 0, 0};
    size_t hl = 2;
    if (n < 128) {
        h[1] = (uint8_t)n;
    } else if (n < 256) {
        h[1] = 0x81;
        h[2] = (uint8_t)n;
        hl = 3;
    } else {
        h[1] = 0x82;
        h[2] = (uint8_t)(n >> 8);
        h[3] = (uint8_t)n;
        hl = 4;
    }
    gen_ber_raw(b, h, hl);
}

static void gen_ber_prim(struct gen_ber *b, uint8_t tag, const void *d,
                         size_t n)
{
    gen_ber_hdr(b, tag, n);
    gen_ber_raw(b, d, n);
}

static void gen_ber_str(struct gen_ber *b, uint8_t tag, const char *s)
{
    gen_ber_prim(b, tag, s, strlen(s));
}

/* Non-negative INTEGER/ENUMERATED in the fewest octets. */
static void gen_ber_uint(struct gen_ber *b, uint8_t tag, uint64_t v)
{
    uint8_t o[9];
    size_t n = 0;
    do {
        o[8 - n++] = (uint8_t)v;
        v >>= 8;
    } while (v);
    if (o[9 - n] & 0x80)
        o[8 - n++] = 0;
    gen_ber_prim(b, tag, o + 9 - n, n);
}

static void gen_ber_open(struct gen_ber *b, uint8_t tag)
{
    uint8_t h[2] = {tag, 0};
    if (b->depth >= 16) {
        b->overflow = true;
        return;
    }
    gen_ber_raw(b, h, 2);
    b->stack[b->depth++] = b->len;
}

/* Fills in the length of the innermost open TLV, moving its contents up
 * when the length needs the long form. */
static void gen_ber_close(struct gen_ber *b)
{
    if (b->depth == 0) {
        b->overflow = true;
        return;
    }
    size_t start = b->stack[--b->depth];
    if (b->overflow)
        return;
    size_t n = b->len - start;
    if (n < 128) {
        b->p[start - 1] = (uint8_t)n;
        return;
    }
    size_t extra = n < 256 ? 1 : 2;
    if (b->cap - b->len < extra) {
        b->overflow = true;
        return;
    }
    memmove(b->p + start + extra, b->p + start, n);
    b->p[start - 1] = (uint8_t)(0x80 | extra);
    if (extra == 1) {
        b->p[start] = (uint8_t)n;
    } else {
        b->p[start] = (uint8_t)(n >> 8);
        b->p[start + 1] = (uint8_t)n;
    }
    b->len += extra;
}

/* DeviceID ::= SEQUENCE { dialingNumber [0] IMPLICIT IA5String }, as the
 * HiPath frames carry it. */
static void gen_ber_devid(struct gen_ber *b, const char *digits)
{
    gen_ber_open(b, 0x30);
    gen_ber_str(b, 0x80, digits);
    gen_ber_close(b);
}

/* Calling/Called/Subject/...DeviceID: [APPLICATION n] CHOICE (explicit). */
static void gen_ber_dev(struct gen_ber *b, uint8_t app, const char *digits)
{
    gen_ber_open(b, app);
    gen_ber_devid(b, digits);
    gen_ber_close(b);
}

/* ConnectionID ::= [APPLICATION 11] CHOICE { both SEQUENCE { callID [0]
 * IMPLICIT OCTET STRING, deviceID [1] LocalDeviceID (staticID) } }. */
static void gen_ber_conn(struct gen_ber *b, const uint8_t call[4],
                         const char *dev)
{
    gen_ber_open(b, 0x6b);
    gen_ber_open(b, 0x30);
    gen_ber_prim(b, 0x80, call, 4);
    gen_ber_open(b, 0xa1);
    gen_ber_devid(b, dev);
    gen_ber_close(b);
    gen_ber_close(b);
    gen_ber_close(b);
}

/* -- TCP link -- */

struct gen_lpkt {
    uint64_t t;
    size_t off;
    uint32_t len;
};

struct gen_link {
    unsigned idx; /* 0: XML, 1: BER */
    const char *enc;
    uint32_t pbx_port, cli_port;
    uint32_t seq[2]; /* next sequence number to send: [0] PBX, [1] client */
    uint64_t last;   /* time of the link's latest packet */
    uint32_t invoke[2]; /* next invoke id per side (ROSE: per invoker) */
    uint64_t msgs;
    gen_rng rng;
    /* Frames built but not yet written, in time order. */
    struct gen_lpkt *pk;
    size_t pk_head, pk_n, pk_cap;
    uint8_t *by;
    size_t by_len, by_cap;
    bool scheduled;
};

static void *gen_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (q == NULL) {
        fprintf(stderr, "ctitap-gen: out of memory\n");
        exit(1);
    }
    return q;
}

static size_t gen_tcp_frame(uint8_t *f, struct gen_host *src,
                            const struct gen_host *dst, uint32_t sport,
                            uint32_t dport, uint32_t seq, uint32_t ack,
                            uint8_t flags, const uint8_t *opt, size_t optlen,
                            const uint8_t *pl, size_t plen)
{
    memcpy(f, dst->mac, 6);
    memcpy(f + 6, src->mac, 6);
    gen_be16(f + 12, 0x0800);
    uint8_t *ip = f + 14;
    size_t thl = 20 + optlen;
    uint32_t ip_len = (uint32_t)(20 + thl + plen);
    ip[0] = 0x45;
    ip[1] = 0;
    gen_be16(ip + 2, ip_len);
    gen_be16(ip + 4, src->ip_id++);
    gen_be16(ip + 6, 0x4000);
    ip[8] = 64;
    ip[9] = 6;
    gen_be16(ip + 10, 0);
    gen_be32(ip + 12, src->ip);
    gen_be32(ip + 16, dst->ip);
    gen_be16(ip + 10, gen_fold(gen_sum(ip, 20, 0)));
    uint8_t *tcp = ip + 20;
    gen_be16(tcp, sport);
    gen_be16(tcp + 2, dport);
    gen_be32(tcp + 4, seq);
    gen_be32(tcp + 8, (flags & 0x10) ? ack : 0);
    tcp[12] = (uint8_t)(thl / 4 << 4);
    tcp[13] = flags;
    gen_be16(tcp + 14, 65535);
    gen_be16(tcp + 16, 0);
    gen_be16(tcp + 18, 0);
    if (optlen)
        memcpy(tcp + 20, opt, optlen);
    if (plen)
        memcpy(tcp + thl, pl, plen);
    uint32_t tl = (uint32_t)(thl + plen);
    uint32_t acc = (src->ip >> 16) + (src->ip & 0xffffU) + (dst->ip >> 16) +
                   (dst->ip & 0xffffU) + 6U + tl;
    gen_be16(tcp + 16, gen_fold(gen_sum(tcp, tl, acc)));
    size_t flen = 14 + ip_len;
    if (flen < 60) { /* Ethernet minimum, as a SPAN port shows it */
        memset(f + flen, 0, 60 - flen);
        flen = 60;
    }
    return flen;
}

#define GEN_TCP_FIN 0x01
#define GEN_TCP_SYN 0x02
#define GEN_TCP_PSH 0x08
#define GEN_TCP_ACK 0x10

/* Queues one TCP segment sent by side dir (0 PBX, 1 client) at time t. */
static void gen_link_pkt(struct gen_ctx *g, struct gen_link *L, uint64_t t,
                         unsigned dir, uint32_t seq, uint32_t ack,
                         uint8_t flags, const uint8_t *opt, size_t optlen,
                         const uint8_t *pl, size_t plen)
{
    if (L->pk_head > 4096 && L->pk_head * 2 > L->pk_n) {
        /* Drop what has been written already. */
        size_t base = L->pk[L->pk_head].off;
        memmove(L->by, L->by + base, L->by_len - base);
        L->by_len -= base;
        memmove(L->pk, L->pk + L->pk_head,
                (L->pk_n - L->pk_head) * sizeof *L->pk);
        L->pk_n -= L->pk_head;
        L->pk_head = 0;
        for (size_t i = 0; i < L->pk_n; i++)
            L->pk[i].off -= base;
    }
    if (L->pk_n == L->pk_cap) {
        L->pk_cap = L->pk_cap ? 2 * L->pk_cap : 256;
        L->pk = gen_xrealloc(L->pk, L->pk_cap * sizeof *L->pk);
    }
    if (L->by_cap - L->by_len < GEN_MAX_FRAME) {
        L->by_cap = L->by_cap ? 2 * L->by_cap : 65536;
        L->by = gen_xrealloc(L->by, L->by_cap);
    }
    struct gen_host *src = dir ? &g->cti_cli : &g->cti_pbx;
    struct gen_host *dst = dir ? &g->cti_pbx : &g->cti_cli;
    uint32_t sport = dir ? L->cli_port : L->pbx_port;
    uint32_t dport = dir ? L->pbx_port : L->cli_port;
    size_t flen = gen_tcp_frame(L->by + L->by_len, src, dst, sport, dport,
                                seq, ack, flags, opt, optlen, pl, plen);
    L->pk[L->pk_n++] = (struct gen_lpkt){t, L->by_len, (uint32_t)flen};
    L->by_len += flen;
    if (t > L->last)
        L->last = t;
    if (!L->scheduled) {
        gen_push(g, t, L->idx, GEN_EV_LINK);
        L->scheduled = true;
    }
}

static void gen_emit_link(struct gen_ctx *g, struct gen_link *L, uint64_t t)
{
    const struct gen_lpkt *p = &L->pk[L->pk_head++];
    uint8_t *f = gen_out_frame(&g->out);
    memcpy(f, L->by + p->off, p->len);
    gen_out_commit(g, t, p->len);
    if (L->pk_head < L->pk_n) {
        gen_push(g, L->pk[L->pk_head].t, L->idx, GEN_EV_LINK);
    } else {
        L->scheduled = false;
        L->pk_head = L->pk_n = 0;
        L->by_len = 0;
    }
}

/* The CTI server connects to the PBX: SYN, SYN/ACK, ACK with MSS 1460. */
static void gen_link_open(struct gen_ctx *g, struct gen_link *L, uint64_t t)
{
    static const uint8_t mss[4] = {2, 4, GEN_MSS >> 8, GEN_MSS & 0xff};
    uint32_t isn_c = (uint32_t)gen_rng_next(&L->rng);
    uint32_t isn_s = (uint32_t)gen_rng_next(&L->rng);
    gen_link_pkt(g, L, t, 1, isn_c, 0, GEN_TCP_SYN, mss, 4, NULL, 0);
    gen_link_pkt(g, L, t + 180 + gen_rng_below(&L->rng, 100), 0, isn_s,
                 isn_c + 1, GEN_TCP_SYN | GEN_TCP_ACK, mss, 4, NULL, 0);
    gen_link_pkt(g, L, L->last + 60 + gen_rng_below(&L->rng, 60), 1,
                 isn_c + 1, isn_s + 1, GEN_TCP_ACK, NULL, 0, NULL, 0);
    L->seq[0] = isn_s + 1;
    L->seq[1] = isn_c + 1;
}

/*
 * Sends one framed CSTA message from side dir no earlier than t and
 * returns the time of the packet that completes it (the one that gives a
 * reader its last missing byte).  hdr is the framing header's length.
 */
static uint64_t gen_link_msg(struct gen_ctx *g, struct gen_link *L,
                             unsigned dir, const uint8_t *m, size_t len,
                             size_t hdr, uint64_t t, unsigned cf)
{
    uint64_t at = t > L->last + 20 ? t : L->last + 20;
    /* Segment ends: split once (header alone, or anywhere), then by MSS. */
    size_t split = 0;
    if ((cf & GEN_CF_SWAP) && len > 2) {
        split = len / 3 + gen_rng_below(&L->rng, len / 3);
    } else if (!(cf & GEN_CF_RETX) && len > 2) {
        uint64_t r = gen_rng_below(&L->rng, 100);
        if (r < 8)
            split = hdr;
        else if (r < 16)
            split = 1 + gen_rng_below(&L->rng, len - 1);
    }
    size_t off[64], sl[64];
    unsigned n = 0;
    for (size_t o = 0; o < len;) {
        size_t end = split > o ? split : len;
        if (end - o > GEN_MSS)
            end = o + GEN_MSS;
        if (n == 64) {
            fprintf(stderr, "ctitap-gen: internal error: CSTA message too "
                            "long\n");
            exit(2);
        }
        off[n] = o;
        sl[n++] = end - o;
        o = end;
    }
    uint32_t s0 = L->seq[dir], ack = L->seq[1 - dir];
    uint64_t tp = at;
    for (unsigned k = 0; k < n; k++) {
        /* With SWAP the second segment overtakes the first. */
        unsigned i = (cf & GEN_CF_SWAP) && n >= 2 && k < 2 ? 1 - k : k;
        uint8_t fl = GEN_TCP_ACK | (off[i] + sl[i] == len ? GEN_TCP_PSH : 0);
        gen_link_pkt(g, L, tp, dir, s0 + (uint32_t)off[i], ack, fl, NULL, 0,
                     m + off[i], sl[i]);
        tp += 25 + gen_rng_below(&L->rng, 30);
    }
    uint64_t done = L->last;
    if (cf & GEN_CF_RETX) {
        /* The segment was lost behind the tap; a tail-loss probe resends
         * it (Linux: about 2 RTT, at least 10 ms). */
        unsigned i = n - 1;
        gen_link_pkt(g, L, done + 10000 + gen_rng_below(&L->rng, 4000), dir,
                     s0 + (uint32_t)off[i], ack,
                     GEN_TCP_ACK | GEN_TCP_PSH, NULL, 0, m + off[i], sl[i]);
    }
    L->seq[dir] += (uint32_t)len;
    gen_link_pkt(g, L, L->last + 60 + gen_rng_below(&L->rng, 200), 1 - dir,
                 L->seq[1 - dir], L->seq[dir], GEN_TCP_ACK, NULL, 0, NULL, 0);
    L->msgs++;
    return done;
}

/* -- expectations (JSON lines) -- */

static void gen_rfc3339(uint64_t epoch, uint32_t usec, char out[48])
{
    /* days to civil date (H. Hinnant's algorithm), no libc time zone. */
    uint64_t z = epoch / 86400U + 719468U;
    uint64_t sod = epoch % 86400U;
    uint64_t era = z / 146097U;
    unsigned doe = (unsigned)(z - era * 146097U);
    unsigned yoe = (doe - doe / 1460U + doe / 36524U - doe / 146096U) / 365U;
    uint64_t y = yoe + era * 400U;
    unsigned doy = doe - (365U * yoe + yoe / 4U - yoe / 100U);
    unsigned mp = (5U * doy + 2U) / 153U;
    unsigned d = doy - (153U * mp + 2U) / 5U + 1U;
    unsigned m = mp < 10U ? mp + 3U : mp - 9U;
    if (m <= 2U)
        y++;
    snprintf(out, 48, "%04u-%02u-%02uT%02u:%02u:%02u.%06uZ", (unsigned)y, m,
             d, (unsigned)(sod / 3600U), (unsigned)(sod / 60U % 60U),
             (unsigned)(sod % 60U), usec);
}

static void gen_jstr(FILE *f, const char *key, const char *v)
{
    if (v)
        fprintf(f, ",\"%s\":\"%s\"", key, v);
    else
        fprintf(f, ",\"%s\":null", key);
}

struct gen_xp {
    const char *kind, *name;
    int64_t invoke; /* < 0: none */
    const char *xref, *call_id, *device, *cause, *state, *corr;
};

static void gen_expect_msg(struct gen_ctx *g, const struct gen_link *L,
                           unsigned dir, uint64_t t, const struct gen_xp *x)
{
    if (g->expect == NULL)
        return;
    char ts[48];
    gen_rfc3339(g->opt.start + t / GEN_US, (uint32_t)(t % GEN_US), ts);
    fprintf(g->expect, "{\"type\":\"csta\",\"t\":\"%s\"", ts);
    gen_jstr(g->expect, "dir", dir ? "client->pbx" : "pbx->client");
    gen_jstr(g->expect, "encoding", L->enc);
    gen_jstr(g->expect, "kind", x->kind);
    gen_jstr(g->expect, "name", x->name);
    if (x->invoke >= 0)
        fprintf(g->expect, ",\"invoke_id\":%" PRId64, x->invoke);
    else
        fprintf(g->expect, ",\"invoke_id\":null");
    gen_jstr(g->expect, "xref", x->xref);
    gen_jstr(g->expect, "call_id", x->call_id);
    gen_jstr(g->expect, "device", x->device);
    gen_jstr(g->expect, "cause", x->cause);
    gen_jstr(g->expect, "state", x->state);
    if (x->corr)
        gen_jstr(g->expect, "correlator", x->corr);
    fputs("}\n", g->expect);
}

static void gen_hex(char *out, const uint8_t *p, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[p[i] >> 4];
        out[2 * i + 1] = hx[p[i] & 15];
    }
    out[2 * n] = '\0';
}

/* -- messages -- */

/* Next invoke id of a side: XML 0001..9998 (9999 marks events), BER
 * 1..32767 (two octets at most, as OXE sends them). */
static uint32_t gen_invoke(struct gen_link *L, unsigned side)
{
    uint32_t mod = L->idx == 0 ? 9998U : 32767U;
    uint32_t v = 1U + L->invoke[side] % mod;
    L->invoke[side]++;
    return v;
}

struct gen_msgbuf {
    uint8_t b[GEN_CSTA_BUF];
    size_t len, hdr;
};

/* XML: body into m->b + 8, then the header. */
static void gen_xml_frame(struct gen_msgbuf *m, const struct gen_sb *sb,
                          uint32_t invoke)
{
    if (sb->overflow) {
        fprintf(stderr, "ctitap-gen: internal error: CSTA XML too long\n");
        exit(2);
    }
    m->len = 8 + sb->len;
    m->hdr = 8;
    m->b[0] = 0;
    m->b[1] = 0;
    gen_be16(m->b + 2, (uint32_t)m->len);
    char d[8];
    snprintf(d, sizeof d, "%04u", (unsigned)(invoke % 10000U));
    memcpy(m->b + 4, d, 4);
}

static void gen_ber_frame(struct gen_msgbuf *m, const struct gen_ber *b)
{
    if (b->overflow || b->depth != 0 || b->len > 0xffffU) {
        fprintf(stderr, "ctitap-gen: internal error: CSTA BER overflow\n");
        exit(2);
    }
    m->len = 2 + b->len;
    m->hdr = 2;
    gen_be16(m->b, (uint32_t)b->len);
}

#define GEN_XML_DECL "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"

static void gen_xref_str(const struct gen_ctx *g, const struct gen_link *L,
                         uint32_t slot, char out[16], uint8_t raw[2])
{
    uint32_t v = 0x0100U + slot;
    raw[0] = (uint8_t)(v >> 8);
    raw[1] = (uint8_t)v;
    if (L->idx == 0)
        snprintf(out, 16, "%u", (unsigned)(g->xref_base + slot));
    else
        gen_hex(out, raw, 2);
}

/* ACSE AARQ (client) / AARE (PBX) with ACSEUserInformationForCSTA. */
static void gen_link_acse(struct gen_ctx *g, struct gen_link *L, uint64_t t)
{
    static const uint8_t ctx_oid[] = {0x2b, 0x0c, 0x00, 0x81, 0x5a};
    static const uint8_t pver[] = {0x07, 0x80}; /* version1 */
    /* CSTAVersion offered: versionThree (2, ECMA-285 ed1), versionFive
     * (4, ed2), versionFifteen (14, ed3); accepted: versionFive. */
    static const uint8_t v_req[] = {0x01, 0x28, 0x02};
    static const uint8_t v_res[] = {0x03, 0x08};
    struct gen_msgbuf m;
    for (unsigned resp = 0; resp < 2; resp++) {
        struct gen_ber b = {m.b + 2, 0, sizeof m.b - 2, {0}, 0, false};
        gen_ber_open(&b, resp ? 0x61 : 0x60);
        gen_ber_prim(&b, 0x80, pver, sizeof pver);
        gen_ber_open(&b, 0xa1);
        gen_ber_prim(&b, 0x06, ctx_oid, sizeof ctx_oid);
        gen_ber_close(&b);
        if (resp) {
            gen_ber_open(&b, 0xa2); /* result: accepted */
            gen_ber_uint(&b, 0x02, 0);
            gen_ber_close(&b);
            gen_ber_open(&b, 0xa3); /* acse-service-user: null */
            gen_ber_open(&b, 0xa1);
            gen_ber_uint(&b, 0x02, 0);
            gen_ber_close(&b);
            gen_ber_close(&b);
        }
        gen_ber_open(&b, 0xbe);   /* user-information */
        gen_ber_open(&b, 0x28);   /* EXTERNAL */
        gen_ber_open(&b, 0xa0);   /* single-ASN1-type */
        gen_ber_open(&b, 0xa0);   /* newDefinition */
        if (resp)
            gen_ber_prim(&b, 0x03, v_res, sizeof v_res);
        else
            gen_ber_prim(&b, 0x03, v_req, sizeof v_req);
        gen_ber_close(&b);
        gen_ber_close(&b);
        gen_ber_close(&b);
        gen_ber_close(&b);
        gen_ber_close(&b);
        gen_ber_frame(&m, &b);
        unsigned dir = resp ? 0 : 1;
        uint64_t at = resp ? L->last + 800 + gen_rng_below(&L->rng, 700) : t;
        uint64_t done = gen_link_msg(g, L, dir, m.b, m.len, m.hdr, at, 0);
        struct gen_xp x = {resp ? "aare" : "aarq", resp ? "aare" : "aarq",
                           -1, NULL, NULL, NULL, NULL, NULL, NULL};
        gen_expect_msg(g, L, dir, done, &x);
    }
}

/* MonitorStart for one agent device: request from the client, result with
 * the monitorCrossRefID from the PBX. */
static void gen_link_monitor(struct gen_ctx *g, struct gen_link *L,
                             uint32_t slot, uint64_t t)
{
    char dev[16], xref[16];
    uint8_t xraw[2];
    snprintf(dev, sizeof dev, "%u", 2000U + slot);
    gen_xref_str(g, L, slot, xref, xraw);
    uint32_t inv = gen_invoke(L, 1);
    struct gen_msgbuf m;
    for (unsigned resp = 0; resp < 2; resp++) {
        if (L->idx == 0) {
            struct gen_sb sb = {(char *)m.b + 8, sizeof m.b - 8, 0, false};
            if (resp)
                gen_sb_add(&sb, GEN_XML_DECL "<MonitorStartResponse xmlns=\""
                           "%s\"><monitorCrossRefID>%s</monitorCrossRefID>"
                           "</MonitorStartResponse>", gen_ns323, xref);
            else
                gen_sb_add(&sb, GEN_XML_DECL "<MonitorStart xmlns=\"%s\">"
                           "<monitorObject><deviceObject>%s</deviceObject>"
                           "</monitorObject></MonitorStart>", gen_ns323, dev);
            gen_xml_frame(&m, &sb, inv);
        } else {
            struct gen_ber b = {m.b + 2, 0, sizeof m.b - 2, {0}, 0, false};
            gen_ber_open(&b, resp ? 0xa2 : 0xa1);
            gen_ber_uint(&b, 0x02, inv);
            if (resp) {
                gen_ber_open(&b, 0x30);
                gen_ber_uint(&b, 0x02, 71);
                gen_ber_open(&b, 0x30);
                gen_ber_prim(&b, 0x55, xraw, 2);
                gen_ber_close(&b);
                gen_ber_close(&b);
            } else {
                gen_ber_uint(&b, 0x02, 71);
                gen_ber_open(&b, 0x30); /* MonitorStartArgument */
                gen_ber_devid(&b, dev); /* monitorObject: deviceObject */
                gen_ber_close(&b);
            }
            gen_ber_close(&b);
            gen_ber_frame(&m, &b);
        }
        unsigned dir = resp ? 0 : 1;
        uint64_t at = resp ? L->last + 700 + gen_rng_below(&L->rng, 800) : t;
        uint64_t done = gen_link_msg(g, L, dir, m.b, m.len, m.hdr, at, 0);
        struct gen_xp x = {resp ? "result" : "request", "monitor_start", inv,
                           resp ? xref : NULL, NULL, dev, NULL, NULL, NULL};
        gen_expect_msg(g, L, dir, done, &x);
    }
}

/* SystemStatus (normal) from the PBX, answered by the client. */
static void gen_link_sysstat(struct gen_ctx *g, struct gen_link *L,
                             uint64_t t)
{
    uint32_t inv = gen_invoke(L, 0);
    struct gen_msgbuf m;
    for (unsigned resp = 0; resp < 2; resp++) {
        if (L->idx == 0) {
            struct gen_sb sb = {(char *)m.b + 8, sizeof m.b - 8, 0, false};
            if (resp)
                gen_sb_add(&sb, GEN_XML_DECL "<SystemStatusResponse xmlns=\""
                           "%s\"/>", gen_ns323);
            else
                gen_sb_add(&sb, GEN_XML_DECL "<SystemStatus xmlns=\"%s\">"
                           "<systemStatus>normal</systemStatus>"
                           "</SystemStatus>", gen_ns323);
            gen_xml_frame(&m, &sb, inv);
        } else {
            struct gen_ber b = {m.b + 2, 0, sizeof m.b - 2, {0}, 0, false};
            gen_ber_open(&b, resp ? 0xa2 : 0xa1);
            gen_ber_uint(&b, 0x02, inv);
            if (resp) {
                gen_ber_open(&b, 0x30);
                gen_ber_uint(&b, 0x02, 211);
                gen_ber_prim(&b, 0x05, NULL, 0); /* noData */
                gen_ber_close(&b);
            } else {
                gen_ber_uint(&b, 0x02, 211);
                gen_ber_open(&b, 0x30);
                gen_ber_uint(&b, 0x0a, 2); /* normal */
                gen_ber_close(&b);
            }
            gen_ber_close(&b);
            gen_ber_frame(&m, &b);
        }
        unsigned dir = resp ? 1 : 0;
        uint64_t at = resp ? L->last + 300 + gen_rng_below(&L->rng, 500) : t;
        uint64_t done = gen_link_msg(g, L, dir, m.b, m.len, m.hdr, at, 0);
        struct gen_xp x = {resp ? "result" : "request", "system_status", inv,
                           NULL, NULL, NULL, NULL, NULL, NULL};
        gen_expect_msg(g, L, dir, done, &x);
    }
}

/* Link start-up at time t: TCP, ACSE (BER), a monitor per agent device,
 * SystemStatus.  Returns when the link is idle. */
static uint64_t gen_link_setup(struct gen_ctx *g, struct gen_link *L,
                               uint64_t t)
{
    gen_link_open(g, L, t);
    if (L->idx == 1)
        gen_link_acse(g, L, L->last + 1500 + gen_rng_below(&L->rng, 1000));
    for (uint32_t s = 0; s < g->nslots; s++)
        gen_link_monitor(g, L, s, L->last + 500 + gen_rng_below(&L->rng, 800));
    gen_link_sysstat(g, L, L->last + 3000 + gen_rng_below(&L->rng, 2000));
    return L->last;
}

static const char *gen_cdev(const struct gen_slot *c, unsigned which)
{
    if (which == GEN_DEV_TRUNK)
        return GEN_TRUNK_DEV;
    return which == GEN_DEV_AGENT ? c->side[c->pi].user
                                  : c->side[1 - c->pi].user;
}

/* One call event on one link. */
static void gen_csta_event(struct gen_ctx *g, struct gen_link *L,
                           const struct gen_slot *c, const struct gen_cstep *st,
                           uint64_t t)
{
    const struct gen_cev_info *ei = &gen_cevs[st->ev];
    const char *agent = gen_cdev(c, GEN_DEV_AGENT);
    const char *other = gen_cdev(c, GEN_DEV_OTHER);
    const char *conn = gen_cdev(c, st->conn_other);
    const char *subj = gen_cdev(c, st->subj_other);
    const char *calling = c->inbound ? other : agent;
    const char *called = c->inbound ? agent : other;
    char xref[16], callhex[12], corr[20];
    uint8_t xraw[2];
    gen_xref_str(g, L, c->index, xref, xraw);
    gen_hex(callhex, c->csta_call, 4);
    gen_hex(corr, c->ucid, 8);
    bool has_corr = (st->flags & GEN_CF_CORR) != 0;
    uint32_t inv = 9999;
    struct gen_msgbuf m;
    if (L->idx == 0) {
        struct gen_sb sb = {(char *)m.b + 8, sizeof m.b - 8, 0, false};
        gen_sb_add(&sb, GEN_XML_DECL "<%s xmlns=\"%s\"><monitorCrossRefID>%s"
                   "</monitorCrossRefID><%s><callID>%s</callID><deviceID>%s"
                   "</deviceID></%s><%s><deviceIdentifier>%s"
                   "</deviceIdentifier></%s>",
                   ei->xml, gen_ns323, xref, ei->conn, callhex, conn,
                   ei->conn, ei->subj, subj, ei->subj);
        if (ei->fields & GEN_F_CALLING)
            gen_sb_add(&sb, "<callingDevice><deviceIdentifier>%s"
                       "</deviceIdentifier></callingDevice>", calling);
        if (ei->fields & GEN_F_CALLED)
            gen_sb_add(&sb, "<calledDevice><deviceIdentifier>%s"
                       "</deviceIdentifier></calledDevice>", called);
        if (ei->fields & GEN_F_REDIR)
            gen_sb_add(&sb, "<lastRedirectionDevice><notRequired/>"
                       "</lastRedirectionDevice>");
        gen_sb_add(&sb, "<localConnectionInfo>%s</localConnectionInfo>",
                   gen_lcs[st->state]);
        if (has_corr)
            gen_sb_add(&sb, "<correlatorData><string>%s</string>"
                       "</correlatorData>", corr);
        gen_sb_add(&sb, "<cause>%s</cause></%s>", gen_causes[st->cause].xml,
                   ei->xml);
        gen_xml_frame(&m, &sb, 9999);
    } else {
        inv = gen_invoke(L, 0);
        struct gen_ber b = {m.b + 2, 0, sizeof m.b - 2, {0}, 0, false};
        gen_ber_open(&b, 0xa1);          /* ROSE invoke */
        gen_ber_uint(&b, 0x02, inv);
        gen_ber_uint(&b, 0x02, 21);      /* cSTAEventReport */
        gen_ber_open(&b, 0x30);          /* CSTAEventReportArgument */
        gen_ber_prim(&b, 0x55, xraw, 2); /* MonitorCrossRefID */
        gen_ber_open(&b, 0xa0);          /* callControlEvents */
        gen_ber_open(&b, (uint8_t)(0xa0 | ei->tag));
        gen_ber_conn(&b, c->csta_call, conn);
        gen_ber_dev(&b, 0x63, subj);     /* SubjectDeviceID */
        if (ei->fields & GEN_F_CALLING)
            gen_ber_dev(&b, 0x61, calling);
        if (ei->fields & GEN_F_CALLED)
            gen_ber_dev(&b, 0x62, called);
        if (ei->fields & GEN_F_REDIR) {
            gen_ber_open(&b, 0x64);      /* notRequired */
            gen_ber_prim(&b, 0x88, NULL, 0);
            gen_ber_close(&b);
        }
        uint8_t lcs = st->state;
        gen_ber_prim(&b, 0x4e, &lcs, 1); /* LocalConnectionState */
        if (has_corr)
            gen_ber_prim(&b, (uint8_t)(0x80 | ei->corr_tag), c->ucid, 8);
        gen_ber_uint(&b, 0x0a, gen_causes[st->cause].v);
        gen_ber_close(&b);
        gen_ber_close(&b);
        gen_ber_close(&b);
        gen_ber_close(&b);
        gen_ber_frame(&m, &b);
    }
    uint64_t done = gen_link_msg(g, L, 0, m.b, m.len, m.hdr, t,
                                 st->flags & (GEN_CF_SWAP | GEN_CF_RETX));
    struct gen_xp x = {"event", ei->name, inv, xref, callhex, subj,
                       gen_causes[st->cause].name, gen_lcs[st->state],
                       has_corr ? corr : NULL};
    gen_expect_msg(g, L, 0, done, &x);
}

static void gen_emit_csta(struct gen_ctx *g, struct gen_slot *c, uint64_t t)
{
    const struct gen_cstep *st = &c->cst[c->ccur++];
    for (unsigned l = 0; l < 2; l++)
        if (g->link[l])
            gen_csta_event(g, g->link[l], c, st, t);
    if (c->ccur < c->ncst)
        gen_push(g, c->cst[c->ccur].t, c->index, GEN_EV_CSTA);
}

static void gen_cst_add(struct gen_slot *c, uint64_t t, enum gen_cev ev,
                        unsigned conn, unsigned subj, unsigned state,
                        unsigned cause, unsigned flags)
{
    if (c->ncst >= GEN_MAX_CSTEPS) {
        fprintf(stderr, "ctitap-gen: internal error: CSTA script too long\n");
        exit(2);
    }
    /* A PBX reports one call's events in order, never two at once. */
    if (c->ncst > 0 && t < c->cst[c->ncst - 1].t + 300)
        t = c->cst[c->ncst - 1].t + 300;
    c->cst[c->ncst++] = (struct gen_cstep){t, (uint8_t)ev, (uint8_t)conn,
                                           (uint8_t)subj, (uint8_t)state,
                                           (uint8_t)cause, (uint8_t)flags};
}

/*
 * The call's CSTA events at the agent's monitor, from its SIP script.
 * What the PBX sends (INVITE to the agent, 180/200/486 to the agent,
 * CANCEL, its BYE) is reported 1-5 ms before the SIP message; what the
 * PBX learns from the phone (its INVITE, 200, 486, re-INVITEs, BYE) 1-5 ms
 * after it.
 */
static void gen_csta_script(struct gen_ctx *g, struct gen_slot *c)
{
    gen_rng r = {gen_mix(g->opt.seed ^ gen_mix(c->call_no + 0xc57aULL))};
    c->ncst = c->ccur = 0;
    bool inb = c->inbound;
    bool seen_invite = false;
    unsigned ans_flags = (c->pat.retx ? GEN_CF_RETX : 0U) |
                         (c->pat.dup ? GEN_CF_SWAP : 0U);
    for (unsigned i = 0; i < c->nstep; i++) {
        const struct gen_step *s = &c->step[i];
        bool from_phone = s->sender == c->pi;
        uint64_t d = 1000 + gen_rng_below(&r, 4000);
        uint64_t before = s->t - d, after = s->t + d;
        if (s->code == 0 && s->method == GEN_M_INVITE &&
            s->txn == GEN_T_INVITE) {
            if (seen_invite)
                continue; /* a retransmission */
            seen_invite = true;
            if (inb && c->pat.outcome == GEN_BUSY) {
                /* The phone rejects the offer: only Failed follows. */
            } else if (inb) {
                gen_cst_add(c, before, GEN_CE_DELIVERED, GEN_DEV_AGENT,
                            GEN_DEV_AGENT, GEN_LCS_ALERTING, GEN_CA_NEWCALL,
                            GEN_CF_CORR);
            } else {
                gen_cst_add(c, after, GEN_CE_SERVICE_INITIATED, GEN_DEV_AGENT,
                            GEN_DEV_AGENT, GEN_LCS_INITIATED, GEN_CA_NEWCALL,
                            0);
                gen_cst_add(c, after + 400 + gen_rng_below(&r, 1500),
                            GEN_CE_ORIGINATED, GEN_DEV_AGENT, GEN_DEV_AGENT,
                            GEN_LCS_CONNECTED, GEN_CA_NEWCALL, 0);
            }
        } else if (s->code == 100 && !inb) {
            gen_cst_add(c, before, GEN_CE_NETWORK_REACHED, GEN_DEV_OTHER,
                        GEN_DEV_TRUNK, GEN_LCS_CONNECTED, GEN_CA_NORMAL, 0);
        } else if (s->code == 180 && !inb) {
            gen_cst_add(c, before, GEN_CE_DELIVERED, GEN_DEV_OTHER,
                        GEN_DEV_OTHER, GEN_LCS_CONNECTED, GEN_CA_NEWCALL, 0);
        } else if (s->code == 200 && s->method == GEN_M_INVITE &&
                   s->txn == GEN_T_INVITE) {
            if (inb)
                gen_cst_add(c, after, GEN_CE_ESTABLISHED, GEN_DEV_AGENT,
                            GEN_DEV_AGENT, GEN_LCS_CONNECTED, GEN_CA_NEWCALL,
                            ans_flags);
            else
                gen_cst_add(c, before, GEN_CE_ESTABLISHED, GEN_DEV_OTHER,
                            GEN_DEV_OTHER, GEN_LCS_CONNECTED, GEN_CA_NEWCALL,
                            ans_flags);
        } else if (s->code == 486) {
            if (inb)
                gen_cst_add(c, after, GEN_CE_FAILED, GEN_DEV_AGENT,
                            GEN_DEV_AGENT, GEN_LCS_NULL, GEN_CA_BUSY,
                            GEN_CF_CORR);
            else
                gen_cst_add(c, before, GEN_CE_FAILED, GEN_DEV_OTHER,
                            GEN_DEV_OTHER, GEN_LCS_FAIL, GEN_CA_BUSY, 0);
        } else if (s->code == 0 && s->method == GEN_M_CANCEL) {
            if (inb)
                gen_cst_add(c, before, GEN_CE_CLEARED, GEN_DEV_OTHER,
                            GEN_DEV_OTHER, GEN_LCS_NULL, GEN_CA_CANCELLED, 0);
            else
                gen_cst_add(c, after, GEN_CE_CLEARED, GEN_DEV_AGENT,
                            GEN_DEV_AGENT, GEN_LCS_NULL, GEN_CA_NORMALCLR, 0);
        } else if (s->code == 0 && s->method == GEN_M_INVITE &&
                   s->txn == GEN_T_REINV1) {
            gen_cst_add(c, after, GEN_CE_HELD, GEN_DEV_AGENT, GEN_DEV_AGENT,
                        GEN_LCS_HOLD, GEN_CA_NORMAL, 0);
        } else if (s->code == 0 && s->method == GEN_M_INVITE &&
                   s->txn == GEN_T_REINV2) {
            gen_cst_add(c, after, GEN_CE_RETRIEVED, GEN_DEV_AGENT,
                        GEN_DEV_AGENT, GEN_LCS_CONNECTED, GEN_CA_NORMAL, 0);
        } else if (s->code == 0 && s->method == GEN_M_BYE) {
            if (from_phone)
                gen_cst_add(c, after, GEN_CE_CLEARED, GEN_DEV_AGENT,
                            GEN_DEV_AGENT, GEN_LCS_NULL, GEN_CA_NORMALCLR, 0);
            else
                gen_cst_add(c, before, GEN_CE_CLEARED, GEN_DEV_OTHER,
                            GEN_DEV_OTHER, GEN_LCS_NULL, GEN_CA_NORMALCLR, 0);
        }
    }
    if (c->ncst)
        gen_push(g, c->cst[0].t, c->index, GEN_EV_CSTA);
}

static const char *const gen_outcome_name[] = {"answered", "hold", "cancel",
                                               "busy"};

static void gen_expect_call(struct gen_ctx *g, const struct gen_slot *c)
{
    if (g->expect == NULL)
        return;
    char ucid[20], callhex[12];
    gen_hex(ucid, c->ucid, 8);
    gen_hex(callhex, c->csta_call, 4);
    fprintf(g->expect, "{\"type\":\"call\"");
    gen_jstr(g->expect, "sip_call_id", c->call_id);
    gen_jstr(g->expect, "ucid", c->uui ? ucid : NULL);
    gen_jstr(g->expect, "csta_call_id", g->opt.csta ? callhex : NULL);
    gen_jstr(g->expect, "agent", c->side[c->pi].user);
    gen_jstr(g->expect, "direction", c->inbound ? "inbound" : "outbound");
    gen_jstr(g->expect, "outcome", gen_outcome_name[c->pat.outcome]);
    fputs("}\n", g->expect);
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
    t0 += g->lead; /* --csta: START runs early so Delivered can precede */
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
    c->inbound = inbound;
    c->pi = (uint8_t)pi;
    c->uui = inbound && g->opt.csta != 0;
    /* CSTA callID and an Avaya-style UCID (node 2 bytes, sequence 2,
     * time 4), kept off c->rng so the SIP/RTP bytes do not depend on
     * --csta. */
    gen_be32(c->csta_call, g->callid_base + (uint32_t)k);
    c->ucid[0] = 0x00;
    c->ucid[1] = 0x05;
    gen_be16(c->ucid + 2, (uint32_t)((k + 1) & 0xffffU));
    gen_be32(c->ucid + 4, (uint32_t)(g->opt.start + t0 / GEN_US));
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
    if (g->opt.csta)
        gen_csta_script(g, c);
    gen_expect_call(g, c);

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
        gen_push(g, t_end + 500000 + gen_rng_below(r, 3000000) - g->lead,
                 slot_no, GEN_EV_START);
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
"      --csta MODE        none (default), xml, ber or both: also write the\n"
"                         PBX's CSTA link(s) to a CTI server, ECMA-323 XML\n"
"                         (10.1.0.5:1040) and/or ECMA-285 BER (10.1.0.5:2555),\n"
"                         with the UCID in the SIP INVITE to the agent\n"
"      --expect FILE      write the scenario's expected CSTA messages and\n"
"                         calls as JSON lines\n"
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
    GEN_OPT_CSTA,
    GEN_OPT_EXPECT,
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
        {"csta", required_argument, NULL, GEN_OPT_CSTA},
        {"expect", required_argument, NULL, GEN_OPT_EXPECT},
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
        case GEN_OPT_CSTA:
            if (strcmp(optarg, "none") == 0)
                o->csta = 0;
            else if (strcmp(optarg, "xml") == 0)
                o->csta = 1;
            else if (strcmp(optarg, "ber") == 0)
                o->csta = 2;
            else if (strcmp(optarg, "both") == 0)
                o->csta = 3;
            else
                ok = false;
            break;
        case GEN_OPT_EXPECT: o->expect_path = optarg; break;
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
    /* + one CSTA event per slot, one event per link */
    g->heap_cap = (size_t)g->nslots * (GEN_EV_PER_SLOT + 1) + 2;
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

    if (o->expect_path) {
        g->expect = fopen(o->expect_path, "w");
        if (g->expect == NULL) {
            fprintf(stderr, "ctitap-gen: cannot open %s: %s\n",
                    o->expect_path, strerror(errno));
            return 1;
        }
    }
    if (o->csta) {
        /* Separate PRNG streams: nothing above changes with --csta. */
        gen_rng cr = {gen_mix(o->seed ^ 0xc57a11c5ULL)};
        static const uint8_t cti_pbx_mac[6] = {0x00, 0x50, 0x56, 0xa1,
                                               0x00, 0x05};
        static const uint8_t cti_cli_mac[6] = {0x00, 0x50, 0x56, 0xa1,
                                               0x00, 0x32};
        gen_host_init(&g->cti_pbx, GEN_CSTA_PBX_IP, cti_pbx_mac,
                      (uint16_t)gen_rng_next(&cr));
        gen_host_init(&g->cti_cli, GEN_CSTA_CLI_IP, cti_cli_mac,
                      (uint16_t)gen_rng_next(&cr));
        g->xref_base = 1100000000U + (uint32_t)gen_rng_below(&cr, 90000000);
        g->callid_base = (uint32_t)gen_rng_next(&cr);
        uint64_t idle = 0;
        for (unsigned l = 0; l < 2; l++) {
            if (!(o->csta & (1U << l)))
                continue;
            struct gen_link *L = calloc(1, sizeof *L);
            if (L == NULL) {
                fprintf(stderr, "ctitap-gen: out of memory\n");
                return 1;
            }
            L->idx = l;
            L->enc = l ? "ber" : "xml";
            L->pbx_port = l ? GEN_BER_PORT : GEN_XML_PORT;
            L->cli_port = 49152U + (uint32_t)gen_rng_below(&cr, 16000);
            L->rng.s = gen_rng_next(&cr);
            g->link[l] = L;
            uint64_t end = gen_link_setup(g, L, l * 3000U);
            if (end > idle)
                idle = end;
        }
        /* Calls begin once every monitor is up. */
        g->lead = GEN_CSTA_LEAD_US;
        g->t_off = (idle / 100000U + 1U) * 100000U + 400000U;
    }

    /* Stagger the first call of each slot over one mean call duration so
     * the load ramps up instead of starting with a burst of INVITEs. */
    uint64_t mean = o->ring_us + o->talk_us + 2 * GEN_US;
    uint64_t stagger = mean / g->nslots;
    for (uint32_t s = 0; s < g->nslots; s++) {
        g->calls_scheduled++;
        gen_push(g, s * stagger + gen_mix(o->seed + s) % 100000U + g->t_off -
                        g->lead,
                 s, GEN_EV_START);
    }

    while (g->nheap > 0) {
        struct gen_ev ev = gen_pop(g);
        g->now = ev.t;
        if (ev.kind == GEN_EV_LINK) {
            gen_emit_link(g, g->link[ev.slot], ev.t);
            if (g->out.failed)
                break;
            continue;
        }
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
        case GEN_EV_CSTA: gen_emit_csta(g, c, ev.t); break;
        case GEN_EV_LINK: break; /* handled above */
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
    if (g->expect && fclose(g->expect) != 0) {
        fprintf(stderr, "ctitap-gen: write to %s failed\n", o->expect_path);
        return 1;
    }
    if (!o->quiet && o->csta)
        fprintf(stderr, "ctitap-gen: CSTA messages: xml %" PRIu64
                ", ber %" PRIu64 "\n",
                g->link[0] ? g->link[0]->msgs : 0,
                g->link[1] ? g->link[1]->msgs : 0);
    if (!o->quiet)
        fprintf(stderr,
                "ctitap-gen: %s: %" PRIu64 " calls (answered %" PRIu64
                ", hold %" PRIu64 ", cancelled %" PRIu64 ", busy %" PRIu64
                "), %" PRIu64 " packets, %" PRIu64 " bytes, %.3f s\n",
                o->out_path, g->calls_started, g->outcomes[GEN_ANSWERED],
                g->outcomes[GEN_HOLD], g->outcomes[GEN_CANCEL],
                g->outcomes[GEN_BUSY], g->out.packets, g->out.bytes,
                (double)g->now / 1e6);
    for (unsigned l = 0; l < 2; l++) {
        if (g->link[l]) {
            free(g->link[l]->pk);
            free(g->link[l]->by);
            free(g->link[l]);
        }
    }
    free(g->heap);
    free(g->slots);
    free(g->out.buf);
    free(g);
    return 0;
}
