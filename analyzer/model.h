/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The lifecycle model: per VM and per root life, a shadow refcount, the
 * references held per owner, the valid/invalid state, the zap gifts, zap
 * windows and the fast-zap window. Events go in through rc_model_feed().
 * The model knows nothing of rules or findings: before it applies an
 * event to a root (and at the VM-level moments: the end of a fast zap, a
 * VM's teardown) it calls the hooks it was given, with a read-only view
 * of the root; the engine (engine.c) judges there. The model's state is
 * written only here; the lookups below are its read-only accessors.
 * Memory is bounded by live roots, open windows and a bounded set of
 * freed-root tombstones (at most RC_TOMBSTONES kept whole, RC_TOMBS_MAX
 * of 60 bytes: model_tomb.h, docs/invariants.md "Freed lives"), and per
 * root by its live references (the ledger, plus one marker per task) and
 * its held-back records (at most RC_REORDER_EVENTS; with the other state
 * only some lives need, in an rc_root_side of their own), except the --root
 * timeline, which keeps every event of that one root and so grows with
 * the trace, and the table of the callers the history and the ledger name
 * (at most 32 bytes a distinct caller address: a handful of kernel
 * functions).
 */
#ifndef RC_MODEL_H
#define RC_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "event.h"
#include "model_hlog.h"

/*
 * How long a record may wait for the records of other CPUs it must
 * follow (docs/invariants.md "Ordering"): at most RC_REORDER_EVENTS
 * records of its root held back, and until a later event of its root is
 * RC_REORDER_NS of trace time (ns for ns clocks) younger. Past either
 * bound the oldest held-back record is judged as it came (a count
 * mismatch is reported there) and the shadow count resynced to it.
 */
#define RC_REORDER_EVENTS 4096
#define RC_REORDER_NS 50000000ull
#define RC_ZAPPERS 8		/* recent zappers remembered per root */
#define RC_TOMBSTONES 256	/* freed roots kept whole (then small:
				 * model_tomb.h) */
#define RC_TOMB_RING 1024	/* slots of the ring that keeps them in
				 * order (a power of 2, over RC_TOMBSTONES,
				 * at most 1 << 10: rc_root.tomb_slot) */
#define RC_FZ_TASKS 16		/* fast zaps in flight remembered (by task) */
#define RC_RESIDUES 64		/* forced records remembered (note_late_fit()) */
#define RC_TEARDOWNS 16		/* teardowns remembered (note_after_teardown()) */
/*
 * Caps on what is tracked (docs/cli.md "Limits"), far above any real
 * workload (a host runs hundreds of VMs, each a handful of roots): past
 * them, new VMs and root lives are not tracked, the events that need them
 * are counted in rc_stats.over_cap and the verdict is inconclusive.
 */
#define RC_MAX_VMS (1u << 16)
#define RC_MAX_ROOTS (1u << 20)	/* root lives tracked at once (tombstones too) */

/*
 * The designs (docs/designs.md): GIFTED v6.6+ and 6.1.y after its August
 * 2023 backport, HYBRID v6.4/v6.5, ASYNC v5.18..v6.3, 6.2.y, 6.3.0/6.3.1
 * and 6.1.y before that backport (alloc count 1).
 */
enum rc_design { RC_DESIGN_AUTO, RC_DESIGN_GIFTED, RC_DESIGN_ASYNC, RC_DESIGN_HYBRID };
#define RC_DESIGN_BITS 2	/* rc_root.design holds every enum rc_design */

/* The kinds of zap reference (gift) a root can hold, by who made it. */
enum rc_gift_kind {
	RC_GK_NONE,
	RC_GK_INVAL,		/* invalidate-all: a zap get, or the MMU's reference */
	RC_GK_DEFUNCT,		/* a last_put revival: the worker's */
};

/*
 * The reference ledger (docs/invariants.md "The reference ledger"): one
 * entry per outstanding reference of a root, in the spirit of the
 * kernel's lib/ref_tracker.c, with the event that made it. Three kinds
 * of marker share the array (one of each per task at most): a vCPU
 * task's last put of its own reference, a vCPU task whose reference
 * another task put, and an iterator's failed get.
 */
enum rc_ref_kind {
	RC_REF_HELD,		/* an outstanding reference */
	RC_REF_SPENT,		/* marker: the task's last put of its own vCPU
				 * reference (the fields are the put's) */
	RC_REF_FAILED,		/* marker: the task's last get failed (old 0) */
	RC_REF_UNLOADED,	/* marker: another task put this vCPU task's
				 * reference (its MMU unloaded at VM
				 * destruction); pid is the vCPU task's */
};

/*
 * 26 bytes (issue 15: four entries fit malloc's 104-byte block). The
 * fields are narrower than an event's; rc_model_feed() counts an event
 * whose seq, CPU or task does not fit in rc_stats.over_cap and does not
 * apply it (RC_REF_SEQ_MAX and friends, far beyond any real trace: a
 * kernel's pids are under 2^22, its CPUs under 8192), and a caller past
 * the 65,535th distinct one is counted there too (kept as none).
 */
#define RC_REF_SEQ_BITS 42
#define RC_REF_CPU_BITS 14
#define RC_REF_PID_BITS 24

struct __attribute__((packed, aligned(2))) rc_ref {
	uint64_t ts;
	uint64_t seq : RC_REF_SEQ_BITS;	/* the event that made it (get,
					 * alloc, ...): a position in the stream */
	uint64_t owner : 2;	/* enum rc_owner (< RC_OWN__COUNT) */
	uint64_t type : 4;	/* enum rc_ev_type of that event */
	uint64_t kind : 2;	/* enum rc_ref_kind */
	int64_t cpu : RC_REF_CPU_BITS;
	uint32_t old;		/* get/put: old; alloc: count; invalidate:
				 * reason; handoff: from (rc_ref_event()) */
	int32_t pid : RC_REF_PID_BITS;
	uint32_t unused : 8;
	uint16_t caller;	/* in the model's callers (rc_ref_event()) */
};
_Static_assert(sizeof(struct rc_ref) == 26, "rc_ref is 26 bytes");

/* Whether an event's seq, CPU and task fit a ledger entry. */
static inline bool rc_ref_fits(uint64_t seq, int32_t cpu, int32_t pid)
{
	return seq < 1ull << RC_REF_SEQ_BITS &&
	       cpu >= -(1 << (RC_REF_CPU_BITS - 1)) && cpu < 1 << (RC_REF_CPU_BITS - 1) &&
	       pid >= -(1 << (RC_REF_PID_BITS - 1)) && pid < 1 << (RC_REF_PID_BITS - 1);
}

/* Events of a root's life the rules name as causes (rc_root_mark()). */
enum rc_mark {
	RC_MARK_GIFT,		/* the event that made the latest gift */
	RC_MARK_LAST_PUT,	/* the put that dropped the last reference of
				 * the root while valid */
	RC_MARK_CAUSE,		/* last_put invalidation: the put that made it
				 * defunct (set only by apply_invalidate()) */
	RC_MARK_VCPU_PUT,	/* the last vCPU put while the root was valid */
	RC_MARK__COUNT
};
_Static_assert(RC_MARK__COUNT <= RC_HLOG_MARKS, "rc_hlog holds the marks");

struct rc_zapper {
	int pid;
	uint8_t ctx;
	bool active;		/* zap_start seen, zap_end not yet */
	uint32_t consumed;	/* gifts of this root it put */
	uint64_t end_seq;	/* seq of its last zap_end, 0 if none */
};

/*
 * What only some root lives need (issue 15: memory per live root): the
 * records held back for their order, a zap of the valid root to judge,
 * its place on the eager list. A life that needs none of it points to
 * rc_root_side_none (read only, all zero); the model gives a life its own
 * before it writes any of it, and frees it with the life.
 */
struct rc_root_side {
	struct rc_event *pending;	/* root events waiting for order, in
					 * stream order (heap, grows) */
	unsigned int npending, cap_pending;
	uint8_t zap_valid_ctx;		/* of the zap of zap_valid_seq (kept
					 * past the seq, as its CPU is) */
	int32_t zap_valid_pid;
	int32_t zap_valid_cpu;		/* and its CPU (kept past the seq) */
	uint64_t zap_valid_seq;		/* a zap (not zap_all) that began while
					 * the root was valid, until its task's
					 * next other event on the root; 0: none */
	uint64_t zap_valid_ts;
	struct rc_root *enext, *eprev;	/* the model's roots each lost-event
					 * mark judges at once (on_lost()) */
};
extern const struct rc_root_side rc_root_side_none;

struct rc_vm;

struct rc_root {
	struct rc_root *hnext;		/* hash chain (kvm, addr) */
	struct rc_root *vnext, *vprev;	/* the VM's list of root lives */
	struct rc_vm *vm;
	uint64_t kvm, addr;
	uint64_t id;			/* global life number, from 1 */
	uint32_t life;			/* life number at this address, from 1 */
	uint8_t design : RC_DESIGN_BITS; /* enum rc_design: ASYNC (count 1) or
					 * GIFTED (count 2: gifted or hybrid,
					 * see rc_root_design()) */
	bool design_forced : 1;		/* --design */
	bool count_known : 1;		/* false until alloc or an `old` was seen */
	bool adopted : 1;		/* first seen mid-life (no alloc in trace) */

	bool valid : 1;
	bool valid_known : 1;		/* false for adopted roots until invalidated */
	bool freed : 1;
	bool unverified : 1;		/* lost events may hide part of its life */
	bool lost_after_free : 1;	/* freed, then events were lost: they
					 * may hold a new life's alloc here */
	bool zapped : 1;		/* a zap ended after the invalidation */
	bool zap_all_seen : 1;		/* kvm_tdp_mmu_zap_all() zapped it: its VM
					 * is going away, and one task may put the
					 * vCPU references of all (kvm_destroy_vcpus()) */
	bool gifted : 1;		/* a gift was made in this life */
	bool forced : 1;		/* a held-back record was applied
					 * without fitting (pending_force()) */
	bool violated : 1;		/* a rule found something on it: its
					 * counts are a bug's now, not a clock's */
	bool on_fz : 1;			/* the end of a fast zap shows judge it:
					 * all but the freed lives no rule can
					 * fire on then (no zap of the valid
					 * root unjudged, nothing held back) */
	bool on_eager : 1;		/* on the eager list */
	bool on_tomb : 1;		/* among the tombstones kept whole */
	bool had_failed : 1;		/* the ledger has held a failed-get */
	bool had_unloaded : 1;		/* or an unloaded marker in this life
					 * (filters: without, none to find) */
	bool recalled : 1;		/* made again from a compact tombstone
					 * (model_tomb.h): of its life before
					 * the free only the free is known */
	uint16_t tomb_slot : 10;	/* its slot among the freed lives kept
					 * whole, while on_tomb (RC_TOMB_RING) */

	int64_t count;			/* shadow refcount */
	uint32_t owners[RC_OWN__COUNT];
	struct rc_ref *refs;		/* the ledger (heap, grows and shrinks) */
	unsigned int nrefs;
	uint32_t lost_seen;		/* lost-event marks applied to it (the
					 * low 32 bits of the model's count of
					 * marks when it was last caught up:
					 * on_lost()) */

	uint64_t invalid_seq;		/* seq of the invalidate, 0 while valid */
	int invalid_pid;		/* task that invalidated it */
	uint8_t gift_reason;
	uint8_t nzappers : 4, cap_zappers : 4;	/* RC_ZAPPERS at most */
	uint8_t refs_log;		/* room in refs: 1 << refs_log (0: none) */
	uint8_t invalid_reason;
	struct rc_zapper *zappers;	/* heap, at most RC_ZAPPERS */
	uint32_t gifts_inval;		/* pending invalidate-all gifts */
	uint32_t gifts_defunct;		/* pending last_put gifts (the worker's) */
	struct rc_root_side *side;	/* never NULL (rc_root_side_none) */

	/*
	 * The history the reports print: the latest RC_HIST events, the
	 * milestones (alloc, invalidate, zaps, gifts, free) of the latest
	 * RC_KEY that fell out of them, the marks (rc_root_mark()); its
	 * last_ts is the root's latest event's.
	 */
	struct rc_hlog hist;
	uint64_t nevents;		/* events recorded */
};

/* A vCPU task's latest root load in a VM (rc_vm.loads). */
struct rc_vm_load {
	uint64_t seq;
	int32_t pid;
	bool used;
};

struct rc_vm {
	struct rc_vm *next;
	uint64_t kvm;
	uint32_t nroots;		/* root lives seen */
	struct rc_root *roots;		/* its root lives (alive and tombstones),
					 * newest first */
	struct rc_root *roots_tail;	/* the oldest of them */
	int fast_zap_pid;		/* task inside a fast zap, 0 if none */
	enum rc_design two_ref;		/* count-2 roots: GIFTED or HYBRID once
					 * the trace shows who zaps, else AUTO */
	bool v3_shape;			/* count-1 roots zapped by the fast zap
					 * itself (ctx fast_zap): v3's loop */
	uint64_t fast_zap_seq;
	uint64_t fast_zaps;
	bool torn_down;			/* its teardown is forgetting its roots
					 * (rc_model_hooks.gone) */
	uint64_t first_seq;		/* seq of the event that made it: a compact
					 * tombstone older than that is of an
					 * earlier VM at this kvm, torn down */
	uint32_t ntombs;		/* its compact tombstones */
	/* each vCPU task's latest root load (get or alloc), open hashing by
	 * pid: which of a task's references it still has loaded */
	struct rc_vm_load *loads;
	uint32_t nloads, cap_loads;
	const struct rc_callers *callers;	/* the model's: its roots' history */
};

struct rc_model_opts {
	enum rc_design design;		/* AUTO picks per root from alloc count */
	enum rc_design hint;		/* from the kernel release: HYBRID for
					 * 6.4/6.5, else AUTO */
	bool have_root_filter;
	uint64_t root_filter;		/* --root ADDR: keep a full timeline */
	uint32_t max_vms, max_roots;	/* caps, 0: RC_MAX_VMS, RC_MAX_ROOTS */
};

struct rc_stats {
	uint64_t events;
	uint32_t root_cpus;		/* CPUs that recorded root events: 0, 1,
					 * or 2 for two or more */
	uint64_t root_events;		/* events naming a root (rc_ev_names_root()),
					 * applied or not: 0 leaves nothing to check */
	uint64_t lost_events;		/* known count */
	uint64_t lost_reports;		/* LOST markers (incl. unknown count) */
	uint64_t vms;
	uint64_t roots;			/* root lives */
	uint64_t roots_freed;
	uint64_t roots_alive;		/* alive at end of trace (not torn down) */
	uint64_t roots_leaked;		/* alive at their VM's teardown */
	uint64_t roots_unverified;
	uint64_t roots_adopted;
	uint64_t roots_reallocated;	/* address reused without a free event */
	uint64_t reordered;		/* get/put records held back and applied
					 * in `old` order (JSON "reordered") */
	uint64_t forced;		/* held-back records applied without
					 * fitting (a count mismatch each) */
	uint64_t after_teardown;	/* root events read after their VM's
					 * teardown on another CPU (within
					 * RC_REORDER_NS, no loss since): an
					 * order no kernel makes, or a bug */
	uint64_t max_inversion_ns;	/* the most a root event was applied
					 * before a later-stamped one of another
					 * CPU (how far the clock misorders) */
	uint64_t fast_zaps;
	uint64_t teardowns;
	uint64_t gifted_roots, async_roots;
	uint64_t owner_gets[RC_OWN__COUNT], owner_puts[RC_OWN__COUNT];
	uint64_t failed_gets;
	uint64_t zaps;
	uint64_t values_outside;	/* events not applied: a value outside the ABI */
	uint64_t over_cap;		/* events not applied: a cap was reached */
	bool oom;			/* out of memory: events were dropped */
};

struct rc_model;

/*
 * What the model tells the layer above. Every hook is optional; arg is
 * rc_model_hooks.arg. The root is the state *before* ev is applied.
 */
struct rc_model_hooks {
	void *arg;
	/*
	 * ev is about to be applied to r (a get, put, invalidate, handoff,
	 * zap start or end, free), or, for RC_EV_FAST_ZAP_DONE and
	 * RC_EV_TEARDOWN, r is a root of that VM at that moment (teardown:
	 * still alive; fz_start: the seq of that fast zap's start,
	 * UINT64_MAX if unknown). Returns true when something was found on
	 * r at a VM-level moment: the model then keeps that moment in r's
	 * history.
	 */
	bool (*judge)(void *arg, const struct rc_model *m,
		      const struct rc_root *r, const struct rc_event *ev,
		      uint64_t fz_start);
	/*
	 * Events lost on cpu after since (the time of the last event read
	 * on that CPU) may hide part of r's life: what was concluded about
	 * r after that point no longer stands. Called when the model next
	 * looks at r after the lost-event mark (never later than before r
	 * is judged again, forgotten, or rc_model_finish() returns), and for
	 * several marks of one CPU r missed, once, with the earliest since
	 * (an earlier since withdraws at least what a later one does).
	 */
	void (*lost)(void *arg, const struct rc_root *r, int cpu, uint64_t since);
	/*
	 * r is forgotten (VM teardown, tombstone evicted, address reused).
	 * For a compact tombstone (model_tomb.h) r is made for the call:
	 * kvm, addr, id, life and the flags are set, vm is NULL.
	 */
	void (*gone)(void *arg, const struct rc_root *r);
	/*
	 * At the end of a fast zap, judge is shown the lives of the VM a
	 * rule may fire on (rc_root.on_fz), not the freed ones no rule can
	 * fire on then. Returns true when judge must see those too (the
	 * engine notes the moment on its recent findings: engine.c
	 * near_note()); NULL: never.
	 */
	bool (*wants_freed)(void *arg);
};

struct rc_model *rc_model_new(const struct rc_model_opts *opts,
			      const struct rc_model_hooks *hooks);
void rc_model_free(struct rc_model *m);

/* Feed one event (in stream order). Returns -1 once out of memory (the
 * model is then incomplete: stop and report the error), else 0. */
int rc_model_feed(struct rc_model *m, const struct rc_event *ev);
/* End of stream: flush held-back events, count what is still alive. */
void rc_model_finish(struct rc_model *m);

const struct rc_stats *rc_model_stats(const struct rc_model *m);
/*
 * How far CPU cpu's timestamps ran ahead of another CPU's: the most by
 * which one of its root events was stamped later than an event of another
 * CPU applied after it (in `old` or program order), or than an event it
 * must have followed, 0 if never. Differences over RC_AHEAD_MAX_NS (a
 * record late for another reason: no clock is off by that much) count
 * only in rc_stats.max_inversion_ns.
 */
#define RC_AHEAD_MAX_NS 20000000ull
uint64_t rc_model_cpu_ahead(const struct rc_model *m, int cpu);
/* The same, measured only from records applied out of `old` order (and an
 * alloc after its unfreed life): what a pass of the clock check refines by. */
uint64_t rc_model_cpu_ahead_direct(const struct rc_model *m, int cpu);
/* How far another CPU's timestamps ran ahead of CPU cpu's (the other side
 * of rc_model_cpu_ahead(): cpu's clock may read behind instead). */
uint64_t rc_model_cpu_behind(const struct rc_model *m, int cpu);
/* CPUs seen: 1 + the highest CPU number of an event. */
int rc_model_ncpus(const struct rc_model *m);
enum rc_design rc_model_design_seen(const struct rc_model *m);

/* --root timeline: every event of roots at opts.root_filter, in order. */
const struct rc_event *rc_model_timeline(const struct rc_model *m, size_t *n);

/*
 * A root's history, oldest first, at most @max events: the latest events,
 * and before them the milestones (alloc, invalidate, zap, gifted puts,
 * free) older than those; when over @max, the oldest vCPU/iterator gets
 * and puts go first.  Returns the count copied.
 */
unsigned int rc_root_history(const struct rc_root *r, struct rc_event *out,
			     unsigned int max);

const char *rc_design_name(enum rc_design d);
/* The design a kernel release implies for count-2 roots (AUTO: none). */
enum rc_design rc_design_hint(const char *release);

/* The root's design as forced or detected so far (AUTO: gifted or hybrid, undecided). */
enum rc_design rc_root_design(const struct rc_root *r);
/* The pending gift a zap-owned put by task pid would consume (NONE: none is its). */
enum rc_gift_kind rc_gift_for(const struct rc_root *r, int pid);
/* Whether the consumer of r's pending invalidate-all gifts is the task that zaps
 * with ctx fast_zap (gifted, v3) rather than a worker. */
bool rc_inval_gift_to_fast_zap(const struct rc_root *r);

/* Read-only lookups over a root life (NULL when there is none). */
/* The oldest outstanding reference of owner (RC_OWN__COUNT: any owner,
 * vCPU, iterator, zap before the MMU's own). */
const struct rc_ref *rc_root_held(const struct rc_root *r, unsigned int owner);
/* The vCPU task pid put its own reference and holds none since (its put). */
const struct rc_ref *rc_root_spent(const struct rc_root *r, int pid);
/* Task pid's last get attempt on r failed and it holds no iterator reference. */
bool rc_root_failed_get(const struct rc_root *r, int pid);
/* The event a ledger entry of r stands for (the fields the ledger keeps). */
void rc_ref_event(const struct rc_root *r, const struct rc_ref *ref,
		  struct rc_event *out);
/* Whether mark k of r was set. */
static inline bool rc_root_has_mark(const struct rc_root *r, enum rc_mark k)
{
	return rc_hlog_has_mark(&r->hist, k);
}
/*
 * Mark k of r into out and returns out: the event as the history keeps
 * it; all zero if never set.
 */
const struct rc_event *rc_root_mark(const struct rc_root *r, enum rc_mark k,
				    struct rc_event *out);
/* The zaps task pid ran on r. */
const struct rc_zapper *rc_root_zapper(const struct rc_root *r, int pid);
/* The latest event applied to r, into out; false if none. */
bool rc_root_last_event(const struct rc_root *r, struct rc_event *out);
/* The event before the latest (during a judge hook: the one before ev). */
bool rc_root_prev_event(const struct rc_root *r, struct rc_event *out);
/*
 * The recorded event of r with this seq, into out, and the one before it
 * into prev (its has_prev false when no longer kept); false if the event
 * itself is no longer kept.
 */
bool rc_root_event_seq(const struct rc_root *r, uint64_t seq,
		       struct rc_event *out, struct rc_event *prev,
		       bool *has_prev);
/*
 * Another VM's life at r's address that is alive (allocated in the trace,
 * not freed, not unverified): a root page belongs to one VM at a time.
 */
const struct rc_root *rc_model_twin(const struct rc_model *m,
				    const struct rc_root *r);
/*
 * The outstanding reference put ev on r would consume, by the matching
 * rule of docs/invariants.md: NULL when it matches none (the put is the
 * culprit). Found once for the put being processed (the rules and its
 * apply use the same).
 */
const struct rc_ref *rc_model_put_match(const struct rc_model *m, const struct rc_root *r,
					const struct rc_event *ev);

#endif
