/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The engine: the one place the middle of the pipeline is wired,
 *   decoded event -> model (state) -> rules (judgement) -> findings.
 * It owns a model and the findings; the model calls back into it before
 * each event is applied, the rules judge, the findings record.
 */
#ifndef RC_ENGINE_H
#define RC_ENGINE_H

#include "event.h"
#include "findings.h"
#include "model.h"

struct rc_engine;

struct rc_engine *rc_engine_new(const struct rc_model_opts *opts);
void rc_engine_free(struct rc_engine *e);

/* Feed one event (in stream order). Returns -1 once out of memory (the
 * model is then incomplete: stop and report the error), else 0. */
int rc_engine_feed(struct rc_engine *e, const struct rc_event *ev);
/* End of stream. */
void rc_engine_finish(struct rc_engine *e);

const struct rc_model *rc_engine_model(const struct rc_engine *e);
const struct rc_findings *rc_engine_findings(const struct rc_engine *e);

/*
 * The clock check: shifted ran on the same trace with the CPU clocks
 * corrected (rc_source_shift_clocks()). Each finding of e with no
 * finding of the same rule on the same root (VM, address) in shifted, on
 * the same life or at the same event (as recorded), rests on an order of
 * CPUs that the timestamps do not settle:
 * it is put in doubt (rc_findings_doubt()), unless shifted has more
 * findings on roots (VM, address) where e has none than e has findings:
 * a correction that breaks more clean roots than the trace as recorded
 * has violations is refuted by the records and explains nothing.
 * Returns how many were put in doubt; each names the pass
 * (rc_finding.doubt_cpu, doubt_ns).
 */
struct rc_pass {
	int cpu;		/* the CPU whose clock the pass moved */
	int64_t ns;		/* by how much: > 0 set back, < 0 set forward
				 * (every other CPU set back by as much) */
	/*
	 * strict: a pass that moved one CPU's clock (back or forward) by
	 * what the records do not measure directly; it is refuted by any
	 * root newly in violation or any more records that never fitted.
	 */
	bool strict;
	/* improve: it counts only if fewer records never fitted */
	bool improve;
	/*
	 * unfounded: a strict pass that nothing in the records asks for (a
	 * CPU moved further than any skew they measure, and no record
	 * unfitted to fit); it is refuted also by more root events read
	 * after their VM's teardown than as recorded.
	 */
	bool unfounded;
	/*
	 * whole: it counts only if it reads the trace whole: every record
	 * fitted its count (a CPU moved by less than improve passes go,
	 * where a bug's broken counts would not all fit); if it still finds
	 * a violation, it puts only count mismatches in doubt.
	 */
	bool whole;
	/* moved >= 0: it puts in doubt only findings on that CPU or with
	 * events of that CPU near them (rc_finding.near) */
	int moved;
};

size_t rc_engine_clock_check(struct rc_engine *e, const struct rc_engine *shifted,
			     const struct rc_pass *p);

#endif
