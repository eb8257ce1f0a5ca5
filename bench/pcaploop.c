/*
 * bench-pcaploop - the bar for ctitap's capture path.
 *
 * The least a passive tap must do per packet: read it with libpcap, parse
 * Ethernet (+802.1Q) / IPv4 / UDP|TCP, and find its 5-tuple in a flow
 * table.  Anything ctitap does beyond that (SIP parsing, RTP accounting,
 * output) is its own cost; comparing against this loop shows how much.
 *
 * Usage: bench-pcaploop [--read-only] FILE [FILE...]
 * Prints: packets=N flows=M bytes=B
 *
 * --read-only only loops pcap_next_ex (no parsing, no table): the pure
 * libpcap read floor, below which no pcap-based tool can go.
 */
/* pcap.h uses the BSD u_int/u_char types, which glibc hides in strict
 * -std=c11 mode unless asked for them. */
#define _DEFAULT_SOURCE
#include <pcap/pcap.h>

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOOP_IOBUF (1U << 20)

struct loop_key {
    uint32_t src, dst;
    uint16_t sport, dport;
    uint8_t proto;
};

struct loop_slot {
    struct loop_key key;
    bool used;
    uint64_t packets;
};

struct loop_table {
    struct loop_slot *slot;
    size_t cap; /* power of two */
    size_t used;
};

static uint64_t loop_hash(const struct loop_key *k)
{
    uint64_t h = ((uint64_t)k->src << 32 | k->dst) ^
                 ((uint64_t)k->sport << 24 | (uint64_t)k->dport << 8 |
                  k->proto) * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

static bool loop_key_eq(const struct loop_key *a, const struct loop_key *b)
{
    return a->src == b->src && a->dst == b->dst && a->sport == b->sport &&
           a->dport == b->dport && a->proto == b->proto;
}

static int loop_table_init(struct loop_table *t, size_t cap)
{
    t->slot = calloc(cap, sizeof *t->slot);
    t->cap = cap;
    t->used = 0;
    return t->slot ? 0 : -1;
}

static struct loop_slot *loop_find(struct loop_table *t,
                                   const struct loop_key *k)
{
    size_t mask = t->cap - 1;
    for (size_t i = (size_t)loop_hash(k) & mask;; i = (i + 1) & mask) {
        struct loop_slot *s = &t->slot[i];
        if (!s->used || loop_key_eq(&s->key, k))
            return s;
    }
}

/* Doubling at 50 % load keeps linear probing short. */
static int loop_grow(struct loop_table *t)
{
    struct loop_table n;
    if (loop_table_init(&n, t->cap * 2) != 0)
        return -1;
    for (size_t i = 0; i < t->cap; i++) {
        if (t->slot[i].used) {
            *loop_find(&n, &t->slot[i].key) = t->slot[i];
            n.used++;
        }
    }
    free(t->slot);
    *t = n;
    return 0;
}

static int loop_count(struct loop_table *t, const struct loop_key *k)
{
    struct loop_slot *s = loop_find(t, k);
    if (!s->used) {
        if ((t->used + 1) * 2 > t->cap) {
            if (loop_grow(t) != 0)
                return -1;
            s = loop_find(t, k);
        }
        s->used = true;
        s->key = *k;
        t->used++;
    }
    s->packets++;
    return 0;
}

static uint16_t loop_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t loop_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

/* Returns true and fills k for IPv4 UDP/TCP; fragments after the first
 * carry no ports and count under port 0. */
static bool loop_parse(const uint8_t *p, size_t len, struct loop_key *k)
{
    if (len < 14)
        return false;
    uint16_t type = loop_be16(p + 12);
    size_t off = 14;
    while ((type == 0x8100 || type == 0x88a8) && len >= off + 4) {
        type = loop_be16(p + off + 2);
        off += 4;
    }
    if (type != 0x0800 || len < off + 20)
        return false;
    const uint8_t *ip = p + off;
    size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
    if ((ip[0] >> 4) != 4 || ihl < 20 || len < off + ihl)
        return false;
    memset(k, 0, sizeof *k);
    k->proto = ip[9];
    k->src = loop_be32(ip + 12);
    k->dst = loop_be32(ip + 16);
    bool first_frag = (loop_be16(ip + 6) & 0x1fff) == 0;
    const uint8_t *l4 = ip + ihl;
    if (first_frag && (k->proto == 17 || k->proto == 6) &&
        len >= off + ihl + 4) {
        k->sport = loop_be16(l4);
        k->dport = loop_be16(l4 + 2);
    }
    return true;
}

int main(int argc, char **argv)
{
    bool read_only = argc > 1 && strcmp(argv[1], "--read-only") == 0;
    int first = read_only ? 2 : 1;
    if (argc <= first || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "--help") == 0) {
        fprintf(argc <= first ? stderr : stdout,
                "usage: bench-pcaploop [--read-only] FILE [FILE...]\n");
        return argc <= first ? 2 : 0;
    }
    struct loop_table t;
    if (loop_table_init(&t, 1024) != 0) {
        fprintf(stderr, "bench-pcaploop: out of memory\n");
        return 1;
    }
    static char iobuf[LOOP_IOBUF];
    uint64_t packets = 0, bytes = 0;
    for (int i = first; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        if (f == NULL) {
            fprintf(stderr, "bench-pcaploop: %s: %s\n", argv[i],
                    strerror(errno));
            return 1;
        }
        /* libpcap reads record by record through stdio; a large buffer
         * turns that into few big read(2)s. */
        setvbuf(f, iobuf, _IOFBF, sizeof iobuf);
        char errbuf[PCAP_ERRBUF_SIZE];
        pcap_t *pc = pcap_fopen_offline(f, errbuf);
        if (pc == NULL) {
            fprintf(stderr, "bench-pcaploop: %s: %s\n", argv[i], errbuf);
            fclose(f);
            return 1;
        }
        bool ether = pcap_datalink(pc) == DLT_EN10MB;
        struct pcap_pkthdr *h;
        const u_char *data;
        int rc;
        while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
            packets++;
            bytes += h->caplen;
            struct loop_key k;
            if (!read_only && ether && loop_parse(data, h->caplen, &k) &&
                loop_count(&t, &k) != 0) {
                fprintf(stderr, "bench-pcaploop: out of memory\n");
                return 1;
            }
        }
        if (rc == PCAP_ERROR) {
            fprintf(stderr, "bench-pcaploop: %s: %s\n", argv[i],
                    pcap_geterr(pc));
            pcap_close(pc);
            return 1;
        }
        pcap_close(pc); /* also closes f */
    }
    printf("packets=%" PRIu64 " flows=%zu bytes=%" PRIu64 "\n", packets,
           t.used, bytes);
    free(t.slot);
    return 0;
}
