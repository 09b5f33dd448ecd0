// SPDX-License-Identifier: GPL-2.0
/*
 * The text report: plain ASCII, at most 72 columns, meant to be pasted
 * into an LKML reply. Colour only when asked (stdout is a tty).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "findings.h"
#include "report.h"
#include "rules.h"

#define COLS 72

/* Why an untrusted clock is: the warnings give the detail. */
static const char *clock_fault(const struct rc_report *r)
{
	return r->info->clock_note[0] ? "not trusted" : "does not order CPUs";
}

static void ts_str(uint64_t ts, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRIu64 ".%06" PRIu64, ts / UINT64_C(1000000000),
		 (ts % UINT64_C(1000000000)) / UINT64_C(1000));
}

/* One event on one or two lines: "<lead><ts> cpuN pid comm" then desc. */
static void print_event(FILE *out, const struct rc_report *r, const char *lead,
			const struct rc_event *ev)
{
	char ts[32], desc[96], sym[128], line[256];
	const char *comm = rc_report_comm(r, ev->pid);
	int n;

	ts_str(ev->ts, ts, sizeof(ts));
	rc_report_event_desc(ev, desc, sizeof(desc));
	n = snprintf(line, sizeof(line), "%s%s cpu%d %d/%.16s %s", lead, ts,
		     ev->cpu, ev->pid, comm, desc);
	if (rc_report_has_caller(ev)) {
		rc_report_sym(r, ev->caller, sym, sizeof(sym));
		if (n + 1 + (int)strlen(sym) <= COLS)
			fprintf(out, "%s %s\n", line, sym);
		else
			fprintf(out, "%s\n%*s  by %s\n", line, (int)strlen(lead), "", sym);
		return;
	}
	fprintf(out, "%s\n", line);
}

static void header(FILE *out, const struct rc_report *r)
{
	const struct rc_stats *st = rc_model_stats(r->model);
	const struct rc_trace_info *in = r->info;
	enum rc_design d = rc_model_design_seen(r->model);
	char w[8][120];
	unsigned int nw;

	fprintf(out, "kvm-rootcheck: %s\n", r->input);
	if (in)
		fprintf(out, "kernel %s, %d CPUs, clock %s, event ABI v%d\n",
			in->kernel[0] ? in->kernel : "unknown", in->ncpus,
			in->clock[0] ? in->clock : "unknown", in->abi);
	fprintf(out, "events: %" PRIu64 " root events", st->events - st->lost_reports);
	if (in)
		fprintf(out, " of %llu records", in->records_read);
	fprintf(out, ", %" PRIu64 " lost%s\n", st->lost_events,
		st->lost_reports > 0 && st->lost_events == 0 ? " (count unknown)" : "");
	fprintf(out, "design: %s (%s); VMs %" PRIu64 ", fast zaps %" PRIu64
		", teardowns %" PRIu64 "\n",
		r->design_opt == RC_DESIGN_AUTO ?
			rc_design_name(d == RC_DESIGN_AUTO ? RC_DESIGN_GIFTED : d) :
			rc_design_name(r->design_opt),
		r->design_opt == RC_DESIGN_AUTO ? "auto" : "forced",
		st->vms, st->fast_zaps, st->teardowns);
	fprintf(out, "roots: %" PRIu64 " lives: %" PRIu64 " alive, %" PRIu64
		" freed, %" PRIu64 " leaked, %" PRIu64 " unverified\n",
		st->roots, st->roots_alive, st->roots_freed, st->roots_leaked,
		st->roots_unverified);
	/* Two lines: each stays within 72 columns for any count. */
	fprintf(out, "gets: vcpu %" PRIu64 " iter %" PRIu64 " zap %" PRIu64
		" (%" PRIu64 " failed)\n",
		st->owner_gets[RC_OWN_VCPU], st->owner_gets[RC_OWN_ITER],
		st->owner_gets[RC_OWN_ZAP], st->failed_gets);
	fprintf(out, "puts: vcpu %" PRIu64 " iter %" PRIu64 " zap %" PRIu64 "\n",
		st->owner_puts[RC_OWN_VCPU], st->owner_puts[RC_OWN_ITER],
		st->owner_puts[RC_OWN_ZAP]);
	fprintf(out, "rules: %d checked (docs/invariants.md)\n", RC_R__COUNT);
	nw = rc_report_warnings(r, w, 8);
	for (unsigned int i = 0; i < nw; i++)
		fprintf(out, "warning: %s\n", w[i]);
}

static void finding(FILE *out, const struct rc_report *r,
		    const struct rc_finding *f)
{
	const struct rc_rule *rule = &rc_rules[f->rule];
	const char *on = r->color ? "\033[1;31m" : "", *off = r->color ? "\033[0m" : "";
	char doubt[64];

	fprintf(out, "\n%s%s%s root 0x%" PRIx64 " life %u vm %" PRIx64 "\n",
		on, rule->id, off, f->e.root, f->e.life, f->e.kvm);
	fprintf(out, "  %s\n", rule->summary);
	fprintf(out, "  %.68s\n", f->detail);
	if (f->clock_doubt && f->unordered)
		fprintf(out, "  in clock doubt: only time stamps order it after its cause (%s reverses them)\n",
			rc_report_doubt(f, doubt, sizeof(doubt)));
	else if (f->clock_doubt)
		fprintf(out, "  in clock doubt: not found with %s\n",
			rc_report_doubt(f, doubt, sizeof(doubt)));
	print_event(out, r, "  event ", &f->ev);
	if (f->has_cause)
		print_event(out, r, "  cause ", &f->cause);
	if (f->e.count >= 0)
		fprintf(out, "  held  count %" PRId64 ":", f->e.count);
	else
		fprintf(out, "  held  count unknown:");
	for (unsigned int o = 0; o < RC_OWN__COUNT; o++)
		fprintf(out, " %s=%u", rc_owner_name(o), f->e.owners[o]);
	fputc('\n', out);
	if (f->e.nevents > f->e.nhist)
		fprintf(out, "  history, oldest first (%u of %" PRIu64
			" events; all: --root 0x%" PRIx64 "):\n",
			f->e.nhist, f->e.nevents, f->e.root);
	else
		fprintf(out, "  history, oldest first:\n");
	for (unsigned int i = 0; i < f->e.nhist; i++)
		print_event(out, r, "    ", &f->e.hist[i]);
}

/* The verdict line head, then the command's failure on it if it fits. */
static void verdict_line(FILE *out, const struct rc_report *r, const char *head)
{
	char buf[64];
	const char *cmd = rc_report_cmd_desc(r, buf, sizeof(buf));

	if (!cmd)
		fprintf(out, "\nverdict: %s\n", head);
	else if (strlen("verdict: ") + strlen(head) + 2 + strlen(cmd) <= COLS)
		fprintf(out, "\nverdict: %s; %s\n", head, cmd);
	else
		fprintf(out, "\nverdict: %s\n  %s\n", head, cmd);
}

static void verdict(FILE *out, const struct rc_report *r)
{
	const struct rc_stats *st = rc_model_stats(r->model);
	const struct rc_findings *f = r->findings;
	enum rc_why why = rc_report_why(r);
	char rules[COLS + 1] = "", head[COLS + 1], cmd[64], sh[128];
	size_t off = 0;

	switch (why) {
	case RC_WHY_VIOLATIONS:
		for (int i = 0; i < RC_R__COUNT; i++) {
			if (!f->per_rule[i])
				continue;
			int n = snprintf(rules + off, sizeof(rules) - off, "%s%s",
					 off ? " " : "", rc_rules[i].id);
			if (n < 0 || off + n >= sizeof(rules))
				break;
			off += n;
		}
		snprintf(head, sizeof(head), "FAIL: %" PRIu64 " violation%s",
			 f->total, f->total == 1 ? "" : "s");
		verdict_line(out, r, head);
		fprintf(out, "  %s\n", rules);
		if (f->doubted > f->unordered)
			fprintf(out, "  (%" PRIu64 " more in clock doubt: not found with a"
				" CPU's clock %s)\n", f->doubted - f->unordered,
				rc_report_shift_verb(r));
		if (f->unordered)
			fprintf(out, "  (%" PRIu64 " more in clock doubt: only time stamps"
				" order them)\n", f->unordered);
		return;
	case RC_WHY_NONE:
		fprintf(out, "\nverdict: PASS: %" PRIu64 " root li%s in %" PRIu64
			" VM%s, %d rules, no violation\n", st->roots,
			st->roots == 1 ? "fe" : "ves", st->vms,
			st->vms == 1 ? "" : "s", RC_R__COUNT);
		return;
	case RC_WHY_NO_ROOT_EVENTS:
		verdict_line(out, r, "INCONCLUSIVE: no root events recorded");
		return;
	case RC_WHY_CLOCK_UNTRUSTED:
		if (!rc_report_clock_untrusted(r)) {
			fprintf(out, "\nverdict: INCONCLUSIVE: %" PRIu64 " possible violation%s\n",
				f->doubted, f->doubted == 1 ? "" : "s");
			if (f->doubted > f->unordered)
				fprintf(out, "  not found with a CPU's clock %s (%s)\n",
					rc_report_shift_verb(r), rc_report_shifts(r, sh, sizeof(sh)));
			if (f->unordered)
				fprintf(out, "  %" PRIu64 " ordered only by time stamps of two CPUs"
					" under 6 ms apart\n", f->unordered);
			return;
		}
		if (f->total)
			fprintf(out, "\nverdict: INCONCLUSIVE: %" PRIu64 " possible violation%s\n"
				"  clock '%s' %s; see the warnings\n",
				f->total, f->total == 1 ? "" : "s", r->info->clock,
				clock_fault(r));
		else
			fprintf(out, "\nverdict: INCONCLUSIVE: clock '%s' %s\n"
				"  no violation in %" PRIu64 " root li%s in %" PRIu64 " VM%s\n",
				r->info->clock, clock_fault(r), st->roots, st->roots == 1 ? "fe" : "ves",
				st->vms, st->vms == 1 ? "" : "s");
		return;
	case RC_WHY_COMMAND_FAILED:
		fprintf(out, "\nverdict: INCONCLUSIVE: %s\n  no violation in %" PRIu64
			" root li%s in %" PRIu64 " VM%s\n",
			rc_report_cmd_desc(r, cmd, sizeof(cmd)), st->roots,
			st->roots == 1 ? "fe" : "ves", st->vms, st->vms == 1 ? "" : "s");
		return;
	default:
		break;
	}
	if (f->total)
		snprintf(head, sizeof(head), "INCONCLUSIVE: %" PRIu64 " possible violation%s;"
			 " see the warnings", f->total, f->total == 1 ? "" : "s");
	else
		snprintf(head, sizeof(head), "INCONCLUSIVE: no violation, %" PRIu64
			 " root li%s unverified", st->roots_unverified,
			 st->roots_unverified == 1 ? "fe" : "ves");
	verdict_line(out, r, head);
}

void rc_report_text(FILE *out, const struct rc_report *r)
{
	const struct rc_findings *f = r->findings;
	uint64_t shown = 0;

	header(out, r);
	if (!r->summary_only) {
		for (size_t i = 0; i < f->n; i++) {
			if (f->v[i].retracted)
				continue;
			finding(out, r, &f->v[i]);
			shown++;
		}
		if (f->total > shown)
			fprintf(out, "\n(%" PRIu64 " more violations not shown)\n",
				f->total - shown);
		if (f->suppressed)
			fprintf(out, "\n(%" PRIu64 " later anomal%s on already violated"
				" roots not reported)\n", f->suppressed,
				f->suppressed == 1 ? "y" : "ies");
		if (f->unjudged)
			fprintf(out, "\n(%" PRIu64 " anomal%s on unverified roots not"
				" judged: lost events can explain %s)\n", f->unjudged,
				f->unjudged == 1 ? "y" : "ies",
				f->unjudged == 1 ? "it" : "them");
	}
	verdict(out, r);
}

void rc_report_timeline(FILE *out, const struct rc_report *r)
{
	size_t n;
	const struct rc_event *t = rc_model_timeline(r->model, &n);

	fprintf(out, "timeline of root 0x%" PRIx64 " (%zu events)\n", r->root, n);
	for (size_t i = 0; i < n; i++) {
		if (!i || t[i].kvm != t[i - 1].kvm)
			fprintf(out, "vm %" PRIx64 ":\n", t[i].kvm);
		if (t[i].type == RC_EV_ROOT_ALLOC && i)
			fprintf(out, "  -- new life --\n");
		print_event(out, r, "  ", &t[i]);
	}
}

void rc_report_line(FILE *out, const struct rc_report *r)
{
	const struct rc_stats *st = rc_model_stats(r->model);
	const struct rc_findings *f = r->findings;
	enum rc_why why = rc_report_why(r);
	enum rc_exit e = rc_report_exit(r);
	char buf[64];
	const char *cmd = rc_report_cmd_desc(r, buf, sizeof(buf));

	if (e == RC_EXIT_VIOLATIONS) {
		fprintf(out, "%-12s %d  %s  %" PRIu64 " violation%s:", "FAIL", (int)e,
			r->input, f->total, f->total == 1 ? "" : "s");
		for (int i = 0; i < RC_R__COUNT; i++)
			if (f->per_rule[i])
				fprintf(out, " %s", rc_rules[i].id);
	} else if (why == RC_WHY_NO_ROOT_EVENTS) {
		fprintf(out, "%-12s %d  %s  no root events recorded", "INCONCLUSIVE",
			(int)e, r->input);
	} else if (why == RC_WHY_CLOCK_UNTRUSTED && !rc_report_clock_untrusted(r)) {
		fprintf(out, "%-12s %d  %s  %" PRIu64 " possible violations in clock doubt",
			"INCONCLUSIVE", (int)e, r->input, f->doubted);
	} else if (why == RC_WHY_CLOCK_UNTRUSTED) {
		fprintf(out, "%-12s %d  %s  clock '%s' %s",
			"INCONCLUSIVE", (int)e, r->input, r->info->clock, clock_fault(r));
	} else if (why == RC_WHY_COMMAND_FAILED) {
		fprintf(out, "%-12s %d  %s  %s", "INCONCLUSIVE", (int)e, r->input, cmd);
		cmd = NULL;
	} else if (e == RC_EXIT_INCONCLUSIVE) {
		fprintf(out, "%-12s %d  %s  %" PRIu64 " root li%s unverified",
			"INCONCLUSIVE", (int)e, r->input, st->roots_unverified,
			st->roots_unverified == 1 ? "fe" : "ves");
	} else {
		fprintf(out, "%-12s %d  %s  %" PRIu64 " root li%s in %" PRIu64 " VM%s",
			"PASS", (int)e, r->input, st->roots,
			st->roots == 1 ? "fe" : "ves", st->vms, st->vms == 1 ? "" : "s");
	}
	if (cmd)
		fprintf(out, "; %s", cmd);
	fputc('\n', out);
}
