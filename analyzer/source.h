/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Input sources. A source decodes kvmmmu records into struct rc_event and
 * hands them, in order, to a sink callback. It also answers the questions
 * a report needs about the trace it read: task names, symbols, metadata.
 */
#ifndef RC_SOURCE_H
#define RC_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include "event.h"

/* Returns 0 to continue, non-zero to stop the stream. */
typedef int (*rc_sink_fn)(const struct rc_event *ev, void *arg);

struct rc_trace_info {
	char kernel[128];	/* uname -r of the traced kernel, "" if unknown */
	int ncpus;
	char clock[32];		/* trace clock name, "" if unknown */
	int clock_reliable;	/* 0 for "local" (cross-CPU order unreliable) */
	char clock_note[96];	/* why a clock that orders CPUs is not trusted
				 * (live: the clocksource changed), "" if none */
	unsigned long long events_read;	/* kvmmmu root events handed to the sink */
	unsigned long long records_read;	/* all records seen */
	unsigned long long lost_events;	/* known lost events (sum over CPUs) */
	int lost_unknown;	/* lost events of unknown count were reported */
	int missing_events;	/* number of ABI events absent from the trace's formats */
	int abi;		/* event ABI version seen (1 or 2, docs/events.md), 0 unknown */
	/* Completeness (trace.dat): records missing without a lost-event mark */
	int cpus_incomplete;		/* CPUs not read in full */
	unsigned long long pages_expected;	/* pages the file says it holds */
	unsigned long long pages_unread;	/* of which never loaded */
	unsigned long long pages_damaged;	/* read only in part */
	unsigned long long records_missing;	/* known lower bound */
	char incomplete_detail[100];	/* the first incomplete CPU, one line */
	char missing_names[128];	/* "get, put": events absent from the formats */
	unsigned long long values_outside;	/* events with a value outside docs/events.md */
	char value_detail[64];		/* the first of them, e.g. "invalidate reason=7" */
};

struct rc_source;

/*
 * Open a trace.dat. instance: NULL for the top buffer, else -B NAME.
 * On failure returns NULL and writes a one-line message to err.
 */
struct rc_source *rc_source_open_file(const char *path, const char *instance,
				      char *err, size_t errlen);

/*
 * Live tracefs: create a private instance, enable the kvmmmu root events.
 * argv: command to run while streaming (NULL: until SIGINT/SIGTERM).
 * buffer_kb: per-CPU ring-buffer size of the instance in KB (trace-cmd
 * record -b); 0: RC_LIVE_BUFFER_KB if the kernel allows it.
 */
#define RC_LIVE_BUFFER_KB 4096
struct rc_source *rc_source_open_live(char *const *argv, unsigned int buffer_kb,
				      char *err, size_t errlen);

/*
 * Run the stream to its end (or until sink returns non-zero).
 * Returns 0 on success, -1 on a read error (message in err).
 */
int rc_source_run(struct rc_source *src, rc_sink_fn sink, void *arg,
		  char *err, size_t errlen);

const struct rc_trace_info *rc_source_info(const struct rc_source *src);

/*
 * Before rc_source_run() of a trace.dat: subtract sub[c] from every
 * timestamp of CPU c (c < n) and merge the CPUs again in the shifted
 * order, as if those clocks had been corrected. Returns 0, or -1 for a
 * live source or out of memory.
 */
int rc_source_shift_clocks(struct rc_source *src, const uint64_t *sub, int n);

/*
 * Whether the trace can judge every rule: 0 if it has all the root events,
 * else -1 (info->missing_names lists them). Used by the report.
 */
int rc_trace_complete_events(const struct rc_trace_info *info);

/* "func+0x1a" into buf (or "0x..." if unknown). Returns buf. */
const char *rc_source_sym(const struct rc_source *src, unsigned long long addr,
			  char *buf, size_t len);

/* Task name for pid ("<...>" if unknown). Pointer valid until close. */
const char *rc_source_comm(const struct rc_source *src, int pid);

/*
 * Whether the tracefs that live would use (mounted, or the directory
 * $KVM_ROOTCHECK_TRACEFS names) has event system:name (name NULL: the
 * system): 1 yes, 0 no, -1 no tracefs to look in. Mounts nothing.
 */
int rc_live_event_exists(const char *system, const char *name);

/*
 * For live: exit status of the command run (128 + N if signal N killed
 * it), -1 if none ran or its end is unknown.
 */
int rc_source_cmd_status(const struct rc_source *src);
/* For live: the signal that killed the command, 0 if it exited or none ran. */
int rc_source_cmd_signal(const struct rc_source *src);

void rc_source_close(struct rc_source *src);

/*
 * The environment variable name as a number from 0 to max: 1 with *out
 * set, 0 if unset or empty (*out untouched), -1 with err set to
 * "NAME='VALUE' is not WHAT" otherwise.
 */
int rc_env_u64(const char *name, uint64_t max, const char *what, uint64_t *out,
	       char *err, size_t errlen);

#endif
