/* SPDX-License-Identifier: GPL-2.0 */
/* Reports: the text summary (<= 72 columns), JSON, and one root's timeline. */
#ifndef RC_REPORT_H
#define RC_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include "findings.h"
#include "model.h"
#include "source.h"

enum rc_exit { RC_EXIT_CLEAN = 0, RC_EXIT_VIOLATIONS = 1, RC_EXIT_USAGE = 2,
	       RC_EXIT_INCONCLUSIVE = 3 };

/*
 * Why the verdict is what it is, first match in this order (one place:
 * rc_report_why()). The ones before VIOLATIONS hold even over violations
 * (they are then only possible ones; with no root event there is none);
 * the later ones make a trace without violations inconclusive. COMMAND:
 * live's command exited non-zero or was killed, and nothing else stood
 * in the way of a pass.
 */
enum rc_why {
	RC_WHY_NONE,			/* clean: PASS */
	RC_WHY_TRACE_INCOMPLETE,	/* records missing without a mark */
	RC_WHY_NO_ROOT_EVENTS,		/* nothing to check */
	RC_WHY_EVENTS_NOT_RECORDED,	/* root events absent from the formats */
	RC_WHY_PUTS_NOT_RECORDED,	/* roots freed, not one put recorded */
	RC_WHY_CLOCK_UNTRUSTED,		/* a clock that does not order CPUs,
					 * root events on more than one CPU */
	RC_WHY_VIOLATIONS,		/* FAIL */
	RC_WHY_LOST_EVENTS,		/* roots unverified (lost events, reuse) */
	RC_WHY_VALUES_OUTSIDE_ABI,	/* events not applied */
	RC_WHY_CAP_REACHED,		/* events not tracked */
	RC_WHY_COMMAND_FAILED,		/* live: the command failed */
};

/* live: how COMMAND ended (ran false: no command, or not live). */
struct rc_cmd {
	bool ran;
	const char *name;		/* argv[0] */
	int exit_code;			/* when it exited */
	int signal;			/* the signal that killed it, 0 if none */
};

/* At most this many passes of the clock check (clock_check.c): measured, targeted. */
#define RC_CLOCK_PASSES 6
#define RC_CLOCK_TARGETED 12
#define RC_CLOCK_MIDS 8
#define RC_CLOCK_LADDER 48
/* The clock check sets no CPU back by more (a clock off by more is broken). */
#define RC_CLOCK_MAX_NS RC_AHEAD_MAX_NS

struct rc_report {
	const char *input;		/* file name, or "live" */
	const struct rc_trace_info *info;	/* NULL if unknown */
	const struct rc_source *src;	/* symbols and task names; may be NULL */
	const struct rc_model *model;
	const struct rc_findings *findings;
	enum rc_design design_opt;
	bool color;
	bool summary_only;
	bool have_root;
	uint64_t root;
	struct rc_cmd cmd;
	/* the clock check's passes: CPU and how far its clock was set back
	 * (negative: forward) */
	struct rc_clock_shift { int cpu; int64_t ns; } shift[RC_CLOCK_PASSES + RC_CLOCK_TARGETED + RC_CLOCK_MIDS +
						 RC_CLOCK_LADDER];
	int nshift;
	/* live: why the clock check was not run on violations found, else NULL */
	const char *clock_skipped;
};

enum rc_why rc_report_why(const struct rc_report *r);
/* The trace clock does not order CPUs and root events came from two or more. */
bool rc_report_clock_untrusted(const struct rc_report *r);
/* The exit status that rc_report_why() implies. */
enum rc_exit rc_report_exit(const struct rc_report *r);
const char *rc_report_verdict_word(enum rc_exit e);
/* JSON "reason": "no_root_events", ...; NULL for NONE and VIOLATIONS. */
const char *rc_report_why_name(enum rc_why w);
/* Whether live's command exited non-zero or was killed. */
bool rc_report_cmd_failed(const struct rc_report *r);
/* "command exited 1", "command killed by SIGSEGV"; NULL if it did not fail. */
const char *rc_report_cmd_desc(const struct rc_report *r, char *buf, size_t len);
/* "SIGSEGV" (or "signal 99"); returns buf. */
const char *rc_report_signal_name(int sig, char *buf, size_t len);

/* "set back", or "set back or forward" when a pass set a clock forward. */
const char *rc_report_shift_verb(const struct rc_report *r);
/*
 * "cpu1 962 us, cpu0 5.0 ms, cpu2 52 us forward": per CPU and direction
 * the clock check moved it, the most it moved it.
 */
const char *rc_report_shifts(const struct rc_report *r, char *buf, size_t len);
/* The pass that put finding f in doubt: "cpu1's clock set forward 2.4 ms". */
const char *rc_report_doubt(const struct rc_finding *f, char *buf, size_t len);

void rc_report_text(FILE *out, const struct rc_report *r);
void rc_report_json(FILE *out, const struct rc_report *r);
void rc_report_timeline(FILE *out, const struct rc_report *r);
/* One line: "VERDICT exit input detail" (--summary with several inputs). */
void rc_report_line(FILE *out, const struct rc_report *r);
/* The JSON object of an input that could not be read (exit 2). */
void rc_report_json_error(FILE *out, const char *input, const char *err);

/* Shared helpers (report.c). */
const char *rc_report_sym(const struct rc_report *r, uint64_t addr,
			  char *buf, size_t len);
const char *rc_report_comm(const struct rc_report *r, int pid);
/* "alloc count=2 ...": the event's text fields (event.h), without the
 * caller; returns buf. */
const char *rc_report_event_desc(const struct rc_event *ev, char *buf, size_t len);
/* Whether ev has a call site (its "by SYM" in the text report). */
bool rc_report_has_caller(const struct rc_event *ev);
/* Warnings worth a line each; returns how many were written to w. */
unsigned int rc_report_warnings(const struct rc_report *r, char w[][120],
				unsigned int max);

#endif
