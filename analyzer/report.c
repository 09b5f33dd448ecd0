// SPDX-License-Identifier: GPL-2.0
/* What the text and JSON reports share: verdict, event wording, warnings. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "findings.h"
#include "report.h"

enum rc_exit rc_report_exit(const struct rc_report *r)
{
	const struct rc_stats *st = rc_model_stats(r->model);
	const struct rc_findings *f = rc_model_findings(r->model);

	if (f->total)
		return RC_EXIT_VIOLATIONS;
	if (st->lost_reports || st->roots_unverified)
		return RC_EXIT_INCONCLUSIVE;
	return RC_EXIT_CLEAN;
}

const char *rc_report_verdict_word(enum rc_exit e)
{
	switch (e) {
	case RC_EXIT_CLEAN: return "clean";
	case RC_EXIT_VIOLATIONS: return "violations";
	case RC_EXIT_INCONCLUSIVE: return "inconclusive";
	default: return "error";
	}
}

const char *rc_report_sym(const struct rc_report *r, uint64_t addr,
			  char *buf, size_t len)
{
	if (!addr) {
		snprintf(buf, len, "-");
		return buf;
	}
	if (r->src)
		return rc_source_sym(r->src, addr, buf, len);
	snprintf(buf, len, "0x%" PRIx64, addr);
	return buf;
}

const char *rc_report_comm(const struct rc_report *r, int pid)
{
	return r->src ? rc_source_comm(r->src, pid) : "<...>";
}

const char *rc_report_event_desc(const struct rc_event *ev, char *buf, size_t len)
{
	switch (ev->type) {
	case RC_EV_ROOT_ALLOC:
		snprintf(buf, len, "alloc count=%u as_id=%u level=%u",
			 ev->count, ev->as_id, ev->level);
		break;
	case RC_EV_ROOT_GET:
	case RC_EV_ROOT_PUT:
		snprintf(buf, len, "%s owner=%s old=%u%s", rc_ev_name(ev->type),
			 rc_owner_name(ev->owner), ev->old,
			 ev->type == RC_EV_ROOT_GET && !ev->old ? " (failed)" : "");
		break;
	case RC_EV_ROOT_INVALIDATE:
		snprintf(buf, len, "invalidate reason=%s count=%u",
			 rc_reason_name(ev->reason), ev->count);
		break;
	case RC_EV_ROOT_ZAP_START:
		snprintf(buf, len, "zap_start ctx=%s shared=%u",
			 rc_ctx_name(ev->ctx), ev->shared);
		break;
	case RC_EV_ROOT_ZAP_END:
		snprintf(buf, len, "zap_end ctx=%s", rc_ctx_name(ev->ctx));
		break;
	case RC_EV_LOST:
		if (ev->lost < 0)
			snprintf(buf, len, "lost events (count unknown)");
		else
			snprintf(buf, len, "lost %" PRId64 " events", ev->lost);
		break;
	default:
		snprintf(buf, len, "%s", rc_ev_name(ev->type));
		break;
	}
	return buf;
}

unsigned int rc_report_warnings(const struct rc_report *r, char w[][120],
				unsigned int max)
{
	const struct rc_stats *st = rc_model_stats(r->model);
	const struct rc_trace_info *in = r->info;
	unsigned int n = 0;

#define WARN(...) do { if (n < max) snprintf(w[n++], 120, __VA_ARGS__); } while (0)
	if (in && in->clock[0] && !in->clock_reliable)
		WARN("clock '%s' does not order CPUs; record with -C global",
		     in->clock);
	if (st->lost_reports)
		WARN("%" PRIu64 " lost-event reports (%" PRIu64 " events known lost)",
		     st->lost_reports, st->lost_events);
	if (st->roots_unverified)
		WARN("%" PRIu64 " root lives unverified (lost events or reuse)",
		     st->roots_unverified);
	if (st->roots_adopted)
		WARN("%" PRIu64 " roots seen mid-life (trace began after alloc)",
		     st->roots_adopted);
	if (st->roots_reallocated)
		WARN("%" PRIu64 " root addresses reused without a free event",
		     st->roots_reallocated);
	if (in && in->missing_events)
		WARN("%d kvmmmu root events missing from the trace's formats",
		     in->missing_events);
	if (!st->events)
		WARN("no kvmmmu root events recorded (was -e kvmmmu given?)");
#undef WARN
	return n;
}
