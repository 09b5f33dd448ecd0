// SPDX-License-Identifier: GPL-2.0
/* What the text and JSON reports share: verdict, event wording, warnings. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "findings.h"
#include "report.h"

/* Roots were freed but not one put is in the trace: puts were not recorded. */
static bool puts_not_recorded(const struct rc_stats *st)
{
	uint64_t puts = 0;

	for (int o = 0; o < RC_OWN__COUNT; o++)
		puts += st->owner_puts[o];
	return st->roots_freed && !puts;
}

bool rc_report_clock_untrusted(const struct rc_report *r)
{
	return r->info && r->info->clock[0] && !r->info->clock_reliable &&
	       rc_model_stats(r->model)->root_cpus > 1;
}

enum rc_why rc_report_why(const struct rc_report *r)
{
	const struct rc_stats *st = rc_model_stats(r->model);

	/* records missing without a mark, position unknown: no verdict */
	if (r->info && r->info->cpus_incomplete)
		return RC_WHY_TRACE_INCOMPLETE;
	/* nothing to check (and so no violation), whatever else is missing */
	if (!st->root_events)
		return RC_WHY_NO_ROOT_EVENTS;
	/* root events the rules need not recorded, or no put: no verdict */
	if (r->info && rc_trace_complete_events(r->info) < 0)
		return RC_WHY_EVENTS_NOT_RECORDED;
	if (puts_not_recorded(st))
		return RC_WHY_PUTS_NOT_RECORDED;
	/*
	 * A clock that does not order CPUs (trace-cmd's "local"): every
	 * verdict that compares events of two CPUs rests on it, so none is
	 * given (a trace of one CPU is in program order and keeps its verdict)
	 */
	if (rc_report_clock_untrusted(r))
		return RC_WHY_CLOCK_UNTRUSTED;
	/* every violation found rests on an order the timestamps do not settle */
	if (!r->findings->total && r->findings->doubted)
		return RC_WHY_CLOCK_UNTRUSTED;
	if (r->findings->total)
		return RC_WHY_VIOLATIONS;
	if (st->lost_reports || st->roots_unverified)
		return RC_WHY_LOST_EVENTS;
	if (st->values_outside)
		return RC_WHY_VALUES_OUTSIDE_ABI;
	if (st->over_cap)
		return RC_WHY_CAP_REACHED;
	if (rc_report_cmd_failed(r))
		return RC_WHY_COMMAND_FAILED;
	return RC_WHY_NONE;
}

enum rc_exit rc_report_exit(const struct rc_report *r)
{
	switch (rc_report_why(r)) {
	case RC_WHY_NONE: return RC_EXIT_CLEAN;
	case RC_WHY_VIOLATIONS: return RC_EXIT_VIOLATIONS;
	default: return RC_EXIT_INCONCLUSIVE;
	}
}

const char *rc_report_why_name(enum rc_why w)
{
	switch (w) {
	case RC_WHY_TRACE_INCOMPLETE: return "trace_incomplete";
	case RC_WHY_EVENTS_NOT_RECORDED: return "events_not_recorded";
	case RC_WHY_PUTS_NOT_RECORDED: return "puts_not_recorded";
	case RC_WHY_CLOCK_UNTRUSTED: return "clock_untrusted";
	case RC_WHY_NO_ROOT_EVENTS: return "no_root_events";
	case RC_WHY_LOST_EVENTS: return "lost_events";
	case RC_WHY_VALUES_OUTSIDE_ABI: return "values_outside_abi";
	case RC_WHY_CAP_REACHED: return "cap_reached";
	case RC_WHY_COMMAND_FAILED: return "command_failed";
	default: return NULL;
	}
}

bool rc_report_cmd_failed(const struct rc_report *r)
{
	return r->cmd.ran && (r->cmd.signal || r->cmd.exit_code);
}

const char *rc_report_signal_name(int sig, char *buf, size_t len)
{
	static const char *const names[] = {
		[SIGHUP] = "SIGHUP", [SIGINT] = "SIGINT", [SIGQUIT] = "SIGQUIT",
		[SIGILL] = "SIGILL", [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT",
		[SIGBUS] = "SIGBUS", [SIGFPE] = "SIGFPE", [SIGKILL] = "SIGKILL",
		[SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
		[SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM",
		[SIGXCPU] = "SIGXCPU", [SIGXFSZ] = "SIGXFSZ", [SIGSYS] = "SIGSYS",
	};

	if (sig > 0 && (size_t)sig < sizeof(names) / sizeof(names[0]) && names[sig])
		snprintf(buf, len, "%s", names[sig]);
	else
		snprintf(buf, len, "signal %d", sig);
	return buf;
}

const char *rc_report_cmd_desc(const struct rc_report *r, char *buf, size_t len)
{
	char sig[32];

	if (!rc_report_cmd_failed(r))
		return NULL;
	if (r->cmd.signal)
		snprintf(buf, len, "command killed by %s",
			 rc_report_signal_name(r->cmd.signal, sig, sizeof(sig)));
	else
		snprintf(buf, len, "command exited %d", r->cmd.exit_code);
	return buf;
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
	const struct rc_event_desc *d;
	size_t off;
	int n;

	if (ev->type == RC_EV_LOST) {
		if (ev->lost < 0)
			snprintf(buf, len, "lost events (count unknown)");
		else
			snprintf(buf, len, "lost %" PRId64 " events", ev->lost);
		return buf;
	}
	n = snprintf(buf, len, "%s", rc_ev_name(ev->type));
	if ((unsigned int)ev->type >= RC_EV__COUNT)
		return buf;
	d = &rc_events[ev->type];
	for (unsigned int k = 0; k < d->nfields; k++) {
		const struct rc_field_desc *f = &rc_fields[d->fields[k]];
		uint64_t v = rc_event_get(ev, d->fields[k]);

		off = n < 0 ? len : (size_t)n;
		if (!f->text || off >= len || (ev->absent & (1u << d->fields[k])))
			continue;
		if (f->kind == RC_FK_ENUM)
			n += snprintf(buf + off, len - off, " %s=%s", f->name,
				      f->enum_name((unsigned int)v));
		else if (f->kind == RC_FK_INT)
			n += snprintf(buf + off, len - off, " %s=%" PRId64, f->name, (int64_t)v);
		else
			n += snprintf(buf + off, len - off, " %s=%" PRIu64, f->name, v);
	}
	off = n < 0 ? len : (size_t)n;
	if (ev->type == RC_EV_ROOT_GET && !ev->old && off < len)
		snprintf(buf + off, len - off, " (failed)");
	return buf;
}

bool rc_report_has_caller(const struct rc_event *ev)
{
	const struct rc_event_desc *d;

	if ((unsigned int)ev->type >= RC_EV__COUNT)
		return false;
	d = &rc_events[ev->type];
	for (unsigned int k = 0; k < d->nfields; k++)
		if (rc_fields[d->fields[k]].kind == RC_FK_SYM)
			return true;
	return false;
}

unsigned int rc_report_warnings(const struct rc_report *r, char w[][120],
				unsigned int max)
{
	const struct rc_stats *st = rc_model_stats(r->model);
	const struct rc_trace_info *in = r->info;
	unsigned int n = 0;

#define WARN(...) do { if (n < max) snprintf(w[n++], 120, __VA_ARGS__); } while (0)
	if (in && in->clock[0] && !in->clock_reliable && in->clock_note[0])
		WARN("clock not trusted: %.90s", in->clock_note);
	else if (in && in->clock[0] && !in->clock_reliable)
		WARN("clock '%s' does not order CPUs; record with -C global",
		     in->clock);
	if (r->clock_skipped)
		WARN("clock check not run: %.95s", r->clock_skipped);
	if (in && in->cpus_incomplete)
	{
		WARN("trace not read in full: %d CPUs, no verdict",
		     in->cpus_incomplete);
		WARN("%llu of %llu pages unread, %llu damaged",
		     in->pages_unread, in->pages_expected, in->pages_damaged);
		if (in->records_missing)
			WARN(">= %llu records missing without a lost mark",
			     in->records_missing);
		WARN("%.100s", in->incomplete_detail);
	}
	if (st->over_cap)
		WARN("cap reached (VMs, root lives or reference ledger; man page, LIMITS): %" PRIu64
		     " events not tracked", st->over_cap);
	if (st->values_outside)
		WARN("%" PRIu64 " events with values outside docs/events.md (%.40s)",
		     st->values_outside, in && in->value_detail[0] ? in->value_detail : "-");
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
	if (in && in->missing_names[0])
		WARN("not recorded, no verdict: %.60s", in->missing_names);
	if (puts_not_recorded(st))
		WARN("roots freed but no put in the trace: no verdict");
	if (!st->events)
		WARN("no kvmmmu root events recorded (was -e kvmmmu given?)");
	else if (!st->root_events && st->events > st->lost_reports)
		WARN("no root event, only %" PRIu64 " VM-level event%s (fast zap,"
		     " teardown)", st->events - st->lost_reports,
		     st->events - st->lost_reports == 1 ? "" : "s");
	else if (!st->root_events)
		WARN("no root event, only lost-event marks");
#undef WARN
	return n;
}

const char *rc_report_shift_verb(const struct rc_report *r)
{
	for (int i = 0; i < r->nshift; i++)
		if (r->shift[i].ns < 0)
			return "set back or forward";
	return "set back";
}

/* "301 us" or "2.4 ms" (rounded up to the microsecond, down to 0.1 ms). */
static int fmt_ns(char *buf, size_t len, uint64_t ns)
{
	if (ns < 1000000)
		return snprintf(buf, len, "%" PRIu64 " us", (ns + 999) / 1000);
	return snprintf(buf, len, "%" PRIu64 ".%" PRIu64 " ms", ns / 1000000,
			ns / 100000 % 10);
}

const char *rc_report_doubt(const struct rc_finding *f, char *buf, size_t len)
{
	uint64_t a = f->doubt_ns < 0 ? (uint64_t)-f->doubt_ns : (uint64_t)f->doubt_ns;
	int w = snprintf(buf, len, "cpu%d's clock set %s ", f->doubt_cpu,
			 f->doubt_ns < 0 ? "forward" : "back");

	if (w > 0 && (size_t)w < len)
		fmt_ns(buf + w, len - (size_t)w, a);
	return buf;
}

const char *rc_report_shifts(const struct rc_report *r, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	/* per CPU and direction, the most it tried */
	for (int i = 0; i < r->nshift && off < len; i++) {
		bool fwd = r->shift[i].ns < 0;
		uint64_t most = 0;
		int w, j;

		for (j = 0; j < i && (r->shift[j].cpu != r->shift[i].cpu ||
				      (r->shift[j].ns < 0) != fwd); j++)
			;
		if (j < i)
			continue;	/* that CPU is already named */
		for (j = i; j < r->nshift; j++) {
			int64_t ns = r->shift[j].ns;
			uint64_t a = ns < 0 ? (uint64_t)-ns : (uint64_t)ns;

			if (r->shift[j].cpu == r->shift[i].cpu && (ns < 0) == fwd && a > most)
				most = a;
		}
		w = snprintf(buf + off, len - off, "%scpu%d ", off ? ", " : "",
			     r->shift[i].cpu);
		if (w < 0 || (size_t)w >= len - off)
			break;
		off += (size_t)w;
		w = fmt_ns(buf + off, len - off, most);
		if (w < 0 || (size_t)w >= len - off)
			break;
		off += (size_t)w;
		w = snprintf(buf + off, len - off, "%s", fwd ? " forward" : "");
		if (w < 0)
			break;
		off += (size_t)w;
	}
	return buf;
}
