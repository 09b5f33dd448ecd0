/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Findings: recording, suppression and retraction of the rules' verdicts,
 * with the evidence a reviewer needs. Knows root lives only by their id
 * and the plain evidence handed to it (struct rc_evidence), never the
 * model's state.
 *
 * Policy (docs/invariants.md, "Reporting policy"): one finding per root
 * life, the first; later anomalies on that life are counted as
 * suppressed; anomalies on a life whose events may have been lost are
 * counted as unjudged; a finding that events lost later can explain is
 * retracted.
 */
#ifndef RC_FINDINGS_H
#define RC_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "event.h"
#include "rules.h"

#define RC_MAX_FINDINGS 1000	/* stored; the rest are only counted */
#define RC_FINDING_HIST 16	/* events of history kept per finding */

/* What is known about a root life when a verdict is recorded. */
struct rc_evidence {
	uint64_t kvm, root;
	uint64_t root_id;		/* unique per root life, from 1 */
	uint32_t life;
	int64_t count;			/* shadow count, -1 if unknown */
	uint32_t owners[RC_OWN__COUNT];	/* references held at the time */
	unsigned int nhist;
	struct rc_event hist[RC_FINDING_HIST];	/* in timestamp order */
	uint64_t nevents;		/* events of the root life until then */
};

/*
 * Events of other CPUs on a finding's root near its event, per CPU (at
 * most RC_NEAR_CPUS CPUs, within RC_NEAR_NS): how far before and after
 * it the nearest and the farthest were stamped, and the next nearest
 * (RC_NEAR_MIDS at most). A clock off by that much on that CPU would
 * have put them on the other side of the event: the clock check tries
 * those orders (clock_check.h).
 */
#define RC_NEAR_CPUS 4
#define RC_NEAR_MIDS 3
#define RC_NEAR_NS RC_ORDER_NS

struct rc_near {
	int32_t cpu;
	bool has_before, has_after;
	uint8_t nmid_before, nmid_after;
	uint64_t before[2];		/* ns before the event: nearest, farthest */
	uint64_t after[2];		/* ns after it (or at it, later in the stream) */
	/* the distinct ones after the nearest, ascending (the farthest may be one) */
	uint64_t mid_before[RC_NEAR_MIDS], mid_after[RC_NEAR_MIDS];
};

struct rc_finding {
	int rule;			/* index into rc_rules[] */
	bool retracted;			/* lost events could explain it */
	bool cross_cpu;			/* rests on cross-CPU order */
	bool unordered;			/* in clock doubt from the start:
					 * rc_verdict.unordered */
	bool clock_doubt;		/* gone once the CPU clocks are
					 * corrected (rc_findings_doubt()) */
	int32_t doubt_cpu;		/* the first such correction: this CPU's */
	int64_t doubt_ns;		/* clock set back by this (< 0: forward) */
	char detail[160];		/* one line, specific to this case */
	struct rc_event ev;		/* the offending event */
	bool has_cause;
	struct rc_event cause;		/* the event that created the problem */
	struct rc_evidence e;
	struct rc_near near[RC_NEAR_CPUS];
	unsigned int nnear;
};

struct rc_findings {
	struct rc_finding *v;
	size_t n, cap;
	uint64_t total;			/* including those not stored */
	uint64_t per_rule[RC_R__COUNT];
	uint64_t retracted;
	uint64_t doubted;		/* findings in clock doubt (not in total) */
	uint64_t unordered;		/* of them, in doubt from the start
					 * (rc_finding.unordered) */
	uint64_t suppressed;		/* anomalies after a life's first finding */
	uint64_t unjudged;		/* anomalies on unverified lives */
	/* root lives with a finding: id -> index in v (or UINT32_MAX) */
	struct rc_findings_slot { uint64_t id; uint32_t idx; } *map;
	size_t map_n, map_cap;
};

enum rc_admit { RC_ADMIT_NEW, RC_ADMIT_SUPPRESSED, RC_ADMIT_UNJUDGED };

void rc_findings_init(struct rc_findings *f);
void rc_findings_release(struct rc_findings *f);

/*
 * A rule fired on root life id. Decides whether it becomes a finding
 * (RC_ADMIT_NEW: the caller then calls rc_findings_add()) or is only
 * counted: the life already has one, or it is unverified.
 */
enum rc_admit rc_findings_admit(struct rc_findings *f, uint64_t id,
				bool unverified);
/*
 * Store the admitted finding (v->rule on ev, evidence e). Returns it, or
 * NULL when over RC_MAX_FINDINGS (still counted: in total, or with
 * v->unordered in doubted, in clock doubt from the start).
 */
struct rc_finding *rc_findings_add(struct rc_findings *f,
				   const struct rc_verdict *v,
				   const struct rc_event *ev,
				   const struct rc_evidence *e);
/*
 * Events lost on cpu after since may hide part of life id: withdraw its
 * finding if it is later than since (at since itself only if on another
 * CPU: the last event read on cpu preceded the loss in program order).
 */
void rc_findings_retract_after(struct rc_findings *f, uint64_t id, int cpu,
			       uint64_t since);
/*
 * Finding i does not survive a correction of the CPU clocks (cpu's clock
 * set back by ns, forward if ns < 0): it stays listed, marked, and moves
 * from total to doubted.
 */
void rc_findings_doubt(struct rc_findings *f, size_t i, int cpu, int64_t ns);
/*
 * ev, an event on x's root, is of another CPU near x's event (stamped
 * before it, or after it in the stream when later is true): note it.
 */
void rc_finding_near(struct rc_finding *x, const struct rc_event *ev, bool later);
/* Life id is gone: forget it (its stored finding stays). */
void rc_findings_forget(struct rc_findings *f, uint64_t id);

#endif
