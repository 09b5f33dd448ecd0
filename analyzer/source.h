/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Input sources. A source decodes kvmmmu records into struct rc_event and
 * hands them, in order, to a sink callback. It also answers the questions
 * a report needs about the trace it read: task names, symbols, metadata.
 */
#ifndef RC_SOURCE_H
#define RC_SOURCE_H

#include <stddef.h>
#include "event.h"

/* Returns 0 to continue, non-zero to stop the stream. */
typedef int (*rc_sink_fn)(const struct rc_event *ev, void *arg);

struct rc_trace_info {
	char kernel[128];	/* uname -r of the traced kernel, "" if unknown */
	int ncpus;
	char clock[32];		/* trace clock name, "" if unknown */
	int clock_reliable;	/* 0 for "local" (cross-CPU order unreliable) */
	unsigned long long events_read;	/* kvmmmu root events handed to the sink */
	unsigned long long records_read;	/* all records seen */
	unsigned long long lost_events;	/* known lost events (sum over CPUs) */
	int lost_unknown;	/* lost events of unknown count were reported */
	int missing_events;	/* number of ABI events absent from the trace's formats */
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
 */
struct rc_source *rc_source_open_live(char *const *argv, char *err, size_t errlen);

/*
 * Run the stream to its end (or until sink returns non-zero).
 * Returns 0 on success, -1 on a read error (message in err).
 */
int rc_source_run(struct rc_source *src, rc_sink_fn sink, void *arg,
		  char *err, size_t errlen);

const struct rc_trace_info *rc_source_info(const struct rc_source *src);

/* "func+0x1a" into buf (or "0x..." if unknown). Returns buf. */
const char *rc_source_sym(const struct rc_source *src, unsigned long long addr,
			  char *buf, size_t len);

/* Task name for pid ("<...>" if unknown). Pointer valid until close. */
const char *rc_source_comm(const struct rc_source *src, int pid);

/* For live: exit status of the command run, -1 if none. */
int rc_source_cmd_status(const struct rc_source *src);

void rc_source_close(struct rc_source *src);

#endif
