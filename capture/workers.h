/* workers.h - capture.workers: the per-flow path on several threads, the records unchanged.
 *
 * With capture.workers = N >= 2 the work of ct_source_run() is shared by N + 1 threads:
 *  - a decoding thread reads the frames (ct_source_run: libpcap, or ctitap's own reader for a
 *    plain pcap file) and decodes each where it was read, up to its transport header, with a
 *    capture of its own (link layers, tunnels, IP, SPAN dedup, defragmentation, the capture
 *    clock: everything whose state is per frame or per run, in input order), writing what it
 *    finds as a stream of events into batches: transport packets (copied), clock ticks, flow
 *    expiry points, clock moves. (A read thread of its own, copying frames to it, cost more
 *    than it gave: the copy, and the frames' bytes moving between cores.) A batch goes on when
 *    full, or about every 100 ms of wall time (live input at a low rate);
 *  - for each batch, N shards run in parallel (the calling thread takes shard 0): a packet's
 *    shard is a hash of its addresses and ports, so every packet of a flow goes to the same
 *    one, in order. A shard takes the UDP packets of flows that already exist and only need
 *    their own state (RTP accounting: capture_ops.udp_fast) and leaves everything else;
 *  - then the calling thread, alone, walks the batch in order: every event the shards left is
 *    handled exactly as the single-threaded path would (flows created, SIP, CSTA, TCP, the
 *    correlator, records), and every packet a shard took is committed at its place (the flow's
 *    last-seen time and LRU position, counters, the recorder's RTP). Each transport packet's
 *    frame comes along (the recorder's evidence pcaps).
 * The clock, the flow table's shape and the correlator thus change in the order of the input
 * only, and the records and recordings are byte for byte those of capture.workers = 1 (tested). A shard takes
 * a packet only where that cannot be told apart: the flow existed before the batch, none of its
 * packets in the batch so far was left to the serial walk, it is not idle past its timeout, the
 * clock did not move back in the batch, the packet is not older than the clock, and the flow
 * table cannot fill up within the batch (no eviction can pick a flow a shard touched).
 *
 * Counters: the reader's own (decode, dedup, defrag) reach the run's counters at each new
 * second of packet time, where the stats records read them, and at the end of each source.
 *
 * Memory: four event batches, each of 4096 events and 4 MiB of
 * packet bytes (pages touched as used). The scaling limit is the decoding thread (decode and
 * SPAN dedup, in input order) and the serial walk; docs/performance.md has the figures.
 */
#ifndef CT_WORKERS_H
#define CT_WORKERS_H

#include <signal.h>

#include "capture.h"
#include "source.h"

struct ct_workers;

/* Workers for the serial capture c (its configuration, key and ops; its counters get the
 * reader's). nshards >= 2. c is borrowed and must outlive the workers. Starts nshards - 1
 * threads. Returns CT_OK, CT_ENOMEM or CT_EIO (a thread could not start). */
int ct_workers_new(struct ct_workers **out, struct ct_capture *c, unsigned nshards);
/* ct_source_run() through the workers: returns when s ended (or *stop), every frame read from
 * it handled. tick runs on the calling thread about every 100 ms of wall time, between
 * batches. Returns as ct_source_run(). */
int ct_workers_run(struct ct_workers *w, struct ct_source *s, const atomic_int *stop, ct_source_tick_fn tick,
		   void *tick_arg, char *err, size_t errlen);
/* End of input: frames the reader's clock still holds are handled (ct_capture_flush), and the
 * counters are brought up to date. Call before ct_capture_flush() of the serial capture. */
void ct_workers_finish(struct ct_workers *w);
/* Transport packets the shards handled, and all of them (the share that ran in parallel). */
void ct_workers_counts(const struct ct_workers *w, uint64_t *taken, uint64_t *l4);
/* Stops the threads and frees everything (ct_workers_finish() first if it has not run). */
void ct_workers_free(struct ct_workers *w);

#endif
