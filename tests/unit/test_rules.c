// SPDX-License-Identifier: GPL-2.0
/*
 * Every rule of docs/invariants.md on short event sequences: one that must
 * trigger it and a near miss that must not. The model is fed directly.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"
#include "findings.h"
#include "model.h"
#include "report.h"
#include "rules.h"
#include "unit.h"

#define KVM 0xffff888004000000ull
#define R1 0x1000000ull
#define R2 0x2000000ull
#define VCPU 100
#define VCPU2 101
#define ITER 200
#define FZ 300
#define WORKER 400

static struct rc_engine *eng;
static const struct rc_model *m;
static uint64_t seq;
static uint64_t ts_base;	/* added to every timestamp */
static bool cpu_per_task;	/* each task on its own CPU (pid % 64), else all on CPU 0 */

static void start(enum rc_design d)
{
	struct rc_model_opts o = { .design = d };

	rc_engine_free(eng);
	eng = rc_engine_new(&o);
	m = rc_engine_model(eng);
	seq = 0;
	ts_base = 0;
	cpu_per_task = false;
}

static void feed(struct rc_event ev)
{
	ev.seq = seq;
	ev.ts = ts_base + 1000 * ++seq;
	if (cpu_per_task && ev.type != RC_EV_LOST)
		ev.cpu = ev.pid % 64;
	if (!ev.kvm && ev.type != RC_EV_LOST && ev.type != RC_EV_FAST_ZAP_START)
		ev.kvm = KVM;
	rc_engine_feed(eng, &ev);
}

static void alloc(uint64_t root, uint32_t count)
{
	feed((struct rc_event){ .type = RC_EV_ROOT_ALLOC, .pid = VCPU, .root = root,
				.count = count, .level = 4 });
}

static void ref(enum rc_ev_type t, uint64_t root, int pid, int owner, uint32_t old)
{
	feed((struct rc_event){ .type = t, .pid = pid, .root = root, .owner = owner,
				.old = old, .caller = 0xffffffff81000000ull + pid });
}

#define get(root, pid, owner, old) ref(RC_EV_ROOT_GET, root, pid, owner, old)
#define put(root, pid, owner, old) ref(RC_EV_ROOT_PUT, root, pid, owner, old)

static void inval(uint64_t root, int pid, int reason)
{
	feed((struct rc_event){ .type = RC_EV_ROOT_INVALIDATE, .pid = pid, .root = root,
				.reason = reason });
}

static void zap(uint64_t root, int pid, int ctx, bool start_only)
{
	feed((struct rc_event){ .type = RC_EV_ROOT_ZAP_START, .pid = pid, .root = root,
				.ctx = ctx, .shared = 1 });
	if (!start_only)
		feed((struct rc_event){ .type = RC_EV_ROOT_ZAP_END, .pid = pid,
					.root = root, .ctx = ctx });
}

static void rfree(uint64_t root, int pid)
{
	feed((struct rc_event){ .type = RC_EV_ROOT_FREE, .pid = pid, .root = root });
}

static void fz_done(void)
{
	feed((struct rc_event){ .type = RC_EV_FAST_ZAP_DONE, .pid = FZ });
}

static void teardown(void)
{
	feed((struct rc_event){ .type = RC_EV_TEARDOWN, .pid = FZ });
}

static void lost(int cpu)
{
	feed((struct rc_event){ .type = RC_EV_LOST, .cpu = cpu, .lost = 3 });
}

/* Findings as "ID ID ..." in order. */
static const char *found(void)
{
	static char buf[512];
	const struct rc_findings *f;
	size_t off = 0;

	rc_engine_finish(eng);
	f = rc_engine_findings(eng);
	buf[0] = '\0';
	for (size_t i = 0; i < f->n; i++) {
		if (f->v[i].retracted)
			continue;
		off += snprintf(buf + off, sizeof(buf) - off, "%s%s", off ? " " : "",
				rc_rules[f->v[i].rule].id);
	}
	return buf;
}

#define EXPECT(want) do {						\
	const char *got_ = found();					\
	CHECK_MSG(!strcmp(got_, want), "got '%s', want '%s'", got_, want); \
} while (0)

/* The gifted design's whole correct life of one root, fast zap included. */
/*
 * The VM goes away while something still holds root: the vCPU's last put
 * (kernel old vcpu_old), the teardown's invalidate-all, its zap and its
 * put of the gift, then the teardown event.
 */
static void teardown_held(uint64_t root, uint32_t vcpu_old)
{
	put(root, VCPU, RC_OWN_VCPU, vcpu_old);
	inval(root, FZ, RC_RSN_TEARDOWN);
	zap(root, FZ, RC_CTX_FAST_ZAP, false);
	put(root, FZ, RC_OWN_ZAP, vcpu_old - 1);
	teardown();
}

static void gifted_clean_life(uint64_t root)
{
	alloc(root, 2);				/* vcpu + mmu */
	get(root, ITER, RC_OWN_ITER, 2);	/* mmu notifier zap */
	put(root, ITER, RC_OWN_ITER, 3);
	feed((struct rc_event){ .type = RC_EV_FAST_ZAP_START, .pid = FZ });
	inval(root, FZ, RC_RSN_FAST_ZAP);	/* mmu ref -> gift */
	get(root, FZ, RC_OWN_ITER, 2);		/* zap_invalidated_roots walk */
	zap(root, FZ, RC_CTX_FAST_ZAP, false);
	put(root, FZ, RC_OWN_ZAP, 3);		/* the gift */
	put(root, FZ, RC_OWN_ITER, 2);
	fz_done();
	put(root, VCPU, RC_OWN_VCPU, 1);	/* vCPU drops the obsolete root */
	rfree(root, VCPU);
}

static void test_clean(void)
{
	struct rc_report rep = { 0 };

	start(RC_DESIGN_AUTO);
	gifted_clean_life(R1);
	alloc(R2, 2);
	get(R2, VCPU2, RC_OWN_VCPU, 2);		/* second vCPU reuses it */
	put(R2, VCPU, RC_OWN_VCPU, 3);
	put(R2, VCPU2, RC_OWN_VCPU, 2);
	inval(R2, FZ, RC_RSN_TEARDOWN);
	zap(R2, FZ, RC_CTX_FAST_ZAP, false);
	put(R2, FZ, RC_OWN_ZAP, 1);
	rfree(R2, FZ);
	teardown();
	EXPECT("");
	rep.model = m;
	rep.findings = rc_engine_findings(eng);
	CHECK(rc_report_exit(&rep) == RC_EXIT_CLEAN);
	CHECK(rc_model_stats(m)->roots == 2);
	CHECK(rc_model_stats(m)->roots_freed == 2);
	CHECK(rc_model_design_seen(m) == RC_DESIGN_GIFTED);

	/* A new life at a reused address is a new root, not a double free. */
	start(RC_DESIGN_AUTO);
	gifted_clean_life(R1);
	gifted_clean_life(R1);
	EXPECT("");
	CHECK(rc_model_stats(m)->roots == 2);
}

static void test_underflow(void)
{
	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	put(R1, VCPU, RC_OWN_VCPU, 0);		/* kernel says it was 0 */
	EXPECT("REF-UNDERFLOW");

	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	put(R1, VCPU, RC_OWN_VCPU, 2);
	EXPECT("");
}

static void test_put_unowned(void)
{
	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	get(R1, ITER, RC_OWN_ITER, 2);
	put(R1, VCPU2, RC_OWN_ITER, 3);		/* another task puts its ref */
	EXPECT("REF-PUT-UNOWNED");

	/* Double put on an iterator early exit. */
	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	get(R1, ITER, RC_OWN_ITER, 2);
	put(R1, ITER, RC_OWN_ITER, 3);
	put(R1, ITER, RC_OWN_ITER, 2);
	EXPECT("REF-PUT-UNOWNED");

	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	get(R1, ITER, RC_OWN_ITER, 2);
	put(R1, ITER, RC_OWN_ITER, 3);
	EXPECT("");
}

static void test_get_zero(void)
{
	start(RC_DESIGN_AUTO);
	gifted_clean_life(R1);
	get(R1, ITER, RC_OWN_ITER, 0);		/* fails: root is dying */
	put(R1, ITER, RC_OWN_ITER, 1);		/* ...but is used anyway */
	EXPECT("REF-GET-ZERO");

	start(RC_DESIGN_AUTO);
	gifted_clean_life(R1);
	get(R1, ITER, RC_OWN_ITER, 0);		/* RCU walker sees a dying root */
	EXPECT("");
}

static void test_mismatch_and_reorder(void)
{
	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	get(R1, ITER, RC_OWN_ITER, 5);
	EXPECT("REF-COUNT-MISMATCH");

	/* Records written in the opposite order of the atomics (two CPUs). */
	start(RC_DESIGN_AUTO);
	cpu_per_task = true;
	alloc(R1, 2);
	get(R1, ITER, RC_OWN_ITER, 2);		/* A: 2 -> 3 */
	put(R1, ITER, RC_OWN_ITER, 4);		/* A: 4 -> 3, traced before B's get */
	get(R1, ITER + 1, RC_OWN_ITER, 3);	/* B: 3 -> 4 */
	put(R1, ITER + 1, RC_OWN_ITER, 3);	/* B: 3 -> 2 */
	EXPECT("");
	CHECK(rc_model_stats(m)->reordered == 1);
	/* A's put (t=3us) applied after B's get (t=4us): 1 us out of order */
	CHECK(rc_model_stats(m)->max_inversion_ns == 1000);

	/* The same on one CPU: program order, a real mismatch. */
	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	get(R1, ITER, RC_OWN_ITER, 2);
	put(R1, ITER, RC_OWN_ITER, 4);
	get(R1, ITER + 1, RC_OWN_ITER, 3);
	put(R1, ITER + 1, RC_OWN_ITER, 3);
	EXPECT("REF-COUNT-MISMATCH");

	/* An iterator's put traced after the last put and the free. */
	start(RC_DESIGN_AUTO);
	cpu_per_task = true;
	alloc(R1, 2);
	put(R1, VCPU, RC_OWN_VCPU, 2);
	get(R1, ITER, RC_OWN_ITER, 1);		/* 1 -> 2 */
	inval(R1, FZ, RC_RSN_FAST_ZAP);
	zap(R1, FZ, RC_CTX_FAST_ZAP, false);
	put(R1, FZ, RC_OWN_ZAP, 1);		/* really 1 -> 0 after ITER's */
	rfree(R1, FZ);
	put(R1, ITER, RC_OWN_ITER, 2);		/* 2 -> 1, traced late */
	teardown();
	EXPECT("");

	/* The same with no late put: a real mismatch, then the free. */
	start(RC_DESIGN_AUTO);
	cpu_per_task = true;
	alloc(R1, 2);
	put(R1, VCPU, RC_OWN_VCPU, 2);
	get(R1, ITER, RC_OWN_ITER, 1);
	inval(R1, FZ, RC_RSN_FAST_ZAP);
	zap(R1, FZ, RC_CTX_FAST_ZAP, false);
	put(R1, FZ, RC_OWN_ZAP, 1);
	rfree(R1, FZ);
	teardown();
	EXPECT("REF-COUNT-MISMATCH");
}

/* The first finding (after found()), or NULL. */
static const struct rc_finding *first_finding(void)
{
	const struct rc_findings *f = rc_engine_findings(eng);

	return f->n ? &f->v[0] : NULL;
}

/* 64 CPUs' gets whose records arrive in reverse `old` order: no limit. */
static void test_reorder_64(void)
{
	start(RC_DESIGN_AUTO);
	cpu_per_task = true;
	alloc(R1, 2);
	for (int i = 63; i >= 0; i--)
		get(R1, VCPU + i, RC_OWN_VCPU, 2 + i);	/* vCPU i: 2+i -> 3+i */
	for (int i = 0; i < 64; i++)
		put(R1, VCPU + i, RC_OWN_VCPU, 66 - i);
	EXPECT("");
	CHECK(rc_model_stats(m)->reordered == 63);
}

/*
 * Program order: records of one CPU are never reordered; a mismatch no
 * other CPU can explain is reported at the event, and the count resynced.
 */
static void test_program_order(void)
{
	const struct rc_finding *x;

	/*
	 * A delayed vCPU put (another CPU) while an iterator gets and puts:
	 * the iterator's put waits behind its own get.
	 */
	start(RC_DESIGN_AUTO);
	cpu_per_task = true;
	alloc(R1, 2);
	get(R1, ITER, RC_OWN_ITER, 1);		/* after the vCPU's put: 1 -> 2 */
	put(R1, ITER, RC_OWN_ITER, 2);		/* 2 -> 1 */
	put(R1, VCPU, RC_OWN_VCPU, 2);		/* 2 -> 1, traced late */
	EXPECT("");
	CHECK(rc_model_stats(m)->reordered == 2);

	/*
	 * A reference taken without its tracepoint, on one CPU: the put that
	 * does not fit is the mismatch, before the free (no use after free).
	 */
	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	get(R1, ITER, RC_OWN_ITER, 2);		/* 2 -> 3, then a raw inc: 4 */
	put(R1, ITER, RC_OWN_ITER, 4);		/* 4 -> 3 */
	put(R1, ITER, RC_OWN_ITER, 3);		/* 3 -> 2 */
	inval(R1, FZ, RC_RSN_FAST_ZAP);
	zap(R1, FZ, RC_CTX_FAST_ZAP, false);
	put(R1, FZ, RC_OWN_ZAP, 2);
	put(R1, VCPU, RC_OWN_VCPU, 1);
	rfree(R1, VCPU);
	EXPECT("REF-COUNT-MISMATCH");
	x = first_finding();
	CHECK(x && x->ev.seq == 2 && x->ev.old == 4);
	CHECK(x && strstr(x->detail, "kernel old=4, shadow count 3"));
	CHECK(rc_engine_findings(eng)->per_rule[RC_R_ROOT_UAF] == 0);

	/* The bound in trace time: the mismatch is reported, then resynced. */
	start(RC_DESIGN_AUTO);
	cpu_per_task = true;
	alloc(R1, 2);
	get(R1, ITER, RC_OWN_ITER, 5);		/* waits for other CPUs */
	ts_base = RC_REORDER_NS + 1;
	get(R1, ITER + 1, RC_OWN_ITER, 2);	/* 2 -> 3: fits; ITER's expired */
	put(R1, ITER + 1, RC_OWN_ITER, 6);	/* after the resync to 6 */
	put(R1, ITER, RC_OWN_ITER, 5);
	EXPECT("REF-COUNT-MISMATCH");
	x = first_finding();
	CHECK(x && x->ev.pid == ITER && x->ev.seq == 1);
	CHECK(rc_engine_findings(eng)->suppressed == 0);

	/* The bound in records: RC_REORDER_EVENTS held back on one root. */
	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	get(R1, ITER, RC_OWN_ITER, 7);		/* a mismatch: the rest waits */
	for (int i = 0; i < RC_REORDER_EVENTS; i++) {
		get(R1, ITER, RC_OWN_ITER, 8 + 2 * i);
		put(R1, ITER, RC_OWN_ITER, 9 + 2 * i);
	}
	EXPECT("REF-COUNT-MISMATCH");
	x = first_finding();
	CHECK(x && x->ev.seq == 1);
}

/*
 * The reference ledger: every reference is an entry, a put consumes one
 * by the matching rule of docs/invariants.md, no limit on holders.
 */
static void test_ledger_iter(void)
{
	const struct rc_finding *x;

	/* 64 iterators on one root at once (distinct tasks and CPUs). */
	start(RC_DESIGN_AUTO);
	cpu_per_task = true;
	alloc(R1, 2);
	for (int i = 0; i < 64; i++)
		get(R1, ITER + i, RC_OWN_ITER, 2 + i);
	for (int i = 63; i >= 0; i--)
		put(R1, ITER + i, RC_OWN_ITER, 3 + i);
	EXPECT("");

	/* ... whose records arrive in reverse `old` order. */
	start(RC_DESIGN_AUTO);
	cpu_per_task = true;
	alloc(R1, 2);
	for (int i = 63; i >= 0; i--)
		get(R1, ITER + i, RC_OWN_ITER, 2 + i);
	for (int i = 0; i < 64; i++)
		put(R1, ITER + i, RC_OWN_ITER, 66 - i);
	EXPECT("");
	CHECK(rc_model_stats(m)->reordered == 63);

	/* One of 64 never puts: ITER-LEAK names its get. */
	start(RC_DESIGN_AUTO);
	cpu_per_task = true;
	alloc(R1, 2);
	for (int i = 0; i < 64; i++)
		get(R1, ITER + i, RC_OWN_ITER, 2 + i);	/* seq 1 + i */
	for (int i = 63, old = 66; i >= 0; i--)
		if (i != 40)
			put(R1, ITER + i, RC_OWN_ITER, old--);
	teardown_held(R1, 3);
	EXPECT("ITER-LEAK");
	x = first_finding();
	CHECK(x && x->has_cause && x->cause.pid == ITER + 40 && x->cause.seq == 41);

	/*
	 * A later get and put by the leaking task must not hide the get that
	 * leaked: its puts consume its latest get first (LIFO).
	 */
	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	get(R1, ITER, RC_OWN_ITER, 2);		/* seq 1: leaked (early break) */
	get(R1, ITER, RC_OWN_ITER, 3);		/* seq 2: the next walk */
	put(R1, ITER, RC_OWN_ITER, 4);
	teardown_held(R1, 3);
	EXPECT("ITER-LEAK");
	x = first_finding();
	CHECK(x && x->has_cause && x->cause.seq == 1 && x->cause.old == 2 &&
	      x->cause.type == RC_EV_ROOT_GET && x->cause.pid == ITER);
}

static void test_ledger_vcpu(void)
{
	const struct rc_finding *x;

	/* A vCPU that puts twice is the culprit, not the next vCPU. */
	start(RC_DESIGN_AUTO);
	cpu_per_task = true;
	alloc(R1, 2);				/* VCPU's reference + the MMU's */
	get(R1, VCPU2, RC_OWN_VCPU, 2);
	put(R1, VCPU, RC_OWN_VCPU, 3);		/* seq 2 */
	put(R1, VCPU, RC_OWN_VCPU, 2);		/* seq 3: VCPU2's in the kernel */
	put(R1, VCPU2, RC_OWN_VCPU, 1);
	EXPECT("REF-PUT-UNOWNED");
	x = first_finding();
	CHECK(x && x->ev.seq == 3 && x->ev.pid == VCPU);
	CHECK(x && x->has_cause && x->cause.seq == 2 &&
	      x->cause.type == RC_EV_ROOT_PUT && x->cause.pid == VCPU);

	/*
	 * Near miss: the VM's destroying task puts the vCPUs' references on
	 * their behalf; a vCPU puts, gets again and puts again.
	 */
	start(RC_DESIGN_AUTO);
	cpu_per_task = true;
	alloc(R1, 2);
	get(R1, VCPU2, RC_OWN_VCPU, 2);
	put(R1, VCPU2, RC_OWN_VCPU, 3);
	get(R1, VCPU2, RC_OWN_VCPU, 2);
	inval(R1, FZ, RC_RSN_TEARDOWN);
	zap(R1, FZ, RC_CTX_FAST_ZAP, false);
	put(R1, FZ, RC_OWN_ZAP, 3);
	put(R1, WORKER, RC_OWN_VCPU, 2);	/* kvm_destroy_vcpus() */
	put(R1, WORKER, RC_OWN_VCPU, 1);
	rfree(R1, WORKER);
	teardown();
	EXPECT("");

	/*
	 * A vCPU thread is the last to let go of the VM (all threads were
	 * killed: hardware_disable_test): after kvm_tdp_mmu_zap_all() it
	 * puts its own reference and the other vCPU's, as kvm_destroy_vcpus()
	 * does. Not a double put.
	 */
	start(RC_DESIGN_AUTO);
	cpu_per_task = true;
	alloc(R1, 2);				/* VCPU's reference */
	get(R1, VCPU2, RC_OWN_VCPU, 2);
	get(R1, VCPU, RC_OWN_ITER, 3);
	zap(R1, VCPU, RC_CTX_ZAP_ALL, false);
	put(R1, VCPU, RC_OWN_ITER, 4);
	put(R1, VCPU, RC_OWN_VCPU, 3);
	put(R1, VCPU, RC_OWN_VCPU, 2);
	inval(R1, VCPU, RC_RSN_TEARDOWN);
	zap(R1, VCPU, RC_CTX_FAST_ZAP, false);
	put(R1, VCPU, RC_OWN_ZAP, 1);
	rfree(R1, VCPU);
	teardown();
	EXPECT("");

	/* More vCPUs than any fixed table: 64 of them get and put. */
	start(RC_DESIGN_AUTO);
	cpu_per_task = true;
	alloc(R1, 2);
	for (int i = 1; i <= 64; i++)
		get(R1, VCPU + i, RC_OWN_VCPU, 1 + i);
	for (int i = 64; i >= 1; i--)
		put(R1, VCPU + i, RC_OWN_VCPU, 2 + i);
	put(R1, VCPU, RC_OWN_VCPU, 2);
	put(R1, VCPU, RC_OWN_VCPU, 1);		/* a double put: named */
	EXPECT("REF-PUT-UNOWNED");
	x = first_finding();
	CHECK(x && x->ev.pid == VCPU && x->ev.old == 1);
}

static void test_uaf_double_free(void)
{
	start(RC_DESIGN_AUTO);
	gifted_clean_life(R1);
	zap(R1, ITER, RC_CTX_ZAP_ALL, true);
	EXPECT("ROOT-UAF");

	start(RC_DESIGN_AUTO);
	gifted_clean_life(R1);
	rfree(R1, VCPU);
	EXPECT("ROOT-DOUBLE-FREE");
}

static void test_free_valid(void)
{
	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	put(R1, VCPU, RC_OWN_VCPU, 2);
	put(R1, FZ, RC_OWN_MMU, 1);		/* mmu ref put without invalidation */
	EXPECT("ROOT-FREE-VALID");

	/* Async worker: dropping the last ref of a valid root is "defunct". */
	start(RC_DESIGN_AUTO);
	alloc(R1, 1);
	put(R1, VCPU, RC_OWN_VCPU, 1);
	inval(R1, VCPU, RC_RSN_LAST_PUT);
	zap(R1, WORKER, RC_CTX_WORKER, false);
	put(R1, WORKER, RC_OWN_ZAP, 1);
	rfree(R1, WORKER);
	teardown();
	EXPECT("");
	CHECK(rc_model_design_seen(m) == RC_DESIGN_ASYNC);
}

static void test_revalidate(void)
{
	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	inval(R1, FZ, RC_RSN_FAST_ZAP);
	inval(R1, FZ, RC_RSN_FAST_ZAP);
	EXPECT("ROOT-REVALIDATE");

	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	inval(R1, FZ, RC_RSN_FAST_ZAP);
	get(R1, VCPU2, RC_OWN_VCPU, 2);		/* vCPU reuses an invalid root */
	EXPECT("ROOT-REVALIDATE");

	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	inval(R1, FZ, RC_RSN_FAST_ZAP);
	get(R1, ITER, RC_OWN_ITER, 2);		/* iterators may visit it */
	put(R1, ITER, RC_OWN_ITER, 3);
	EXPECT("");
}

/*
 * A vCPU's get of a root invalidated on another CPU rests on the
 * timestamps alone: less than RC_ORDER_NS apart it is a possible
 * violation only (clock doubt from the start, its cause the
 * invalidation), and a later finding on the root is still reported;
 * further apart, or on one CPU, a violation.
 */
static void feed_at(struct rc_event ev, int cpu, uint64_t ts);

/* A fresh run: R1 allocated on CPU 0, invalidated on CPU 1, got by a vCPU on CPU 0. */
static void alloc_inval_get(uint64_t inval_ts, uint64_t get_ts)
{
	start(RC_DESIGN_AUTO);
	feed_at((struct rc_event){ .type = RC_EV_ROOT_ALLOC, .pid = VCPU, .root = R1,
				   .count = 2, .level = 4 }, 0, 1000);
	feed_at((struct rc_event){ .type = RC_EV_ROOT_INVALIDATE, .pid = FZ, .root = R1,
				   .reason = RC_RSN_FAST_ZAP }, 1, inval_ts);
	feed_at((struct rc_event){ .type = RC_EV_ROOT_GET, .pid = VCPU2, .root = R1,
				   .owner = RC_OWN_VCPU, .old = 2 }, 0, get_ts);
}

static void test_revalidate_unordered(void)
{
	const struct rc_findings *f;
	const struct rc_finding *x;

	start(RC_DESIGN_AUTO);
	cpu_per_task = true;
	alloc(R1, 2);
	inval(R1, FZ, RC_RSN_FAST_ZAP);		/* cpu 44, 2 us */
	get(R1, VCPU2, RC_OWN_VCPU, 2);		/* cpu 37, 3 us */
	put(R1, ITER, RC_OWN_ITER, 3);		/* holds none: a violation */
	EXPECT("ROOT-REVALIDATE REF-PUT-UNOWNED");
	f = rc_engine_findings(eng);
	x = &f->v[0];
	CHECK(f->total == 1 && f->doubted == 1 && f->unordered == 1);
	CHECK(x->clock_doubt && x->unordered && x->cross_cpu && x->doubt_cpu == FZ % 64 &&
	      x->doubt_ns == -2000);
	CHECK(x->has_cause && x->cause.type == RC_EV_ROOT_INVALIDATE && x->cause.pid == FZ);
	CHECK(!f->v[1].clock_doubt && !f->v[1].unordered);

	/* past RC_MAX_FINDINGS unordered ones are still counted as doubted only */
	{
		struct rc_findings ff;
		struct rc_verdict vv = { .rule = RC_R_ROOT_REVALIDATE, .unordered = true,
					 .unordered_cpu = 1, .unordered_ns = -2000 };
		struct rc_event ee = { .type = RC_EV_ROOT_GET };
		struct rc_evidence ev_e;
		size_t stored = 0;

		memset(&ev_e, 0, sizeof(ev_e));
		rc_findings_init(&ff);
		for (int i = 0; i < RC_MAX_FINDINGS + 5; i++)
			stored += rc_findings_add(&ff, &vv, &ee, &ev_e) != NULL;
		CHECK(stored == RC_MAX_FINDINGS && ff.total == 0 &&
		      ff.doubted == RC_MAX_FINDINGS + 5 && ff.unordered == ff.doubted &&
		      ff.v[0].clock_doubt && ff.v[0].doubt_ns == -2000);
		rc_findings_release(&ff);
	}

	/* RC_ORDER_NS apart: the order stands */
	alloc_inval_get(2000, 2000 + RC_ORDER_NS);
	EXPECT("ROOT-REVALIDATE");
	f = rc_engine_findings(eng);
	CHECK(f->total == 1 && !f->doubted && f->v[0].cross_cpu && !f->v[0].unordered &&
	      f->v[0].has_cause && f->v[0].cause.cpu == 1);

	/* stamped as the invalidation, read after it: set forward 1 us */
	alloc_inval_get(5000, 5000);
	EXPECT("ROOT-REVALIDATE");
	f = rc_engine_findings(eng);
	CHECK(f->total == 0 && f->doubted == 1 && f->v[0].unordered &&
	      f->v[0].doubt_cpu == 1 && f->v[0].doubt_ns == -1000);
}

/* The review's v3 bug: a root made defunct by a put, then put by the fast zap. */
static void test_ungifted_v3(void)
{
	const struct rc_findings *f;

	start(RC_DESIGN_AUTO);
	alloc(R1, 1);
	put(R1, VCPU, RC_OWN_VCPU, 1);		/* last put: defunct */
	inval(R1, VCPU, RC_RSN_LAST_PUT);	/* gift belongs to the worker */
	zap(R1, FZ, RC_CTX_FAST_ZAP, false);	/* the fast zap walks it too */
	put(R1, FZ, RC_OWN_ZAP, 1);		/* ...and puts what it never had */
	EXPECT("GIFT-UNGIFTED-PUT");
	f = rc_engine_findings(eng);
	CHECK(f->n == 1 && f->v[0].has_cause);
	CHECK(f->n == 1 && f->v[0].cause.pid == VCPU &&
	      f->v[0].cause.type == RC_EV_ROOT_PUT);
	CHECK(f->n == 1 && f->v[0].ev.pid == FZ);

	/* The worker puts first, then the fast zap: still the fast zap's fault. */
	start(RC_DESIGN_AUTO);
	alloc(R1, 1);
	put(R1, VCPU, RC_OWN_VCPU, 1);
	inval(R1, VCPU, RC_RSN_LAST_PUT);
	zap(R1, FZ, RC_CTX_FAST_ZAP, false);
	zap(R1, WORKER, RC_CTX_WORKER, false);
	put(R1, WORKER, RC_OWN_ZAP, 1);
	rfree(R1, WORKER);
	put(R1, FZ, RC_OWN_ZAP, 0);
	EXPECT("GIFT-UNGIFTED-PUT");

	/* A v3-style invalidation in put_root of a gifted kernel (not last). */
	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	put(R1, VCPU, RC_OWN_VCPU, 2);
	inval(R1, VCPU, RC_RSN_LAST_PUT);
	get(R1, FZ, RC_OWN_ITER, 1);
	zap(R1, FZ, RC_CTX_FAST_ZAP, false);
	put(R1, FZ, RC_OWN_ZAP, 2);
	EXPECT("GIFT-UNGIFTED-PUT");
	f = rc_engine_findings(eng);
	CHECK(f->n == 1 && f->v[0].has_cause && f->v[0].cause.pid == VCPU &&
	      f->v[0].cause.type == RC_EV_ROOT_PUT);

	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	put(R1, FZ, RC_OWN_ZAP, 2);		/* never invalidated */
	EXPECT("GIFT-UNGIFTED-PUT");

	/* Async worker, invalidate-all's gift taken by a get. */
	start(RC_DESIGN_AUTO);
	alloc(R1, 1);
	get(R1, FZ, RC_OWN_ZAP, 1);
	inval(R1, FZ, RC_RSN_FAST_ZAP);
	zap(R1, WORKER, RC_CTX_WORKER, false);
	put(R1, WORKER, RC_OWN_ZAP, 2);
	put(R1, VCPU, RC_OWN_VCPU, 1);
	rfree(R1, VCPU);
	fz_done();
	teardown();
	EXPECT("");
}

static void test_gift_double_put(void)
{
	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	get(R1, ITER, RC_OWN_ITER, 2);		/* keeps it alive */
	inval(R1, FZ, RC_RSN_FAST_ZAP);
	zap(R1, FZ, RC_CTX_FAST_ZAP, false);
	put(R1, FZ, RC_OWN_ZAP, 3);
	put(R1, FZ, RC_OWN_ZAP, 2);
	EXPECT("GIFT-DOUBLE-PUT");

	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	get(R1, ITER, RC_OWN_ITER, 2);
	inval(R1, FZ, RC_RSN_FAST_ZAP);
	zap(R1, FZ, RC_CTX_FAST_ZAP, false);
	put(R1, FZ, RC_OWN_ZAP, 3);
	put(R1, ITER, RC_OWN_ITER, 2);
	EXPECT("");
}

static void test_gift_leak(void)
{
	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	put(R1, VCPU, RC_OWN_VCPU, 2);
	inval(R1, FZ, RC_RSN_TEARDOWN);
	zap(R1, FZ, RC_CTX_FAST_ZAP, false);	/* zapped, gift never put */
	teardown();
	EXPECT("GIFT-LEAK");
	CHECK(rc_model_stats(m)->roots_leaked == 1);

	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	put(R1, VCPU, RC_OWN_VCPU, 2);
	inval(R1, FZ, RC_RSN_TEARDOWN);
	zap(R1, FZ, RC_CTX_FAST_ZAP, false);
	put(R1, FZ, RC_OWN_ZAP, 1);
	rfree(R1, FZ);
	teardown();
	EXPECT("");
}

static void test_put_before_zap(void)
{
	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	inval(R1, FZ, RC_RSN_FAST_ZAP);
	put(R1, FZ, RC_OWN_ZAP, 2);		/* before any zap */
	EXPECT("GIFT-PUT-BEFORE-ZAP");

	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	inval(R1, FZ, RC_RSN_FAST_ZAP);
	zap(R1, FZ, RC_CTX_FAST_ZAP, true);
	put(R1, FZ, RC_OWN_ZAP, 2);		/* while the zap runs */
	EXPECT("GIFT-PUT-BEFORE-ZAP");

	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	inval(R1, FZ, RC_RSN_FAST_ZAP);
	zap(R1, FZ, RC_CTX_FAST_ZAP, false);
	put(R1, FZ, RC_OWN_ZAP, 2);
	EXPECT("");
}

static void test_fast_zap_incomplete(void)
{
	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	alloc(R2, 2);
	inval(R1, FZ, RC_RSN_FAST_ZAP);
	inval(R2, FZ, RC_RSN_FAST_ZAP);
	zap(R1, FZ, RC_CTX_FAST_ZAP, false);
	put(R1, FZ, RC_OWN_ZAP, 2);
	fz_done();				/* R2 skipped */
	EXPECT("FASTZAP-INCOMPLETE");

	/* A root invalidated by an earlier fast zap and zapped then is fine. */
	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	inval(R1, FZ, RC_RSN_FAST_ZAP);
	zap(R1, FZ, RC_CTX_FAST_ZAP, false);
	put(R1, FZ, RC_OWN_ZAP, 2);
	fz_done();
	alloc(R2, 2);
	inval(R2, FZ, RC_RSN_FAST_ZAP);
	zap(R2, FZ, RC_CTX_FAST_ZAP, false);
	put(R2, FZ, RC_OWN_ZAP, 2);
	fz_done();
	EXPECT("");
}

static void test_teardown_leaks(void)
{
	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	get(R1, VCPU2, RC_OWN_VCPU, 2);		/* never put */
	teardown_held(R1, 3);
	EXPECT("TEARDOWN-LEAK");
	{
		const struct rc_finding *x = first_finding();

		/* the leak names the get never put back */
		CHECK(x && x->has_cause && x->cause.pid == VCPU2 &&
		      x->cause.type == RC_EV_ROOT_GET && x->cause.seq == 1 &&
		      x->cause.old == 2 && x->cause.owner == RC_OWN_VCPU);
	}

	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	get(R1, ITER, RC_OWN_ITER, 2);		/* break without put */
	teardown_held(R1, 3);
	EXPECT("ITER-LEAK");
	{
		const struct rc_findings *f = rc_engine_findings(eng);

		CHECK(f->n == 1 && f->v[0].has_cause && f->v[0].cause.pid == ITER);
	}

	/* Alive at the end of a trace that stopped before teardown: fine. */
	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	get(R1, ITER, RC_OWN_ITER, 2);
	EXPECT("");
	CHECK(rc_model_stats(m)->roots_alive == 1);
}

static void test_lost_events(void)
{
	struct rc_report rep = { 0 };

	/* A loss on a live root: the following double put is not judged. */
	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	lost(1);
	put(R1, ITER, RC_OWN_ITER, 2);		/* its get may have been lost */
	teardown();
	EXPECT("");
	rep.model = m;
	rep.findings = rc_engine_findings(eng);
	CHECK(rc_report_exit(&rep) == RC_EXIT_INCONCLUSIVE);
	CHECK(rc_model_stats(m)->roots_unverified == 1);

	/*
	 * The violation is the last event read on the CPU that then lost
	 * events: those came after it on that CPU and cannot explain it.
	 */
	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	put(R1, ITER, RC_OWN_ITER, 2);		/* cpu 0: no iter reference */
	lost(0);
	EXPECT("REF-PUT-UNOWNED");
	rep.model = m;
	rep.findings = rc_engine_findings(eng);
	CHECK(rc_report_exit(&rep) == RC_EXIT_VIOLATIONS);

	/* The same loss reported on another CPU could explain it. */
	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	put(R1, ITER, RC_OWN_ITER, 2);
	lost(1);
	EXPECT("");
	rep.model = m;
	rep.findings = rc_engine_findings(eng);
	CHECK(rc_report_exit(&rep) == RC_EXIT_INCONCLUSIVE);

	/*
	 * Events at the address of a life freed before a loss: the lost
	 * events may hold a new life's alloc, so they are not a use after
	 * free; the life they belong to is unverified.
	 */
	start(RC_DESIGN_AUTO);
	gifted_clean_life(R1);
	lost(0);
	get(R1, ITER, RC_OWN_ITER, 2);
	put(R1, ITER, RC_OWN_ITER, 3);
	EXPECT("");
	rep.model = m;
	rep.findings = rc_engine_findings(eng);
	CHECK(rc_report_exit(&rep) == RC_EXIT_INCONCLUSIVE);
	CHECK(rc_model_stats(m)->roots_adopted == 1);
	CHECK(rc_model_stats(m)->roots_unverified == 1);

	/* A loss before the free changes nothing for a later free life. */
	start(RC_DESIGN_AUTO);
	lost(0);
	gifted_clean_life(R1);
	get(R1, ITER, RC_OWN_ITER, 1);
	EXPECT("ROOT-UAF");

	/* Roots born after the loss are still judged. */
	start(RC_DESIGN_AUTO);
	lost(1);
	alloc(R2, 2);
	put(R2, ITER, RC_OWN_ITER, 2);
	EXPECT("REF-PUT-UNOWNED");
	rep.model = m;
	rep.findings = rc_engine_findings(eng);
	CHECK(rc_report_exit(&rep) == RC_EXIT_VIOLATIONS);
}

/* The report of the current engine: verdict reason and exit, and what
 * rc_report_text(), rc_report_line() and rc_report_json() print. */
struct shown {
	enum rc_why why;
	enum rc_exit exit;
	char text[4096], line[256], json[8192];
};

static void print_to(char *buf, size_t len, const struct rc_report *rep,
		     void (*fn)(FILE *, const struct rc_report *))
{
	char *p = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&p, &n);

	buf[0] = '\0';
	if (!f)
		return;
	fn(f, rep);
	fclose(f);
	snprintf(buf, len, "%s", p ? p : "");
	free(p);
}

static void show_info(struct shown *s, const struct rc_cmd *cmd,
		      const struct rc_trace_info *info)
{
	struct rc_report rep = { .input = "t.dat", .info = info };

	rc_engine_finish(eng);
	rep.model = m;
	rep.findings = rc_engine_findings(eng);
	if (cmd)
		rep.cmd = *cmd;
	s->why = rc_report_why(&rep);
	s->exit = rc_report_exit(&rep);
	print_to(s->text, sizeof(s->text), &rep, rc_report_text);
	print_to(s->line, sizeof(s->line), &rep, rc_report_line);
	print_to(s->json, sizeof(s->json), &rep, rc_report_json);
}

static void show(struct shown *s, const struct rc_cmd *cmd)
{
	show_info(s, cmd, NULL);
}

#define HAS(buf, str) CHECK_MSG(strstr(buf, str) != NULL, "no '%s' in: %s", str, buf)
#define HAS_NOT(buf, str) CHECK_MSG(strstr(buf, str) == NULL, "'%s' in: %s", str, buf)

/*
 * Issue 14: no root event at all is not a PASS. An empty trace, one with
 * only VM-level events (fast zap, teardown) or only lost-event marks:
 * inconclusive, reason no_root_events, exit 3, in every report form.
 */
static void test_no_root_events(void)
{
	struct shown s;

	start(RC_DESIGN_AUTO);
	show(&s, NULL);
	CHECK(s.why == RC_WHY_NO_ROOT_EVENTS && s.exit == RC_EXIT_INCONCLUSIVE);
	HAS(s.text, "\nverdict: INCONCLUSIVE: no root events recorded\n");
	HAS_NOT(s.text, "PASS");
	HAS(s.line, "INCONCLUSIVE 3  t.dat  no root events recorded\n");
	HAS(s.json, "\"verdict\":\"inconclusive\",\"reason\":\"no_root_events\",\"exit\":3}");
	HAS(s.json, "\"root_lifecycle\":0,");
	HAS(s.json, "\"command\":null,");

	/* VM-level events only: a fast zap and a teardown, no root */
	start(RC_DESIGN_AUTO);
	feed((struct rc_event){ .type = RC_EV_FAST_ZAP_START, .pid = FZ });
	fz_done();
	teardown();
	show(&s, NULL);
	CHECK(s.why == RC_WHY_NO_ROOT_EVENTS && s.exit == RC_EXIT_INCONCLUSIVE);
	HAS(s.text, "warning: no root event, only 3 VM-level events (fast zap, teardown)\n");
	HAS(s.text, "\nverdict: INCONCLUSIVE: no root events recorded\n");
	CHECK(rc_model_stats(m)->root_events == 0 && rc_model_stats(m)->vms == 1);

	/* a lost-event mark is not a root event; the reason stays no_root_events */
	start(RC_DESIGN_AUTO);
	lost(0);
	show(&s, NULL);
	CHECK(s.why == RC_WHY_NO_ROOT_EVENTS && s.exit == RC_EXIT_INCONCLUSIVE);
	HAS(s.text, "warning: no root event, only lost-event marks\n");

	/* near miss: one root life, clean: PASS */
	start(RC_DESIGN_AUTO);
	gifted_clean_life(R1);
	show(&s, NULL);
	CHECK(s.why == RC_WHY_NONE && s.exit == RC_EXIT_CLEAN);
	HAS(s.text, "\nverdict: PASS: 1 root life in 1 VM, ");
	HAS(s.json, "\"verdict\":\"clean\",\"reason\":null,\"exit\":0}");
	CHECK(rc_model_stats(m)->root_events == 11);

	/*
	 * Recorded without some root events and none recorded: nothing was
	 * checked, that is the verdict; a trace not read in full comes first
	 * (the root events may be in what was not read).
	 */
	{
		struct rc_trace_info info = { .ncpus = 2, .abi = 1 };

		snprintf(info.missing_names, sizeof(info.missing_names), "get");
		start(RC_DESIGN_AUTO);
		show_info(&s, NULL, &info);
		CHECK(s.why == RC_WHY_NO_ROOT_EVENTS && s.exit == RC_EXIT_INCONCLUSIVE);
		HAS(s.text, "\nverdict: INCONCLUSIVE: no root events recorded\n");
		start(RC_DESIGN_AUTO);
		gifted_clean_life(R1);
		show_info(&s, NULL, &info);
		CHECK(s.why == RC_WHY_EVENTS_NOT_RECORDED && s.exit == RC_EXIT_INCONCLUSIVE);
		HAS(s.json, "\"reason\":\"events_not_recorded\"");
		info.cpus_incomplete = 1;
		start(RC_DESIGN_AUTO);
		show_info(&s, NULL, &info);
		CHECK(s.why == RC_WHY_TRACE_INCOMPLETE && s.exit == RC_EXIT_INCONCLUSIVE);
	}

	/* a single root event (a put of a root seen mid-life) is something */
	start(RC_DESIGN_AUTO);
	put(R1, VCPU, RC_OWN_VCPU, 2);
	show(&s, NULL);
	CHECK(s.why != RC_WHY_NO_ROOT_EVENTS);
}

/*
 * live: a command that exited non-zero or was killed is named on the
 * verdict line and in JSON; a run otherwise clean is inconclusive (exit
 * 3), violations stay exit 1, and no root event stays the reason.
 */
static void test_command_status(void)
{
	const struct rc_cmd ok = { .ran = true, .name = "true" };
	const struct rc_cmd ex1 = { .ran = true, .name = "false", .exit_code = 1 };
	const struct rc_cmd segv = { .ran = true, .name = "sh", .exit_code = -1,
				     .signal = SIGSEGV };
	struct shown s;
	char buf[32];

	start(RC_DESIGN_AUTO);
	gifted_clean_life(R1);
	show(&s, &ok);
	CHECK(s.why == RC_WHY_NONE && s.exit == RC_EXIT_CLEAN);
	HAS(s.json, "\"command\":{\"name\":\"true\",\"exit\":0,\"signal\":null},");

	show(&s, &ex1);
	CHECK(s.why == RC_WHY_COMMAND_FAILED && s.exit == RC_EXIT_INCONCLUSIVE);
	HAS(s.text, "\nverdict: INCONCLUSIVE: command exited 1\n"
		    "  no violation in 1 root life in 1 VM\n");
	HAS(s.line, "INCONCLUSIVE 3  t.dat  command exited 1\n");
	HAS(s.json, "\"command\":{\"name\":\"false\",\"exit\":1,\"signal\":null},");
	HAS(s.json, "\"reason\":\"command_failed\",\"exit\":3}");

	show(&s, &segv);
	CHECK(s.why == RC_WHY_COMMAND_FAILED && s.exit == RC_EXIT_INCONCLUSIVE);
	HAS(s.text, "\nverdict: INCONCLUSIVE: command killed by SIGSEGV\n");
	HAS(s.json, "\"command\":{\"name\":\"sh\",\"exit\":null,\"signal\":\"SIGSEGV\"},");

	/* no root event and a crash: both on the verdict line */
	start(RC_DESIGN_AUTO);
	show(&s, &segv);
	CHECK(s.why == RC_WHY_NO_ROOT_EVENTS && s.exit == RC_EXIT_INCONCLUSIVE);
	HAS(s.text, "\nverdict: INCONCLUSIVE: no root events recorded\n"
		    "  command killed by SIGSEGV\n");
	HAS(s.line, "no root events recorded; command killed by SIGSEGV\n");
	start(RC_DESIGN_AUTO);
	show(&s, &ex1);
	HAS(s.text, "\nverdict: INCONCLUSIVE: no root events recorded; command exited 1\n");

	/* a violation is real whatever the command did: exit 1 */
	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	put(R1, ITER, RC_OWN_ITER, 2);
	show(&s, &ex1);
	CHECK(s.why == RC_WHY_VIOLATIONS && s.exit == RC_EXIT_VIOLATIONS);
	HAS(s.text, "\nverdict: FAIL: 1 violation; command exited 1\n  REF-PUT-UNOWNED\n");
	HAS(s.line, "FAIL         1  t.dat  1 violation: REF-PUT-UNOWNED; command exited 1\n");
	HAS(s.json, "\"verdict\":\"violations\",\"reason\":null,\"exit\":1}");

	CHECK(!strcmp(rc_report_signal_name(SIGKILL, buf, sizeof(buf)), "SIGKILL"));
	CHECK(!strcmp(rc_report_signal_name(77, buf, sizeof(buf)), "signal 77"));
}

static void test_adopted(void)
{
	/* The trace began after these roots were allocated. */
	start(RC_DESIGN_AUTO);
	put(R1, VCPU, RC_OWN_VCPU, 2);
	get(R1, ITER, RC_OWN_ITER, 1);
	put(R1, ITER, RC_OWN_ITER, 2);
	zap(R2, FZ, RC_CTX_FAST_ZAP, false);
	put(R2, FZ, RC_OWN_ZAP, 1);
	rfree(R2, FZ);
	EXPECT("");
	CHECK(rc_model_stats(m)->roots_adopted == 2);

	start(RC_DESIGN_AUTO);
	put(R1, VCPU, RC_OWN_VCPU, 1);
	rfree(R1, VCPU);
	put(R1, VCPU, RC_OWN_VCPU, 1);
	EXPECT("ROOT-UAF");
}

/*
 * The history of a finding keeps the milestones (alloc, invalidate) that
 * a flood of iterator gets and puts pushed out of the ring of latest
 * events, drops the oldest of those gets and puts instead, and still ends
 * with the offending event.
 */
static void test_history(void)
{
	const struct rc_findings *f;
	const struct rc_finding *x;
	int iter_refs = 0;

	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	feed((struct rc_event){ .type = RC_EV_FAST_ZAP_START, .pid = FZ });
	inval(R1, FZ, RC_RSN_FAST_ZAP);
	for (int i = 0; i < 20; i++) {
		get(R1, ITER, RC_OWN_ITER, 2);
		put(R1, ITER, RC_OWN_ITER, 3);
	}
	put(R1, WORKER, RC_OWN_ZAP, 2);		/* before any zap ended */
	EXPECT("GIFT-PUT-BEFORE-ZAP");
	f = rc_engine_findings(eng);
	x = &f->v[0];
	CHECK(x->e.nhist == RC_HIST);
	CHECK(x->e.nevents == 43);
	CHECK(x->e.hist[0].type == RC_EV_ROOT_ALLOC);
	CHECK(x->e.hist[1].type == RC_EV_ROOT_INVALIDATE);
	CHECK(x->e.hist[RC_HIST - 1].type == RC_EV_ROOT_PUT &&
	      x->e.hist[RC_HIST - 1].owner == RC_OWN_ZAP);
	for (unsigned int i = 0; i < x->e.nhist; i++) {
		iter_refs += x->e.hist[i].owner == RC_OWN_ITER;
		if (i)
			CHECK(x->e.hist[i].seq > x->e.hist[i - 1].seq);
	}
	CHECK(iter_refs == RC_HIST - 3);

	/* A short life is shown whole. */
	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	put(R1, ITER, RC_OWN_ITER, 2);
	EXPECT("REF-PUT-UNOWNED");
	x = &rc_engine_findings(eng)->v[0];
	CHECK(x->e.nhist == 2 && x->e.nevents == 2);
}

/* ROOT-CROSS-VM: a root page belongs to one VM at a time. */
static void test_cross_vm(void)
{
	const uint64_t kvm2 = KVM + 0x10000;
	const struct rc_findings *f;
	struct rc_event g = { .type = RC_EV_ROOT_GET, .kvm = kvm2, .pid = VCPU2,
			      .root = R1, .owner = RC_OWN_VCPU, .old = 1,
			      .caller = 0xffffffff81000123ull };

	/* A vCPU of VM 2 takes a reference to VM 1's live root. */
	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	get(R1, ITER, RC_OWN_ITER, 2);
	feed(g);
	EXPECT("ROOT-CROSS-VM");
	f = rc_engine_findings(eng);
	CHECK(f->n == 1 && f->v[0].ev.kvm == kvm2 && f->v[0].ev.pid == VCPU2);
	CHECK(f->n == 1 && f->v[0].has_cause && f->v[0].cause.kvm == KVM &&
	      f->v[0].cause.pid == ITER);

	/* The page was freed by VM 1 first: VM 2 may own it now. */
	start(RC_DESIGN_AUTO);
	gifted_clean_life(R1);
	feed(g);
	EXPECT("");

	/* VM 1 is gone (its leaked root with it): no twin either. */
	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	teardown();
	feed(g);
	EXPECT("TEARDOWN-LEAK");

	/* A failed get takes nothing. */
	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	g.old = 0;
	feed(g);
	EXPECT("");
}

/* A count-2 root no vCPU holds any more: the TDP MMU's reference only. */
static void idle_root(void)
{
	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	put(R1, VCPU, RC_OWN_VCPU, 2);
}

/* ROOT-ZAP-VALID: only kvm_tdp_mmu_zap_all() zaps a valid root. */
static void test_zap_valid(void)
{
	const struct rc_findings *f;

	/* The fast zap's zapper zaps a root nobody invalidated (bug 8). */
	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	get(R1, FZ, RC_OWN_ITER, 2);
	zap(R1, FZ, RC_CTX_FAST_ZAP, false);
	EXPECT("ROOT-ZAP-VALID");
	f = rc_engine_findings(eng);
	CHECK(f->n == 1 && f->v[0].ev.type == RC_EV_ROOT_ZAP_START &&
	      f->v[0].ev.pid == FZ);
	CHECK(f->n == 1 && f->v[0].has_cause && f->v[0].cause.pid == FZ &&
	      f->v[0].cause.type == RC_EV_ROOT_GET);

	/* A worker alike. */
	start(RC_DESIGN_AUTO);
	alloc(R1, 1);
	get(R1, VCPU, RC_OWN_VCPU, 1);
	zap(R1, WORKER, RC_CTX_WORKER, false);
	EXPECT("ROOT-ZAP-VALID");

	/* Count 1, no vCPU holds it: it may be invalid silently (v3), judged at the put. */
	start(RC_DESIGN_AUTO);
	alloc(R1, 1);
	get(R1, FZ, RC_OWN_ITER, 1);
	put(R1, VCPU, RC_OWN_VCPU, 2);
	zap(R1, FZ, RC_CTX_FAST_ZAP, false);
	EXPECT("");

	/*
	 * Count 2, no vCPU holds it: the TDP MMU's reference keeps it valid
	 * until a traced invalidation (the CI run of injected bug 8 whose
	 * wrprot_slot walk met such a root first).
	 */
	idle_root();
	get(R1, FZ, RC_OWN_ITER, 1);
	zap(R1, FZ, RC_CTX_FAST_ZAP, false);
	EXPECT("");				/* not yet: a silent invalidation? */
	put(R1, FZ, RC_OWN_ITER, 2);		/* its next event: not a zap put */
	EXPECT("ROOT-ZAP-VALID");
	f = rc_engine_findings(eng);
	CHECK(f->n == 1 && strstr(f->v[0].detail, "only the TDP MMU holds") != NULL);
	CHECK(f->n == 1 && f->v[0].ev.type == RC_EV_ROOT_ZAP_START &&
	      f->v[0].ev.pid == FZ && f->v[0].has_cause &&
	      f->v[0].cause.type == RC_EV_ROOT_GET && f->v[0].cause.pid == FZ);

	/* ... or at the end of its fast zap, the VM's teardown. */
	idle_root();
	zap(R1, FZ, RC_CTX_FAST_ZAP, false);
	fz_done();
	EXPECT("ROOT-ZAP-VALID");
	idle_root();
	zap(R1, WORKER, RC_CTX_WORKER, false);
	get(R1, VCPU2, RC_OWN_ITER, 1);		/* another task: not the moment */
	EXPECT("");
	teardown();
	EXPECT("ROOT-ZAP-VALID");

	/* Its next event may be among lost ones: a violation either way. */
	idle_root();
	zap(R1, FZ, RC_CTX_FAST_ZAP, false);
	lost(0);
	EXPECT("ROOT-ZAP-VALID");
	f = rc_engine_findings(eng);
	CHECK(f->n == 1 && strstr(f->v[0].detail, "then lost") != NULL &&
	      f->v[0].ev.type == RC_EV_ROOT_ZAP_START);

	/* Lost before the zap: an invalidation may be among them. */
	idle_root();
	lost(0);
	zap(R1, FZ, RC_CTX_FAST_ZAP, false);
	put(R1, FZ, RC_OWN_ITER, 1);
	EXPECT("");

	/*
	 * The zapper puts a zap reference next: the root had gone invalid
	 * silently (injected v3 bug); the put names it, not the zap.
	 */
	idle_root();
	zap(R1, FZ, RC_CTX_FAST_ZAP, false);
	put(R1, FZ, RC_OWN_ZAP, 1);
	EXPECT("GIFT-UNGIFTED-PUT");

	/* VM teardown zaps valid roots (ctx zap_all): legal. */
	start(RC_DESIGN_AUTO);
	alloc(R1, 2);
	zap(R1, FZ, RC_CTX_ZAP_ALL, false);
	EXPECT("");

	/* After the invalidation: the gift's zap, legal. */
	start(RC_DESIGN_AUTO);
	gifted_clean_life(R1);
	EXPECT("");
}

/* Feed ev as it is: its own CPU and timestamp (the skew tests). */
static void feed_at(struct rc_event ev, int cpu, uint64_t ts)
{
	ev.seq = seq++;
	ev.cpu = cpu;
	ev.ts = ts;
	if (!ev.kvm && ev.type != RC_EV_LOST)
		ev.kvm = KVM;
	rc_engine_feed(eng, &ev);
}

/*
 * Orders no kernel makes measure a skew (docs/invariants.md, the clock
 * check): a root event stamped after its VM's teardown on another CPU,
 * and the late fit of a forced record; not across a lost-event mark.
 */
static void test_skew_evidence(void)
{
	struct rc_event td = { .type = RC_EV_TEARDOWN, .pid = FZ };
	struct rc_event p = { .type = RC_EV_ROOT_PUT, .pid = VCPU, .root = R1,
			      .owner = RC_OWN_VCPU, .old = 2 };

	start(RC_DESIGN_GIFTED);
	feed_at((struct rc_event){ .type = RC_EV_ROOT_ALLOC, .pid = VCPU, .root = R1,
				   .count = 2, .level = 4 }, 1, 1000);
	feed_at(td, 0, 2000);
	feed_at(p, 1, 2500);	/* CPU 1's put, 500 ns after CPU 0's teardown */
	CHECK(rc_model_cpu_ahead(m, 1) == 500);
	CHECK(rc_model_cpu_behind(m, 0) == 500);
	CHECK(rc_model_cpu_ahead_direct(m, 1) == 0);	/* passes refine without it */
	CHECK(rc_model_cpu_ahead(m, 0) == 0);

	start(RC_DESIGN_GIFTED);	/* a loss between: it could hold anything */
	feed_at((struct rc_event){ .type = RC_EV_ROOT_ALLOC, .pid = VCPU, .root = R1,
				   .count = 2, .level = 4 }, 1, 1000);
	feed_at(td, 0, 2000);
	feed_at((struct rc_event){ .type = RC_EV_LOST, .lost = 1 }, 1, 2200);
	feed_at(p, 1, 2500);
	CHECK(rc_model_cpu_ahead(m, 1) == 0);

	/*
	 * CPU 0's get (old 3) waits for CPU 1's get (old 2); CPU 0's fast
	 * zap end waits behind it (not forced), and CPU 1's get, stamped
	 * 4 us later, fits it: CPU 1 read ahead by 4 us, measured directly.
	 */
	start(RC_DESIGN_GIFTED);
	feed_at((struct rc_event){ .type = RC_EV_ROOT_ALLOC, .pid = VCPU, .root = R1,
				   .count = 2, .level = 4 }, 0, 1000);
	feed_at((struct rc_event){ .type = RC_EV_ROOT_GET, .pid = FZ, .root = R1,
				   .owner = RC_OWN_ITER, .old = 3 }, 0, 2000);
	feed_at((struct rc_event){ .type = RC_EV_FAST_ZAP_DONE, .pid = FZ }, 0, 3000);
	CHECK(rc_model_stats(m)->forced == 0);
	feed_at((struct rc_event){ .type = RC_EV_ROOT_GET, .pid = ITER, .root = R1,
				   .owner = RC_OWN_ITER, .old = 2 }, 1, 6000);
	CHECK(rc_model_stats(m)->forced == 0);
	CHECK(rc_model_cpu_ahead(m, 1) == 4000);
	CHECK(rc_model_cpu_behind(m, 0) == 4000);
	CHECK(rc_model_cpu_ahead_direct(m, 1) == 4000);
	CHECK(rc_engine_findings(eng)->total == 0);

	/*
	 * Late fit: the same get forced at CPU 0's teardown of the VM, and
	 * CPU 1's get then comes 4 us later and leaves the count at 3: CPU 1
	 * read ahead by 4 us (not directly: the record was forced).
	 */
	start(RC_DESIGN_GIFTED);
	feed_at((struct rc_event){ .type = RC_EV_ROOT_ALLOC, .pid = VCPU, .root = R1,
				   .count = 2, .level = 4 }, 0, 1000);
	feed_at((struct rc_event){ .type = RC_EV_ROOT_GET, .pid = FZ, .root = R1,
				   .owner = RC_OWN_ITER, .old = 3 }, 0, 2000);
	feed_at(td, 0, 3000);
	CHECK(rc_model_stats(m)->forced == 1);
	feed_at((struct rc_event){ .type = RC_EV_ROOT_GET, .pid = ITER, .root = R1,
				   .owner = RC_OWN_ITER, .old = 2 }, 1, 6000);
	CHECK(rc_model_cpu_ahead(m, 1) == 4000);
	CHECK(rc_model_cpu_behind(m, 0) == 4000);
	CHECK(rc_model_cpu_ahead_direct(m, 1) == 0);
}

/* A finding notes the other CPUs' events near it, per CPU, both sides. */
static void test_finding_near(void)
{
	struct rc_finding x;
	struct rc_event e = { .cpu = 1, .ts = 9000 };

	memset(&x, 0, sizeof(x));
	x.ev.cpu = 0;
	x.ev.ts = 10000;
	rc_finding_near(&x, &e, false);
	e.ts = 7000;
	rc_finding_near(&x, &e, false);
	e.ts = 12000;
	rc_finding_near(&x, &e, true);
	CHECK(x.nnear == 1 && x.near[0].cpu == 1);
	CHECK(x.near[0].has_before && x.near[0].before[0] == 1000 && x.near[0].before[1] == 3000);
	CHECK(x.near[0].has_after && x.near[0].after[0] == 2000 && x.near[0].after[1] == 2000);
	e.cpu = 2;
	e.ts = 10000;		/* same time, later in the stream: after, by 0 */
	rc_finding_near(&x, &e, true);
	CHECK(x.nnear == 2 && x.near[1].has_after && !x.near[1].has_before &&
	      x.near[1].after[0] == 0);
	e.cpu = 0;		/* its own CPU: program order, not a clock */
	rc_finding_near(&x, &e, true);
	e.cpu = 3;
	e.ts = 10000 + RC_NEAR_NS + 1;	/* too far */
	rc_finding_near(&x, &e, true);
	CHECK(x.nnear == 2);
	for (int c = 3; c < 3 + RC_NEAR_CPUS; c++) {
		e.cpu = c;
		e.ts = 11000;
		rc_finding_near(&x, &e, true);
	}
	CHECK(x.nnear == RC_NEAR_CPUS);	/* at most that many CPUs */
}

/*
 * Between the nearest and the farthest, the next nearest distinct
 * distances are kept, ascending (RC_NEAR_MIDS of them): the clock check
 * moves a CPU past each (a zap's end between its start and its put).
 */
static void test_finding_near_mids(void)
{
	static const uint64_t after[] = { 700, 70, 170, 270, 170, 570, 70, 30 };
	struct rc_finding x;
	struct rc_event e = { .cpu = 1 };

	memset(&x, 0, sizeof(x));
	x.ev.cpu = 0;
	x.ev.ts = 10000;
	for (unsigned int i = 0; i < sizeof(after) / sizeof(after[0]); i++) {
		e.ts = 10000 + after[i];
		rc_finding_near(&x, &e, true);
	}
	CHECK(x.nnear == 1 && x.near[0].after[0] == 30 && x.near[0].after[1] == 700);
	CHECK(x.near[0].nmid_after == RC_NEAR_MIDS && RC_NEAR_MIDS == 3);
	CHECK(x.near[0].mid_after[0] == 70 && x.near[0].mid_after[1] == 170 &&
	      x.near[0].mid_after[2] == 270);
	CHECK(!x.near[0].has_before && !x.near[0].nmid_before);
	e.ts = 10000 - 5;		/* one before: no middle */
	rc_finding_near(&x, &e, false);
	CHECK(x.near[0].has_before && x.near[0].before[0] == 5 && !x.near[0].nmid_before);
	e.ts = 10000 - 5;		/* the same distance again: still none */
	rc_finding_near(&x, &e, false);
	CHECK(!x.near[0].nmid_before);
	e.ts = 10000 - 9;
	rc_finding_near(&x, &e, false);
	CHECK(x.near[0].nmid_before == 1 && x.near[0].mid_before[0] == 9 &&
	      x.near[0].before[1] == 9);
}

/* A finding put in doubt names the pass, moves from total to doubted, once. */
static void test_finding_doubt(void)
{
	struct rc_findings f;
	struct rc_verdict v = { .rule = RC_R_TEARDOWN_LEAK };
	struct rc_event ev = { .type = RC_EV_TEARDOWN, .cpu = 1 };
	struct rc_evidence ev_e = { .root_id = 7 };

	rc_findings_init(&f);
	CHECK(rc_findings_admit(&f, 7, false) == RC_ADMIT_NEW);
	CHECK(rc_findings_add(&f, &v, &ev, &ev_e) != NULL);
	CHECK(f.total == 1 && f.doubted == 0);
	rc_findings_doubt(&f, 0, 1, -2401000);
	CHECK(f.total == 0 && f.doubted == 1 && f.v[0].clock_doubt);
	CHECK(f.v[0].doubt_cpu == 1 && f.v[0].doubt_ns == -2401000);
	rc_findings_doubt(&f, 0, 0, 5000);	/* the first pass stays named */
	CHECK(f.doubted == 1 && f.v[0].doubt_cpu == 1 && f.v[0].doubt_ns == -2401000);
	CHECK(f.per_rule[RC_R_TEARDOWN_LEAK] == 0);
	rc_findings_release(&f);
}

static void test_rule_table(void)
{
	for (int i = 0; i < RC_R__COUNT; i++) {
		CHECK(rc_rules[i].id && rc_rules[i].summary);
		CHECK(strlen(rc_rules[i].summary) <= 64);
		CHECK(rc_rule_by_id(rc_rules[i].id) == i);
		CHECK(rc_rules[i].judge && rc_rules[i].on);
	}
	CHECK(rc_rule_by_id("NO-SUCH-RULE") == -1);
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_clean),
	UNIT_TEST(test_underflow),
	UNIT_TEST(test_put_unowned),
	UNIT_TEST(test_get_zero),
	UNIT_TEST(test_mismatch_and_reorder),
	UNIT_TEST(test_reorder_64),
	UNIT_TEST(test_program_order),
	UNIT_TEST(test_ledger_iter),
	UNIT_TEST(test_ledger_vcpu),
	UNIT_TEST(test_uaf_double_free),
	UNIT_TEST(test_free_valid),
	UNIT_TEST(test_revalidate),
	UNIT_TEST(test_revalidate_unordered),
	UNIT_TEST(test_ungifted_v3),
	UNIT_TEST(test_gift_double_put),
	UNIT_TEST(test_gift_leak),
	UNIT_TEST(test_put_before_zap),
	UNIT_TEST(test_fast_zap_incomplete),
	UNIT_TEST(test_teardown_leaks),
	UNIT_TEST(test_lost_events),
	UNIT_TEST(test_no_root_events),
	UNIT_TEST(test_command_status),
	UNIT_TEST(test_history),
	UNIT_TEST(test_adopted),
	UNIT_TEST(test_cross_vm),
	UNIT_TEST(test_zap_valid),
	UNIT_TEST(test_skew_evidence),
	UNIT_TEST(test_finding_near),
	UNIT_TEST(test_finding_near_mids),
	UNIT_TEST(test_finding_doubt),
	UNIT_TEST(test_rule_table),
};

static void free_model(void)
{
	rc_engine_free(eng);
}

int main(int argc, char **argv)
{
	return unit_main("rules", argc, argv, tests, sizeof(tests) / sizeof(tests[0]),
			 NULL, free_model);
}
