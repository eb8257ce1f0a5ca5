/* agents.h - the state timeline of each agent device (ECMA-269 logical device: agent states),
 * from the CSTA agent events and from the calls answered at the device.
 *
 * States: logged_off, ready, not_ready, work_after_call, busy. The CSTA agent events
 * (ECMA-269 clause 17.2, ECMA-323 AgentLoggedOnEvent ... AgentBusyEvent) set them:
 * agent_logged_on -> not_ready (ECMA-269's state of an agent that logged on and said nothing
 * else yet), agent_logged_off -> logged_off, agent_ready -> ready, agent_not_ready -> not_ready
 * (with its reason code), agent_working_after_call -> work_after_call, agent_busy -> busy.
 * SetAgentState requests and their results are not used: the PBX reports the state it applied
 * as an agent event on a monitored device, and a result may only announce a pending state (to
 * apply after the current call).
 *
 * Calls: ct_agents_call(device, true) when a call is answered at the device makes it busy;
 * ct_agents_call(device, false) when that call is released puts back the state it had before
 * the call, unless CTI said otherwise meanwhile (any agent event other than agent_busy ends the
 * call's hold on the state: its release then changes nothing). Several calls at once (a
 * consultation) count: the state goes back when the last one is released. Only devices known
 * from an agent event are tracked: a call at another device (a trunk, a phone without an agent)
 * changes nothing.
 *
 * Every change writes an `event` record (src "csta", name "agent_state": device, agent_id,
 * state, previous, previous_ms, reason, trigger). A state equal to the current one is not a
 * change, except not_ready with another non-empty reason code. The time spent in each state
 * is accumulated on packet time; ct_agents_summary() hands it to the stats records.
 *
 * Bounded: at most max_agents devices; a new device past the cap evicts the least recently
 * changed one (its timeline is forgotten) and counts agents_evicted. Memory: one allocation per
 * new agent device; nothing per packet or per event. Single-threaded, like the pipeline.
 */
#ifndef CT_AGENTS_H
#define CT_AGENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "../decoders/csta.h"
#include "../util/counters.h"
#include "../util/hash.h"
#include "report.h"

struct ct_agents;

/* max_agents 0 is taken as 1. key seeds the device hash (device ids come off the wire); it is
 * copied. ctr and rep are borrowed and must outlive the table (rep's agent_state hook gets the
 * changes, its audit hook the evictions). Returns CT_OK or CT_ENOMEM. */
int ct_agents_new(struct ct_agents **out, uint32_t max_agents, const struct ct_hashkey *key,
		  struct ct_counters *ctr, const struct ct_report *rep);
void ct_agents_free(struct ct_agents *a);

/* One CSTA message as cstalink.c normalised it; `monitored` (may be NULL) is the device its
 * monitor cross-reference names. Only agent events act: the device is the agentDevice
 * (m->subject), else the monitored device. */
void ct_agents_csta(struct ct_agents *a, const struct ct_csta_msg *m, const char *monitored, ct_time_t ts);

/* The call correlator's hook: a call was answered at `device` (on_call true) or a call
 * answered there was released (on_call false). Call it once per answer and once per release
 * of the same party; an unknown device is ignored. */
void ct_agents_call(struct ct_agents *a, const char *device, bool on_call, ct_time_t ts);

/* The current state of `device` into *st; false when no agent event named it (or it was
 * evicted). */
bool ct_agents_state(const struct ct_agents *a, const char *device, enum ct_agent_state *st);
/* The agentID CTI reported at the device, NULL when none. */
const char *ct_agents_id(const struct ct_agents *a, const char *device);

/* Time spent in each state by `device` up to packet time now, in µs, indexed by enum
 * ct_agent_state. Returns false (us untouched) for an unknown device. */
bool ct_agents_time_us(const struct ct_agents *a, const char *device, ct_time_t now,
		       uint64_t us[CT_AGENT_NSTATES]);

/* Every agent device, in device order, with its time per state up to now (for the stats
 * record). *out points into storage of the table, valid until its next change; returns how
 * many (0 when a is NULL). Sorts in storage allocated as devices were added: allocates
 * nothing. */
unsigned ct_agents_summary(struct ct_agents *a, ct_time_t now, const struct ct_agent_summary **out);

/* Agent devices tracked now. */
uint32_t ct_agents_count(const struct ct_agents *a);

#endif
