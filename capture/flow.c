/* flow.c - bounded keyed-hash flow table (util/htab.h) with per-class LRU expiry on packet
 * time. */
#include "flow.h"

#include <stdlib.h>
#include <string.h>

static void lru_unlink(struct ct_flowtab *t, struct ct_flow *f)
{
	if (f->prev == &t->lru[f->cls])
		t->due = 0; /* a new head */
	f->prev->next = f->next;
	f->next->prev = f->prev;
	f->prev = f->next = NULL;
}

static void lru_append(struct ct_flowtab *t, struct ct_flow *head, struct ct_flow *f)
{
	if (head->next == head)
		t->due = 0; /* f is the new head */
	f->prev = head->prev;
	f->next = head;
	head->prev->next = f;
	head->prev = f;
}

int ct_flowtab_init(struct ct_flowtab *t, const struct ct_flowtab_cfg *cfg, const struct ct_hashkey *key,
		    struct ct_counters *ctr, ct_flow_close_fn on_close, void *user)
{
	memset(t, 0, sizeof(*t));
	/* calloc'ed pool pages are only touched as flows are first used */
	t->pool = calloc(cfg->max_flows ? cfg->max_flows : 1, sizeof(*t->pool));
	if (!t->pool || ct_htab_init(&t->tab, CT_MAX(cfg->max_flows, 1024u), (size_t)1 << 30) != CT_OK) {
		free(t->pool);
		return CT_ENOMEM;
	}
	t->pool_size = cfg->max_flows ? cfg->max_flows : 1;
	for (int i = 0; i < CT_FLOW_NCLASS; i++)
		t->lru[i].prev = t->lru[i].next = &t->lru[i];
	t->timeout[CT_FLOW_UDP] = cfg->udp_timeout;
	t->timeout[CT_FLOW_TCP] = cfg->tcp_timeout;
	t->timeout[CT_FLOW_TCP_CLOSED] = cfg->tcp_closed_timeout;
	t->key = *key;
	t->ctr = ctr;
	t->on_close = on_close;
	t->user = user;
	t->next_id = 1;
	return CT_OK;
}

static void flow_release(struct ct_flowtab *t, struct ct_flow *f, enum ct_flow_end why)
{
	if (t->on_close)
		t->on_close(t->user, f, why);
	ct_htab_del(&t->tab, &f->hn);
	lru_unlink(t, f);
	memset(f, 0, sizeof(*f));
	f->next = t->free;
	t->free = f;
	t->count--;
}

void ct_flow_end(struct ct_flowtab *t, struct ct_flow *f, enum ct_flow_end why)
{
	flow_release(t, f, why);
}

void ct_flowtab_close_all(struct ct_flowtab *t)
{
	/* Oldest first across classes, by creation id, so shutdown output is deterministic. */
	for (;;) {
		struct ct_flow *best = NULL;
		for (int i = 0; i < CT_FLOW_NCLASS; i++) {
			struct ct_flow *h = t->lru[i].next;
			if (h != &t->lru[i] && (!best || h->last < best->last ||
						(h->last == best->last && h->id < best->id)))
				best = h;
		}
		if (!best)
			break;
		flow_release(t, best, CT_FLOW_END_SHUTDOWN);
	}
}

void ct_flowtab_free(struct ct_flowtab *t)
{
	if (t->pool)
		ct_flowtab_close_all(t);
	ct_htab_free(&t->tab);
	free(t->pool);
	memset(t, 0, sizeof(*t));
}

void ct_flow_set_class(struct ct_flowtab *t, struct ct_flow *f, enum ct_flow_class cls)
{
	if (f->cls == cls)
		return;
	lru_unlink(t, f);
	f->cls = (uint8_t)cls;
	lru_append(t, &t->lru[cls], f);
}

unsigned ct_flowtab_expire(struct ct_flowtab *t, ct_time_t now, unsigned budget)
{
	if (now < t->due)
		return 0;
	unsigned n = 0;
	for (int i = 0; i < CT_FLOW_NCLASS; i++) {
		struct ct_flow *head = &t->lru[i];
		while (n < budget && head->next != head &&
		       now >= head->next->last && now - head->next->last >= t->timeout[i]) {
			t->ctr->flows_expired++;
			flow_release(t, head->next, CT_FLOW_END_EXPIRED);
			n++;
		}
	}
	/* what the heads left say, unless the budget ran out before they were all looked at */
	ct_time_t due = n < budget ? UINT64_MAX : 0;
	for (int i = 0; i < CT_FLOW_NCLASS && due; i++)
		if (t->lru[i].next != &t->lru[i])
			due = CT_MIN(due, t->lru[i].next->last + t->timeout[i]);
	t->due = due;
	return n;
}

void ct_flowtab_rebase(struct ct_flowtab *t, ct_time_t to)
{
	t->due = 0;
	for (int i = 0; i < CT_FLOW_NCLASS; i++)
		for (struct ct_flow *f = t->lru[i].next; f != &t->lru[i]; f = f->next) {
			f->first = CT_MIN(f->first, to);
			f->last = CT_MIN(f->last, to);
			for (int d = 0; d < 2; d++)
				for (struct ct_tcp_seg *s = f->tcp.half[d].ooo; s; s = s->next)
					s->ts = CT_MIN(s->ts, to);
		}
}

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FLOW_BE64(v) __builtin_bswap64(v)
#else
#define FLOW_BE64(v) (v)
#endif

static uint64_t be64_at(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return FLOW_BE64(v);
}

/* (address, port) pairs in the order of memcmp on the address, then the port */
static int addr_port_cmp(const struct ct_addr *a, uint16_t pa, const struct ct_addr *b, uint16_t pb)
{
	uint64_t x = be64_at(a->a), y = be64_at(b->a);
	if (x == y) {
		x = be64_at(a->a + 8);
		y = be64_at(b->a + 8);
	}
	if (x != y)
		return x < y ? -1 : 1;
	return (pa > pb) - (pa < pb);
}

_Static_assert(sizeof(struct ct_flow_key) == 40, "flow keys compare as five words");

/* word i (0 to 4) of a key */
static inline uint64_t key_word(const struct ct_flow_key *k, size_t i)
{
	uint64_t w;
	memcpy(&w, (const uint8_t *)k + i * 8, 8);
	return w;
}

/* Word by word, each loaded into a register: copied as arrays, the keys went through the
 * stack (with its canary) on every lookup. */
static bool flow_key_eq(const struct ct_flow_key *a, const struct ct_flow_key *b)
{
	uint64_t d = 0;
	for (size_t i = 0; i < 5; i++)
		d |= key_word(a, i) ^ key_word(b, i);
	return d == 0;
}

static struct ct_flow *flow_alloc(struct ct_flowtab *t)
{
	struct ct_flow *f = t->free;
	if (f) {
		t->free = f->next;
		f->next = NULL;
		return f;
	}
	if (t->pool_used < t->pool_size)
		return &t->pool[t->pool_used++];
	/* Full: evict the least recently seen flow of any class. */
	struct ct_flow *victim = NULL;
	for (int i = 0; i < CT_FLOW_NCLASS; i++) {
		struct ct_flow *h = t->lru[i].next;
		if (h != &t->lru[i] && (!victim || h->last < victim->last))
			victim = h;
	}
	if (!victim)
		return NULL;
	t->ctr->flows_evicted++;
	flow_release(t, victim, CT_FLOW_END_EVICTED);
	f = t->free;
	t->free = f->next;
	f->next = NULL;
	return f;
}

/* The key's hash. The table is keyed by what packets say, so the hash is keyed SipHash
 * (util/hash.h); an IPv4 flow hashes its 13 meaningful bytes (the addresses, the ports, the
 * protocol) rather than the 40 of the key, handed over as numbers, with SipHash-1-3 (as the
 * tables of Rust and Python: keyed, half the rounds of 2-4). An IPv6 flow hashes its whole key
 * with SipHash-2-4 (ct_hash): rarer, and 40 bytes are past the inline variants. */
static uint64_t flow_hash(const struct ct_flowtab *t, const struct ct_flow_key *k)
{
	if (!ct_addr_is_v4(&k->a) || !ct_addr_is_v4(&k->b))
		return ct_hash(&t->key, k, sizeof(*k));
	uint32_t a, b;
	memcpy(&a, k->a.a + 12, 4);
	memcpy(&b, k->b.a + 12, 4);
	uint64_t tail = k->pa | (uint64_t)k->pb << 16 | (uint64_t)k->proto << 32;
	return ct_hash13_words(&t->key, a | (uint64_t)b << 32, tail, 13);
}

void ct_flow_key_of(const struct ct_pkt *p, struct ct_flow_key *k, int *side)
{
	memset(k, 0, sizeof(*k));
	if (addr_port_cmp(&p->src, p->sport, &p->dst, p->dport) <= 0) {
		k->a = p->src; k->pa = p->sport; k->b = p->dst; k->pb = p->dport;
		*side = 0;
	} else {
		k->a = p->dst; k->pa = p->dport; k->b = p->src; k->pb = p->sport;
		*side = 1;
	}
	k->proto = p->proto;
}

struct ct_flow *ct_flow_find(const struct ct_flowtab *t, const struct ct_flow_key *k, uint64_t h)
{
	for (struct ct_hnode *n = ct_htab_first(&t->tab, h); n; n = ct_htab_next(n)) {
		struct ct_flow *f = CT_CONTAINER_OF(n, struct ct_flow, hn);
		if (flow_key_eq(&f->key, k))
			return f;
	}
	return NULL;
}

uint64_t ct_flow_hash(const struct ct_flowtab *t, const struct ct_flow_key *k)
{
	return flow_hash(t, k);
}

void ct_flow_touch(struct ct_flowtab *t, struct ct_flow *f, ct_time_t ts)
{
	if (ts > f->last)
		f->last = ts;
	lru_unlink(t, f);
	lru_append(t, &t->lru[f->cls], f);
}

struct ct_flow *ct_flow_get(struct ct_flowtab *t, const struct ct_pkt *p, int *dir, bool *created)
{
	struct ct_flow_key k;
	int side;
	ct_flow_key_of(p, &k, &side);
	uint64_t h = flow_hash(t, &k);
	*created = false;
	struct ct_flow *f = ct_flow_find(t, &k, h);
	if (f) {
		if (p->ts >= f->last && p->ts - f->last >= t->timeout[f->cls]) {
			/* idle past its timeout but not yet reached by expiry: same verdict */
			t->ctr->flows_expired++;
			flow_release(t, f, CT_FLOW_END_EXPIRED);
		} else {
			*dir = side ^ f->init_side;
			ct_flow_touch(t, f, p->ts);
			return f;
		}
	}
	f = flow_alloc(t);
	if (!f)
		return NULL;
	memset(f, 0, sizeof(*f));
	f->key = k;
	f->id = t->next_id++;
	f->first = f->last = p->ts;
	f->init_side = (uint8_t)side;
	f->cls = p->proto == 6 ? CT_FLOW_TCP : CT_FLOW_UDP;
	ct_htab_add(&t->tab, &f->hn, h);
	lru_append(t, &t->lru[f->cls], f);
	t->count++;
	t->ctr->flows++;
	*dir = 0;
	*created = true;
	return f;
}
