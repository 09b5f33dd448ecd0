/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The clock check (docs/invariants.md): a clock that claims to order CPUs
 * may be off on one. Where the records had to be applied out of timestamp
 * order, the model measured how far each CPU's clock read ahead at least
 * (rc_model_cpu_ahead()). For the (at most two) CPUs that read ahead most,
 * the trace is read again with that CPU's timestamps set back, refined
 * pass by pass by what each pass still measures (RC_CLOCK_PASSES passes,
 * none by more than RC_CLOCK_MAX_NS). A pass that breaks more roots found
 * clean than there were violations is refuted (rc_engine_clock_check()).
 * Then strict passes (at most RC_CLOCK_TARGETED, refuted by any root newly in
 * violation or any record more forced; one that nothing in the records asks
 * for, also by more root events read after their VM's teardown): the CPU the
 * others read ahead of (rc_model_cpu_behind()) set forward, and each CPU moved
 * across the events near a violation (rc_finding.near: the nearest and
 * farthest, then, in at most RC_CLOCK_MIDS more passes, those between), by no
 * more than twice what the records showed out of order, or, when no event was
 * lost, as far as the events near (50 us at least). When records fit no order
 * and no event was lost, passes that fit more of them may go further (a ladder
 * of 0.2 .. 6 ms, at most RC_CLOCK_LADDER); those, and the far passes then,
 * count only if fewer records stay unfitted (by less than 50 us, only if
 * every record fits: the trace read whole; one that still finds
 * violations speaks only of count mismatches, engine.c). A
 * violation not found again in every other pass (same rule, same root,
 * same life or same event: engine.c, has_same()) rests on an order of
 * CPUs that the timestamps do not settle: it is put in clock doubt. Each pass reads the events again from a new source:
 * the trace.dat, or a live run's spool (source_spool.h).
 */
#ifndef RC_CLOCK_CHECK_H
#define RC_CLOCK_CHECK_H

#include <stddef.h>
#include "engine.h"
#include "report.h"
#include "source.h"

/* Where the passes read the events again. */
struct rc_clock_input {
	/* a new source of the events e read, NULL with err set if it cannot be */
	struct rc_source *(*open)(void *arg, char *err, size_t errlen);
	void *arg;
};

/*
 * e: the engine that read in's events with opts. Fills rep->shift[] with
 * the passes run; changes e's findings only.
 */
void rc_clock_check(const struct rc_clock_input *in,
		    const struct rc_model_opts *opts, struct rc_engine *e,
		    struct rc_report *rep);

#endif
