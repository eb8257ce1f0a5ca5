/* workers.c - capture.workers: a decoding thread, N shards per batch, one serial walk (how and
 * why in workers.h). */
#include "workers.h"

#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../util/clock.h"

#define WK_EVENTS 4096          /* events per batch */
#define WK_ARENA (4u << 20)     /* packet bytes per batch (a TCP segment of the largest snap length fits) */
#define WK_SNAPS 64             /* counter snapshots (new seconds of packet time) per batch */
#define WK_BATCHES 4            /* batches in flight: the reader fills one while another is worked on */

enum wk_kind { WK_NOP, WK_L4, WK_TICK, WK_REBASE, WK_JUMP, WK_COUNTERS };

struct wk_event {
	uint8_t kind;          /* enum wk_kind */
	bool fast_ok;          /* reader: a shard may take it (workers.h) */
	bool taken;            /* shard: it was handled there */
	uint8_t media;         /* shard: what it was (capture_ops.udp_fast's kind) */
	bool advance;          /* the clock moved forward to adv before this event (flows expire) */
	bool framed;           /* WK_L4: the frame it came in is at frame_at in the arena (p.caplen bytes) */
	uint16_t linktype;     /* ...and its link type */
	unsigned shard;
	unsigned frames;       /* WK_JUMP */
	uint32_t snap;         /* WK_TICK, WK_COUNTERS: its counters snapshot */
	uint32_t frame_at;
	uint64_t frameno;
	ct_time_t t, t2;       /* tick, rebase: t; jump: t -> t2 */
	ct_time_t adv;
	struct ct_flow *f;     /* shard: the flow it was taken for */
	struct ct_pkt p;       /* WK_L4; its bytes are in the batch's arena */
};

/* A cache line of its own (and the struct workers is allocated so): the decoding thread
 * writes one batch's header at every packet while the other threads read another's. */
struct wk_batch {
	_Alignas(64) struct wk_batch *next;
	uint64_t id;
	bool fast;             /* serial: its shards may take packets */
	bool rebased;          /* reader: the clock moved back in it; nothing after is taken */
	unsigned n, nl4, nsnap;
	size_t used;           /* arena bytes */
	struct wk_event *ev;
	uint8_t *arena;
	struct ct_counters *snap;
};

struct wk_thread {
	pthread_t tid;
	struct ct_workers *w;
	unsigned shard;
	bool started;
};

struct ct_workers {
	struct ct_capture *ser;         /* the serial capture (the pipeline's) */
	struct ct_capture rcap;         /* the reader's: decode only */
	struct ct_counters rctr;        /* the reader capture's counters */
	struct ct_counters rprev;       /* what of them is in ser->ctr already */
	struct ct_counters rctr_sent;   /* the decoding thread's: rctr as its last snapshot event carried it */
	struct ct_capture_split split;
	unsigned nshards;
	struct wk_batch batch[WK_BATCHES];
	struct wk_batch *fill;          /* being filled (decoding thread, or the caller in inline mode) */
	bool inline_mode;               /* no decoding thread: a full batch is handled at once */
	ct_source_tick_fn tick;         /* inline mode: the caller's tick */
	void *tick_arg;
	pthread_mutex_t mu;
	pthread_cond_t cv_full, cv_free, cv_go, cv_done;
	struct wk_batch *free_list, *full_head, *full_tail;
	bool reader_done;
	struct wk_thread *threads;      /* nshards - 1 */
	uint64_t epoch;                 /* a new batch for the shards */
	unsigned pending;               /* shard threads still on it */
	struct wk_batch *cur;
	bool quit;
	uint64_t batch_id;
	struct ct_source *src;
	const atomic_int *stop;
	int rrc;
	char rerr[512];
	bool finished;
	bool adv_pending;               /* a clock advance not yet carried by an event */
	ct_time_t adv_t;
	/* on a cache line of its own: written by the serial walk at every packet (next to the
	 * decoding thread's fields above, the two cores took the line from each other at every
	 * packet) */
	_Alignas(64) uint64_t taken, l4; /* transport packets taken by the shards, of all */
};

/* ---- counters: the reader's reach the run's at each new second and at the end ---- */

static void counters_merge(struct ct_workers *w, const struct ct_counters *now)
{
	for (size_t i = 0; i < ct_counter_count; i++) {
		size_t off = ct_counter_table[i].offset;
		uint64_t *g = (uint64_t *)(void *)((char *)w->ser->ctr + off);
		uint64_t *prev = (uint64_t *)(void *)((char *)&w->rprev + off);
		uint64_t v = *(const uint64_t *)(const void *)((const char *)now + off);
		*g += v - *prev;
		*prev = v;
	}
}

/* ---- the shards ---- */

/* The shard of a packet: every packet of a flow, both ways, to the same one (a symmetric hash
 * of addresses and ports; not keyed: a crafted flood can only unbalance the shards, as with
 * PACKET_FANOUT_HASH, never the tables). */
static unsigned shard_of(const struct ct_pkt *p, unsigned n)
{
	uint64_t a = (uint64_t)(p->sport ^ p->dport) << 48 ^ p->proto;
	for (size_t i = 0; i < 16; i += 8) {
		uint64_t x, y;
		memcpy(&x, p->src.a + i, 8);
		memcpy(&y, p->dst.a + i, 8);
		a ^= x ^ y;
	}
	a ^= a >> 33;
	a *= 0xff51afd7ed558ccdULL;
	a ^= a >> 33;
	a *= 0xc4ceb9fe1a85ec53ULL;
	a ^= a >> 33;
	return (unsigned)(a % n);
}

/* Shard k of batch b: the UDP packets it may take (workers.h), in order. Reads the flow table,
 * writes only the flows of its shard and the events it takes. */
static void shard_work(struct ct_workers *w, struct wk_batch *b, unsigned k)
{
	const struct ct_capture *c = w->ser;
	ct_time_t timeout = c->flows.timeout[CT_FLOW_UDP];
	unsigned n = b->n;
	for (unsigned i = 0; i < n; i++) {
		struct wk_event *ev = &b->ev[i];
		if (ev->kind != WK_L4 || ev->shard != k || ev->p.proto != 17)
			continue;
		struct ct_flow_key key;
		int side;
		ct_flow_key_of(&ev->p, &key, &side);
		struct ct_flow *f = ct_flow_find(&c->flows, &key, ct_flow_hash(&c->flows, &key));
		if (!f)
			continue; /* a new flow: the serial walk creates it */
		if (f->w_batch != b->id) {
			f->w_batch = b->id;
			f->w_last = f->last;
			f->w_held = false;
		}
		if (f->w_held)
			continue; /* one of its packets waits for the serial walk: so do the later ones */
		ct_time_t ts = ev->p.ts;
		if (!ev->fast_ok || f->cls != CT_FLOW_UDP || (ts >= f->w_last && ts - f->w_last >= timeout)) {
			f->w_held = true;
			continue;
		}
		int dir = side ^ f->init_side;
		f->pkts[dir]++; /* as capture.c does before the udp callback */
		f->bytes[dir] += ev->p.dlen;
		uint8_t kind = 0;
		if (!c->ops.udp_fast(c->user, f, dir, &ev->p, &kind)) {
			f->pkts[dir]--;
			f->bytes[dir] -= ev->p.dlen;
			f->w_held = true;
			continue;
		}
		if (ts > f->w_last)
			f->w_last = ts;
		ev->taken = true;
		ev->media = kind;
		ev->f = f;
	}
}

static void *shard_main(void *arg)
{
	struct wk_thread *t = arg;
	struct ct_workers *w = t->w;
	uint64_t seen = 0;
	for (;;) {
		pthread_mutex_lock(&w->mu);
		while (w->epoch == seen && !w->quit)
			pthread_cond_wait(&w->cv_go, &w->mu);
		if (w->quit) {
			pthread_mutex_unlock(&w->mu);
			return NULL;
		}
		seen = w->epoch;
		struct wk_batch *b = w->cur;
		pthread_mutex_unlock(&w->mu);
		shard_work(w, b, t->shard);
		pthread_mutex_lock(&w->mu);
		if (--w->pending == 0)
			pthread_cond_signal(&w->cv_done);
		pthread_mutex_unlock(&w->mu);
	}
}

/* ---- the serial walk ---- */

static void serial_event(struct ct_workers *w, struct wk_batch *b, struct wk_event *ev)
{
	struct ct_capture *c = w->ser;
	if (ev->advance)
		ct_capture_advance(c, ev->adv);
	switch (ev->kind) {
	case WK_NOP:
		break;
	case WK_COUNTERS:
	case WK_TICK:
		counters_merge(w, &b->snap[ev->snap]);
		if (ev->kind == WK_TICK && c->ops.clock)
			c->ops.clock(c->user, ev->t);
		break;
	case WK_REBASE:
		ct_capture_rebase(c, ev->t);
		break;
	case WK_JUMP:
		if (c->ops.clock_jump)
			c->ops.clock_jump(c->user, ev->t, ev->t2, ev->frames);
		break;
	case WK_L4:
		w->l4++;
		/* the frame it came in, for the callbacks that keep whole frames (capture.h) */
		if (ev->framed) {
			c->frame = b->arena + ev->frame_at;
			c->frame_caplen = ev->p.caplen; /* the frame's, as ct_capture_frame() gave them */
			c->frame_wirelen = ev->p.wirelen;
			c->frame_linktype = ev->linktype;
		}
		if (ev->taken) {
			w->taken++;
			/* what ct_flow_get() and the udp callback would have done here besides what the
			 * shard did */
			ct_flow_touch(&c->flows, ev->f, ev->p.ts);
			c->ops.udp_fast_commit(c->user, &ev->p, ev->media);
		} else {
			ct_capture_l4(c, &ev->p, ev->frameno);
		}
		c->frame = NULL; /* as outside a frame in ct_capture_frame() */
		break;
	}
}

static void process_batch(struct ct_workers *w, struct wk_batch *b)
{
	struct ct_capture *c = w->ser;
	b->id = ++w->batch_id;
	/* no eviction can happen in the batch (it would pick by an LRU order the shards moved) */
	b->fast = c->ops.udp_fast && c->ops.udp_fast_commit && b->nl4 &&
		  (uint64_t)c->flows.count + b->nl4 <= c->flows.pool_size;
	if (b->fast) {
		pthread_mutex_lock(&w->mu);
		w->cur = b;
		w->pending = w->nshards - 1;
		w->epoch++;
		pthread_cond_broadcast(&w->cv_go);
		pthread_mutex_unlock(&w->mu);
		shard_work(w, b, 0);
		pthread_mutex_lock(&w->mu);
		while (w->pending)
			pthread_cond_wait(&w->cv_done, &w->mu);
		pthread_mutex_unlock(&w->mu);
	}
	for (unsigned i = 0; i < b->n; i++)
		serial_event(w, b, &b->ev[i]);
}

/* ---- the reader: events into batches ---- */

static void batch_reset(struct wk_batch *b)
{
	b->next = NULL;
	b->rebased = false;
	b->n = b->nl4 = b->nsnap = 0;
	b->used = 0;
}

/* The batch being filled goes to the serial side (or, inline, is handled now). */
static void publish(struct ct_workers *w)
{
	struct wk_batch *b = w->fill;
	if (!b || !b->n)
		return;
	w->fill = NULL;
	if (w->inline_mode) {
		process_batch(w, b);
		batch_reset(b);
		w->fill = b;
		return;
	}
	pthread_mutex_lock(&w->mu);
	if (w->full_tail)
		w->full_tail->next = b;
	else
		w->full_head = b;
	w->full_tail = b;
	pthread_cond_signal(&w->cv_full);
	pthread_mutex_unlock(&w->mu);
}

/* Room for one event with `bytes` of packet bytes (and a counters snapshot if snap). */
static struct wk_event *ev_new(struct ct_workers *w, size_t bytes, bool snap)
{
	struct wk_batch *b = w->fill;
	if (b && (b->n == WK_EVENTS || b->used + bytes > WK_ARENA || (snap && b->nsnap == WK_SNAPS))) {
		publish(w);
		b = w->fill;
	}
	if (!b) {
		pthread_mutex_lock(&w->mu);
		while (!w->free_list)
			pthread_cond_wait(&w->cv_free, &w->mu);
		b = w->free_list;
		w->free_list = b->next;
		pthread_mutex_unlock(&w->mu);
		batch_reset(b);
		w->fill = b;
	}
	struct wk_event *ev = &b->ev[b->n++];
	memset(ev, 0, offsetof(struct wk_event, p));
	if (w->adv_pending) { /* the clock moved before this event (one event per frame, not two) */
		ev->advance = true;
		ev->adv = w->adv_t;
		w->adv_pending = false;
	}
	return ev;
}

/* A clock advance no event carried yet gets one of its own (before a batch ends the input). */
static void adv_flush(struct ct_workers *w)
{
	if (w->adv_pending)
		ev_new(w, 0, false)->kind = WK_NOP;
}

/* Where the transport packet's bytes lie in the frame: their offset, or -1 when they are not
 * in it (a datagram put together from fragments). */
static ptrdiff_t l4_in_frame(const struct ct_capture *c, const struct ct_pkt *p, size_t len)
{
	uintptr_t l4 = (uintptr_t)p->l4, fr = (uintptr_t)c->frame;
	if (!c->frame || l4 < fr || l4 - fr > c->frame_caplen || len > c->frame_caplen - (l4 - fr))
		return -1;
	return (ptrdiff_t)(l4 - fr);
}

/* A transport packet: copied into the batch with the frame it came in, which the serial walk
 * gives the callbacks that keep whole frames as the single-threaded path does (the recorder's
 * evidence pcaps: capture.h's frame). Where the transport packet lies in its frame, as it
 * mostly does, only the frame is copied: the link and IP headers are all it costs. */
_Static_assert(WK_ARENA >= 2 * (256u << 10), "a frame of libpcap's largest snapshot and a datagram of 64 KiB fit");
static void rd_l4(void *user, struct ct_capture *c, const struct ct_pkt *p)
{
	struct ct_workers *w = user;
	size_t len = p->l4 ? CT_MIN(p->l4len, (size_t)WK_ARENA) : 0;
	ptrdiff_t at = len ? l4_in_frame(c, p, len) : -1;
	/* the frame's length goes on as p->caplen (ct_capture_frame() sets both); one longer than
	 * libpcap's largest snapshot could not come, and goes without (the test keeps the arena's
	 * sums in bounds) */
	size_t flen = c->frame && c->frame_caplen == p->caplen && c->frame_caplen <= WK_ARENA - len ? c->frame_caplen : 0;
	if (!flen)
		at = -1;
	size_t need = flen + (at < 0 ? len : 0);
	struct wk_event *ev = ev_new(w, need, false);
	struct wk_batch *b = w->fill;
	ev->kind = WK_L4;
	ev->frameno = c->frameno;
	ev->p = *p;
	uint8_t *copy = b->arena + b->used;
	if (flen) {
		memcpy(copy, c->frame, flen);
		ev->framed = true;
		ev->frame_at = (uint32_t)b->used;
		ev->linktype = (uint16_t)c->frame_linktype;
	}
	if (at >= 0) {
		copy += at;
	} else {
		copy += flen;
		if (len)
			memcpy(copy, p->l4, len);
	}
	b->used += need;
	ev->p.l4 = len ? copy : NULL;
	ev->p.l4len = len;
	/* the payload lies inside the transport packet (UDP, TCP); an SCTP packet has none yet */
	uintptr_t l4 = (uintptr_t)p->l4, d = (uintptr_t)p->data;
	if (len && p->data && d >= l4 && d - l4 <= len && p->dlen <= len - (d - l4)) {
		ev->p.data = copy + (d - l4);
	} else {
		ev->p.data = NULL;
		ev->p.dlen = 0;
	}
	ev->shard = shard_of(p, w->nshards);
	/* not older than the clock, the clock not moved back in the batch (workers.h) */
	ev->fast_ok = p->proto == 17 && !b->rebased && p->ts >= c->now;
	b->nl4++;
}

static void rd_advance(void *user, ct_time_t now)
{
	struct ct_workers *w = user;
	adv_flush(w); /* two in a row (a frame with nothing to hand on): the first gets its own */
	w->adv_pending = true;
	w->adv_t = now;
}

static void rd_rebase(void *user, ct_time_t to)
{
	struct ct_workers *w = user;
	struct wk_event *ev = ev_new(w, 0, false);
	ev->kind = WK_REBASE;
	ev->t = to;
	w->fill->rebased = true;
}

/* An event carrying the decode counters as they are now (WK_TICK: what the stats record of
 * that tick must show; WK_COUNTERS: for the monitoring endpoint). */
static struct wk_event *counters_event(struct ct_workers *w, uint8_t kind)
{
	struct wk_event *ev = ev_new(w, 0, true);
	struct wk_batch *b = w->fill;
	ev->kind = kind;
	ev->snap = b->nsnap;
	b->snap[b->nsnap++] = w->rctr;
	w->rctr_sent = w->rctr;
	return ev;
}

static void rd_clock(void *user, ct_time_t now)
{
	counters_event(user, WK_TICK)->t = now;
}

static void rd_clock_jump(void *user, ct_time_t from, ct_time_t to, unsigned frames)
{
	struct ct_workers *w = user;
	struct wk_event *ev = ev_new(w, 0, false);
	ev->kind = WK_JUMP;
	ev->t = from;
	ev->t2 = to;
	ev->frames = frames;
}

/* ---- the decoding thread: reads and decodes through the reader's capture into event batches ---- */

/* live input at a low rate: a partial batch does not wait for more frames */
static void decode_tick(void *arg)
{
	struct ct_workers *w = arg;
	/* the decode counters since the last that went, for the monitoring endpoint: a quiet
	 * input brings no new tick of packet time to carry them (the stats records read them at
	 * those ticks only, so they are unchanged) */
	if (memcmp(&w->rctr, &w->rctr_sent, sizeof(w->rctr)) != 0)
		counters_event(w, WK_COUNTERS);
	publish(w);
}

/* The signals a thread other than the decoding one keeps blocked while it runs: every one but
 * those a fault raises. A signal that ends the run (the app's SIGTERM, which does not restart
 * what it interrupts) must interrupt the decoding thread's read of a quiet pipe, not a wait of
 * the serial thread's: the decoding thread is then the only one to take it. */
static void async_signals(sigset_t *set)
{
	sigfillset(set);
	static const int faults[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT };
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		sigdelset(set, faults[i]);
}

static void *decode_main(void *arg)
{
	struct ct_workers *w = arg;
	sigset_t set;
	async_signals(&set);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	w->rrc = ct_source_run(w->src, &w->rcap, w->stop, decode_tick, w, w->rerr, sizeof(w->rerr));
	adv_flush(w);
	publish(w);
	pthread_mutex_lock(&w->mu);
	w->reader_done = true;
	pthread_cond_signal(&w->cv_full);
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/* No threads could be started: read and decode inline, each batch handled as it fills. */
static void inline_tick(void *arg)
{
	struct ct_workers *w = arg;
	publish(w); /* what was decoded is handled (live input at a low rate) */
	if (w->tick)
		w->tick(w->tick_arg); /* outputs, signals, the monitoring endpoint */
}

static void run_inline(struct ct_workers *w)
{
	w->inline_mode = true;
	w->rrc = ct_source_run(w->src, &w->rcap, w->stop, inline_tick, w, w->rerr, sizeof(w->rerr));
	adv_flush(w);
	publish(w);
	w->inline_mode = false;
}

/* ---- the API ---- */

int ct_workers_run(struct ct_workers *w, struct ct_source *s, const atomic_int *stop, ct_source_tick_fn tick,
		   void *tick_arg, char *err, size_t errlen)
{
	w->src = s;
	w->stop = stop;
	w->tick = tick;
	w->tick_arg = tick_arg;
	w->rrc = CT_OK;
	w->rerr[0] = '\0';
	w->reader_done = false;
	w->inline_mode = false;
	sigset_t set, old;
	async_signals(&set);
	pthread_sigmask(SIG_BLOCK, &set, &old); /* the decoding thread takes them (async_signals) */
	pthread_t decoder;
	if (pthread_create(&decoder, NULL, decode_main, w) != 0) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		run_inline(w);
	} else {
		uint64_t last_tick = ct_mono_ms();
		for (;;) {
			pthread_mutex_lock(&w->mu);
			if (!w->full_head && !w->reader_done) {
				struct timespec until;
				clock_gettime(CLOCK_REALTIME, &until);
				until.tv_nsec += 100 * 1000 * 1000;
				if (until.tv_nsec >= 1000000000L) {
					until.tv_sec++;
					until.tv_nsec -= 1000000000L;
				}
				pthread_cond_timedwait(&w->cv_full, &w->mu, &until);
			}
			struct wk_batch *b = w->full_head;
			if (b) {
				w->full_head = b->next;
				if (!w->full_head)
					w->full_tail = NULL;
			}
			bool done = !b && w->reader_done;
			pthread_mutex_unlock(&w->mu);
			if (b) {
				process_batch(w, b);
				pthread_mutex_lock(&w->mu);
				b->next = w->free_list;
				w->free_list = b;
				pthread_cond_signal(&w->cv_free);
				pthread_mutex_unlock(&w->mu);
			}
			uint64_t now = ct_mono_ms();
			if (tick && now - last_tick >= 100) {
				tick(tick_arg);
				last_tick = now;
			}
			if (done)
				break;
		}
		pthread_join(decoder, NULL);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	counters_merge(w, &w->rctr);
	if (w->rrc != CT_OK && err && errlen)
		snprintf(err, errlen, "%s", w->rerr);
	return w->rrc;
}

void ct_workers_counts(const struct ct_workers *w, uint64_t *taken, uint64_t *l4)
{
	*taken = w->taken;
	*l4 = w->l4;
}

void ct_workers_finish(struct ct_workers *w)
{
	if (w->finished)
		return;
	w->finished = true;
	w->inline_mode = true;
	ct_capture_flush(&w->rcap); /* held frames: their events are handled as batches fill */
	adv_flush(w);
	publish(w);
	counters_merge(w, &w->rctr);
}

int ct_workers_new(struct ct_workers **out, struct ct_capture *c, unsigned nshards)
{
	if (nshards < 2)
		return CT_EINVAL;
	struct ct_workers *w = aligned_alloc(64, (sizeof(*w) + 63) & ~(size_t)63); /* its cache lines apart */
	if (!w)
		return CT_ENOMEM;
	memset(w, 0, sizeof(*w));
	w->ser = c;
	w->nshards = nshards;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv_full, NULL);
	pthread_cond_init(&w->cv_free, NULL);
	pthread_cond_init(&w->cv_go, NULL);
	pthread_cond_init(&w->cv_done, NULL);
	for (unsigned i = 0; i < WK_BATCHES; i++) {
		struct wk_batch *b = &w->batch[i];
		b->ev = malloc((size_t)WK_EVENTS * sizeof(*b->ev));
		b->arena = malloc(WK_ARENA); /* pages are only touched as bytes are copied */
		b->snap = malloc((size_t)WK_SNAPS * sizeof(*b->snap));
		if (!b->ev || !b->arena || !b->snap)
			goto fail;
		b->next = w->free_list;
		w->free_list = b;
	}
	static const struct ct_capture_ops rops = { .clock = rd_clock, .clock_jump = rd_clock_jump };
	w->split = (struct ct_capture_split){ .l4 = rd_l4, .advance = rd_advance, .rebase = rd_rebase, .user = w };
	int rc = ct_capture_init(&w->rcap, &c->cfg, &c->key, &w->rctr, &rops, w);
	if (rc != CT_OK)
		goto fail_rc;
	w->rcap.split = &w->split;
	w->threads = calloc(nshards - 1, sizeof(*w->threads));
	if (!w->threads)
		goto fail;
	sigset_t set, old;
	async_signals(&set);
	pthread_sigmask(SIG_BLOCK, &set, &old); /* the shards inherit it: never theirs */
	for (unsigned i = 0; i + 1 < nshards; i++) {
		struct wk_thread *t = &w->threads[i];
		t->w = w;
		t->shard = i + 1;
		if (pthread_create(&t->tid, NULL, shard_main, t) != 0)
			break;
		t->started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!w->threads[nshards - 2].started) {
		rc = CT_EIO;
		goto fail_rc;
	}
	*out = w;
	return CT_OK;
fail:
	rc = CT_ENOMEM;
fail_rc:
	ct_workers_free(w);
	return rc;
}

void ct_workers_free(struct ct_workers *w)
{
	if (!w)
		return;
	if (w->rcap.split && !w->finished)
		ct_workers_finish(w);
	pthread_mutex_lock(&w->mu);
	w->quit = true;
	pthread_cond_broadcast(&w->cv_go);
	pthread_mutex_unlock(&w->mu);
	if (w->threads)
		for (unsigned i = 0; i + 1 < w->nshards; i++)
			if (w->threads[i].started)
				pthread_join(w->threads[i].tid, NULL);
	free(w->threads);
	if (w->rcap.split) {
		w->inline_mode = true;
		ct_capture_free(&w->rcap);
	}
	for (unsigned i = 0; i < WK_BATCHES; i++) {
		free(w->batch[i].ev);
		free(w->batch[i].arena);
		free(w->batch[i].snap);
	}
	pthread_cond_destroy(&w->cv_full);
	pthread_cond_destroy(&w->cv_free);
	pthread_cond_destroy(&w->cv_go);
	pthread_cond_destroy(&w->cv_done);
	pthread_mutex_destroy(&w->mu);
	free(w);
}
