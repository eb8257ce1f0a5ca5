/* defrag.c - IP fragment reassembly (policy in defrag.h). */
#include "defrag.h"

#include <stdlib.h>
#include <string.h>

#include "../util/log.h"

#define DEFRAG_MAX_PAYLOAD 65535u

int ct_defrag_init(struct ct_defrag *d, uint32_t max_dgrams, size_t memcap, ct_time_t timeout,
		   const struct ct_hashkey *key, struct ct_counters *ctr)
{
	memset(d, 0, sizeof(*d));
	d->max_dgrams = max_dgrams ? max_dgrams : 1;
	d->memcap = memcap;
	d->timeout = timeout;
	d->key = *key;
	d->ctr = ctr;
	return ct_htab_init(&d->tab, d->max_dgrams, (size_t)1 << 20);
}

static void dgram_unlink(struct ct_defrag *d, struct ct_defrag_dgram *g)
{
	ct_htab_del(&d->tab, &g->hn);
	if (g->older)
		g->older->newer = g->newer;
	else
		d->oldest = g->newer;
	if (g->newer)
		g->newer->older = g->older;
	else
		d->newest = g->older;
	d->count--;
}

static void dgram_free(struct ct_defrag *d, struct ct_defrag_dgram *g)
{
	d->mem -= g->cap + sizeof(*g);
	free(g->buf);
	free(g);
}

static void dgram_drop(struct ct_defrag *d, struct ct_defrag_dgram *g)
{
	dgram_unlink(d, g);
	dgram_free(d, g);
}

void ct_defrag_free(struct ct_defrag *d)
{
	while (d->oldest)
		dgram_drop(d, d->oldest);
	ct_htab_free(&d->tab);
}

void ct_defrag_expire(struct ct_defrag *d, ct_time_t now)
{
	while (d->oldest && now >= d->oldest->first && now - d->oldest->first >= d->timeout) {
		CT_COUNT_LOG(d->ctr->frag_timeout, "IP datagram incomplete after %llu s, dropped",
			     (unsigned long long)(d->timeout / CT_USEC_PER_SEC));
		dgram_drop(d, d->oldest);
	}
}

void ct_defrag_rebase(struct ct_defrag *d, ct_time_t to)
{
	for (struct ct_defrag_dgram *g = d->oldest; g; g = g->newer)
		if (g->first > to)
			g->first = to;
}

/* Makes room for `need` more bytes and one more datagram by dropping the oldest ones.
 * Never drops `keep`. Returns false if even that cannot make room. */
static bool defrag_make_room(struct ct_defrag *d, size_t need, bool new_dgram, struct ct_defrag_dgram *keep)
{
	while ((d->mem + need > d->memcap || (new_dgram && d->count >= d->max_dgrams)) && d->oldest) {
		struct ct_defrag_dgram *victim = d->oldest == keep ? keep->newer : d->oldest;
		if (!victim)
			return false;
		CT_COUNT_LOG(d->ctr->frag_memcap, "defrag cap reached, oldest partial datagram dropped");
		dgram_drop(d, victim);
	}
	return d->mem + need <= d->memcap && (!new_dgram || d->count < d->max_dgrams);
}

static struct ct_defrag_dgram *dgram_find(struct ct_defrag *d, const struct ct_defrag_key *k, uint64_t h)
{
	for (struct ct_hnode *n = ct_htab_first(&d->tab, h); n; n = ct_htab_next(n)) {
		struct ct_defrag_dgram *g = CT_CONTAINER_OF(n, struct ct_defrag_dgram, hn);
		if (memcmp(&g->key, k, sizeof(*k)) == 0)
			return g;
	}
	return NULL;
}

/* Inserts [s,e) into the sorted range list, merging neighbours. */
static bool ranges_add(struct ct_defrag_dgram *g, uint32_t s, uint32_t e)
{
	uint16_t i = 0;
	while (i < g->nranges && g->r[i].end < s)
		i++;
	uint16_t j = i;
	while (j < g->nranges && g->r[j].start <= e) {
		if (g->r[j].start < s)
			s = g->r[j].start;
		if (g->r[j].end > e)
			e = g->r[j].end;
		j++;
	}
	if (i == j) {
		if (g->nranges == CT_DEFRAG_MAX_RANGES)
			return false;
		memmove(&g->r[i + 1], &g->r[i], (size_t)(g->nranges - i) * sizeof(g->r[0]));
		g->nranges++;
	} else if (j - i > 1) {
		memmove(&g->r[i + 1], &g->r[j], (size_t)(g->nranges - j) * sizeof(g->r[0]));
		g->nranges = (uint16_t)(g->nranges - (j - i - 1));
	}
	g->r[i].start = s;
	g->r[i].end = e;
	return true;
}

struct ct_defrag_dgram *ct_defrag_add(struct ct_defrag *d, const struct ct_pkt *p, uint8_t proto, uint32_t off,
				      bool more, const uint8_t *data, size_t len)
{
	d->ctr->frag_fragments++;
	struct ct_defrag_key k;
	memset(&k, 0, sizeof(k));
	k.src = p->src;
	k.dst = p->dst;
	k.id = p->ip_id;
	k.ver = p->ipver;
	k.proto = p->ipver == 4 ? proto : 0;
	uint64_t h = ct_hash(&d->key, &k, sizeof(k));
	uint32_t s = off;
	uint64_t e64 = (uint64_t)off + len;

	struct ct_defrag_dgram *g = dgram_find(d, &k, h);
	if (e64 > DEFRAG_MAX_PAYLOAD) {
		CT_COUNT_LOG(d->ctr->frag_too_big, "IP fragment ends past 65535 bytes, datagram dropped");
		if (g)
			dgram_drop(d, g);
		return NULL;
	}
	uint32_t e = (uint32_t)e64;
	if ((more && (len == 0 || (len & 7))) ) {
		/* every fragment but the last carries a multiple of 8 bytes */
		CT_COUNT_LOG(d->ctr->malformed, "IP fragment of %zu bytes is not a multiple of 8", len);
		if (g)
			dgram_drop(d, g);
		return NULL;
	}
	if (!g) {
		if (!defrag_make_room(d, sizeof(*g), true, NULL))
			return NULL;
		g = calloc(1, sizeof(*g));
		if (!g)
			return NULL;
		g->key = k;
		g->first = p->ts;
		g->older = d->newest;
		if (d->newest)
			d->newest->newer = g;
		else
			d->oldest = g;
		d->newest = g;
		ct_htab_add(&d->tab, &g->hn, h);
		d->count++;
		d->mem += sizeof(*g);
	}
	if (!more) {
		if ((g->have_total && g->total != e) || (g->nranges && g->r[g->nranges - 1].end > e)) {
			CT_COUNT_LOG(d->ctr->malformed, "IP fragments disagree on the datagram length, dropped");
			dgram_drop(d, g);
			return NULL;
		}
		g->total = e;
		g->have_total = true;
	} else if (g->have_total && e > g->total) {
		CT_COUNT_LOG(d->ctr->malformed, "IP fragment past the datagram's end, dropped");
		dgram_drop(d, g);
		return NULL;
	}
	if (off == 0) {
		g->next_proto = proto;
		g->have_first = true;
	}
	if (e > g->cap) {
		uint32_t ncap = (e + 2047u) & ~2047u;
		if (ncap > DEFRAG_MAX_PAYLOAD)
			ncap = DEFRAG_MAX_PAYLOAD;
		if (!defrag_make_room(d, ncap - g->cap, false, g)) {
			CT_COUNT_LOG(d->ctr->frag_memcap, "defrag memory cap reached, datagram dropped");
			dgram_drop(d, g);
			return NULL;
		}
		uint8_t *nb = realloc(g->buf, ncap);
		if (!nb) {
			dgram_drop(d, g);
			return NULL;
		}
		d->mem += ncap - g->cap;
		g->buf = nb;
		g->cap = ncap;
	}

	/* Overlap handling: copy only into holes; note whether anything overlapped. */
	bool overlap = false, same = true;
	uint32_t pos = s;
	for (uint16_t i = 0; i < g->nranges && pos < e; i++) {
		const struct ct_frag_range *r = &g->r[i];
		if (r->end <= pos)
			continue;
		if (r->start >= e)
			break;
		if (r->start > pos)
			memcpy(g->buf + pos, data + (pos - s), r->start - pos);
		uint32_t os = CT_MAX(r->start, pos), oe = CT_MIN(r->end, e);
		overlap = true;
		if (memcmp(g->buf + os, data + (os - s), oe - os) != 0)
			same = false;
		pos = CT_MAX(pos, r->end);
	}
	if (pos < e)
		memcpy(g->buf + pos, data + (pos - s), e - pos);
	if (overlap) {
		bool contained = false;
		for (uint16_t i = 0; i < g->nranges; i++)
			if (g->r[i].start <= s && g->r[i].end >= e)
				contained = true;
		if (contained && same) {
			d->ctr->frag_dup++;
		} else {
			CT_COUNT_LOG(d->ctr->frag_overlap, "overlapping IPv%u fragments (%s)", p->ipver,
				     p->ipver == 6 ? "datagram dropped, RFC 5722" : "first bytes kept");
			if (p->ipver == 6) {
				dgram_drop(d, g);
				return NULL;
			}
		}
	}
	if (!ranges_add(g, s, e)) {
		CT_COUNT_LOG(d->ctr->frag_memcap, "datagram in more than %d pieces, dropped", CT_DEFRAG_MAX_RANGES);
		dgram_drop(d, g);
		return NULL;
	}
	if (g->have_total && g->have_first && g->nranges == 1 && g->r[0].start == 0 && g->r[0].end == g->total) {
		dgram_unlink(d, g);
		d->ctr->frag_reassembled++;
		return g;
	}
	return NULL;
}

void ct_defrag_done(struct ct_defrag *d, struct ct_defrag_dgram *g)
{
	if (g)
		dgram_free(d, g);
}
