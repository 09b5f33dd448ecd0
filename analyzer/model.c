// SPDX-License-Identifier: GPL-2.0
/*
 * The lifecycle model. Each event finds (or starts) its root life, is
 * shown to the layer above (rc_model_hooks.judge) with the state before
 * it, and is then applied. The model does not know the rules or the
 * findings.
 *
 * Ordering: a get/put is traced after its atomic operation, so two CPUs
 * racing on one root can write their records in the opposite order of
 * the operations (more so with the `local` clock). A get/put whose `old`
 * does not match the shadow count, or a free before the count reached 0,
 * is held back until the record of another CPU it must follow arrives.
 * Program order is a fact: a record never overtakes an earlier held-back
 * record of its CPU or of its task, so a record of the same CPU cannot
 * explain a mismatch. When the order does not come (the VM's teardown,
 * the end of the trace, RC_REORDER_EVENTS or RC_REORDER_NS) the oldest
 * held-back record is judged as it came and the count resynced to it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"
#include "model_tomb.h"

struct rc_model {
	struct rc_model_opts opts;
	struct rc_model_hooks hooks;
	struct rc_stats st;
	int first_root_cpu;		/* CPU of the first root event */
	struct rc_root **buckets;
	size_t nbuckets, nroots;
	struct rc_vm **vms;		/* hash of the live VMs by kvm (chained
					 * by rc_vm.next): O(1) lookup */
	size_t nvmb, nvms;		/* buckets (a power of 2), live VMs */
	/*
	 * The freed lives kept whole, oldest first: a ring of RC_TOMB_RING
	 * slots, positions tomb_head .. tomb_tail - 1 (never a hole at either
	 * end), holes where a life left from the middle; ntomb in it.
	 */
	struct rc_root **tomb_ring;
	uint32_t tomb_head, tomb_tail;
	size_t ntomb;
	struct rc_tombs tombs;		/* and kept small (tomb_demote()) */
	uint64_t next_id;
	struct rc_cpu {
		uint64_t last_ts;	/* of the last event read on it */
		uint64_t ahead;		/* how far its stamps ran ahead
					 * (rc_model_cpu_ahead()) */
		uint64_t behind;	/* and behind (rc_model_cpu_behind()) */
		uint64_t direct;	/* rc_model_cpu_ahead_direct() */
		struct rc_loss_mark {
			uint64_t no;	/* its number (rc_model.nmarks) */
			uint64_t since;	/* last_ts when it came */
		} *marks;		/* its lost-event marks in the log,
					 * oldest first, since never lower */
		unsigned int nmarks, cap_marks;
		int mark_next;		/* CPUs with marks in the log, the
					 * latest mark's first (mark_cpu) */
		int mark_prev;
	} *cpu;				/* per CPU, ncpu of them */
	int ncpu;
	/*
	 * Lost-event marks (on_lost()): logged, and applied to a root when
	 * the model next looks at it (lost_catch_up()); roots with a zap of
	 * the valid root to judge at a mark are on the eager list.
	 */
	uint64_t nmarks;		/* marks so far */
	size_t nlogged;			/* marks in the per-CPU logs */
	int mark_cpu;			/* CPU of the latest logged mark, -1: none */
	struct rc_root *eager;		/* roots each mark applies to at once */
	struct rc_eager_key {
		struct rc_root *r;
		size_t bucket, pos;
	} *eager_keys;			/* on_lost()'s sort of the eager list */
	size_t cap_eager_keys;
	enum rc_design design_seen;
	struct rc_event *timeline;
	size_t ntl, captl;
	struct rc_callers callers;	/* of the roots' history records */
	uint32_t names_root;		/* bit t: rc_ev_names_root(t) */
	/* the ledger entry the put being processed consumes (process()) */
	const struct rc_root *pm_root;
	uint64_t pm_seq;
	int pm_idx;
	struct { int pid; uint64_t seq; } fz[RC_FZ_TASKS];	/* fast zap starts */
	unsigned int nfz;
	/* the first forced get/put of recent root lives (note_late_fit()) */
	struct rc_residue {
		uint64_t kvm, addr, ts;
		uint64_t decided;	/* CPUs whose first record did not fit */
		uint32_t old;
		int32_t cpu;
	} residue[RC_RESIDUES];
	unsigned int nresidue;		/* ever stored (ring position) */
	unsigned int live_residues;	/* of them with cpu >= 0 */
	/* recent teardowns (note_after_teardown()) */
	struct rc_td { uint64_t kvm, ts, lost; int32_t cpu; } td[RC_TEARDOWNS];
	unsigned int ntd;		/* ever stored (ring position) */
	uint64_t td_kvms;		/* bit td_bit(kvm) of each in td[] */
};

const char *rc_design_name(enum rc_design d)
{
	switch (d) {
	case RC_DESIGN_GIFTED: return "gifted";
	case RC_DESIGN_ASYNC: return "async-worker";
	case RC_DESIGN_HYBRID: return "hybrid";
	default: return "auto";
	}
}

enum rc_design rc_design_hint(const char *release)
{
	unsigned int major, minor;

	if (release && sscanf(release, "%u.%u", &major, &minor) == 2 &&
	    major == 6 && (minor == 4 || minor == 5))
		return RC_DESIGN_HYBRID;
	return RC_DESIGN_AUTO;
}

enum rc_design rc_root_design(const struct rc_root *r)
{
	if (r->design_forced || r->design == RC_DESIGN_ASYNC)
		return r->design;
	return r->vm ? r->vm->two_ref : RC_DESIGN_AUTO;
}

bool rc_inval_gift_to_fast_zap(const struct rc_root *r)
{
	switch (rc_root_design(r)) {
	case RC_DESIGN_ASYNC:
		return !r->design_forced && r->vm && r->vm->v3_shape;
	case RC_DESIGN_HYBRID:
		return false;
	default:
		return true;
	}
}

enum rc_gift_kind rc_gift_for(const struct rc_root *r, int pid)
{
	const struct rc_zapper *z = rc_root_zapper(r, pid);
	bool to_fz = rc_inval_gift_to_fast_zap(r);

	/* only a zap of this task that ended since the root was invalidated */
	if (!z || z->active || z->end_seq <= r->invalid_seq)
		return RC_GK_NONE;
	if (z->ctx == RC_CTX_WORKER) {
		if (r->gifts_defunct)
			return RC_GK_DEFUNCT;
		if (r->gifts_inval && (!to_fz || rc_root_design(r) == RC_DESIGN_AUTO))
			return RC_GK_INVAL;
	} else if (z->ctx == RC_CTX_FAST_ZAP && r->gifts_inval && to_fz) {
		return RC_GK_INVAL;
	}
	return RC_GK_NONE;
}

struct rc_model *rc_model_new(const struct rc_model_opts *opts,
			      const struct rc_model_hooks *hooks)
{
	struct rc_model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->opts = *opts;
	if (hooks)
		m->hooks = *hooks;
	m->nbuckets = 256;
	m->buckets = calloc(m->nbuckets, sizeof(*m->buckets));
	m->nvmb = 64;
	m->vms = calloc(m->nvmb, sizeof(*m->vms));
	m->mark_cpu = -1;
	_Static_assert(RC_EV__COUNT <= 32, "rc_model.names_root has a bit per type");
	for (unsigned int t = 0; t < RC_EV__COUNT; t++)
		if (rc_ev_names_root((enum rc_ev_type)t))
			m->names_root |= 1u << t;
	if (!m->buckets || !m->vms) {
		free(m->buckets);
		free(m->vms);
		free(m);
		return NULL;
	}
	return m;
}

/*
 * By address only: every life at one address, whatever its VM, is on one
 * chain (rc_model_twin() looks there).
 */
static size_t hash(uint64_t kvm, uint64_t addr, size_t n)
{
	uint64_t h = (addr >> 12) * 0x9e3779b97f4a7c15ull;

	(void)kvm;
	return (size_t)(h ^ (h >> 29)) & (n - 1);
}

static void rehash(struct rc_model *m)
{
	size_t n = m->nbuckets * 2;
	struct rc_root **b = calloc(n, sizeof(*b));

	if (!b)
		return;		/* keep the longer chains */
	for (size_t i = 0; i < m->nbuckets; i++) {
		struct rc_root *r = m->buckets[i], *next;

		for (; r; r = next) {
			size_t h = hash(r->kvm, r->addr, n);

			next = r->hnext;
			r->hnext = b[h];
			b[h] = r;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = n;
}

static void lost_catch_up_slow(struct rc_model *m, struct rc_root *r);

/*
 * Apply the lost-event marks r missed. Every path that reads or changes
 * a root's state calls it first (root_find(), the walks of a VM's roots,
 * root_destroy(), rc_model_finish()); rc_model_twin() reads the
 * outcome without it.
 */
static inline void lost_catch_up(struct rc_model *m, struct rc_root *r)
{
	if (r->lost_seen != (uint32_t)m->nmarks)
		lost_catch_up_slow(m, r);
}

/*
 * The mark count a root or compact tombstone was caught up to, from the
 * low 32 bits it keeps (every one is caught up by lost_flush() long
 * before 2^32 more marks).
 */
static uint64_t marks_seen(const struct rc_model *m, uint32_t lo)
{
	return m->nmarks - (uint32_t)((uint32_t)m->nmarks - lo);
}

static __attribute__((noinline)) struct rc_root *
tomb_recall(struct rc_model *m, uint64_t kvm, uint64_t addr);

/* The life at (kvm, addr), made again from its compact tombstone if it has one. */
static struct rc_root *root_find(struct rc_model *m, uint64_t kvm, uint64_t addr)
{
	struct rc_root *r = m->buckets[hash(kvm, addr, m->nbuckets)];

	while (r && (r->kvm != kvm || r->addr != addr))
		r = r->hnext;
	if (r)
		lost_catch_up(m, r);
	else if (m->tombs.live)
		r = tomb_recall(m, kvm, addr);
	return r;
}

static size_t vm_hash(uint64_t kvm, size_t n)
{
	uint64_t h = (kvm >> 6) * 0x9e3779b97f4a7c15ull;

	return (size_t)(h ^ (h >> 29)) & (n - 1);
}

/* Twice the buckets once there are more VMs than buckets. */
static void vm_rehash(struct rc_model *m)
{
	size_t n = m->nvmb * 2;
	struct rc_vm **b = calloc(n, sizeof(*b));

	if (!b)
		return;		/* keep the longer chains */
	for (size_t i = 0; i < m->nvmb; i++) {
		struct rc_vm *vm = m->vms[i], *next;

		for (; vm; vm = next) {
			size_t h = vm_hash(vm->kvm, n);

			next = vm->next;
			vm->next = b[h];
			b[h] = vm;
		}
	}
	free(m->vms);
	m->vms = b;
	m->nvmb = n;
}

static struct rc_vm *vm_find(const struct rc_model *m, uint64_t kvm)
{
	struct rc_vm *vm;

	for (vm = m->vms[vm_hash(kvm, m->nvmb)]; vm; vm = vm->next)
		if (vm->kvm == kvm)
			return vm;
	return NULL;
}

/* The VM at kvm, made (at the event of position seq) if new. */
static struct rc_vm *vm_get(struct rc_model *m, uint64_t kvm, uint64_t seq)
{
	struct rc_vm *vm = vm_find(m, kvm), **b;

	if (vm)
		return vm;
	if (m->st.vms >= (m->opts.max_vms && m->opts.max_vms < RC_MAX_VMS ? m->opts.max_vms : RC_MAX_VMS)) {
		m->st.over_cap++;
		return NULL;
	}
	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		m->st.oom = true;
		return NULL;
	}
	vm->kvm = kvm;
	vm->first_seq = seq;
	vm->callers = &m->callers;
	if (++m->nvms > m->nvmb)
		vm_rehash(m);
	b = &m->vms[vm_hash(kvm, m->nvmb)];
	vm->next = *b;
	*b = vm;
	m->st.vms++;
	return vm;
}

static size_t load_slot(const struct rc_vm *vm, int pid)
{
	size_t i = (size_t)((uint32_t)pid * 0x9e3779b9u) & (vm->cap_loads - 1);

	while (vm->loads[i].used && vm->loads[i].pid != pid)
		i = (i + 1) & (vm->cap_loads - 1);
	return i;
}

/* The position (seq) of vCPU task pid's latest root load in vm, 0 if none. */
static uint64_t vm_last_load(const struct rc_vm *vm, int pid)
{
	size_t i;

	if (!vm || !vm->cap_loads)
		return 0;
	i = load_slot(vm, pid);
	return vm->loads[i].used ? vm->loads[i].seq : 0;
}

/* vCPU task pid loaded a root of vm (a vCPU get or alloc) at seq. */
static void vm_note_load(struct rc_model *m, struct rc_vm *vm, int pid, uint64_t seq)
{
	size_t i;

	if (!vm)
		return;
	if (2 * (vm->nloads + 1) > vm->cap_loads) {
		size_t cap = vm->cap_loads ? 2 * (size_t)vm->cap_loads : 8;
		struct rc_vm_load *old = vm->loads, *p = calloc(cap, sizeof(*p));
		size_t n = vm->cap_loads;

		if (!p) {
			m->st.oom = true;
			return;
		}
		vm->loads = p;
		vm->cap_loads = (uint32_t)cap;
		for (size_t k = 0; k < n; k++)
			if (old[k].used)
				vm->loads[load_slot(vm, old[k].pid)] = old[k];
		free(old);
	}
	i = load_slot(vm, pid);
	if (!vm->loads[i].used) {
		vm->loads[i] = (struct rc_vm_load){ .pid = pid, .used = true };
		vm->nloads++;
	}
	if (seq > vm->loads[i].seq)
		vm->loads[i].seq = seq;
}

const struct rc_root_side rc_root_side_none;

/* r's own side (rc_root_side), made if it has none; false: out of memory. */
static bool side_own(struct rc_model *m, struct rc_root *r)
{
	struct rc_root_side *s;

	if (r->side != &rc_root_side_none)
		return true;
	s = calloc(1, sizeof(*s));
	if (!s) {
		m->st.oom = true;
		return false;
	}
	r->side = s;
	return true;
}

static void side_release(struct rc_root *r)
{
	if (r->side == &rc_root_side_none)
		return;
	free(r->side->pending);
	free(r->side);
	r->side = (struct rc_root_side *)&rc_root_side_none;
}

#define TOMB_SLOT(i) ((i) & (RC_TOMB_RING - 1))
_Static_assert(RC_TOMB_RING <= 1 << 10 && !(RC_TOMB_RING & (RC_TOMB_RING - 1)) &&
	       RC_TOMB_RING > 2 * RC_TOMBSTONES, "rc_root.tomb_slot holds a slot");
_Static_assert(RC_ZAPPERS < 16, "rc_root.nzappers holds RC_ZAPPERS");

/* The oldest and the newest freed life kept whole (NULL: none). */
static inline struct rc_root *tomb_first(const struct rc_model *m)
{
	return m->ntomb ? m->tomb_ring[TOMB_SLOT(m->tomb_head)] : NULL;
}

static struct rc_root *tomb_last(const struct rc_model *m)
{
	return m->ntomb ? m->tomb_ring[TOMB_SLOT(m->tomb_tail - 1)] : NULL;
}

static void tomb_unlink(struct rc_model *m, struct rc_root *r)
{
	if (!r->on_tomb)
		return;
	r->on_tomb = false;
	m->tomb_ring[r->tomb_slot] = NULL;
	m->ntomb--;
	while (m->tomb_head != m->tomb_tail && !m->tomb_ring[TOMB_SLOT(m->tomb_head)])
		m->tomb_head++;
	while (m->tomb_tail != m->tomb_head && !m->tomb_ring[TOMB_SLOT(m->tomb_tail - 1)])
		m->tomb_tail--;
}

/*
 * A freed life with nothing held back and no zap of the valid root left
 * to judge: no rule fires on it at the end of a fast zap, which then
 * skips it (rc_root.on_fz, never set again).
 */
static void fz_update(struct rc_root *r)
{
	if (r->freed && !r->side->npending && !r->side->zap_valid_seq)
		r->on_fz = false;
}

static void eager_add(struct rc_model *m, struct rc_root *r)
{
	if (r->on_eager || !side_own(m, r))
		return;
	r->side->eprev = NULL;
	r->side->enext = m->eager;
	if (m->eager)
		m->eager->side->eprev = r;
	m->eager = r;
	r->on_eager = true;
}

static void eager_del(struct rc_model *m, struct rc_root *r)
{
	if (!r->on_eager)
		return;
	if (r->side->eprev)
		r->side->eprev->side->enext = r->side->enext;
	else
		m->eager = r->side->enext;
	if (r->side->enext)
		r->side->enext->side->eprev = r->side->eprev;
	r->side->enext = r->side->eprev = NULL;
	r->on_eager = false;
}

static void root_release(struct rc_model *m, struct rc_root *r)
{
	free(r->refs);
	free(r->zappers);
	side_release(r);
	rc_hlog_free(&r->hist, &m->callers);
	free(r);
}

/* Remove a root life from every index and free it, silently. */
static void root_remove(struct rc_model *m, struct rc_root *r)
{
	struct rc_root **pp = &m->buckets[hash(r->kvm, r->addr, m->nbuckets)];

	while (*pp && *pp != r)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = r->hnext;
	m->nroots--;
	tomb_unlink(m, r);
	eager_del(m, r);
	if (r->vm && r->vm->roots_tail == r)
		r->vm->roots_tail = r->vprev;
	if (r->vprev)
		r->vprev->vnext = r->vnext;
	else if (r->vm)
		r->vm->roots = r->vnext;
	if (r->vnext)
		r->vnext->vprev = r->vprev;
	root_release(m, r);
}

/* Forget a root life: the layer above is told (rc_model_hooks.gone). */
static void root_destroy(struct rc_model *m, struct rc_root *r)
{
	lost_catch_up(m, r);
	if (m->hooks.gone)
		m->hooks.gone(m->hooks.arg, r);
	root_remove(m, r);
}

static struct rc_root *root_new(struct rc_model *m, struct rc_vm *vm,
				const struct rc_event *ev, uint32_t life)
{
	struct rc_root *r;
	size_t h;

	if (m->nroots >= (m->opts.max_roots && m->opts.max_roots < RC_MAX_ROOTS ?
			   m->opts.max_roots : RC_MAX_ROOTS)) {
		m->st.over_cap++;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		m->st.oom = true;
		return NULL;
	}
	r->kvm = ev->kvm;
	r->addr = ev->root;
	r->vm = vm;
	r->side = (struct rc_root_side *)&rc_root_side_none;
	r->id = ++m->next_id;
	r->life = life;
	r->valid = true;
	r->lost_seen = (uint32_t)m->nmarks;	/* the marks before it are not its */
	h = hash(r->kvm, r->addr, m->nbuckets);
	r->hnext = m->buckets[h];
	m->buckets[h] = r;
	r->vnext = vm->roots;
	if (vm->roots)
		vm->roots->vprev = r;
	else
		vm->roots_tail = r;
	vm->roots = r;
	r->on_fz = true;
	vm->nroots++;
	m->st.roots++;
	if (++m->nroots > m->nbuckets * 2)
		rehash(m);
	return r;
}

static void mark_unverified(struct rc_model *m, struct rc_root *r)
{
	if (r->unverified)
		return;
	r->unverified = true;
	m->st.roots_unverified++;
}

/* A root first seen mid-life: its references before the trace are unknown. */
static struct rc_root *root_adopt(struct rc_model *m, const struct rc_event *ev)
{
	struct rc_vm *vm = vm_get(m, ev->kvm, ev->seq);
	struct rc_root *r = vm ? root_new(m, vm, ev, 1) : NULL;

	if (!r)
		return NULL;
	r->adopted = true;
	r->design = m->opts.design != RC_DESIGN_AUTO ? m->opts.design :
		    m->design_seen != RC_DESIGN_AUTO ? m->design_seen :
		    RC_DESIGN_GIFTED;
	r->design_forced = m->opts.design != RC_DESIGN_AUTO;
	m->st.roots_adopted++;
	if (m->st.lost_reports)
		mark_unverified(m, r);
	return r;
}

/* vCPU and iterator gets and puts: frequent, rarely what a reader needs. */
static bool routine_ref(const struct rc_event *ev)
{
	return ((ev->type == RC_EV_ROOT_GET || ev->type == RC_EV_ROOT_PUT) &&
		(ev->owner == RC_OWN_VCPU || ev->owner == RC_OWN_ITER)) ||
	       ev->type == RC_EV_ROOT_HANDOFF;
}

_Static_assert(RC_F__COUNT <= 16, "rc_hrec.absent has 16 bits");
_Static_assert(RC_DESIGN_HYBRID < 1 << RC_DESIGN_BITS, "rc_root.design holds a design");

static void hrec_set(struct rc_hrec *h, const struct rc_event *ev)
{
	h->seq = ev->seq;
	h->ts = ev->ts;
	/* only an alloc has a role, as_id and level, and it has no caller */
	h->caller = ev->type == RC_EV_ROOT_ALLOC ?
		    ev->role | (uint64_t)ev->as_id << 32 | (uint64_t)ev->level << 40 :
		    ev->caller;
	h->val = ev->type == RC_EV_ROOT_ALLOC || ev->type == RC_EV_ROOT_INVALIDATE ?
		 ev->count : ev->old;
	h->pid = ev->pid;
	h->cpu = ev->cpu;
	h->absent = (uint16_t)ev->absent;
	h->type = (uint8_t)ev->type;
	h->owner = ev->owner;
	h->to = ev->to;
	h->reason = ev->reason;
	h->ctx = ev->ctx;
	h->shared = ev->shared;
}

/* The event a history record of r stands for. */
static void hrec_event(const struct rc_root *r, const struct rc_hrec *h,
		       struct rc_event *out)
{
	memset(out, 0, sizeof(*out));
	out->type = h->type;
	out->seq = h->seq;
	out->ts = h->ts;
	out->cpu = h->cpu;
	out->pid = h->pid;
	out->kvm = r->kvm;
	out->root = r->addr;
	if (h->type == RC_EV_ROOT_ALLOC) {
		out->role = (uint32_t)h->caller;
		out->as_id = (uint8_t)(h->caller >> 32);
		out->level = (uint8_t)(h->caller >> 40);
	} else {
		out->caller = h->caller;
	}
	if (h->type == RC_EV_ROOT_ALLOC || h->type == RC_EV_ROOT_INVALIDATE)
		out->count = h->val;
	else
		out->old = h->val;
	out->absent = h->absent;
	out->owner = h->owner;
	out->to = h->to;
	out->reason = h->reason;
	out->ctx = h->ctx;
	out->shared = h->shared;
}

static void mark_hrec(struct rc_model *m, struct rc_root *r, enum rc_mark k,
		      const struct rc_hrec *h)
{
	if (rc_hlog_mark_set(&r->hist, &m->callers, k, h) < 0)
		m->st.oom = true;
}

static void mark_set(struct rc_model *m, struct rc_root *r, enum rc_mark k,
		     const struct rc_event *ev)
{
	struct rc_hrec h;

	hrec_set(&h, ev);
	mark_hrec(m, r, k, &h);
}

const struct rc_event *rc_root_mark(const struct rc_root *r, enum rc_mark k,
				    struct rc_event *out)
{
	struct rc_hrec h;

	if (rc_hlog_mark(&r->hist, r->vm->callers, k, &h))
		hrec_event(r, &h, out);
	else
		memset(out, 0, sizeof(*out));
	return out;
}

static bool hrec_routine(const struct rc_hrec *h)
{
	return ((h->type == RC_EV_ROOT_GET || h->type == RC_EV_ROOT_PUT) &&
		(h->owner == RC_OWN_VCPU || h->owner == RC_OWN_ITER)) ||
	       h->type == RC_EV_ROOT_HANDOFF;
}

/* Events recorded, as a 32-bit count (what the ring's index was). */
static unsigned int hist_n(const struct rc_root *r)
{
	return (unsigned int)r->nevents;
}

/* The latest events of r, oldest first, into h (RC_HIST): the count. */
static unsigned int hist_ring(const struct rc_root *r, struct rc_hrec *h)
{
	return rc_hlog_ring(&r->hist, r->vm->callers, h);
}

static void history_push(struct rc_model *m, struct rc_root *r,
			 const struct rc_event *ev)
{
	struct rc_hrec h;

	hrec_set(&h, ev);
	if (rc_hlog_push(&r->hist, &m->callers, &h, !routine_ref(ev)) < 0)
		m->st.oom = true;
	r->nevents++;
	if (m->opts.have_root_filter && ev->root == m->opts.root_filter) {
		if (m->ntl == m->captl) {
			size_t cap = m->captl ? m->captl * 2 : 64;
			struct rc_event *t = realloc(m->timeline, cap * sizeof(*t));

			if (!t) {
				m->st.oom = true;
				return;
			}
			m->timeline = t;
			m->captl = cap;
		}
		m->timeline[m->ntl++] = *ev;
	}
}

unsigned int rc_root_history(const struct rc_root *r, struct rc_event *out,
			     unsigned int max)
{
	struct rc_hrec ring[RC_HIST], old[RC_KEY];
	unsigned int n = hist_ring(r, ring);
	/* Milestones that fell out of the ring of latest events. */
	unsigned int nold = rc_hlog_old(&r->hist, r->vm->callers, old), routine = 0;
	unsigned int over, drop_routine, drop_key, drop_rest, i, o = 0;

	for (i = 0; i < n; i++)
		routine += hrec_routine(&ring[i]);
	over = nold + n > max ? nold + n - max : 0;
	drop_routine = over < routine ? over : routine;
	drop_key = over - drop_routine < nold ? over - drop_routine : nold;
	drop_rest = over - drop_routine - drop_key;

	for (i = drop_key; i < nold; i++)
		hrec_event(r, &old[i], &out[o++]);
	for (i = 0; i < n; i++) {
		const struct rc_hrec *h = &ring[i];

		if (drop_routine && hrec_routine(h)) {
			drop_routine--;
			continue;
		}
		if (drop_rest) {
			drop_rest--;
			continue;
		}
		hrec_event(r, h, &out[o++]);
	}
	return o;
}

/*
 * Let the layer above judge ev on r (the state before ev). Returns what
 * the hook returns: something was found on r at this moment.
 */
static bool judge(struct rc_model *m, struct rc_root *r,
		  const struct rc_event *ev, uint64_t fz_start)
{
	bool found = m->hooks.judge && m->hooks.judge(m->hooks.arg, m, r, ev, fz_start);

	if (found)
		r->violated = true;
	return found;
}

/*
 * The first (or, with newest, the last) ledger entry of kind and owner,
 * of task pid if by_pid. Entries are in the order they were made.
 */
static int ref_find(const struct rc_root *r, unsigned int kind,
		    unsigned int owner, bool by_pid, int pid, bool newest)
{
	for (unsigned int k = 0; k < r->nrefs; k++) {
		unsigned int i = newest ? r->nrefs - 1 - k : k;
		const struct rc_ref *x = &r->refs[i];

		if (x->kind == kind && x->owner == owner && (!by_pid || x->pid == pid))
			return (int)i;
	}
	return -1;
}

/*
 * A vCPU put by a task that holds none of its own (VM destruction
 * unloading each vCPU's MMU, kvm_destroy_vcpus(); an ioctl thread):
 * it puts what one vCPU has loaded, that vCPU's latest reference, and
 * unloads each vCPU once. So: the latest reference of each vCPU task
 * this root has no unload marker of and that the task has not put a
 * reference of its own since, nor loaded another root of its VM since
 * (vm_last_load()), the oldest of those; -1 if none. A reference of a
 * vCPU that is not what it has loaded was never put back (a leak): it
 * stays, to be named.
 */
static int foreign_vcpu(const struct rc_root *r, int putter)
{
	for (unsigned int i = 0; i < r->nrefs; i++) {
		const struct rc_ref *x = &r->refs[i];
		int spent;

		if (x->kind != RC_REF_HELD || x->owner != RC_OWN_VCPU || x->pid == putter ||
		    ref_find(r, RC_REF_HELD, RC_OWN_VCPU, true, x->pid, true) != (int)i)
			continue;	/* not its task's latest */
		if (ref_find(r, RC_REF_UNLOADED, RC_OWN_VCPU, true, x->pid, false) >= 0 ||
		    vm_last_load(r->vm, x->pid) > x->seq)
			continue;
		/* put by its vCPU since: not loaded, but never put back */
		spent = ref_find(r, RC_REF_SPENT, RC_OWN_VCPU, true, x->pid, false);
		if (spent < 0 || r->refs[spent].seq < x->seq)
			return (int)i;
	}
	return -1;
}

/*
 * The matching rule (docs/invariants.md "The reference ledger"): an
 * iterator put consumes its task's latest iterator reference; a vCPU put
 * its task's latest vCPU reference, else, from a task that has not put a
 * vCPU reference of its own on this root (VM teardown, an ioctl thread
 * unloading a vCPU's MMU), the latest reference of a vCPU not unloaded
 * yet (foreign_vcpu()), else the oldest vCPU reference; an MMU or zap
 * put the oldest reference of that owner. Once kvm_tdp_mmu_zap_all() has
 * zapped the root its VM is being destroyed, and the task that destroys
 * it puts every vCPU's reference (kvm_destroy_vcpus()), its own among
 * them: a second vCPU put by one task is then not a double put.
 */
static int put_match(const struct rc_root *r, const struct rc_event *ev)
{
	int i;

	if (ev->owner >= RC_OWN__COUNT)
		return -1;
	if (ev->owner == RC_OWN_ITER || ev->owner == RC_OWN_VCPU) {
		i = ref_find(r, RC_REF_HELD, ev->owner, true, ev->pid, true);
		if (i >= 0 || ev->owner == RC_OWN_ITER)
			return i;
		if (!r->zap_all_seen &&
		    ref_find(r, RC_REF_SPENT, RC_OWN_VCPU, true, ev->pid, false) >= 0)
			return -1;	/* it put its own already: a double put */
		if (ev->owner == RC_OWN_VCPU && (i = foreign_vcpu(r, ev->pid)) >= 0)
			return i;
	}
	return ref_find(r, RC_REF_HELD, ev->owner, false, 0, false);
}

/* put_match(), found once for the rules and the put (process()). */
static int put_match_of(const struct rc_model *m, const struct rc_root *r,
			const struct rc_event *ev)
{
	return m->pm_root == r && m->pm_seq == ev->seq ? m->pm_idx : put_match(r, ev);
}

const struct rc_ref *rc_model_put_match(const struct rc_model *m, const struct rc_root *r,
					const struct rc_event *ev)
{
	int i = put_match_of(m, r, ev);

	return i >= 0 ? &r->refs[i] : NULL;
}

const struct rc_ref *rc_root_held(const struct rc_root *r, unsigned int owner)
{
	static const unsigned int order[] = {
		RC_OWN_VCPU, RC_OWN_ITER, RC_OWN_ZAP, RC_OWN_MMU,
	};
	int i = -1;

	if (owner < RC_OWN__COUNT)
		i = ref_find(r, RC_REF_HELD, owner, false, 0, false);
	for (unsigned int o = 0; owner >= RC_OWN__COUNT && i < 0 && o < 4; o++)
		i = ref_find(r, RC_REF_HELD, order[o], false, 0, false);
	return i >= 0 ? &r->refs[i] : NULL;
}

const struct rc_ref *rc_root_spent(const struct rc_root *r, int pid)
{
	int i = ref_find(r, RC_REF_SPENT, RC_OWN_VCPU, true, pid, false);

	if (i < 0 || r->zap_all_seen || ref_find(r, RC_REF_HELD, RC_OWN_VCPU, true, pid, false) >= 0)
		return NULL;
	return &r->refs[i];
}

bool rc_root_failed_get(const struct rc_root *r, int pid)
{
	return r->had_failed &&
	       ref_find(r, RC_REF_FAILED, RC_OWN_ITER, true, pid, false) >= 0 &&
	       ref_find(r, RC_REF_HELD, RC_OWN_ITER, true, pid, false) < 0;
}

void rc_ref_event(const struct rc_root *r, const struct rc_ref *ref,
		  struct rc_event *out)
{
	memset(out, 0, sizeof(*out));
	out->type = ref->type;
	out->seq = ref->seq;
	out->ts = ref->ts;
	out->cpu = ref->cpu;
	out->pid = ref->pid;
	out->kvm = r->kvm;
	out->root = r->addr;
	out->caller = rc_callers_addr(r->vm->callers, ref->caller);
	out->owner = ref->owner;
	switch (ref->type) {
	case RC_EV_ROOT_ALLOC:
		out->count = ref->old;
		/* not kept in the ledger: not printed rather than wrong */
		out->absent = 1u << RC_F_ROLE | 1u << RC_F_AS_ID | 1u << RC_F_LEVEL;
		break;
	case RC_EV_ROOT_INVALIDATE:
		out->reason = (uint8_t)ref->old;
		break;
	case RC_EV_ROOT_HANDOFF:
		out->to = ref->owner;
		out->owner = (uint8_t)ref->old;
		break;
	default:
		out->old = ref->old;
		break;
	}
}

const struct rc_zapper *rc_root_zapper(const struct rc_root *r, int pid)
{
	for (unsigned int i = 0; i < r->nzappers; i++)
		if (r->zappers[i].pid == pid)
			return &r->zappers[i];
	return NULL;
}

bool rc_root_last_event(const struct rc_root *r, struct rc_event *out)
{
	struct rc_hrec h;

	if (!rc_hlog_last(&r->hist, r->vm->callers, &h))
		return false;
	hrec_event(r, &h, out);
	return true;
}

bool rc_root_prev_event(const struct rc_root *r, struct rc_event *out)
{
	struct rc_hrec ring[RC_HIST];
	unsigned int n = hist_ring(r, ring);

	if (n < 2)
		return false;
	hrec_event(r, &ring[n - 2], out);
	return true;
}

bool rc_root_event_seq(const struct rc_root *r, uint64_t seq,
		       struct rc_event *out, struct rc_event *prev,
		       bool *has_prev)
{
	struct rc_hrec ring[RC_HIST], old[RC_KEY];
	unsigned int n = hist_ring(r, ring), nold;

	*has_prev = false;
	for (unsigned int i = n; i-- > 0;) {
		if (ring[i].seq != seq)
			continue;
		hrec_event(r, &ring[i], out);
		if (i > 0) {
			hrec_event(r, &ring[i - 1], prev);
			*has_prev = true;
		}
		return true;
	}
	/* a milestone out of the ring (a seq is one event's) */
	nold = rc_hlog_old(&r->hist, r->vm->callers, old);
	for (unsigned int i = 0; i < nold; i++) {
		if (old[i].seq == seq) {
			hrec_event(r, &old[i], out);
			return true;
		}
	}
	return false;
}

const struct rc_root *rc_model_twin(const struct rc_model *m,
				    const struct rc_root *r)
{
	const struct rc_root *t = m->buckets[hash(r->kvm, r->addr, m->nbuckets)];

	/* a live root that missed a lost-event mark is unverified by it */
	for (; t; t = t->hnext)
		if (t != r && t->addr == r->addr && t->kvm != r->kvm &&
		    !t->freed && !t->adopted && !t->unverified &&
		    t->lost_seen == (uint32_t)m->nmarks)
			return t;
	return NULL;
}

/* ev's caller as a ledger entry keeps it (its index in the callers). */
static uint32_t ref_caller(struct rc_model *m, const struct rc_event *ev)
{
	uint32_t i = rc_callers_intern(&m->callers, ev->caller);

	if (!i && ev->caller)
		m->st.oom = true;
	if (i > UINT16_MAX) {
		m->st.over_cap++;	/* rc_ref.caller: kept as none */
		return 0;
	}
	return i;
}

/* Room in r's ledger, in entries (a power of two, 4 at least, or 0). */
static unsigned int ref_cap(const struct rc_root *r)
{
	return r->refs_log ? 1u << r->refs_log : 0;
}

/* Record a ledger entry made by ev; NULL when out of memory. */
static struct rc_ref *ref_add(struct rc_model *m, struct rc_root *r,
			      const struct rc_event *ev, unsigned int owner,
			      enum rc_ref_kind kind)
{
	struct rc_ref *x;

	if (r->nrefs == ref_cap(r)) {
		unsigned int log = r->refs_log ? r->refs_log + 1u : 2;
		struct rc_ref *p = log < 31 ? realloc(r->refs, (1u << log) * sizeof(*p)) : NULL;

		if (!p) {
			m->st.oom = true;
			return NULL;
		}
		r->refs = p;
		r->refs_log = (uint8_t)log;
	}
	x = &r->refs[r->nrefs++];
	x->seq = ev->seq;
	x->ts = ev->ts;
	x->caller = ref_caller(m, ev);
	x->pid = ev->pid;
	x->cpu = ev->cpu;
	x->owner = (uint8_t)owner;
	x->type = (uint8_t)ev->type;
	x->kind = (uint8_t)kind;
	r->had_failed |= kind == RC_REF_FAILED;
	r->had_unloaded |= kind == RC_REF_UNLOADED;
	x->old = ev->type == RC_EV_ROOT_ALLOC ? ev->count :
		 ev->type == RC_EV_ROOT_INVALIDATE ? ev->reason :
		 ev->type == RC_EV_ROOT_HANDOFF ? ev->owner : ev->old;
	return x;
}

/* Forget entry i; the array shrinks with the live references. */
static void ref_drop(struct rc_root *r, unsigned int i)
{
	memmove(&r->refs[i], &r->refs[i + 1], (r->nrefs - i - 1) * sizeof(r->refs[0]));
	r->nrefs--;
	if (ref_cap(r) > 16 && r->nrefs < ref_cap(r) / 4) {
		struct rc_ref *p = realloc(r->refs, ref_cap(r) / 2 * sizeof(*p));

		if (p) {
			r->refs = p;
			r->refs_log--;
		}
	}
}

/* Forget task pid's marker of kind (at most one per task). */
static void ref_unmark(struct rc_root *r, enum rc_ref_kind kind,
		       unsigned int owner, int pid)
{
	int i = ref_find(r, kind, owner, true, pid, false);

	if (i >= 0)
		ref_drop(r, (unsigned int)i);
}

/* Task ev->pid's put consumes entry i of its own vCPU: keep the put. */
static void ref_spend(struct rc_model *m, struct rc_root *r, unsigned int i,
		      const struct rc_event *ev)
{
	int j = ref_find(r, RC_REF_SPENT, RC_OWN_VCPU, true, ev->pid, false);
	struct rc_ref *x;

	if (j >= 0) {
		ref_drop(r, (unsigned int)j);
		if ((unsigned int)j < i)
			i--;
	}
	x = &r->refs[i];
	x->kind = RC_REF_SPENT;
	x->seq = ev->seq;
	x->ts = ev->ts;
	x->caller = ref_caller(m, ev);
	x->cpu = ev->cpu;
	x->old = ev->old;
	x->type = (uint8_t)ev->type;
}

/* A put (owner < RC_OWN__COUNT) consumes its match, if any. */
static void ref_put(struct rc_model *m, struct rc_root *r, const struct rc_event *ev)
{
	int i = put_match_of(m, r, ev);

	if (i < 0)
		return;
	if (ev->owner == RC_OWN_VCPU && r->refs[i].pid == ev->pid) {
		ref_spend(m, r, (unsigned int)i, ev);
	} else if (ev->owner == RC_OWN_VCPU) {
		/* another task unloaded that vCPU: once (foreign_vcpu()) */
		int vcpu = r->refs[i].pid;

		ref_drop(r, (unsigned int)i);
		if (ref_find(r, RC_REF_UNLOADED, RC_OWN_VCPU, true, vcpu, false) < 0) {
			struct rc_ref *x = ref_add(m, r, ev, RC_OWN_VCPU, RC_REF_UNLOADED);

			if (x)
				x->pid = vcpu;
		}
	} else {
		ref_drop(r, (unsigned int)i);
	}
}

/* Forget every outstanding reference (the markers stay). */
static void ref_drop_held(struct rc_root *r)
{
	unsigned int o = 0;

	for (unsigned int i = 0; i < r->nrefs; i++)
		if (r->refs[i].kind != RC_REF_HELD)
			r->refs[o++] = r->refs[i];
	r->nrefs = o;
}

/* Task pid's zaps of r, made if new (NULL: out of memory). */
static struct rc_zapper *zapper_get(struct rc_model *m, struct rc_root *r, int pid)
{
	const struct rc_zapper *found = rc_root_zapper(r, pid);
	unsigned int i;

	if (found)
		return &r->zappers[found - r->zappers];
	if (r->nzappers == r->cap_zappers && r->cap_zappers < RC_ZAPPERS) {
		unsigned int cap = r->cap_zappers ? 2u * r->cap_zappers : 1;
		struct rc_zapper *z;

		if (cap > RC_ZAPPERS)
			cap = RC_ZAPPERS;
		z = realloc(r->zappers, cap * sizeof(*z));
		if (!z) {
			m->st.oom = true;
			return NULL;
		}
		r->zappers = z;
		r->cap_zappers = (uint8_t)cap;
	}
	if (r->nzappers < RC_ZAPPERS)
		i = r->nzappers++;
	else
		for (i = 0; i < RC_ZAPPERS - 1 && r->zappers[i].active; i++)
			;
	memset(&r->zappers[i], 0, sizeof(r->zappers[i]));
	r->zappers[i].pid = pid;
	return &r->zappers[i];
}

static void dec_sat(uint32_t *v)
{
	if (*v)
		(*v)--;
}

static void apply_get(struct rc_model *m, struct rc_root *r,
		      const struct rc_event *ev)
{
	if (ev->old == 0) {
		m->st.failed_gets++;
		if (ev->owner == RC_OWN_ITER &&
		    ref_find(r, RC_REF_FAILED, RC_OWN_ITER, true, ev->pid, false) < 0)
			ref_add(m, r, ev, RC_OWN_ITER, RC_REF_FAILED);
		if (!r->freed) {
			r->count = 0;
			r->count_known = true;
		}
		return;
	}
	r->count = (int64_t)ev->old + 1;
	r->count_known = true;
	if (ev->owner < RC_OWN__COUNT) {
		r->owners[ev->owner]++;
		m->st.owner_gets[ev->owner]++;
		if (ev->owner == RC_OWN_ITER && r->had_failed)
			ref_unmark(r, RC_REF_FAILED, RC_OWN_ITER, ev->pid);
		if (ev->owner == RC_OWN_VCPU) {	/* loaded again: may be unloaded again */
			if (r->had_unloaded)
				ref_unmark(r, RC_REF_UNLOADED, RC_OWN_VCPU, ev->pid);
			vm_note_load(m, r->vm, ev->pid, ev->seq);
		}
		ref_add(m, r, ev, ev->owner, RC_REF_HELD);
	}
	if (ev->owner == RC_OWN_ZAP) {
		/* invalidate-all's get (async worker, v3): a gift */
		r->gifts_inval++;
		r->gifted = true;
		r->gift_reason = RC_RSN_FAST_ZAP;
		mark_set(m, r, RC_MARK_GIFT, ev);
	}
}

static void apply_put(struct rc_model *m, struct rc_root *r,
		      const struct rc_event *ev)
{
	bool last = ev->old == 1;

	if (last && r->valid && !r->freed) {
		/* Async worker: this put makes the root defunct. */
		mark_set(m, r, RC_MARK_LAST_PUT, ev);
	}
	if (rc_ev_old(ev) > 0) {
		r->count = (int64_t)ev->old - 1;
		r->count_known = true;
	} else if (r->count_known) {
		r->count--;
	}
	if (ev->owner >= RC_OWN__COUNT)
		return;
	if (ev->owner == RC_OWN_VCPU && r->valid && !r->freed) {
		/* A root that goes invalid without an event did so after this. */
		mark_set(m, r, RC_MARK_VCPU_PUT, ev);
	}
	m->st.owner_puts[ev->owner]++;
	dec_sat(&r->owners[ev->owner]);
	ref_put(m, r, ev);
	if (ev->owner == RC_OWN_ZAP) {
		enum rc_gift_kind k = rc_gift_for(r, ev->pid);
		const struct rc_zapper *found = rc_root_zapper(r, ev->pid);
		struct rc_zapper *z = found ? &r->zappers[found - r->zappers] : NULL;

		if (k == RC_GK_DEFUNCT)
			r->gifts_defunct--;
		else if (k == RC_GK_INVAL)
			r->gifts_inval--;
		if (k != RC_GK_NONE && z)
			z->consumed++;
	}
}

/* ABI v2: a reference changes holder, the refcount does not change. */
static void apply_handoff(struct rc_model *m, struct rc_root *r,
			  const struct rc_event *ev)
{
	int i = put_match(r, ev);	/* the reference of the "from" holder */

	if (ev->owner < RC_OWN__COUNT)
		dec_sat(&r->owners[ev->owner]);
	if (ev->to >= RC_OWN__COUNT) {
		if (i >= 0)
			ref_drop(r, (unsigned int)i);
		return;
	}
	r->owners[ev->to]++;
	if (ev->to == RC_OWN_VCPU)
		ref_unmark(r, RC_REF_SPENT, RC_OWN_VCPU, ev->pid);
	i = put_match(r, ev);		/* the unmark may have moved it */
	if (i >= 0)
		r->refs[i].owner = ev->to;	/* the same reference, a new holder */
	else
		ref_add(m, r, ev, ev->to, RC_REF_HELD);
}

static void note_ahead(struct rc_model *m, int c, uint64_t d, int behind, bool direct);

static void apply_invalidate(struct rc_model *m, struct rc_root *r,
			     const struct rc_event *ev)
{
	/*
	 * A worker's zap that began on the valid root on another CPU shortly
	 * before: a worker zaps what an invalidation queued, so the
	 * invalidation's CPU may read ahead by the difference (the clock
	 * check tries it; ROOT-ZAP-VALID stands if the order does).
	 */
	if (r->side->zap_valid_ts && r->side->zap_valid_ctx == RC_CTX_WORKER && !r->unverified &&
	    r->side->zap_valid_cpu != ev->cpu && ev->ts > r->side->zap_valid_ts &&
	    ev->ts - r->side->zap_valid_ts <= RC_REORDER_NS)
		note_ahead(m, ev->cpu, ev->ts - r->side->zap_valid_ts, r->side->zap_valid_cpu, false);
	r->valid = false;
	r->valid_known = true;
	r->invalid_seq = ev->seq + 1;
	r->invalid_reason = ev->reason;
	r->invalid_pid = ev->pid;
	r->zapped = false;
	if (ev->reason == RC_RSN_LAST_PUT) {
		struct rc_hrec ring[RC_HIST], lp;
		unsigned int n;

		r->gifts_defunct++;
		r->gifted = true;
		r->gift_reason = ev->reason;
		mark_set(m, r, RC_MARK_GIFT, ev);
		/*
		 * The put that made the root defunct is the cause of what
		 * follows: the same task's put just before, if it is there,
		 * else the put that dropped the last reference while valid.
		 */
		rc_hlog_mark_clear(&r->hist, RC_MARK_CAUSE);
		if (rc_hlog_mark(&r->hist, &m->callers, RC_MARK_LAST_PUT, &lp))
			mark_hrec(m, r, RC_MARK_CAUSE, &lp);
		n = hist_ring(r, ring);
		for (unsigned int i = 1; i <= n; i++) {
			const struct rc_hrec *h = &ring[n - i];

			if (h->seq == ev->seq)
				continue;
			if (h->pid == ev->pid && h->type == RC_EV_ROOT_PUT)
				mark_hrec(m, r, RC_MARK_CAUSE, h);
			break;
		}
		/* The count is reset to 1: the worker's reference. */
		memset(r->owners, 0, sizeof(r->owners));
		ref_drop_held(r);
		ref_add(m, r, ev, RC_OWN_ZAP, RC_REF_HELD);
		r->owners[RC_OWN_ZAP] = 1;
		r->count = 1;
		r->count_known = true;
	} else if (r->design != RC_DESIGN_ASYNC && r->owners[RC_OWN_MMU]) {
		/* gifted, hybrid: the MMU's own reference becomes the gift */
		int i = ref_find(r, RC_REF_HELD, RC_OWN_MMU, false, 0, false);

		r->owners[RC_OWN_MMU]--;
		r->owners[RC_OWN_ZAP]++;
		if (i >= 0)
			r->refs[i].owner = RC_OWN_ZAP;	/* the MMU's reference */
		r->gifts_inval++;
		r->gifted = true;
		r->gift_reason = ev->reason;
		mark_set(m, r, RC_MARK_GIFT, ev);
	} else if (r->design != RC_DESIGN_ASYNC && r->adopted) {
		r->gifts_inval++;	/* references before the trace: assume the MMU's */
		r->gifted = true;
		r->gift_reason = ev->reason;
		mark_set(m, r, RC_MARK_GIFT, ev);
	}
	/* Async worker: the gift was taken by a get with owner zap. */
}

/* Freed life r at the back of the tombstones kept whole. */
static void tomb_push(struct rc_model *m, struct rc_root *r)
{
	if (!m->tomb_ring && !(m->tomb_ring = calloc(RC_TOMB_RING, sizeof(*m->tomb_ring)))) {
		m->st.oom = true;
		return;		/* not kept past the event: tomb_age() never sees it */
	}
	if (m->tomb_tail - m->tomb_head == RC_TOMB_RING) {
		/* full of holes (tomb_age() keeps ntomb near RC_TOMBSTONES): close them */
		uint32_t w = m->tomb_head;

		for (uint32_t i = m->tomb_head; i != m->tomb_tail; i++) {
			struct rc_root *t = m->tomb_ring[TOMB_SLOT(i)];

			if (!t)
				continue;
			m->tomb_ring[TOMB_SLOT(i)] = NULL;
			m->tomb_ring[TOMB_SLOT(w)] = t;
			t->tomb_slot = (uint16_t)TOMB_SLOT(w);
			w++;
		}
		m->tomb_tail = w;
		if (w - m->tomb_head == RC_TOMB_RING) {
			m->st.oom = true;	/* cannot be: ntomb stays far below */
			return;
		}
	}
	r->on_tomb = true;
	r->tomb_slot = (uint16_t)TOMB_SLOT(m->tomb_tail);
	m->tomb_ring[r->tomb_slot] = r;
	m->tomb_tail++;
	m->ntomb++;		/* past RC_TOMBSTONES: tomb_age() */
}

static void apply_free(struct rc_model *m, struct rc_root *r)
{
	if (r->freed)
		return;
	r->freed = true;
	m->st.roots_freed++;
	tomb_push(m, r);
}

/*
 * Who zaps tells the designs apart (docs/designs.md): a worker zapping a
 * count-2 root is the v6.4/v6.5 hybrid, the invalidating task zapping an
 * invalid count-2 root is the gifted design, and a count-1 root zapped by
 * the fast zap itself is v3's loop.
 */
static void detect(struct rc_model *m, struct rc_root *r,
		   const struct rc_event *ev)
{
	struct rc_vm *vm = r->vm;

	if (!vm || r->design_forced)
		return;
	if (r->design == RC_DESIGN_ASYNC) {
		if (ev->ctx == RC_CTX_FAST_ZAP && !r->valid)
			vm->v3_shape = true;
		return;
	}
	if (vm->two_ref != RC_DESIGN_AUTO)
		return;
	if (ev->ctx == RC_CTX_WORKER)
		vm->two_ref = RC_DESIGN_HYBRID;
	else if (ev->ctx == RC_CTX_FAST_ZAP && !r->valid)
		vm->two_ref = RC_DESIGN_GIFTED;
	if (vm->two_ref != RC_DESIGN_AUTO &&
	    (m->design_seen == RC_DESIGN_AUTO || m->design_seen == RC_DESIGN_GIFTED))
		m->design_seen = vm->two_ref;
}

/* Judge and apply one event on its root life. May destroy nothing. */
static void fz_judge(struct rc_model *m, struct rc_root *r,
		     const struct rc_event *ev, uint64_t fz_start);

static void process(struct rc_model *m, struct rc_root *r,
		    const struct rc_event *ev)
{
	if (ev->type == RC_EV_FAST_ZAP_DONE) {	/* held back by fz_visit() */
		fz_judge(m, r, ev, (uint64_t)ev->lost);
		return;
	}
	history_push(m, r, ev);
	if (ev->type == RC_EV_ROOT_PUT) {	/* the ledger as the rules see it */
		m->pm_root = r;
		m->pm_seq = ev->seq;
		m->pm_idx = put_match(r, ev);
	}
	judge(m, r, ev, UINT64_MAX);
	/* a zap of a valid root is judged up to its task's next event */
	if (r->side->zap_valid_seq && ev->pid == r->side->zap_valid_pid &&
	    ev->type != RC_EV_ROOT_ZAP_END)
		r->side->zap_valid_seq = 0;

	switch (ev->type) {
	case RC_EV_ROOT_GET:
		apply_get(m, r, ev);
		break;
	case RC_EV_ROOT_PUT:
		apply_put(m, r, ev);
		m->pm_root = NULL;
		break;
	case RC_EV_ROOT_INVALIDATE:
		apply_invalidate(m, r, ev);
		break;
	case RC_EV_ROOT_HANDOFF:
		apply_handoff(m, r, ev);
		break;
	case RC_EV_ROOT_ZAP_START: {
		struct rc_zapper *z = zapper_get(m, r, ev->pid);

		if (!z)
			break;
		z->ctx = ev->ctx;
		z->active = true;
		m->st.zaps++;
		if (ev->ctx == RC_CTX_ZAP_ALL)
			r->zap_all_seen = true;
		else if (r->valid && r->valid_known && !r->freed && side_own(m, r)) {
			r->side->zap_valid_seq = ev->seq;
			r->side->zap_valid_ts = ev->ts;
			r->side->zap_valid_pid = ev->pid;
			r->side->zap_valid_cpu = ev->cpu;
			r->side->zap_valid_ctx = ev->ctx;
			if (!r->unverified)
				eager_add(m, r);	/* a mark judges it */
		}
		detect(m, r, ev);
		break;
	}
	case RC_EV_ROOT_ZAP_END: {
		struct rc_zapper *z = zapper_get(m, r, ev->pid);

		if (!z)
			break;
		z->ctx = ev->ctx;
		z->active = false;
		z->end_seq = ev->seq + 1;
		if (!r->valid)
			r->zapped = true;
		break;
	}
	case RC_EV_ROOT_FREE:
		apply_free(m, r);
		break;
	default:
		break;
	}
}

/*
 * Does ev fit the shadow count? A get/put must see its `old`; a free must
 * come after the count reached 0 (a put traced late on another CPU may
 * still be on its way).
 */
static bool in_order(const struct rc_root *r, const struct rc_event *ev)
{
	if (ev->type != RC_EV_ROOT_GET && ev->type != RC_EV_ROOT_PUT &&
	    ev->type != RC_EV_ROOT_FREE)
		return true;	/* no `old`: only program order holds it back */
	if (!r->count_known || r->freed)
		return true;
	if (ev->type == RC_EV_ROOT_FREE)
		return r->count <= 0;
	return (int64_t)ev->old == r->count;
}

static void pending_drop(struct rc_root *r, unsigned int i)
{
	memmove(&r->side->pending[i], &r->side->pending[i + 1],
		(r->side->npending - i - 1) * sizeof(r->side->pending[0]));
	r->side->npending--;
	if (!r->side->npending && r->side->cap_pending > 16) {
		free(r->side->pending);	/* memory follows what is held back */
		r->side->pending = NULL;
		r->side->cap_pending = 0;
	}
}

/* Hold ev back; false when out of memory. */
static bool pending_add(struct rc_model *m, struct rc_root *r,
			const struct rc_event *ev)
{
	if (!side_own(m, r))
		return false;
	if (r->side->npending == r->side->cap_pending) {
		unsigned int cap = r->side->cap_pending ? r->side->cap_pending * 2 : 4;
		struct rc_event *p = realloc(r->side->pending, cap * sizeof(*p));

		if (!p) {
			m->st.oom = true;
			return false;
		}
		r->side->pending = p;
		r->side->cap_pending = cap;
	}
	r->side->pending[r->side->npending++] = *ev;
	return true;
}

/* Program order: a and b are of one CPU, or get/put of one task. */
static bool same_thread(const struct rc_event *a, const struct rc_event *b)
{
	if (a->cpu == b->cpu)
		return true;
	return a->pid > 0 && a->pid == b->pid &&
	       a->type != RC_EV_ROOT_FREE && b->type != RC_EV_ROOT_FREE;
}

/* Is ev behind one of the first n held-back records in program order? */
static bool behind_pending(const struct rc_root *r, const struct rc_event *ev,
			   unsigned int n)
{
	for (unsigned int j = 0; j < n; j++)
		if (same_thread(&r->side->pending[j], ev))
			return true;
	return false;
}

/* The first held-back record that may be applied now: it fits, and no
 * earlier held-back record of its CPU or task is still waiting. */
static int pending_ready(const struct rc_root *r)
{
	for (unsigned int i = 0; i < r->side->npending; i++)
		if (in_order(r, &r->side->pending[i]) &&
		    !behind_pending(r, &r->side->pending[i], i))
			return (int)i;
	return -1;
}

/*
 * Whether r's fits say anything of the clocks: not after a forced record
 * (the shadow count was resynced), lost events, or a broken rule (its
 * counts are a bug's then).
 */
static bool counts_trusted(const struct rc_root *r)
{
	return !r->forced && !r->unverified && !r->violated;
}

/*
 * Whether a get or put's fit in `old` order can measure a clock. Not one
 * at count zero (a failed get, a put at or past zero): every freed life
 * at the address had that count, so such a record fits wherever a count
 * reaches zero, and a stale task's record of a freed life, read on the
 * next life at the address, fits there by chance.
 */
static bool fit_measures(const struct rc_event *ev)
{
	return (ev->type != RC_EV_ROOT_GET && ev->type != RC_EV_ROOT_PUT) ||
	       rc_ev_old(ev) > 0;
}

/*
 * CPU c's clock read ahead of CPU behind's by at least d
 * (rc_model_cpu_ahead(), rc_model_cpu_behind()); direct: measured from
 * records applied out of `old` order or an alloc after its life
 * (rc_model_cpu_ahead_direct()), not from an order no kernel makes.
 */
static void note_ahead(struct rc_model *m, int c, uint64_t d, int behind, bool direct)
{
	if (c < 0 || c >= m->ncpu)
		return;
	if (d > m->st.max_inversion_ns)
		m->st.max_inversion_ns = d;
	if (d > RC_AHEAD_MAX_NS)
		return;		/* no clock is off by that much */
	if (behind >= 0 && behind < m->ncpu && behind != c && d > m->cpu[behind].behind)
		m->cpu[behind].behind = d;
	if (d > m->cpu[c].ahead)
		m->cpu[c].ahead = d;
	if (direct && d > m->cpu[c].direct)
		m->cpu[c].direct = d;
}

/*
 * The newest get or put of another CPU, stamped before ev, whose own `old`
 * was ev's: where ev would have fit had it been stamped in time (not past
 * an event of its own CPU, which came before it in program order). Its
 * timestamp, or 0 if none.
 */
static uint64_t fit_before(const struct rc_root *r, const struct rc_event *ev,
			   int32_t *cpu)
{
	struct rc_hrec ring[RC_HIST];
	unsigned int n = hist_ring(r, ring);

	for (unsigned int i = 0; i < n; i++) {
		const struct rc_hrec *h = &ring[n - 1 - i];

		if (h->ts >= ev->ts)
			continue;	/* applied while ev waited */
		if (h->cpu == ev->cpu || h->type == RC_EV_ROOT_ALLOC)
			return 0;
		if ((h->type == RC_EV_ROOT_GET || h->type == RC_EV_ROOT_PUT) &&
		    h->val == ev->old) {
			*cpu = h->cpu;
			return h->ts;
		}
	}
	return 0;
}

/*
 * A held-back record that now fits, applied after a later-stamped event
 * of another CPU: either that CPU's clock read ahead (its event really
 * came first), by at least the difference, or the record's own CPU did
 * and the record belongs further back, where its `old` was already the
 * count (fit_before()): it waited for a chance fit. The smaller of the
 * two explains it; kept per CPU (rc_model_cpu_ahead()). After a forced
 * record the shadow count was resynced and a fit proves nothing.
 */
static void note_inversion(struct rc_model *m, const struct rc_root *r,
			   const struct rc_event *ev)
{
	int32_t c, behind, fit_cpu = -1;
	uint64_t d, back;

	if (!hist_n(r) || rc_hlog_empty(&r->hist) || ev->ts >= r->hist.last_ts || !counts_trusted(r) ||
	    !fit_measures(ev))
		return;
	c = rc_hlog_last_cpu(&r->hist, r->vm->callers);
	behind = ev->cpu;
	d = r->hist.last_ts - ev->ts;
	if (c == ev->cpu)
		return;
	back = fit_before(r, ev, &fit_cpu);
	if (back && ev->ts - back < d) {
		d = ev->ts - back;
		behind = fit_cpu;
		c = ev->cpu;
	}
	note_ahead(m, c, d, behind, true);
}

/*
 * The first get/put of each other CPU stamped after the first record of
 * its root (VM, address) that was forced decides for that CPU (CPUs
 * 0..63; past 64, the first of any): if it leaves the count at
 * that record's `old`, it is where the forced record would have fitted,
 * had it waited. The forcing came first (a VM-level moment of its CPU,
 * the VM's teardown, the end of the trace, a bound) and ev's CPU read
 * ahead by at least the difference. Any other `old` explains nothing and
 * the residue is dropped (counts are small: a later chance match would
 * measure noise). The root may be gone by now: the residues outlive it.
 */
static void note_late_fit(struct rc_model *m, const struct rc_event *ev)
{
	unsigned int n = m->nresidue < RC_RESIDUES ? m->nresidue : RC_RESIDUES;
	int64_t after = (int64_t)ev->old + (ev->type == RC_EV_ROOT_GET ? 1 : -1);

	for (unsigned int i = 0; i < n; i++) {
		struct rc_residue *x = &m->residue[i];

		if (x->cpu < 0 || x->kvm != ev->kvm || x->addr != ev->root ||
		    x->cpu == ev->cpu || ev->ts <= x->ts)
			continue;
		if (ev->cpu < 64 && (x->decided >> ev->cpu & 1))
			continue;
		if (ev->ts - x->ts <= RC_REORDER_NS && after == (int64_t)x->old) {
			note_ahead(m, ev->cpu, ev->ts - x->ts, x->cpu, false);
		} else if (ev->ts - x->ts <= RC_REORDER_NS && ev->cpu < 64) {
			x->decided |= 1ull << ev->cpu;
			continue;
		}
		x->cpu = -1;	/* explained, or too old */
		m->live_residues--;
	}
}

/* Judge and apply the oldest held-back record as it came. */
static void pending_force(struct rc_model *m, struct rc_root *r)
{
	struct rc_event ev = r->side->pending[0];
	int32_t fit_cpu = -1;
	uint64_t back;

	pending_drop(r, 0);
	/*
	 * It never fitted: perhaps it belongs further back, where its `old`
	 * already was the count, and its CPU's clock read ahead.
	 */
	if (counts_trusted(r) && ev.type != RC_EV_FAST_ZAP_DONE && fit_measures(&ev) &&
	    (back = fit_before(r, &ev, &fit_cpu)) != 0)
		note_ahead(m, ev.cpu, ev.ts - back, fit_cpu, true);
	if (counts_trusted(r) && (ev.type == RC_EV_ROOT_GET || ev.type == RC_EV_ROOT_PUT) &&
	    fit_measures(&ev)) {
		struct rc_residue *x = &m->residue[m->nresidue++ % RC_RESIDUES];

		if (m->nresidue <= RC_RESIDUES || x->cpu < 0)
			m->live_residues++;	/* else it takes a live one's place */
		*x = (struct rc_residue){ .kvm = r->kvm, .addr = r->addr,
			.ts = ev.ts, .old = ev.old, .cpu = ev.cpu };
	}
	r->forced = true;
	m->st.forced++;
	process(m, r, &ev);
}

/* Apply held-back events that now fit; with force, all of them. */
static void drain(struct rc_model *m, struct rc_root *r, bool force)
{
	int i;

	for (;;) {
		while ((i = pending_ready(r)) >= 0) {
			struct rc_event ev = r->side->pending[i];

			pending_drop(r, (unsigned int)i);
			if (ev.type != RC_EV_FAST_ZAP_DONE) {	/* not by `old` */
				m->st.reordered++;
				note_inversion(m, r, &ev);
			}
			process(m, r, &ev);
		}
		if (!force || !r->side->npending)
			return;
		pending_force(m, r);
	}
}

/* Has the oldest held-back record waited as long as it may? */
static bool pending_expired(const struct rc_root *r, const struct rc_event *now)
{
	if (!r->side->npending)
		return false;
	return r->side->npending > RC_REORDER_EVENTS ||
	       (now->ts > r->side->pending[0].ts &&
		now->ts - r->side->pending[0].ts > RC_REORDER_NS);
}

/*
 * A root event in stream order: applied now if it fits and no earlier
 * record of its CPU or task waits, else held back.
 */
static void root_event(struct rc_model *m, struct rc_root *r,
		       const struct rc_event *ev)
{
	/*
	 * An iterator put by a task whose get of this root failed breaks a
	 * rule in its own program order (REF-GET-ZERO): no other CPU's record
	 * can explain it, so it does not wait for one. Nor does a put at or
	 * past zero (`old` <= 0): an underflow in any order of the CPUs.
	 */
	bool own_order = ev->type == RC_EV_ROOT_PUT &&
			 ((ev->owner == RC_OWN_ITER && rc_root_failed_get(r, ev->pid)) ||
			  rc_ev_old(ev) <= 0);

	if (!behind_pending(r, ev, r->side->npending) && (own_order || in_order(r, ev))) {
		process(m, r, ev);
		drain(m, r, false);
	} else if (!pending_add(m, r, ev)) {
		process(m, r, ev);	/* out of memory: as it came */
	}
	while (pending_expired(r, ev)) {
		pending_force(m, r);
		drain(m, r, false);
	}
	fz_update(r);
}

/*
 * An alloc at the address of a life first seen mid-life (adopted), none
 * of whose events is of the alloc's CPU, at most RC_REORDER_NS before it:
 * that life is the new root's own start, stamped early, and the alloc's
 * CPU read ahead by at least the difference, if the life was never freed
 * (a root alive before the trace began is not allocated again without a
 * free) or its first event was a get or put whose `old` is the alloc's
 * count (the whole life, free included, came before its alloc).
 */
static void note_early_life(struct rc_model *m, const struct rc_root *old,
			    const struct rc_event *ev)
{
	struct rc_hrec ring[RC_HIST];
	unsigned int n = hist_ring(old, ring);
	bool starts = false;

	/* its first get or put found the alloc's count */
	for (unsigned int i = 0; i < n; i++) {
		if (ring[i].type == RC_EV_ROOT_GET || ring[i].type == RC_EV_ROOT_PUT) {
			starts = ring[i].val == ev->count;
			break;
		}
	}

	/* every event of the life is in the ring: ring[0] is its first */
	if (!old->adopted || (old->freed && !starts) || old->unverified || old->violated ||
	    !hist_n(old) || hist_n(old) > RC_HIST || !n || ring[0].ts >= ev->ts ||
	    ev->ts - ring[0].ts > RC_REORDER_NS)
		return;
	for (unsigned int i = 0; i < n; i++)
		if (ring[i].cpu == ev->cpu)
			return;
	note_ahead(m, ev->cpu, ev->ts - ring[0].ts, ring[0].cpu, !old->freed);
}

static void on_alloc(struct rc_model *m, const struct rc_event *ev)
{
	struct rc_root *old = root_find(m, ev->kvm, ev->root);
	struct rc_vm *vm = vm_get(m, ev->kvm, ev->seq);
	uint32_t life = 1;
	struct rc_root *r;

	if (!vm)
		return;
	if (old) {
		note_early_life(m, old, ev);
		drain(m, old, true);
		life = old->life + 1;
		if (!old->freed) {
			/* Reused without a free event: cannot judge its end. */
			m->st.roots_reallocated++;
			mark_unverified(m, old);
		}
		root_destroy(m, old);
	}
	r = root_new(m, vm, ev, life);
	if (!r)
		return;
	if (m->opts.design != RC_DESIGN_AUTO) {
		r->design = m->opts.design;
		r->design_forced = true;
	} else {
		r->design = ev->count >= 2 ? RC_DESIGN_GIFTED : RC_DESIGN_ASYNC;
		if (r->design == RC_DESIGN_GIFTED && vm->two_ref == RC_DESIGN_AUTO)
			vm->two_ref = m->opts.hint;
	}
	if (m->design_seen == RC_DESIGN_AUTO)
		m->design_seen = rc_root_design(r) == RC_DESIGN_AUTO ?
				 RC_DESIGN_GIFTED : rc_root_design(r);
	if (r->design == RC_DESIGN_ASYNC)
		m->st.async_roots++;
	else
		m->st.gifted_roots++;
	r->valid_known = true;
	r->count = ev->count;
	r->count_known = true;
	if (r->design != RC_DESIGN_ASYNC) {
		r->owners[RC_OWN_VCPU] = ev->count ? 1 : 0;
		r->owners[RC_OWN_MMU] = ev->count > 1 ? ev->count - 1 : 0;
	} else {
		r->owners[RC_OWN_VCPU] = ev->count;
	}
	for (uint32_t n = 0; n < r->owners[RC_OWN_VCPU]; n++)
		ref_add(m, r, ev, RC_OWN_VCPU, RC_REF_HELD);
	if (r->owners[RC_OWN_VCPU])
		vm_note_load(m, r->vm, ev->pid, ev->seq);
	for (uint32_t n = 0; n < r->owners[RC_OWN_MMU]; n++)
		ref_add(m, r, ev, RC_OWN_MMU, RC_REF_HELD);
	history_push(m, r, ev);
}

/* The root's last event was read before the loss on @cpu after @since. */
static bool ended_before_at(uint64_t last_ts, int32_t last_cpu, int cpu,
			    uint64_t since)
{
	return last_ts != since ? last_ts < since : last_cpu == cpu;
}

static bool ended_before(const struct rc_root *r, int cpu, uint64_t since)
{
	if (!hist_n(r) || rc_hlog_empty(&r->hist))
		return r->hist.last_ts < since;
	return ended_before_at(r->hist.last_ts, rc_hlog_last_cpu(&r->hist, r->vm->callers), cpu, since);
}

/*
 * What a lost-event mark (ev: events lost on cpu after since) does to
 * r: a freed root whose last event came before the loss may have a new
 * life's alloc among the lost events (lost_after_free); any other may
 * have lost events of its own, and is unverified from here on.
 */
static void lost_apply(struct rc_model *m, struct rc_root *r,
		       const struct rc_event *ev, int cpu, uint64_t since)
{
	if (r->freed && ended_before(r, cpu, since)) {
		r->lost_after_free = true;
		return;
	}
	/*
	 * A zap of a valid root recorded before the loss, whose task's next
	 * event on it may be among the lost: a violation either way
	 * (ROOT-ZAP-VALID), judged now.
	 */
	if (r->side->zap_valid_seq && !r->unverified && r->side->zap_valid_ts <= since) {
		judge(m, r, ev, UINT64_MAX);
		r->side->zap_valid_seq = 0;
	}
	mark_unverified(m, r);
	if (m->hooks.lost)
		m->hooks.lost(m->hooks.arg, r, cpu, since);
}

/*
 * The logged marks r missed, as lost_apply() one by one would have left
 * it (r has not changed since: nothing looked at it), at a cost that does
 * not grow with their number. Per CPU, since never decreases from one
 * logged mark to the next (on_lost()), and both outcomes are monotonic in
 * since: ended_before() holds from some mark on, and a later since
 * withdraws a subset of what an earlier one does. So the CPU's last mark
 * says whether r is lost_after_free, its first whether r is unverified
 * and what the lost hook withdraws. No judge: a root with a zap of the
 * valid root to judge is on the eager list, never behind.
 */
/*
 * The logged marks of CPU c after mark number seen: false if none (nor
 * of any CPU after c on the list of CPUs with marks); else the since of
 * the first and of the last of them.
 */
static bool marks_missed(const struct rc_model *m, int c, uint64_t seen,
			 uint64_t *first, uint64_t *last)
{
	const struct rc_cpu *p = &m->cpu[c];
	unsigned int lo = 0, hi = p->nmarks - 1;

	if (p->marks[hi].no <= seen)
		return false;
	*last = p->marks[hi].since;
	while (lo < hi) {	/* the first one after seen */
		unsigned int mid = lo + (hi - lo) / 2;

		if (p->marks[mid].no <= seen)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = p->marks[lo].since;
	return true;
}

static void lost_catch_up_slow(struct rc_model *m, struct rc_root *r)
{
	for (int c = m->mark_cpu; c >= 0; c = m->cpu[c].mark_next) {
		uint64_t first, last;

		if (!marks_missed(m, c, marks_seen(m, r->lost_seen), &first, &last))
			break;
		if (r->freed && ended_before(r, c, last))
			r->lost_after_free = true;
		if (r->freed && ended_before(r, c, first))
			continue;
		mark_unverified(m, r);
		if (m->hooks.lost)
			m->hooks.lost(m->hooks.arg, r, c, first);
	}
	r->lost_seen = (uint32_t)m->nmarks;
}

/*
 * Compact tombstones (model_tomb.h). A freed life is kept whole while a
 * record may still have to be ordered before its free; once the free is
 * RC_REORDER_NS of trace time old (the reorder bound: no record waits
 * longer) and nothing of the life waits or is left to judge, only what a
 * use after free needs is kept, in 60 bytes: the life (VM, address, id,
 * life number, event count), its free and the flags a verdict reads. An
 * event at that address later makes the life again (tomb_recall()), its
 * history the free alone: the event is then judged against a freed life
 * that holds no reference (ROOT-UAF, ROOT-DOUBLE-FREE), whatever gifts
 * and zaps it had (rc_root.recalled), and its report shows the free as
 * the event before it.
 */

/* The mark count tombstone t was caught up to (its low 32 bits are kept). */
static uint64_t tomb_seen(const struct rc_model *m, const struct rc_tomb *t)
{
	return marks_seen(m, t->lost_seen);
}

/* t's VM was torn down (another VM may have its kvm since): t is void. */
static bool tomb_stale(const struct rc_model *m, const struct rc_tomb *t)
{
	const struct rc_vm *vm = vm_find(m, t->kvm);

	return !vm || vm->first_seq > t->seq;
}

/* t's flags into r (a freed life, made again). */
static void tomb_flags(const struct rc_tomb *t, struct rc_root *r)
{
	r->freed = true;
	r->recalled = true;
	r->unverified = t->addr & RC_TF_UNVERIFIED;
	r->lost_after_free = t->addr & RC_TF_LOST_AFTER_FREE;
	r->adopted = t->addr & RC_TF_ADOPTED;
	r->violated = t->addr & RC_TF_VIOLATED;
	r->valid = t->addr & RC_TF_VALID;
	r->valid_known = t->addr & RC_TF_VALID_KNOWN;
	r->design_forced = t->addr & RC_TF_DESIGN_FORCED;
	r->zapped = t->addr & RC_TF_ZAPPED;
	r->gifted = t->addr & RC_TF_GIFTED;
	r->design = (t->addr >> RC_TF_DESIGN_SHIFT) & 3;
	r->count_known = true;
}

/* The life t stands for, as the hooks see a root (vm NULL). */
static void tomb_root(const struct rc_tomb *t, struct rc_root *r)
{
	memset(r, 0, sizeof(*r));
	r->side = (struct rc_root_side *)&rc_root_side_none;
	r->kvm = t->kvm;
	r->addr = rc_tomb_addr(t);
	r->id = t->id;
	r->life = t->life;
	r->nevents = t->nevents;
	tomb_flags(t, r);
}

/*
 * Events lost on CPU c after first (and after last: a later mark of the
 * same CPU) on t: lost_apply() of a freed life whose last event is its
 * free, as lost_catch_up_slow() applies several marks.
 */
static void tomb_lost(struct rc_model *m, struct rc_tomb *t, int c,
		      uint64_t first, uint64_t last)
{
	struct rc_root r;

	if (ended_before_at(t->ts, t->cpu, c, last))
		t->addr |= RC_TF_LOST_AFTER_FREE;
	if (ended_before_at(t->ts, t->cpu, c, first))
		return;
	if (!(t->addr & RC_TF_UNVERIFIED)) {
		t->addr |= RC_TF_UNVERIFIED;
		m->st.roots_unverified++;
	}
	if (m->hooks.lost) {
		tomb_root(t, &r);
		m->hooks.lost(m->hooks.arg, &r, c, first);
	}
}

/* lost_catch_up() of a compact tombstone (not stale). */
static void tomb_catch_up(struct rc_model *m, struct rc_tomb *t)
{
	uint64_t seen = tomb_seen(m, t), first, last;

	if (seen == m->nmarks)
		return;
	for (int c = m->mark_cpu; c >= 0; c = m->cpu[c].mark_next) {
		if (!marks_missed(m, c, seen, &first, &last))
			break;
		tomb_lost(m, t, c, first, last);
	}
	t->lost_seen = (uint32_t)m->nmarks;
}

/* t (a copy: no longer in the table) is forgotten, as root_destroy() does. */
static void tomb_forget(struct rc_model *m, struct rc_tomb *t)
{
	struct rc_root r;

	if (!tomb_stale(m, t)) {
		tomb_catch_up(m, t);
		vm_find(m, t->kvm)->ntombs--;
	}
	if (m->hooks.gone) {
		tomb_root(t, &r);
		m->hooks.gone(m->hooks.arg, &r);
	}
}

/* Every compact tombstone of a live VM, caught up (lost_flush()). */
static void tomb_catch_up_all(struct rc_model *m)
{
	for (uint32_t i = 0; i < m->tombs.n; i++) {
		struct rc_tomb *t = &m->tombs.v[i];

		if (t->id && !tomb_stale(m, t))
			tomb_catch_up(m, t);
	}
}

/*
 * Freed life r kept small, if it can be: nothing of it waits or is left
 * to judge, it holds no reference, and its last event is its free
 * (into *fr), whose fields fit the record.
 */
static bool tomb_fits(struct rc_model *m, struct rc_root *r, struct rc_event *fr)
{
	if (!r->freed || r->side->npending || r->side->zap_valid_seq || r->on_eager || r->on_fz ||
	    !r->count_known || r->count || r->gifts_inval || r->gifts_defunct ||
	    (r->addr & ~RC_TOMB_ADDR_MASK) || r->nevents > UINT32_MAX || !r->vm)
		return false;
	for (unsigned int o = 0; o < RC_OWN__COUNT; o++)
		if (r->owners[o])
			return false;
	for (unsigned int i = 0; i < r->nrefs; i++)
		if (r->refs[i].kind == RC_REF_HELD || r->refs[i].kind == RC_REF_FAILED)
			return false;
	if (!rc_root_last_event(r, fr) || fr->type != RC_EV_ROOT_FREE)
		return false;
	return fr->seq < 1ull << 56 && fr->absent < 1u << 8 && fr->cpu >= 0 &&
	       fr->cpu <= INT16_MAX &&
	       rc_callers_intern(&m->callers, fr->caller) <= UINT16_MAX;
}

static void tomb_demote(struct rc_model *m, struct rc_root *r,
			const struct rc_event *fr)
{
	struct rc_tomb t = {
		.kvm = r->kvm, .id = r->id, .ts = fr->ts, .seq = fr->seq,
		.absent = fr->absent, .pid = fr->pid, .life = r->life,
		.nevents = (uint32_t)r->nevents, .lost_seen = (uint32_t)m->nmarks,
		.caller = (uint16_t)rc_callers_intern(&m->callers, fr->caller),
		.cpu = (int16_t)fr->cpu,
	}, old;
	int e;

	t.addr = r->addr | (r->unverified ? RC_TF_UNVERIFIED : 0) |
		 (r->lost_after_free ? RC_TF_LOST_AFTER_FREE : 0) |
		 (r->adopted ? RC_TF_ADOPTED : 0) | (r->violated ? RC_TF_VIOLATED : 0) |
		 (r->valid ? RC_TF_VALID : 0) | (r->valid_known ? RC_TF_VALID_KNOWN : 0) |
		 (r->design_forced ? RC_TF_DESIGN_FORCED : 0) |
		 (r->zapped ? RC_TF_ZAPPED : 0) | (r->gifted ? RC_TF_GIFTED : 0) |
		 (uint64_t)r->design << RC_TF_DESIGN_SHIFT;
	e = rc_tombs_add(&m->tombs, &t, &old);
	if (e < 0) {		/* out of memory: forgotten, as past RC_TOMBSTONES */
		root_destroy(m, r);
		return;
	}
	r->vm->ntombs++;
	root_remove(m, r);
	if (e > 0)
		tomb_forget(m, &old);
}

/*
 * Before each event (no walk of the roots is under way): the freed lives
 * at the front of the tombstones kept whole (the oldest frees) whose last
 * event is RC_REORDER_NS older than now, and any past RC_TOMBSTONES, are
 * kept small; one that cannot be goes to the back, or is forgotten when
 * past RC_TOMBSTONES (two at most go to the back per event, so O(1) an
 * event: each life is made small once).
 */
static __attribute__((noinline)) void tomb_age(struct rc_model *m, uint64_t now)
{
	for (int back = 0; back < 2 && m->ntomb;) {
		struct rc_root *r = tomb_first(m);
		bool over = m->ntomb > RC_TOMBSTONES;
		struct rc_event fr;

		if (!over && (r->hist.last_ts > now || now - r->hist.last_ts <= RC_REORDER_NS))
			return;
		lost_catch_up(m, r);
		fz_update(r);
		if (tomb_fits(m, r, &fr)) {
			tomb_demote(m, r, &fr);
		} else if (over) {
			root_destroy(m, r);
		} else if (r != tomb_last(m)) {
			tomb_unlink(m, r);
			tomb_push(m, r);
			back++;
		} else {
			return;
		}
	}
}

/* The life at (kvm, addr) made again from its compact tombstone, if any. */
static __attribute__((noinline)) struct rc_root *tomb_recall(struct rc_model *m, uint64_t kvm, uint64_t addr)
{
	struct rc_tomb *t = rc_tombs_find(&m->tombs, kvm, addr), copy;
	struct rc_event fr;
	struct rc_root *r;
	struct rc_vm *vm;
	struct rc_hrec h;

	if (!t)
		return NULL;
	copy = *t;
	if (tomb_stale(m, t)) {
		rc_tombs_del(&m->tombs, t);
		tomb_forget(m, &copy);
		return NULL;
	}
	tomb_catch_up(m, t);
	copy = *t;
	vm = vm_find(m, kvm);
	fr = (struct rc_event){ .type = RC_EV_ROOT_FREE, .seq = t->seq, .ts = t->ts,
				.cpu = t->cpu, .pid = t->pid, .kvm = kvm, .root = addr,
				.caller = rc_callers_addr(&m->callers, t->caller),
				.absent = t->absent };
	r = root_new(m, vm, &fr, t->life);
	if (!r)
		return NULL;
	/* the same life: not counted again, its id kept */
	vm->nroots--;
	m->st.roots--;
	m->next_id--;
	r->id = copy.id;
	tomb_flags(&copy, r);
	hrec_set(&h, &fr);
	if (rc_hlog_push(&r->hist, &m->callers, &h, true) < 0)
		m->st.oom = true;
	r->nevents = copy.nevents;
	rc_tombs_del(&m->tombs, t);
	vm->ntombs--;
	tomb_push(m, r);
	fz_update(r);
	return r;
}

/* Every root caught up, the log emptied. */
static void lost_flush(struct rc_model *m)
{
	tomb_catch_up_all(m);
	for (size_t b = 0; b < m->nbuckets; b++)
		for (struct rc_root *r = m->buckets[b]; r; r = r->hnext)
			lost_catch_up(m, r);
	for (int c = m->mark_cpu; c >= 0; c = m->cpu[c].mark_next)
		m->cpu[c].nmarks = 0;
	m->mark_cpu = -1;
	m->nlogged = 0;
}

/* Log a mark on CPU c; false when out of memory. */
static bool lost_log(struct rc_model *m, int c, uint64_t since)
{
	struct rc_cpu *p = &m->cpu[c];

	if (p->nmarks == p->cap_marks) {
		unsigned int cap = p->cap_marks ? p->cap_marks * 2 : 16;
		struct rc_loss_mark *v = realloc(p->marks, cap * sizeof(*v));

		if (!v)
			return false;
		p->marks = v;
		p->cap_marks = cap;
	}
	if (p->nmarks && m->mark_cpu != c) {	/* to the front */
		m->cpu[p->mark_prev].mark_next = p->mark_next;
		if (p->mark_next >= 0)
			m->cpu[p->mark_next].mark_prev = p->mark_prev;
	}
	if (!p->nmarks || m->mark_cpu != c) {
		p->mark_prev = -1;
		p->mark_next = m->mark_cpu;
		if (m->mark_cpu >= 0)
			m->cpu[m->mark_cpu].mark_prev = c;
		m->mark_cpu = c;
	}
	p->marks[p->nmarks++] = (struct rc_loss_mark){ .no = ++m->nmarks, .since = since };
	m->nlogged++;
	return true;
}

static int eager_cmp(const void *a, const void *b)
{
	const struct rc_eager_key *x = a, *y = b;

	if (x->bucket != y->bucket)
		return x->bucket < y->bucket ? -1 : 1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/*
 * The mark just logged, applied at once to the roots on the eager list,
 * in the order of a walk of the hash (the judge's findings are made in
 * that order); off the list the roots nothing is left to judge on.
 */
static void lost_eager_list(struct rc_model *m, const struct rc_event *ev,
			    int cpu, uint64_t since)
{
	size_t n = 0;

	for (struct rc_root *r = m->eager; r; r = r->side->enext) {
		struct rc_eager_key *k;

		if (n == m->cap_eager_keys) {
			size_t cap = n ? 2 * n : 16;
			struct rc_eager_key *v = realloc(m->eager_keys, cap * sizeof(*v));

			if (!v) {
				m->st.oom = true;
				return;
			}
			m->eager_keys = v;
			m->cap_eager_keys = cap;
		}
		k = &m->eager_keys[n++];
		k->r = r;
		k->bucket = hash(r->kvm, r->addr, m->nbuckets);
		k->pos = 0;
		for (const struct rc_root *t = m->buckets[k->bucket]; t != r; t = t->hnext)
			k->pos++;
	}
	if (n > 1)
		qsort(m->eager_keys, n, sizeof(m->eager_keys[0]), eager_cmp);
	for (size_t i = 0; i < n; i++) {
		struct rc_root *r = m->eager_keys[i].r;

		lost_apply(m, r, ev, cpu, since);
		r->lost_seen = (uint32_t)m->nmarks;
		if (!r->side->zap_valid_seq || r->unverified)
			eager_del(m, r);
		fz_update(r);
	}
}

/*
 * A lost-event mark. The old way, a walk of every root, is O(roots) per
 * mark: instead the mark is logged and each root applies the marks it
 * missed when the model next looks at it (lost_catch_up()); a root
 * nothing looked at since is as it was at the mark, so the outcome is
 * the same. Only a zap of a valid root is judged at the mark itself
 * (the eager list). The log is emptied (every root caught up) once it
 * holds more marks than there are roots and buckets: O(1) per mark
 * amortized. A mark whose since is below its CPU's last logged one, or
 * of a CPU out of range, walks every root as before.
 */
static void on_lost(struct rc_model *m, const struct rc_event *ev)
{
	int c = ev->cpu;
	uint64_t since = 0;

	m->st.lost_reports++;
	if (ev->lost > 0)
		m->st.lost_events += (uint64_t)ev->lost;
	if (c >= 0 && c < m->ncpu) {
		const struct rc_cpu *p = &m->cpu[c];

		since = p->last_ts;
		if ((!p->nmarks || p->marks[p->nmarks - 1].since <= since) &&
		    lost_log(m, c, since)) {
			lost_eager_list(m, ev, c, since);
			if (m->nlogged > 1024 &&
			    m->nlogged > 2 * (m->nroots + m->nbuckets + m->tombs.n))
				lost_flush(m);
			return;
		}
	}
	lost_flush(m);
	m->nmarks++;
	for (size_t b = 0; b < m->nbuckets; b++) {
		for (struct rc_root *r = m->buckets[b]; r; r = r->hnext) {
			lost_apply(m, r, ev, c, since);
			r->lost_seen = (uint32_t)m->nmarks;
		}
	}
	for (uint32_t i = 0; i < m->tombs.n; i++) {
		struct rc_tomb *t = &m->tombs.v[i];

		if (t->id && !tomb_stale(m, t)) {
			tomb_lost(m, t, c, since, since);
			t->lost_seen = (uint32_t)m->nmarks;
		}
	}
	for (struct rc_root *r = m->eager, *next; r; r = next) {
		next = r->side->enext;
		if (!r->side->zap_valid_seq || r->unverified)
			eager_del(m, r);
		fz_update(r);
	}
}

static void on_fast_zap_start(struct rc_model *m, const struct rc_event *ev)
{
	unsigned int i;

	for (i = 0; i < m->nfz && m->fz[i].pid != ev->pid; i++)
		;
	if (i == m->nfz) {
		if (m->nfz < RC_FZ_TASKS)
			m->nfz++;
		else
			i = ev->seq % RC_FZ_TASKS;	/* forget an old one */
	}
	m->fz[i].pid = ev->pid;
	m->fz[i].seq = ev->seq;
}

/* Judge life r at the end of a fast zap (fz_start: the zap's start). */
static void fz_judge(struct rc_model *m, struct rc_root *r,
		     const struct rc_event *ev, uint64_t fz_start)
{
	if (judge(m, r, ev, fz_start))
		history_push(m, r, ev);
}

/* Life r of a VM at the end of its fast zap (fz_start: the zap's start). */
static void fz_visit(struct rc_model *m, struct rc_root *r,
		     const struct rc_event *ev, uint64_t fz_start)
{
	lost_catch_up(m, r);
	drain(m, r, false);
	/*
	 * What this task did before the moment has happened, but a record of
	 * it held back (its `old` waits for another CPU's get or put, whose
	 * tracepoint fired after the atomic and was stamped later: seen live
	 * on memslot_perf_test) is judged first: the moment waits behind it
	 * in the root's reorder buffer (process() judges it there), within
	 * the same bounds.
	 */
	if (behind_pending(r, ev, r->side->npending)) {
		struct rc_event late = *ev;

		late.lost = (int64_t)fz_start;	/* unused by this type */
		if (pending_add(m, r, &late))
			return;
		while (behind_pending(r, ev, r->side->npending)) {	/* no memory */
			pending_force(m, r);
			drain(m, r, false);
		}
	}
	fz_judge(m, r, ev, fz_start);
}

/*
 * The end of a fast zap: the lives of the VM a rule may fire on then
 * (rc_root.on_fz: its live roots and at most the RC_TOMBSTONES freed
 * lives kept whole, not every tombstone of the VM). On a
 * freed life with nothing held back and no zap of the valid root left to
 * judge, judge finds nothing; the layer above may still want to see it
 * (the engine, while findings are open, closes or notes them at every
 * judge call: near_note()): when wants_freed() says so, every life is
 * shown, newest first, as always.
 */
static void on_fast_zap_done(struct rc_model *m, const struct rc_event *ev)
{
	struct rc_vm *vm = vm_get(m, ev->kvm, ev->seq);
	uint64_t start = UINT64_MAX;	/* unknown */
	const struct rc_root *last = NULL;

	if (!vm)
		return;
	for (unsigned int i = 0; i < m->nfz; i++) {
		if (m->fz[i].pid == ev->pid) {
			start = m->fz[i].seq;
			m->fz[i] = m->fz[--m->nfz];
			break;
		}
	}
	vm->fast_zaps++;
	m->st.fast_zaps++;
	if (m->hooks.wants_freed && m->hooks.wants_freed(m->hooks.arg)) {
		for (struct rc_root *r = vm->roots; r; r = r->vnext) {
			fz_visit(m, r, ev, start);
			fz_update(r);
		}
		return;
	}
	/*
	 * Skipped: the freed lives, which the walk of every life would have
	 * shown judge in between, finding nothing. If wants_freed() turns
	 * true during the walk (a finding of this walk is open), what those
	 * calls did to it is what the last call of the walk of every life
	 * does, on the oldest life: that one is shown, if it was skipped.
	 */
	for (struct rc_root *r = vm->roots; r; r = r->vnext) {
		if (!r->on_fz)
			continue;
		fz_visit(m, r, ev, start);
		last = r;
		fz_update(r);
	}
	if (vm->roots_tail && vm->roots_tail != last && m->hooks.wants_freed &&
	    m->hooks.wants_freed(m->hooks.arg))
		fz_visit(m, vm->roots_tail, ev, start);
}

/* A VM's bit in rc_model.td_kvms. */
static unsigned int td_bit(uint64_t kvm)
{
	return (unsigned int)((kvm * 0x9e3779b97f4a7c15ull) >> 58);
}

/*
 * A root event of a VM torn down shortly before on another CPU: the
 * teardown comes after every root event of its VM, so ev's CPU read
 * ahead by at least the difference (or the kernel used a root after its
 * VM's teardown: the rules judge that).
 */
static void note_after_teardown(struct rc_model *m, const struct rc_event *ev)
{
	unsigned int n = m->ntd < RC_TEARDOWNS ? m->ntd : RC_TEARDOWNS;
	bool counted = false;

	for (unsigned int i = 0; i < n; i++) {
		const struct rc_td *t = &m->td[i];

		/* no loss since: the lost events could hold anything */
		if (t->kvm == ev->kvm && t->cpu != ev->cpu && ev->ts > t->ts &&
		    ev->ts - t->ts <= RC_REORDER_NS && t->lost == m->st.lost_reports) {
			note_ahead(m, ev->cpu, ev->ts - t->ts, t->cpu, false);
			counted = true;
		}
	}
	m->st.after_teardown += counted;
}

static void on_teardown(struct rc_model *m, const struct rc_event *ev)
{
	struct rc_vm *vm = vm_get(m, ev->kvm, ev->seq), **pp;

	m->td[m->ntd++ % RC_TEARDOWNS] = (struct rc_td){ .kvm = ev->kvm, .ts = ev->ts,
							 .lost = m->st.lost_reports,
							 .cpu = ev->cpu };
	m->td_kvms = 0;
	for (unsigned int i = 0; i < m->ntd && i < RC_TEARDOWNS; i++)
		m->td_kvms |= 1ull << td_bit(m->td[i].kvm);
	if (!vm)
		return;
	m->st.teardowns++;
	/* its compact tombstones are void after it: the marks they missed first */
	if (vm->ntombs && m->nlogged)
		lost_flush(m);
	for (struct rc_root *r = vm->roots; r; r = r->vnext) {
		lost_catch_up(m, r);
		drain(m, r, true);
		if (r->freed)
			continue;
		if (!r->unverified)
			m->st.roots_leaked++;
		history_push(m, r, ev);
		judge(m, r, ev, UINT64_MAX);
	}
	/* The VM is gone: forget its roots (a new VM may reuse the pointer). */
	vm->torn_down = true;
	while (vm->roots)
		root_destroy(m, vm->roots);
	for (pp = &m->vms[vm_hash(vm->kvm, m->nvmb)]; *pp != vm; pp = &(*pp)->next)
		;
	*pp = vm->next;
	m->nvms--;
	free(vm->loads);
	free(vm);
}

/*
 * The root life an event belongs to, adopting one first seen mid-life.  A
 * freed life followed by lost events is not assumed to be the owner: the
 * alloc of a new life at this address may be among the lost events, and
 * judging the event as a use after free would then be a false alarm.
 */
static struct rc_root *root_for_event(struct rc_model *m,
				      const struct rc_event *ev, bool *adopted)
{
	struct rc_root *r = root_find(m, ev->kvm, ev->root);
	uint32_t life = 0;

	*adopted = false;
	if (r && r->freed && r->lost_after_free) {
		life = r->life;
		drain(m, r, true);
		root_destroy(m, r);
		r = NULL;
	}
	if (r)
		return r;
	r = root_adopt(m, ev);
	if (r) {
		*adopted = true;
		if (life)
			r->life = life + 1;
	}
	return r;
}

/*
 * An event with a value outside docs/events.md (abi.h) is not applied:
 * counted, and its root (adopted if new) is unverified from here on.
 */
static void on_outside_abi(struct rc_model *m, const struct rc_event *ev)
{
	bool adopted;
	struct rc_root *r;

	m->st.values_outside++;
	if (!ev->kvm || !ev->root || ev->type >= RC_EV_FAST_ZAP_START)
		return;
	r = root_for_event(m, ev, &adopted);
	if (r)
		mark_unverified(m, r);
}

/* Gets, puts and frees: ordered by `old` and program order (root_event()). */
static void on_refcount(struct rc_model *m, const struct rc_event *ev)
{
	bool adopted;
	struct rc_root *r;

	if (m->live_residues && ev->type != RC_EV_ROOT_FREE && fit_measures(ev))
		note_late_fit(m, ev);
	r = root_for_event(m, ev, &adopted);

	if (r)
		root_event(m, r, ev);
}

/* Invalidate, zap windows and handoffs: no `old`; held back only behind
 * an earlier held-back record of their CPU or task (root_event()). */
static void on_root_event(struct rc_model *m, const struct rc_event *ev)
{
	bool adopted;
	struct rc_root *r = root_for_event(m, ev, &adopted);

	if (!r)
		return;
	if (adopted && ev->type != RC_EV_ROOT_INVALIDATE &&
	    ev->type != RC_EV_ROOT_HANDOFF && ev->ctx != RC_CTX_ZAP_ALL)
		r->valid = false;	/* zapped as invalid */
	root_event(m, r, ev);
}

/*
 * The model hook of each event type (docs/events.md, analyzer/event.c).
 * A new event type gets its entry here; NULL: the event changes no state.
 */
static void (*const on_event[RC_EV__COUNT])(struct rc_model *m,
					    const struct rc_event *ev) = {
	[RC_EV_ROOT_ALLOC] = on_alloc,
	[RC_EV_ROOT_GET] = on_refcount,
	[RC_EV_ROOT_PUT] = on_refcount,
	[RC_EV_ROOT_INVALIDATE] = on_root_event,
	[RC_EV_ROOT_ZAP_START] = on_root_event,
	[RC_EV_ROOT_ZAP_END] = on_root_event,
	[RC_EV_ROOT_FREE] = on_refcount,
	[RC_EV_FAST_ZAP_START] = on_fast_zap_start,
	[RC_EV_FAST_ZAP_DONE] = on_fast_zap_done,
	[RC_EV_TEARDOWN] = on_teardown,
	[RC_EV_ROOT_HANDOFF] = on_root_event,
	[RC_EV_LOST] = on_lost,
};

int rc_model_feed(struct rc_model *m, const struct rc_event *ev)
{
	bool names_root = (unsigned int)ev->type < 32 && (m->names_root >> ev->type & 1);

	m->st.events++;
	if (names_root) {
		if (!m->st.root_events++) {
			m->first_root_cpu = ev->cpu;
			m->st.root_cpus = 1;
		} else if (ev->cpu != m->first_root_cpu) {
			m->st.root_cpus = 2;
		}
	}
	if (ev->outside_abi) {
		on_outside_abi(m, ev);
		return m->st.oom ? -1 : 0;
	}
	if (!rc_ref_fits(ev->seq, ev->cpu, ev->pid) && names_root) {
		m->st.over_cap++;	/* a ledger entry could not hold it */
		return m->st.oom ? -1 : 0;
	}
	if (ev->cpu >= m->ncpu && ev->cpu < 4096) {
		size_t n = (size_t)ev->cpu + 1, old = (size_t)m->ncpu;
		struct rc_cpu *c = realloc(m->cpu, n * sizeof(*c));

		if (c) {
			memset(c + old, 0, (n - old) * sizeof(*c));
			m->cpu = c;
			m->ncpu = ev->cpu + 1;
		} else {
			m->st.oom = true;
		}
	}
	if (m->ntd && ev->kvm && (m->td_kvms >> td_bit(ev->kvm) & 1) &&
	    names_root && ev->ts - m->td[(m->ntd - 1) % RC_TEARDOWNS].ts <= RC_REORDER_NS)
		note_after_teardown(m, ev);
	/* before ev: what it finds is the same either way */
	if (m->ntomb && (m->ntomb > RC_TOMBSTONES ||
			 ev->ts - tomb_first(m)->hist.last_ts > RC_REORDER_NS))
		tomb_age(m, ev->ts);
	if ((unsigned int)ev->type < RC_EV__COUNT && on_event[ev->type])
		on_event[ev->type](m, ev);
	if (ev->cpu >= 0 && ev->cpu < m->ncpu)
		m->cpu[ev->cpu].last_ts = ev->ts;
	return m->st.oom ? -1 : 0;
}

void rc_model_finish(struct rc_model *m)
{
	tomb_catch_up_all(m);
	for (size_t b = 0; b < m->nbuckets; b++) {
		for (struct rc_root *r = m->buckets[b]; r; r = r->hnext) {
			lost_catch_up(m, r);
			drain(m, r, true);
		}
	}
	m->st.roots_alive = 0;
	for (size_t b = 0; b < m->nbuckets; b++)
		for (struct rc_root *r = m->buckets[b]; r; r = r->hnext)
			if (!r->freed)
				m->st.roots_alive++;
	/* --root: the timeline in time order, as the histories */
	rc_events_time_order(m->timeline, m->ntl);
}

uint64_t rc_model_cpu_ahead(const struct rc_model *m, int cpu)
{
	return cpu >= 0 && cpu < m->ncpu ? m->cpu[cpu].ahead : 0;
}

uint64_t rc_model_cpu_ahead_direct(const struct rc_model *m, int cpu)
{
	return cpu >= 0 && cpu < m->ncpu ? m->cpu[cpu].direct : 0;
}

uint64_t rc_model_cpu_behind(const struct rc_model *m, int cpu)
{
	return cpu >= 0 && cpu < m->ncpu ? m->cpu[cpu].behind : 0;
}

int rc_model_ncpus(const struct rc_model *m)
{
	return m->ncpu;
}

const struct rc_stats *rc_model_stats(const struct rc_model *m)
{
	return &m->st;
}

enum rc_design rc_model_design_seen(const struct rc_model *m)
{
	return m->design_seen;
}

const struct rc_event *rc_model_timeline(const struct rc_model *m, size_t *n)
{
	*n = m->ntl;
	return m->timeline;
}

void rc_model_free(struct rc_model *m)
{
	if (!m)
		return;
	for (size_t b = 0; b < m->nbuckets; b++) {
		struct rc_root *r = m->buckets[b], *next;

		for (; r; r = next) {
			next = r->hnext;
			root_release(m, r);
		}
	}
	for (size_t i = 0; i < m->nvmb; i++) {
		while (m->vms[i]) {
			struct rc_vm *vm = m->vms[i];

			m->vms[i] = vm->next;
			free(vm->loads);
			free(vm);
		}
	}
	free(m->vms);
	free(m->buckets);
	rc_tombs_free(&m->tombs);
	for (int c = 0; c < m->ncpu; c++)
		free(m->cpu[c].marks);
	free(m->cpu);
	free(m->eager_keys);
	free(m->tomb_ring);
	free(m->timeline);
	rc_callers_free(&m->callers);
	free(m);
}
