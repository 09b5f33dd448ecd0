// SPDX-License-Identifier: GPL-2.0
/* The JSON report: the text report's content for machines (docs/json.md). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "findings.h"
#include "report.h"
#include "rules.h"

#define RC_JSON_SCHEMA 1

static void jstr(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void jhex(FILE *out, uint64_t v)
{
	fprintf(out, "\"0x%" PRIx64 "\"", v);
}

static void jevent(FILE *out, const struct rc_report *r, const struct rc_event *ev)
{
	const struct rc_event_desc *d;
	char sym[128];

	fprintf(out, "{\"seq\":%" PRIu64 ",\"ts\":%" PRIu64 ",\"cpu\":%d,"
		"\"pid\":%d,\"comm\":", ev->seq, ev->ts, ev->cpu, ev->pid);
	jstr(out, rc_report_comm(r, ev->pid));
	fprintf(out, ",\"type\":\"%s\"", rc_ev_name(ev->type));
	d = (unsigned int)ev->type < RC_EV__COUNT ? &rc_events[ev->type] : NULL;
	for (unsigned int k = 0; d && k < d->nfields; k++) {
		const struct rc_field_desc *f = &rc_fields[d->fields[k]];
		uint64_t v = rc_event_get(ev, d->fields[k]);

		if (ev->absent & (1u << d->fields[k]))
			continue;	/* not in this ABI version's record */
		fprintf(out, ",\"%s\":", f->name);
		switch (f->kind) {
		case RC_FK_HEX:
			jhex(out, v);
			break;
		case RC_FK_UINT:
			fprintf(out, "%" PRIu64, v);
			break;
		case RC_FK_ENUM:
			jstr(out, f->enum_name((unsigned int)v));
			break;
		case RC_FK_SYM:
			jhex(out, v);
			fprintf(out, ",\"%s_sym\":", f->name);
			jstr(out, rc_report_sym(r, v, sym, sizeof(sym)));
			break;
		case RC_FK_INT:
			fprintf(out, "%" PRId64, (int64_t)v);
			break;
		}
	}
	fputc('}', out);
}

static void jfinding(FILE *out, const struct rc_report *r,
		     const struct rc_finding *f)
{
	const struct rc_rule *rule = &rc_rules[f->rule];

	fprintf(out, "{\"rule\":\"%s\",\"family\":\"%s\",\"summary\":",
		rule->id, rule->family);
	jstr(out, rule->summary);
	fprintf(out, ",\"detail\":");
	jstr(out, f->detail);
	fprintf(out, ",\"clock_doubt\":%s", f->clock_doubt ? "true" : "false");
	if (f->clock_doubt)
		fprintf(out, ",\"doubt_shift\":{\"cpu\":%d,\"shift_ns\":%" PRId64 "}"
			",\"doubt_why\":\"%s\"",
			f->doubt_cpu, f->doubt_ns, f->unordered ? "unordered" : "pass");
	else
		fprintf(out, ",\"doubt_shift\":null,\"doubt_why\":null");
	fprintf(out, ",\"kvm\":");
	jhex(out, f->e.kvm);
	fprintf(out, ",\"root\":");
	jhex(out, f->e.root);
	fprintf(out, ",\"life\":%u,\"event\":", f->e.life);
	jevent(out, r, &f->ev);
	fprintf(out, ",\"cause\":");
	if (f->has_cause)
		jevent(out, r, &f->cause);
	else
		fprintf(out, "null");
	if (f->e.count >= 0)
		fprintf(out, ",\"count\":%" PRId64, f->e.count);
	else
		fprintf(out, ",\"count\":null");
	fprintf(out, ",\"owners\":{");
	for (unsigned int o = 0; o < RC_OWN__COUNT; o++)
		fprintf(out, "%s\"%s\":%u", o ? "," : "", rc_owner_name(o), f->e.owners[o]);
	fprintf(out, "},\"events\":%" PRIu64 ",\"history\":[", f->e.nevents);
	for (unsigned int i = 0; i < f->e.nhist; i++) {
		if (i)
			fputc(',', out);
		jevent(out, r, &f->e.hist[i]);
	}
	fprintf(out, "]}");
}

/* live: {"name", "exit" (null if killed), "signal" (null if it exited)}. */
static void jcommand(FILE *out, const struct rc_cmd *c)
{
	char sig[32];

	if (!c->ran) {
		fprintf(out, "null");
		return;
	}
	fprintf(out, "{\"name\":");
	jstr(out, c->name ? c->name : "");
	if (c->signal) {
		fprintf(out, ",\"exit\":null,\"signal\":");
		jstr(out, rc_report_signal_name(c->signal, sig, sizeof(sig)));
	} else {
		fprintf(out, ",\"exit\":%d,\"signal\":null", c->exit_code);
	}
	fputc('}', out);
}

void rc_report_json(FILE *out, const struct rc_report *r)
{
	const struct rc_stats *st = rc_model_stats(r->model);
	const struct rc_findings *f = r->findings;
	const struct rc_trace_info *in = r->info;
	enum rc_design d = rc_model_design_seen(r->model);
	enum rc_exit e = rc_report_exit(r);
	char w[8][120];
	unsigned int nw = rc_report_warnings(r, w, 8);
	bool first = true;
	uint64_t stored = 0;
	const char *why;

	fprintf(out, "{\"tool\":\"kvm-rootcheck\",\"schema\":%d,\"input\":",
		RC_JSON_SCHEMA);
	jstr(out, r->input);
	fprintf(out, ",\n\"trace\":{\"kernel\":");
	jstr(out, in ? in->kernel : "");
	fprintf(out, ",\"cpus\":%d,\"clock\":", in ? in->ncpus : 0);
	jstr(out, in ? in->clock : "");
	fprintf(out, ",\"clock_reliable\":%s,\"clock_note\":",
		in && in->clock_reliable ? "true" : "false");
	if (in && in->clock_note[0])
		jstr(out, in->clock_note);
	else
		fputs("null", out);
	fprintf(out, ",\"abi\":%d,\"records\":%llu},\n",
		in ? in->abi : 0, in ? in->records_read : 0ull);
	fprintf(out, "\"events\":{\"root_events\":%" PRIu64 ",\"root_lifecycle\":%"
		PRIu64 ",\"lost\":%" PRIu64 ",\"lost_reports\":%" PRIu64 "},\n",
		st->events - st->lost_reports, st->root_events, st->lost_events,
		st->lost_reports);
	fprintf(out, "\"design\":{\"requested\":\"%s\",\"detected\":\"%s\"},\n",
		rc_design_name(r->design_opt),
		d == RC_DESIGN_AUTO ? "none" : rc_design_name(d));
	fprintf(out, "\"vms\":%" PRIu64 ",\"fast_zaps\":%" PRIu64
		",\"teardowns\":%" PRIu64 ",\n", st->vms, st->fast_zaps, st->teardowns);
	fprintf(out, "\"roots\":{\"lives\":%" PRIu64 ",\"alive\":%" PRIu64
		",\"freed\":%" PRIu64 ",\"leaked\":%" PRIu64 ",\"unverified\":%" PRIu64
		",\"adopted\":%" PRIu64 ",\"reallocated\":%" PRIu64 "},\n",
		st->roots, st->roots_alive, st->roots_freed, st->roots_leaked,
		st->roots_unverified, st->roots_adopted, st->roots_reallocated);
	fprintf(out, "\"references\":{\"gets\":{");
	for (unsigned int o = 0; o < RC_OWN__COUNT; o++)
		fprintf(out, "%s\"%s\":%" PRIu64, o ? "," : "", rc_owner_name(o),
			st->owner_gets[o]);
	fprintf(out, "},\"puts\":{");
	for (unsigned int o = 0; o < RC_OWN__COUNT; o++)
		fprintf(out, "%s\"%s\":%" PRIu64, o ? "," : "", rc_owner_name(o),
			st->owner_puts[o]);
	fprintf(out, "},\"failed_gets\":%" PRIu64 ",\"reordered\":%" PRIu64
		",\"max_inversion_ns\":%" PRIu64 "},\n",
		st->failed_gets, st->reordered, st->max_inversion_ns);
	fprintf(out, "\"rules\":[");
	for (int i = 0; i < RC_R__COUNT; i++) {
		fprintf(out, "%s\n {\"id\":\"%s\",\"family\":\"%s\",\"summary\":",
			i ? "," : "", rc_rules[i].id, rc_rules[i].family);
		jstr(out, rc_rules[i].summary);
		fprintf(out, ",\"violations\":%" PRIu64 "}", f->per_rule[i]);
	}
	fprintf(out, "],\n\"violations\":[");
	for (size_t i = 0; i < f->n; i++) {
		if (f->v[i].retracted)
			continue;
		fprintf(out, "%s\n ", first ? "" : ",");
		jfinding(out, r, &f->v[i]);
		first = false;
		stored++;
	}
	fprintf(out, "],\n\"violations_total\":%" PRIu64 ",\"violations_not_shown\":%"
		PRIu64 ",\"suppressed\":%" PRIu64 ",\"unjudged\":%" PRIu64
		",\"retracted\":%" PRIu64 ",\"clock_doubted\":%" PRIu64 ",\n",
		f->total, f->total + f->doubted - stored, f->suppressed, f->unjudged,
		f->retracted, f->doubted);
	fprintf(out, "\"clock_check\":[");
	for (int i = 0; i < r->nshift; i++)
		fprintf(out, "%s{\"cpu\":%d,\"shift_ns\":%" PRId64 "}", i ? "," : "",
			r->shift[i].cpu, r->shift[i].ns);
	fprintf(out, "],\"clock_check_skipped\":");
	if (r->clock_skipped)
		jstr(out, r->clock_skipped);
	else
		fputs("null", out);
	fprintf(out, ",\n");
	if (r->have_root) {
		size_t n;
		const struct rc_event *t = rc_model_timeline(r->model, &n);

		fprintf(out, "\"timeline\":{\"root\":");
		jhex(out, r->root);
		fprintf(out, ",\"events\":[");
		for (size_t i = 0; i < n; i++) {
			fprintf(out, "%s\n ", i ? "," : "");
			jevent(out, r, &t[i]);
		}
		fprintf(out, "]},\n");
	}
	fprintf(out, "\"warnings\":[");
	for (unsigned int i = 0; i < nw; i++) {
		if (i)
			fputc(',', out);
		jstr(out, w[i]);
	}
	fprintf(out, "],\n\"command\":");
	jcommand(out, &r->cmd);
	fprintf(out, ",\"verdict\":\"%s\",\"reason\":", rc_report_verdict_word(e));
	why = rc_report_why_name(rc_report_why(r));
	if (why)
		jstr(out, why);
	else
		fprintf(out, "null");
	fprintf(out, ",\"exit\":%d}\n", (int)e);
}

void rc_report_json_error(FILE *out, const char *input, const char *err)
{
	fprintf(out, "{\"tool\":\"kvm-rootcheck\",\"schema\":%d,\"input\":",
		RC_JSON_SCHEMA);
	jstr(out, input);
	fprintf(out, ",\"error\":");
	jstr(out, err);
	fprintf(out, ",\"verdict\":\"%s\",\"exit\":%d}\n",
		rc_report_verdict_word(RC_EXIT_USAGE), (int)RC_EXIT_USAGE);
}
