/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The lifecycle model: per VM and per root life, a shadow refcount, the
 * references held per owner, the valid/invalid state, the zap gift, zap
 * windows and the fast-zap window. Events go in through rc_model_feed();
 * the rules (rules.c) judge each event against this state before the
 * model applies it. Memory is bounded by live roots, open windows and a
 * bounded set of freed-root tombstones, never by trace length.
 */
#ifndef RC_MODEL_H
#define RC_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "event.h"

#define RC_HIST 16		/* events of history kept per root */
#define RC_KEY 8		/* milestones kept per root (not vCPU/iter refs) */
#define RC_PENDING 8		/* get/put events held back for ordering */
#define RC_ZAPPERS 4		/* recent zappers remembered per root */
#define RC_TASKS 8		/* tasks with iterator references per root */
#define RC_TOMBSTONES 4096	/* freed roots remembered for use-after-free */

enum rc_design { RC_DESIGN_AUTO, RC_DESIGN_GIFTED, RC_DESIGN_ASYNC };

enum rc_gift { RC_GIFT_NONE, RC_GIFT_PENDING, RC_GIFT_CONSUMED };

struct rc_task_refs {
	int pid;
	uint32_t held;		/* iterator references this task holds */
	bool failed_get;	/* its last get attempt on this root failed */
	struct rc_event get_ev;	/* its last successful get */
};

struct rc_zapper {
	int pid;
	uint8_t ctx;
	bool active;		/* zap_start seen, zap_end not yet */
	uint64_t end_seq;	/* seq of its last zap_end, 0 if none */
};

struct rc_vm;

struct rc_root {
	struct rc_root *hnext;		/* hash chain (kvm, addr) */
	struct rc_root *vnext, *vprev;	/* the VM's list of root lives */
	struct rc_vm *vm;
	uint64_t kvm, addr;
	uint64_t id;			/* global life number, from 1 */
	uint32_t life;			/* life number at this address, from 1 */
	enum rc_design design;		/* GIFTED or ASYNC, fixed at alloc */

	int64_t count;			/* shadow refcount */
	bool count_known;		/* false until alloc or an `old` was seen */
	bool adopted;			/* first seen mid-life (no alloc in trace) */
	uint32_t owners[RC_OWN__COUNT];
	struct rc_task_refs tasks[RC_TASKS];
	unsigned int ntasks;

	bool valid;
	bool valid_known;		/* false for adopted roots until invalidated */
	bool freed;
	bool violated;			/* a violation was reported for this life */
	bool unverified;		/* lost events may hide part of its life */
	bool lost_after_free;		/* freed, then events were lost: they
					 * may hold a new life's alloc here */
	unsigned int suppressed;	/* later anomalies not reported */

	uint64_t invalid_seq;		/* seq of the invalidate, 0 while valid */
	uint8_t invalid_reason;
	bool zapped;			/* a zap ended after the invalidation */
	enum rc_gift gift;
	uint8_t gift_reason;
	struct rc_event gift_ev;	/* the invalidate that made the gift */
	bool has_cause;
	struct rc_event cause_ev;	/* last_put: the put that made it defunct */
	struct rc_zapper zappers[RC_ZAPPERS];
	unsigned int nzappers;

	struct rc_event pending[RC_PENDING];	/* get/put waiting for order */
	unsigned int npending;

	struct rc_event hist[RC_HIST];
	unsigned int hist_n;		/* total events recorded (ring index) */
	struct rc_event key[RC_KEY];	/* alloc, invalidate, zaps, gifts, free */
	unsigned int key_pos[RC_KEY];	/* their hist_n index */
	unsigned int key_n;
	uint64_t nevents;
	uint64_t first_ts, last_ts;
	struct rc_root *tnext, *tprev;	/* tombstone FIFO */
};

struct rc_vm {
	struct rc_vm *next;
	uint64_t kvm;
	uint32_t nroots;		/* root lives seen */
	struct rc_root *roots;		/* its root lives (alive and tombstones) */
	int fast_zap_pid;		/* task inside a fast zap, 0 if none */
	uint64_t fast_zap_seq;
	uint64_t fast_zaps;
	bool torn_down;
};

struct rc_finding;

struct rc_model_opts {
	enum rc_design design;		/* AUTO picks per root from alloc count */
	bool have_root_filter;
	uint64_t root_filter;		/* --root ADDR: keep a full timeline */
};

struct rc_stats {
	uint64_t events;
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
	uint64_t mismatches_resolved;	/* reordered by `old` */
	uint64_t fast_zaps;
	uint64_t teardowns;
	uint64_t suppressed;		/* anomalies after a root's first violation */
	uint64_t unjudged;		/* anomalies on unverified roots */
	uint64_t gifted_roots, async_roots;
	uint64_t owner_gets[RC_OWN__COUNT], owner_puts[RC_OWN__COUNT];
	uint64_t failed_gets;
	uint64_t zaps;
};

struct rc_model;

struct rc_model *rc_model_new(const struct rc_model_opts *opts);
void rc_model_free(struct rc_model *m);

/* Feed one event (in stream order). */
void rc_model_feed(struct rc_model *m, const struct rc_event *ev);
/* End of stream: flush held-back events, count what is still alive. */
void rc_model_finish(struct rc_model *m);

const struct rc_stats *rc_model_stats(const struct rc_model *m);
struct rc_findings *rc_model_findings(struct rc_model *m);
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

#endif
