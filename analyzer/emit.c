// SPDX-License-Identifier: GPL-2.0
/*
 * The emitter (source-local.h): numbers decoded events in stream order,
 * turns missed-events marks and unmarked ring-buffer drops into
 * RC_EV_LOST events, and keeps the counters of struct rc_trace_info.
 */
#include <string.h>

#include "abi.h"
#include "source-local.h"

static int deliver(struct rc_emitter *em, struct rc_event *ev)
{
	ev->seq = em->seq++;
	if (em->sink(ev, em->arg))
		em->stopped = 1;
	return em->stopped;
}

int rc_emit_lost(struct rc_emitter *em, int cpu, uint64_t ts, long long n)
{
	struct rc_event ev;

	if (em->stopped)
		return 1;
	memset(&ev, 0, sizeof(ev));
	ev.type = RC_EV_LOST;
	ev.ts = ts;
	ev.cpu = cpu;
	ev.pid = -1;
	if (n > 0) {
		ev.lost = n;
		em->info->lost_events += (unsigned long long)n;
	} else {
		ev.lost = -1;
		em->info->lost_unknown = 1;
	}
	return deliver(em, &ev);
}

int rc_emitter_missed_seen(const struct rc_emitter *em, int cpu)
{
	if (cpu < 0 || cpu >= RC_MAX_CPUS)
		return 0;
	return !!(em->missed_seen[cpu / 64] & (1ull << (cpu % 64)));
}

int rc_emit_record(struct rc_emitter *em, struct tep_record *rec)
{
	struct rc_event ev;
	int r;

	if (em->stopped)
		return 1;
	em->info->records_read++;
	em->last_ts = rec->ts;
	if (rec->missed_events) {
		if (rec->cpu >= 0 && rec->cpu < RC_MAX_CPUS)
			em->missed_seen[rec->cpu / 64] |= 1ull << (rec->cpu % 64);
		if (rc_emit_lost(em, rec->cpu, rec->ts, rec->missed_events))
			return 1;
	}
	r = rc_decode(em->dec, rec, &ev);
	if (r == 0)
		return 0;
	if (r < 0)
		return rc_emit_lost(em, rec->cpu, rec->ts, -1);
	em->info->events_read++;
	if (rc_abi_outside(&ev)) {
		ev.outside_abi = 1;
		if (!em->info->values_outside++)
			rc_abi_describe(&ev, em->info->value_detail,
					sizeof(em->info->value_detail));
	}
	return deliver(em, &ev);
}

int rc_emit_unmarked_drops(struct rc_emitter *em, const struct rc_cpu_drops *drops, int n)
{
	for (int cpu = 0; cpu < n; cpu++) {
		const struct rc_cpu_drops *d = &drops[cpu];

		if (d->commit_overrun || d->dropped ||
		    (d->overrun && !rc_emitter_missed_seen(em, cpu)))
			if (rc_emit_lost(em, cpu, em->last_ts, -1))
				return 1;
	}
	return 0;
}
