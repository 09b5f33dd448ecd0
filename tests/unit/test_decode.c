// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of analyzer/decode.c without any trace file: event formats are
 * parsed from text built here (fields deliberately in an order and at
 * offsets that differ from the kernel's, since the ABI binds names only),
 * records are built byte by byte, and the decoder and emitter are checked
 * on every field of every event type, on foreign and truncated records, on
 * missed-events marks, on missing events and on ABI mismatches.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event-parse.h>

#include "source-local.h"
#include "unit.h"

struct fdef {
	const char *type;
	const char *name;
	int size;
};

/* Build a format file and parse it into tep. Fields are laid out in the
 * order given, after the common fields, with a gap of `pad` bytes first. */
static int add_format_fmt(struct tep_handle *tep, const char *sys, const char *name,
			  int id, const struct fdef *f, int nf, int pad,
			  const char *pfmt)
{
	char buf[4096];
	int off = 8 + pad, n;

	n = snprintf(buf, sizeof(buf),
		     "name: %s\nID: %d\nformat:\n"
		     "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
		     "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
		     "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
		     "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n",
		     name, id);
	for (int i = 0; i < nf; i++) {
		n += snprintf(buf + n, sizeof(buf) - n,
			      "\tfield:%s %s;\toffset:%d;\tsize:%d;\tsigned:0;\n",
			      f[i].type, f[i].name, off, f[i].size);
		off += f[i].size;
	}
	n += snprintf(buf + n, sizeof(buf) - n, "\nprint fmt: %s\n", pfmt);
	return tep_parse_event(tep, buf, (unsigned long)n, sys);
}

static int add_format(struct tep_handle *tep, const char *sys, const char *name,
		      int id, const struct fdef *f, int nf, int pad)
{
	return add_format_fmt(tep, sys, name, id, f, nf, pad, "\"x\"");
}

/* The ABI events, fields reversed with respect to docs/events.md. */
static const struct fdef f_alloc[] = {
	{ "u8", "level", 1 }, { "u8", "as_id", 1 }, { "u32", "count", 4 },
	{ "u32", "role", 4 }, { "u64", "root", 8 }, { "u64", "kvm", 8 },
};
static const struct fdef f_getput[] = {
	{ "u8", "owner", 1 }, { "u32", "old", 4 }, { "unsigned long", "caller", 8 },
	{ "u64", "root", 8 }, { "u64", "kvm", 8 },
};
static const struct fdef f_inval[] = {
	{ "u8", "reason", 1 }, { "u32", "count", 4 }, { "u64", "root", 8 },
	{ "u64", "kvm", 8 },
};
static const struct fdef f_zstart[] = {
	{ "u8", "shared", 1 }, { "u8", "ctx", 1 }, { "u64", "root", 8 },
	{ "u64", "kvm", 8 },
};
static const struct fdef f_zend[] = {
	{ "u8", "ctx", 1 }, { "u64", "root", 8 }, { "u64", "kvm", 8 },
};
static const struct fdef f_free[] = { { "u64", "root", 8 }, { "u64", "kvm", 8 } };
static const struct fdef f_kvm[] = { { "u64", "kvm", 8 } };
static const struct fdef f_fast[] = {
	{ "__u8", "mmu_valid_gen", 1 }, { "unsigned int", "mmu_used_pages", 4 },
};
static const struct fdef f_other[] = { { "int", "prev_pid", 4 } };

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

struct evdef {
	const char *name;
	int id;
	const struct fdef *f;
	int nf;
};

static const struct evdef abi[] = {
	{ "kvm_tdp_mmu_root_alloc", 1461, f_alloc, N(f_alloc) },
	{ "kvm_tdp_mmu_root_get", 1462, f_getput, N(f_getput) },
	{ "kvm_tdp_mmu_root_put", 1463, f_getput, N(f_getput) },
	{ "kvm_tdp_mmu_root_invalidate", 1464, f_inval, N(f_inval) },
	{ "kvm_tdp_mmu_root_zap_start", 1465, f_zstart, N(f_zstart) },
	{ "kvm_tdp_mmu_root_zap_end", 1466, f_zend, N(f_zend) },
	{ "kvm_tdp_mmu_root_free", 1467, f_free, N(f_free) },
	{ "kvm_mmu_zap_all_fast_done", 1468, f_kvm, N(f_kvm) },
	{ "kvm_tdp_mmu_teardown", 1469, f_kvm, N(f_kvm) },
};

#define ID_FAST 1400
#define ID_OTHER 300

/* tep with the ABI events (those with bit i of mask set), the fast zap
 * event and an unrelated sched event. */
static struct tep_handle *make_tep(unsigned int mask, int with_fast, int pad)
{
	struct tep_handle *tep = tep_alloc();
	int bad = 0;

	tep_set_file_bigendian(tep, TEP_LITTLE_ENDIAN);
	tep_set_local_bigendian(tep, TEP_LITTLE_ENDIAN);
	tep_set_long_size(tep, 8);
	for (int i = 0; i < N(abi); i++)
		if (mask & (1u << i))
			bad |= add_format(tep, "kvmmmu", abi[i].name, abi[i].id,
					  abi[i].f, abi[i].nf, pad);
	if (with_fast)
		bad |= add_format(tep, "kvmmmu", "kvm_mmu_zap_all_fast", ID_FAST,
				  f_fast, N(f_fast), 0);
	bad |= add_format(tep, "sched", "sched_switch", ID_OTHER, f_other, N(f_other), 0);
	CHECK(bad == 0);
	return tep;
}

/* A record under construction: bytes plus a tep_record pointing at them. */
struct rec {
	unsigned char data[128];
	struct tep_record r;
};

/*
 * Every member equal (the decoder leaves padding as it was: an event
 * filled with 0xa5 first keeps it there). A new member of struct
 * rc_event is compared here.
 */
static bool same_event(const struct rc_event *a, const struct rc_event *b)
{
	_Static_assert(sizeof(struct rc_event) == 96, "a new member is compared here");
	return a->type == b->type && a->seq == b->seq && a->ts == b->ts &&
	       a->cpu == b->cpu && a->pid == b->pid && a->kvm == b->kvm &&
	       a->root == b->root && a->caller == b->caller && a->old == b->old &&
	       a->count == b->count && a->role == b->role && a->as_id == b->as_id &&
	       a->level == b->level && a->owner == b->owner && a->to == b->to &&
	       a->reason == b->reason && a->ctx == b->ctx && a->shared == b->shared &&
	       a->lost == b->lost && a->absent == b->absent &&
	       a->outside_abi == b->outside_abi;
}

static void put_le(unsigned char *p, uint64_t v, int size)
{
	for (int i = 0; i < size; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void rec_init(struct rec *rc, struct tep_handle *tep, const char *name,
		     int pid, uint64_t ts, int cpu)
{
	struct tep_event *e = tep_find_event_by_name(tep, NULL, name);

	memset(rc, 0, sizeof(*rc));
	CHECK_MSG(e != NULL, "event %s", name);
	if (e) {
		put_le(rc->data, (uint64_t)e->id, 2);
		rc->r.size = 8;
		for (struct tep_format_field *f = e->format.fields; f; f = f->next)
			if (f->offset + f->size > rc->r.size)
				rc->r.size = f->offset + f->size;
	}
	put_le(rc->data + 4, (uint64_t)pid, 4);
	rc->r.data = rc->data;
	rc->r.ts = ts;
	rc->r.cpu = cpu;
}

static void rec_set(struct rec *rc, struct tep_handle *tep, const char *name,
		    const char *field, uint64_t v)
{
	struct tep_event *e = tep_find_event_by_name(tep, NULL, name);
	struct tep_format_field *f = e ? tep_find_field(e, field) : NULL;

	CHECK_MSG(f != NULL, "%s.%s", name, field);
	if (f)
		put_le(rc->data + f->offset, v, f->size);
}

static const uint64_t KVM = 0xffff8880041c0000ull;
static const uint64_t ROOT = 0x1234000ull;
static const uint64_t CALLER = 0xffffffff8123456aull;

static void test_all_fields(void)
{
	char err[256] = "";
	struct tep_handle *tep = make_tep(0x1ff, 1, 3);
	struct rc_decoder *d = rc_decoder_new(tep, err, sizeof(err));
	struct rc_event ev;
	struct rec rc;

	CHECK_MSG(d != NULL, "%s", err);
	if (!d) {
		tep_free(tep);
		return;
	}
	CHECK(rc_decoder_missing(d) == 0);
	for (int t = RC_EV_ROOT_ALLOC; t < RC_EV_LOST; t++)
		if (t != RC_EV_ROOT_HANDOFF)	/* ABI v2, 6.12 only */
			CHECK_MSG(rc_decoder_has(d, (enum rc_ev_type)t), "type %d", t);
	CHECK(!rc_decoder_has(d, RC_EV_ROOT_HANDOFF));
	CHECK(rc_decoder_abi(d) == 1);

	/* alloc: every field distinct, values at the top of their width */
	rec_init(&rc, tep, "kvm_tdp_mmu_root_alloc", 4242, 1000, 1);
	rec_set(&rc, tep, "kvm_tdp_mmu_root_alloc", "kvm", KVM);
	rec_set(&rc, tep, "kvm_tdp_mmu_root_alloc", "root", ROOT);
	rec_set(&rc, tep, "kvm_tdp_mmu_root_alloc", "role", 0xfff10c04u);
	rec_set(&rc, tep, "kvm_tdp_mmu_root_alloc", "count", 2);
	rec_set(&rc, tep, "kvm_tdp_mmu_root_alloc", "as_id", 1);
	rec_set(&rc, tep, "kvm_tdp_mmu_root_alloc", "level", 5);
	CHECK(rc_decode(d, &rc.r, &ev) == 1);
	CHECK(ev.type == RC_EV_ROOT_ALLOC);
	CHECK(ev.ts == 1000 && ev.cpu == 1 && ev.pid == 4242);
	CHECK(ev.kvm == KVM && ev.root == ROOT);
	CHECK(ev.role == 0xfff10c04u && ev.count == 2);
	CHECK(ev.as_id == 1 && ev.level == 5);
	CHECK(ev.caller == 0 && ev.old == 0 && ev.owner == 0 && ev.lost == 0);

	/* get and put: old at u32 max, owner out of range passes through */
	for (int p = 0; p < 2; p++) {
		const char *nm = p ? "kvm_tdp_mmu_root_put" : "kvm_tdp_mmu_root_get";

		rec_init(&rc, tep, nm, 77, 2000 + p, 0);
		rec_set(&rc, tep, nm, "kvm", KVM + 1);
		rec_set(&rc, tep, nm, "root", ROOT + 0x1000);
		rec_set(&rc, tep, nm, "caller", CALLER);
		rec_set(&rc, tep, nm, "old", 0xffffffffu);
		rec_set(&rc, tep, nm, "owner", p ? 3 : 7);
		CHECK(rc_decode(d, &rc.r, &ev) == 1);
		CHECK(ev.type == (p ? RC_EV_ROOT_PUT : RC_EV_ROOT_GET));
		CHECK(ev.ts == 2000u + (unsigned int)p && ev.cpu == 0 && ev.pid == 77);
		CHECK(ev.kvm == KVM + 1 && ev.root == ROOT + 0x1000);
		CHECK(ev.caller == CALLER && ev.old == 0xffffffffu);
		CHECK(ev.owner == (p ? 3 : 7));
	}

	rec_init(&rc, tep, "kvm_tdp_mmu_root_invalidate", 5, 3000, 1);
	rec_set(&rc, tep, "kvm_tdp_mmu_root_invalidate", "kvm", KVM);
	rec_set(&rc, tep, "kvm_tdp_mmu_root_invalidate", "root", ROOT);
	rec_set(&rc, tep, "kvm_tdp_mmu_root_invalidate", "count", 3);
	rec_set(&rc, tep, "kvm_tdp_mmu_root_invalidate", "reason", RC_RSN_LAST_PUT);
	CHECK(rc_decode(d, &rc.r, &ev) == 1);
	CHECK(ev.type == RC_EV_ROOT_INVALIDATE && ev.kvm == KVM && ev.root == ROOT);
	CHECK(ev.count == 3 && ev.reason == RC_RSN_LAST_PUT);

	rec_init(&rc, tep, "kvm_tdp_mmu_root_zap_start", 6, 4000, 0);
	rec_set(&rc, tep, "kvm_tdp_mmu_root_zap_start", "kvm", KVM);
	rec_set(&rc, tep, "kvm_tdp_mmu_root_zap_start", "root", ROOT);
	rec_set(&rc, tep, "kvm_tdp_mmu_root_zap_start", "ctx", RC_CTX_WORKER);
	rec_set(&rc, tep, "kvm_tdp_mmu_root_zap_start", "shared", 1);
	CHECK(rc_decode(d, &rc.r, &ev) == 1);
	CHECK(ev.type == RC_EV_ROOT_ZAP_START && ev.kvm == KVM && ev.root == ROOT);
	CHECK(ev.ctx == RC_CTX_WORKER && ev.shared == 1);

	rec_init(&rc, tep, "kvm_tdp_mmu_root_zap_end", 6, 4100, 0);
	rec_set(&rc, tep, "kvm_tdp_mmu_root_zap_end", "kvm", KVM);
	rec_set(&rc, tep, "kvm_tdp_mmu_root_zap_end", "root", ROOT);
	rec_set(&rc, tep, "kvm_tdp_mmu_root_zap_end", "ctx", RC_CTX_ZAP_ALL);
	CHECK(rc_decode(d, &rc.r, &ev) == 1);
	CHECK(ev.type == RC_EV_ROOT_ZAP_END && ev.kvm == KVM && ev.root == ROOT);
	CHECK(ev.ctx == RC_CTX_ZAP_ALL && ev.shared == 0);

	rec_init(&rc, tep, "kvm_tdp_mmu_root_free", 8, 5000, 1);
	rec_set(&rc, tep, "kvm_tdp_mmu_root_free", "kvm", KVM);
	rec_set(&rc, tep, "kvm_tdp_mmu_root_free", "root", ROOT);
	CHECK(rc_decode(d, &rc.r, &ev) == 1);
	CHECK(ev.type == RC_EV_ROOT_FREE && ev.kvm == KVM && ev.root == ROOT);

	rec_init(&rc, tep, "kvm_mmu_zap_all_fast_done", 9, 6000, 0);
	rec_set(&rc, tep, "kvm_mmu_zap_all_fast_done", "kvm", KVM);
	CHECK(rc_decode(d, &rc.r, &ev) == 1);
	CHECK(ev.type == RC_EV_FAST_ZAP_DONE && ev.kvm == KVM && ev.root == 0);

	rec_init(&rc, tep, "kvm_tdp_mmu_teardown", 10, 7000, 1);
	rec_set(&rc, tep, "kvm_tdp_mmu_teardown", "kvm", KVM);
	CHECK(rc_decode(d, &rc.r, &ev) == 1);
	CHECK(ev.type == RC_EV_TEARDOWN && ev.kvm == KVM && ev.pid == 10);

	/* the existing fast-zap tracepoint: no kvm, its own fields ignored */
	rec_init(&rc, tep, "kvm_mmu_zap_all_fast", 9, 5500, 0);
	rec_set(&rc, tep, "kvm_mmu_zap_all_fast", "mmu_valid_gen", 1);
	rec_set(&rc, tep, "kvm_mmu_zap_all_fast", "mmu_used_pages", 0x55);
	CHECK(rc_decode(d, &rc.r, &ev) == 1);
	CHECK(ev.type == RC_EV_FAST_ZAP_START && ev.kvm == 0 && ev.pid == 9);
	CHECK(ev.ts == 5500);

	/* any other event is not ours */
	rec_init(&rc, tep, "sched_switch", 1, 10, 0);
	CHECK(rc_decode(d, &rc.r, &ev) == 0);
	/* nor is an id that no format has */
	put_le(rc.data, 9999, 2);
	CHECK(rc_decode(d, &rc.r, &ev) == 0);

	/* one of ours, cut short: cannot be decoded */
	rec_init(&rc, tep, "kvm_tdp_mmu_root_get", 1, 10, 0);
	rc.r.size -= 1;
	CHECK(rc_decode(d, &rc.r, &ev) == -1);

	CHECK(strcmp(rc_decoder_event_name(RC_EV_ROOT_ALLOC), "kvm_tdp_mmu_root_alloc") == 0);
	CHECK(strcmp(rc_decoder_event_name(RC_EV_FAST_ZAP_START), "kvm_mmu_zap_all_fast") == 0);
	CHECK(rc_decoder_event_name(RC_EV_LOST) == NULL);

	rc_decoder_free(d);
	tep_free(tep);
}

/* Sink that records what it gets. */
struct got {
	struct rc_event ev[16];
	int n;
	int stop_after;		/* stop once n reaches this (0: never) */
};

static int sink(const struct rc_event *ev, void *arg)
{
	struct got *g = arg;

	if (g->n < 16)
		g->ev[g->n] = *ev;
	g->n++;
	return g->stop_after && g->n >= g->stop_after;
}

static void test_emitter(void)
{
	char err[256] = "";
	struct tep_handle *tep = make_tep(0x1ff, 1, 0);
	struct rc_decoder *d = rc_decoder_new(tep, err, sizeof(err));
	struct rc_trace_info info;
	struct rc_emitter em;
	struct got g;
	struct rec rc;

	CHECK_MSG(d != NULL, "%s", err);
	if (!d) {
		tep_free(tep);
		return;
	}
	memset(&info, 0, sizeof(info));
	memset(&g, 0, sizeof(g));
	memset(&em, 0, sizeof(em));
	em.dec = d;
	em.info = &info;
	em.sink = sink;
	em.arg = &g;

	/* 1: a free, no loss */
	rec_init(&rc, tep, "kvm_tdp_mmu_root_free", 100, 10, 0);
	CHECK(rc_emit_record(&em, &rc.r) == 0);
	/* 2: a foreign record that carries a loss of 5: LOST only */
	rec_init(&rc, tep, "sched_switch", 1, 20, 1);
	rc.r.missed_events = 5;
	CHECK(rc_emit_record(&em, &rc.r) == 0);
	/* 3: a teardown after an unknown loss: LOST(-1) then teardown */
	rec_init(&rc, tep, "kvm_tdp_mmu_teardown", 101, 30, 1);
	rc.r.missed_events = -1;
	CHECK(rc_emit_record(&em, &rc.r) == 0);
	/* 4: a truncated get: LOST(-1) */
	rec_init(&rc, tep, "kvm_tdp_mmu_root_get", 102, 40, 0);
	rc.r.size = 12;
	CHECK(rc_emit_record(&em, &rc.r) == 0);

	CHECK(g.n == 5);
	CHECK(g.ev[0].type == RC_EV_ROOT_FREE && g.ev[0].seq == 0 && g.ev[0].pid == 100);
	CHECK(g.ev[1].type == RC_EV_LOST && g.ev[1].seq == 1 && g.ev[1].lost == 5);
	CHECK(g.ev[1].cpu == 1 && g.ev[1].ts == 20 && g.ev[1].pid == -1);
	CHECK(g.ev[2].type == RC_EV_LOST && g.ev[2].lost == -1 && g.ev[2].cpu == 1);
	CHECK(g.ev[3].type == RC_EV_TEARDOWN && g.ev[3].seq == 3 && g.ev[3].ts == 30);
	CHECK(g.ev[4].type == RC_EV_LOST && g.ev[4].lost == -1 && g.ev[4].seq == 4);
	CHECK(info.records_read == 4);
	CHECK(info.events_read == 2);
	CHECK(info.lost_events == 5);
	CHECK(info.lost_unknown == 1);

	/* the sink asks to stop: nothing more is delivered */
	g.stop_after = 6;
	rec_init(&rc, tep, "kvm_tdp_mmu_root_free", 100, 50, 0);
	CHECK(rc_emit_record(&em, &rc.r) != 0);
	CHECK(em.stopped);
	CHECK(rc_emit_record(&em, &rc.r) != 0);
	CHECK(g.n == 6);

	rc_decoder_free(d);
	tep_free(tep);
}

static void test_cpustats(void)
{
	struct rc_cpu_drops d[2];
	struct rc_trace_info info;
	struct rc_emitter em;
	struct got g;

	memset(d, 0, sizeof(d));
	/* the kernel's per_cpu/cpuN/stats text, as trace-cmd stores it */
	CHECK(rc_parse_cpustats("CPU: 1\nentries: 5\noverrun: 7\ncommit overrun: 3\n"
				"bytes: 4080\noldest event ts:  1.0\nnow ts:  2.0\n"
				"dropped events: 2\nread events: 9\n"
				"CPU: 9\noverrun: 100\n", d, 2, -1) == 3);
	CHECK(d[0].overrun == 0 && d[0].commit_overrun == 0 && d[0].dropped == 0);
	CHECK(d[1].overrun == 7 && d[1].commit_overrun == 3 && d[1].dropped == 2);
	/* one CPU's file read directly: no "CPU:" line */
	memset(d, 0, sizeof(d));
	CHECK(rc_parse_cpustats("overrun: 4\n  dropped events: 1\n", d, 2, 0) == 2);
	CHECK(d[0].overrun == 4 && d[0].dropped == 1 && d[1].overrun == 0);
	CHECK(rc_parse_cpustats("overrun: 4\n", d, 2, -1) == 0);
	CHECK(rc_parse_cpustats("", d, 2, 0) == 0);

	/* overruns marked on the CPU: nothing; unmarked ones: LOST(-1) at the end */
	memset(&info, 0, sizeof(info));
	memset(&em, 0, sizeof(em));
	memset(&g, 0, sizeof(g));
	em.info = &info;
	em.sink = sink;
	em.arg = &g;
	em.last_ts = 777;
	em.missed_seen[0] = 1;	/* CPU 0 had a mark */
	memset(d, 0, sizeof(d));
	d[0].overrun = 3;
	CHECK(rc_emit_unmarked_drops(&em, d, 2) == 0);
	CHECK(g.n == 0);
	d[1].overrun = 3;
	CHECK(rc_emit_unmarked_drops(&em, d, 2) == 0);
	CHECK(g.n == 1 && g.ev[0].type == RC_EV_LOST && g.ev[0].cpu == 1);
	CHECK(g.ev[0].lost == -1 && g.ev[0].ts == 777 && info.lost_unknown == 1);
	d[1].overrun = 0;
	d[0].commit_overrun = 1;	/* never marked, even with a mark on the CPU */
	CHECK(rc_emit_unmarked_drops(&em, d, 2) == 0);
	CHECK(g.n == 2 && g.ev[1].cpu == 0 && g.ev[1].seq == 1);
	CHECK(rc_emitter_missed_seen(&em, 0) && !rc_emitter_missed_seen(&em, 1));
	CHECK(!rc_emitter_missed_seen(&em, -1) && !rc_emitter_missed_seen(&em, RC_MAX_CPUS));
}

static struct rc_event mkev(uint64_t ts, int cpu)
{
	struct rc_event e;

	memset(&e, 0, sizeof(e));
	e.type = RC_EV_ROOT_GET;
	e.ts = ts;
	e.cpu = cpu;
	e.seq = 999;	/* renumbered on release */
	return e;
}

static void test_reorder(void)
{
	struct rc_reorder *r;
	struct rc_event e;
	struct got g;

	/* two CPUs, holdback 1000 */
	memset(&g, 0, sizeof(g));
	r = rc_reorder_new(sink, &g, 2, 1000, 100);
	CHECK(r != NULL);
	if (!r)
		return;
	e = mkev(10, 1); rc_reorder_push(&e, r);
	e = mkev(20, 1); rc_reorder_push(&e, r);
	CHECK(rc_reorder_release(r, 0) == 0);
	CHECK_MSG(g.n == 0, "released %d before CPU 0 spoke", g.n);	/* CPU 0 silent */
	e = mkev(15, 0); rc_reorder_push(&e, r);	/* late, earlier ts */
	CHECK(rc_reorder_release(r, 0) == 0);
	/* safe up to min(15, 20): 10 and 15 */
	CHECK(g.n == 2 && g.ev[0].ts == 10 && g.ev[1].ts == 15);
	CHECK(g.ev[0].seq == 0 && g.ev[1].seq == 1);
	/* CPU 0 goes idle; CPU 1 runs on: released after the holdback */
	e = mkev(500, 1); rc_reorder_push(&e, r);
	rc_reorder_release(r, 0);
	CHECK(g.n == 2);
	e = mkev(1030, 1); rc_reorder_push(&e, r);
	rc_reorder_release(r, 0);	/* safe up to 1030 - 1000 = 30: the 20 */
	CHECK(g.n == 3 && g.ev[2].ts == 20 && g.ev[2].seq == 2);
	/* equal timestamps keep their arrival order */
	e = mkev(1030, 0); e.type = RC_EV_LOST; rc_reorder_push(&e, r);
	e = mkev(1030, 0); e.type = RC_EV_ROOT_PUT; rc_reorder_push(&e, r);
	CHECK(rc_reorder_release(r, 1) == 0);
	CHECK(g.n == 7);
	CHECK(g.ev[3].ts == 500 && g.ev[4].ts == 1030 && g.ev[4].cpu == 1);
	CHECK(g.ev[5].type == RC_EV_LOST && g.ev[6].type == RC_EV_ROOT_PUT);
	for (int i = 0; i < 7; i++)
		CHECK(g.ev[i].seq == (uint64_t)i);
	rc_reorder_free(r);

	/* the cap releases the oldest early; a stopping sink stops it */
	memset(&g, 0, sizeof(g));
	g.stop_after = 3;
	r = rc_reorder_new(sink, &g, 4, 1000000, 2);
	if (!r)
		return;
	e = mkev(5, 0); CHECK(rc_reorder_push(&e, r) == 0);
	e = mkev(3, 1); CHECK(rc_reorder_push(&e, r) == 0);
	e = mkev(4, 2); CHECK(rc_reorder_push(&e, r) == 0);	/* full: 3 goes */
	CHECK(g.n == 1 && g.ev[0].ts == 3);
	e = mkev(6, 3); CHECK(rc_reorder_push(&e, r) == 0);	/* 4 goes */
	CHECK(g.n == 2 && g.ev[1].ts == 4);
	e = mkev(7, 3); CHECK(rc_reorder_push(&e, r) != 0);	/* 5 goes, sink stops */
	CHECK(g.n == 3);
	CHECK(rc_reorder_release(r, 1) != 0);
	CHECK(g.n == 3);
	rc_reorder_free(r);
}

/* Released events, in order, by the id each was pushed with (in role). */
struct ids {
	uint32_t id[4096];
	int n;
};

static int id_sink(const struct rc_event *ev, void *arg)
{
	struct ids *g = arg;

	if (g->n < 4096)
		g->id[g->n++] = ev->role;
	return 0;
}

/* The reference's least waiting event by (ts, arrival): its index. */
static int ref_least(const struct rc_event *ref, int n)
{
	int best = 0;

	for (int k = 1; k < n; k++)
		if (ref[k].ts < ref[best].ts)
			best = k;
	return best;
}

static void ref_take(struct rc_event *ref, int *n, int k, struct ids *want)
{
	want->id[want->n++] = ref[k].role;
	memmove(&ref[k], &ref[k + 1], (size_t)(*n - k - 1) * sizeof(ref[0]));
	(*n)--;
}

/*
 * The reorder buffer against a naive one (every waiting event searched
 * for the least (ts, arrival)) over random streams: CPUs in and out of
 * range, mostly in order per CPU with some late events, equal stamps,
 * small caps (early releases), releases at random. Same order, always.
 */
static void test_reorder_random(void)
{
	static struct rc_event ref[4096];
	static struct ids got, want;
	uint64_t seed = 0x2545f4914f6cdd1dull;
	int bad = 0;

	for (int round = 0; round < 200 && !bad; round++) {
		int ncpus = 1 + round % 5, nref = 0, npush = 200 + round * 10;
		size_t cap = round % 3 ? 1000000 : (size_t)(1 + round % 17);
		uint64_t holdback = round % 2 ? 50 : 1000000, cpu_ts[8] = { 0 };
		uint64_t max_ts = 0, seen_ts[8] = { 0 };
		bool seen[8] = { false };
		struct rc_reorder *r;

		memset(&got, 0, sizeof(got));
		memset(&want, 0, sizeof(want));
		r = rc_reorder_new(id_sink, &got, ncpus, holdback, cap);
		CHECK(r != NULL);
		if (!r)
			return;
		for (int i = 0; i < npush; i++) {
			struct rc_event e;
			int cpu;

			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			/* now and then a CPU out of range (-1 .. -3, ncpus) */
			cpu = (int)((seed >> 33) % (uint64_t)(ncpus + 1)) - (seed >> 60 == 0 ? 3 : 0);
			e = mkev(0, cpu);
			if (cpu >= 0 && cpu < 8) {
				/* mostly no earlier than its CPU's last, at times earlier */
				cpu_ts[cpu] += 8 + (seed >> 40) % 4;
				e.ts = (seed >> 20) % 16 ? cpu_ts[cpu] : cpu_ts[cpu] - (seed >> 44) % 8;
			} else {
				e.ts = (seed >> 24) % 512;
			}
			e.role = (uint32_t)i;
			/* the reference: the cap releases the least early */
			if ((size_t)nref == cap)
				ref_take(ref, &nref, ref_least(ref, nref), &want);
			ref[nref++] = e;
			rc_reorder_push(&e, r);
			if (e.ts > max_ts)
				max_ts = e.ts;
			if (cpu >= 0 && cpu < ncpus) {
				if (e.ts > seen_ts[cpu])
					seen_ts[cpu] = e.ts;
				seen[cpu] = true;
			}
			if ((seed >> 50) % 8 == 0) {
				uint64_t safe = UINT64_MAX;
				uint64_t safe_time = max_ts > holdback ? max_ts - holdback : 0;

				for (int c = 0; c < ncpus; c++)
					if ((seen[c] ? seen_ts[c] : 0) < safe)
						safe = seen[c] ? seen_ts[c] : 0;
				rc_reorder_release(r, 0);
				while (nref) {
					int k = ref_least(ref, nref);

					if (ref[k].ts > safe && ref[k].ts > safe_time)
						break;
					ref_take(ref, &nref, k, &want);
				}
			}
		}
		rc_reorder_release(r, 1);
		while (nref)
			ref_take(ref, &nref, ref_least(ref, nref), &want);
		bad = got.n != want.n ||
		      memcmp(got.id, want.id, (size_t)got.n * sizeof(got.id[0]));
		CHECK_MSG(!bad, "round %d: %d released, %d expected, orders differ", round,
			  got.n, want.n);
		rc_reorder_free(r);
	}
}

static void test_missing(void)
{
	char err[256] = "";
	struct tep_handle *tep;
	struct rc_decoder *d;

	/* an unpatched kernel: only the old fast-zap event */
	tep = make_tep(0, 1, 0);
	d = rc_decoder_new(tep, err, sizeof(err));
	CHECK_MSG(d != NULL, "%s", err);
	if (d) {
		CHECK(rc_decoder_missing(d) == rc_ev_abi_count() && rc_ev_abi_count() == 9);
		CHECK(!rc_decoder_has(d, RC_EV_ROOT_ALLOC));
		CHECK(rc_decoder_has(d, RC_EV_FAST_ZAP_START));
		rc_decoder_free(d);
	}
	tep_free(tep);

	/* everything but free and teardown, and no fast-zap event */
	tep = make_tep(0x1ff & ~(1u << 6) & ~(1u << 8), 0, 0);
	d = rc_decoder_new(tep, err, sizeof(err));
	CHECK_MSG(d != NULL, "%s", err);
	if (d) {
		CHECK(rc_decoder_missing(d) == 2);
		CHECK(!rc_decoder_has(d, RC_EV_ROOT_FREE));
		CHECK(!rc_decoder_has(d, RC_EV_TEARDOWN));
		CHECK(!rc_decoder_has(d, RC_EV_FAST_ZAP_START));
		CHECK(rc_decoder_has(d, RC_EV_ROOT_PUT));
		rc_decoder_free(d);
	}
	tep_free(tep);
}

static void test_mismatch(void)
{
	static const struct fdef no_old[] = {
		{ "u8", "owner", 1 }, { "unsigned long", "caller", 8 },
		{ "u64", "root", 8 }, { "u64", "kvm", 8 },
	};
	static const struct fdef arr_root[] = {
		{ "u64", "kvm", 8 }, { "u8", "root[8]", 8 },
	};
	char err[256] = "";
	struct tep_handle *tep;
	struct rc_decoder *d;

	tep = make_tep(0x1ff & ~(1u << 1), 1, 0);
	CHECK(add_format(tep, "kvmmmu", "kvm_tdp_mmu_root_get", 1462, no_old,
			 N(no_old), 0) == 0);
	d = rc_decoder_new(tep, err, sizeof(err));
	CHECK(d == NULL);
	CHECK_MSG(strstr(err, "kvm_tdp_mmu_root_get") && strstr(err, "'old'"), "%s", err);
	CHECK(!strchr(err, '\n'));
	rc_decoder_free(d);
	tep_free(tep);

	err[0] = '\0';
	tep = make_tep(0x1ff & ~(1u << 6), 1, 0);
	CHECK(add_format(tep, "kvmmmu", "kvm_tdp_mmu_root_free", 1467, arr_root,
			 N(arr_root), 0) == 0);
	d = rc_decoder_new(tep, err, sizeof(err));
	CHECK(d == NULL);
	CHECK_MSG(strstr(err, "kvm_tdp_mmu_root_free") && strstr(err, "'root'"), "%s", err);
	rc_decoder_free(d);
	tep_free(tep);
}

static void test_clock(void)
{
	static const struct { const char *name; int reliable; } c[] = {
		{ "local", 0 }, { "global", 1 }, { "mono", 1 }, { "mono_raw", 1 },
		{ "boot", 1 }, { "x86-tsc", 1 }, { "counter", 1 }, { "perf", 0 },
		{ "uptime", 0 }, { "", 0 }, { "globalx", 0 },
	};
	struct rc_trace_info info;

	for (int i = 0; i < N(c); i++) {
		memset(&info, 0, sizeof(info));
		info.clock_reliable = !c[i].reliable;
		rc_set_clock(&info, c[i].name);
		CHECK_MSG(info.clock_reliable == c[i].reliable, "clock %s", c[i].name);
		CHECK(strcmp(info.clock, c[i].name) == 0);
	}
	rc_set_clock(&info, NULL);
	CHECK(info.clock[0] == '\0' && info.clock_reliable == 0);
}

/* The event table: well formed, and get/set agree on every field. */
static void test_table(void)
{
	struct rc_event ev;
	int ntp = 0;

	for (int t = 0; t < RC_EV__COUNT; t++) {
		const struct rc_event_desc *d = &rc_events[t];
		unsigned int seen = 0;

		CHECK_MSG(d->nfields <= RC_EV_MAX_FIELDS, "type %d", t);
		for (unsigned int k = 0; k < d->nfields; k++) {
			CHECK_MSG(d->fields[k] < RC_F__COUNT && !(seen & (1u << d->fields[k])),
				  "type %d field %u", t, k);
			seen |= 1u << d->fields[k];
		}
		CHECK_MSG(!d->abi || d->tp, "type %d: ABI event without tracepoint", t);
		ntp += d->tp != NULL;
		if (d->tp)
			CHECK(strcmp(rc_decoder_event_name((enum rc_ev_type)t), d->tp) == 0);
	}
	/* + kvm_mmu_zap_all_fast, + the ABI v2 handoff (6.12 only, not counted) */
	CHECK(ntp == rc_ev_abi_count() + 2);
	CHECK(rc_events[RC_EV_ROOT_HANDOFF].tp && !rc_events[RC_EV_ROOT_HANDOFF].abi);
	CHECK(rc_events[RC_EV_LOST].tp == NULL);
	for (int f = 0; f < RC_F__COUNT; f++) {
		CHECK_MSG(rc_fields[f].name != NULL, "field %d", f);
		CHECK_MSG((rc_fields[f].kind == RC_FK_ENUM) == (rc_fields[f].enum_name != NULL),
			  "field %d", f);
		memset(&ev, 0, sizeof(ev));
		rc_event_set(&ev, (enum rc_field)f, 5);
		CHECK_MSG(rc_event_get(&ev, (enum rc_field)f) == 5, "field %s", rc_fields[f].name);
	}
}

/*
 * ABI v2 (docs/events.md): owners mapped by the names the format prints
 * (zap = 2, not 3 as in v1), zap ctx derived from shared, no count in
 * invalidate, the handoff event, a signed old.
 */
static const struct fdef v2_getput[] = {
	{ "u64", "kvm", 8 }, { "u64", "root", 8 }, { "unsigned long", "caller", 8 },
	{ "int", "old", 4 }, { "u8", "owner", 1 },
};
static const struct fdef v2_handoff[] = {
	{ "u64", "kvm", 8 }, { "u64", "root", 8 }, { "unsigned long", "caller", 8 },
	{ "u8", "from", 1 }, { "u8", "to", 1 },
};
static const struct fdef v2_inval[] = {
	{ "u64", "kvm", 8 }, { "u64", "root", 8 }, { "u8", "reason", 1 },
};
static const struct fdef v2_zap[] = {
	{ "u64", "kvm", 8 }, { "u64", "root", 8 }, { "u8", "shared", 1 },
};

#define V2_OWNERS "{ 0, \"vcpu\" }, { 1, \"iter\" }, { 2, \"zap\" }"

static void test_abi_v2(void)
{
	struct tep_handle *tep = tep_alloc();
	char err[256] = "";
	struct rc_decoder *d;
	struct rc_event ev;
	struct rec rc;
	int bad = 0;

	tep_set_file_bigendian(tep, TEP_LITTLE_ENDIAN);
	tep_set_local_bigendian(tep, TEP_LITTLE_ENDIAN);
	tep_set_long_size(tep, 8);
	bad |= add_format(tep, "kvmmmu", "kvm_tdp_mmu_root_alloc", 1461, f_alloc, N(f_alloc), 0);
	bad |= add_format_fmt(tep, "kvmmmu", "kvm_tdp_mmu_root_put", 1463, v2_getput,
			      N(v2_getput), 0,
			      "\"old %d owner %s\", REC->old, __print_symbolic(REC->owner, "
			      V2_OWNERS ")");
	bad |= add_format_fmt(tep, "kvmmmu", "kvm_tdp_mmu_root_handoff", 1470, v2_handoff,
			      N(v2_handoff), 0,
			      "\"from %s to %s\", __print_symbolic(REC->from, " V2_OWNERS
			      "), __print_symbolic(REC->to, " V2_OWNERS ")");
	bad |= add_format(tep, "kvmmmu", "kvm_tdp_mmu_root_invalidate", 1464, v2_inval,
			  N(v2_inval), 0);
	bad |= add_format(tep, "kvmmmu", "kvm_tdp_mmu_root_zap_start", 1465, v2_zap, N(v2_zap), 0);
	bad |= add_format(tep, "kvmmmu", "kvm_tdp_mmu_root_zap_end", 1466, v2_zap, N(v2_zap), 0);
	CHECK(bad == 0);
	d = rc_decoder_new(tep, err, sizeof(err));
	CHECK_MSG(d != NULL, "%s", err);
	if (!d) {
		tep_free(tep);
		return;
	}
	CHECK(rc_decoder_abi(d) == 2);
	CHECK(rc_decoder_has(d, RC_EV_ROOT_HANDOFF));

	/* owner 2 is "zap" in v2 (it was "mmu" in v1); old is signed */
	rec_init(&rc, tep, "kvm_tdp_mmu_root_put", 7, 100, 0);
	rec_set(&rc, tep, "kvm_tdp_mmu_root_put", "owner", 2);
	rec_set(&rc, tep, "kvm_tdp_mmu_root_put", "old", 0xffffffffu);
	CHECK(rc_decode(d, &rc.r, &ev) == 1);
	CHECK(ev.type == RC_EV_ROOT_PUT && ev.owner == RC_OWN_ZAP);
	CHECK((int32_t)ev.old == -1);
	/* a value the format does not name is an unknown owner */
	rec_set(&rc, tep, "kvm_tdp_mmu_root_put", "owner", 3);
	CHECK(rc_decode(d, &rc.r, &ev) == 1);
	CHECK(ev.owner >= RC_OWN__COUNT);

	rec_init(&rc, tep, "kvm_tdp_mmu_root_handoff", 7, 200, 0);
	rec_set(&rc, tep, "kvm_tdp_mmu_root_handoff", "root", ROOT);
	rec_set(&rc, tep, "kvm_tdp_mmu_root_handoff", "caller", CALLER);
	rec_set(&rc, tep, "kvm_tdp_mmu_root_handoff", "from", 1);
	rec_set(&rc, tep, "kvm_tdp_mmu_root_handoff", "to", 0);
	CHECK(rc_decode(d, &rc.r, &ev) == 1);
	CHECK(ev.type == RC_EV_ROOT_HANDOFF && ev.owner == RC_OWN_ITER &&
	      ev.to == RC_OWN_VCPU && ev.root == ROOT && ev.caller == CALLER);

	rec_init(&rc, tep, "kvm_tdp_mmu_root_zap_start", 7, 300, 0);
	rec_set(&rc, tep, "kvm_tdp_mmu_root_zap_start", "shared", 1);
	CHECK(rc_decode(d, &rc.r, &ev) == 1);
	CHECK(ev.ctx == RC_CTX_FAST_ZAP && ev.shared == 1);
	rec_init(&rc, tep, "kvm_tdp_mmu_root_zap_end", 7, 400, 0);
	rec_set(&rc, tep, "kvm_tdp_mmu_root_zap_end", "shared", 0);
	CHECK(rc_decode(d, &rc.r, &ev) == 1);
	CHECK(ev.type == RC_EV_ROOT_ZAP_END && ev.ctx == RC_CTX_ZAP_ALL);

	rec_init(&rc, tep, "kvm_tdp_mmu_root_invalidate", 7, 500, 0);
	rec_set(&rc, tep, "kvm_tdp_mmu_root_invalidate", "reason", 1);
	CHECK(rc_decode(d, &rc.r, &ev) == 1);
	CHECK(ev.reason == RC_RSN_TEARDOWN && ev.count == 0);
	rc_decoder_free(d);
	tep_free(tep);
}

/*
 * The decoder reads records in place when the file's byte order is the
 * host's, and through libtraceevent's byte-swapping readers otherwise: on
 * the same values, every field of every event type, both must decode the
 * same event (and the values written).
 */
static void put_be(unsigned char *p, uint64_t v, int size)
{
	for (int i = 0; i < size; i++)
		p[size - 1 - i] = (unsigned char)(v >> (8 * i));
}

static void test_byte_order(void)
{
	struct tep_handle *le = make_tep(0x1ff, 1, 5), *be = make_tep(0x1ff, 1, 5);
	struct rc_decoder *dle, *dbe;
	char err[256] = "";
	uint64_t x = 0x243f6a8885a308d3ull;

	tep_set_file_bigendian(be, TEP_BIG_ENDIAN);
	dle = rc_decoder_new(le, err, sizeof(err));
	dbe = rc_decoder_new(be, err, sizeof(err));
	CHECK_MSG(dle && dbe, "%s", err);
	for (int t = 0; dle && dbe && t < RC_EV__COUNT; t++) {
		struct tep_event *e;
		struct rec a, b;
		struct rc_event ea, eb;

		if (!rc_events[t].tp)
			continue;
		e = tep_find_event_by_name(le, "kvmmmu", rc_events[t].tp);
		if (!e)
			continue;	/* an event of another ABI version */
		for (int round = 0; round < 50; round++) {
			memset(&a, 0, sizeof(a));
			memset(&b, 0, sizeof(b));
			put_le(a.data, (uint64_t)e->id, 2);
			put_be(b.data, (uint64_t)e->id, 2);
			put_le(a.data + 4, 1000u + (unsigned int)round, 4);
			put_be(b.data + 4, 1000u + (unsigned int)round, 4);
			a.r.size = b.r.size = 8;
			for (struct tep_format_field *f = e->format.fields; f; f = f->next) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				put_le(a.data + f->offset, x, f->size);
				put_be(b.data + f->offset, x, f->size);
				if (f->offset + f->size > a.r.size)
					a.r.size = b.r.size = f->offset + f->size;
			}
			a.r.data = a.data;
			b.r.data = b.data;
			a.r.ts = b.r.ts = 77;
			memset(&ea, 0, sizeof(ea));
			memset(&eb, 0xa5, sizeof(eb));
			CHECK(rc_decode(dle, &a.r, &ea) == 1);
			CHECK(rc_decode(dbe, &b.r, &eb) == 1);
			CHECK_MSG(same_event(&ea, &eb), "%s: native and swapped decode differ",
				  rc_events[t].tp);
			CHECK(ea.type == (enum rc_ev_type)t && ea.pid == 1000 + round);
			for (unsigned int k = 0; k < rc_events[t].nfields; k++) {
				enum rc_field f = rc_events[t].fields[k];
				struct tep_format_field *ff = tep_find_field(e, rc_fields[f].name);
				unsigned long long v = 0;
				struct rc_event w;

				/* owners are mapped by name: compared above only */
				if (!ff || f == RC_F_OWNER || f == RC_F_FROM || f == RC_F_TO)
					continue;
				tep_read_number_field(ff, a.data, &v);
				memset(&w, 0, sizeof(w));
				rc_event_set(&w, f, v);
				CHECK_MSG(rc_event_get(&ea, f) == rc_event_get(&w, f), "%s.%s",
					  rc_events[t].tp, rc_fields[f].name);
			}
		}
	}
	rc_decoder_free(dle);
	rc_decoder_free(dbe);
	tep_free(le);
	tep_free(be);
}

/*
 * rc_events_time_order(): timestamp order, ties in seq order, every
 * event kept, for short arrays (insertion) and long ones (qsort).
 */
static void test_time_order(void)
{
	static struct rc_event v[300];
	unsigned int sizes[] = { 0, 1, 2, 5, 16, 64, 65, 300 };
	uint64_t rnd = 12345;

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		unsigned int n = sizes[k];
		uint64_t sum = 0, got = 0;
		bool sorted = true;

		for (unsigned int i = 0; i < n; i++) {
			rnd = rnd * 6364136223846793005ull + 1442695040888963407ull;
			memset(&v[i], 0, sizeof(v[i]));
			v[i].seq = i + 1;
			/* few distinct stamps: many ties */
			v[i].ts = 1000 + (rnd >> 33) % (n / 3 + 1);
			sum += v[i].seq;
		}
		rc_events_time_order(v, n);
		for (unsigned int i = 0; i < n; i++) {
			got += v[i].seq;
			if (i && (v[i].ts < v[i - 1].ts ||
				  (v[i].ts == v[i - 1].ts && v[i].seq < v[i - 1].seq)))
				sorted = false;
		}
		CHECK_MSG(sorted && got == sum, "n=%u", n);
	}
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_time_order),
	UNIT_TEST(test_table),
	UNIT_TEST(test_all_fields),
	UNIT_TEST(test_byte_order),
	UNIT_TEST(test_abi_v2),
	UNIT_TEST(test_emitter),
	UNIT_TEST(test_missing),
	UNIT_TEST(test_mismatch),
	UNIT_TEST(test_clock),
	UNIT_TEST(test_cpustats),
	UNIT_TEST(test_reorder),
	UNIT_TEST(test_reorder_random),
};

int main(int argc, char **argv)
{
	return unit_main("decode", argc, argv, tests, sizeof(tests) / sizeof(tests[0]),
			 NULL, NULL);
}
