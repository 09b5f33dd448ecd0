/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names of the live source's tracefs instances, and removal of the ones
 * left behind. An instance is "kvm-rootcheck-PID-START": the PID of the
 * analyzer that made it and that process's start time (clock ticks after
 * boot, /proc/PID/stat field 22), so that a later run can tell an
 * instance whose analyzer is gone (SIGKILL, a crash, a power cut of the
 * guest) from one in use, even after the PID was reused.
 */
#ifndef RC_LIVE_INSTANCE_H
#define RC_LIVE_INSTANCE_H

#include <stddef.h>
#include <sys/types.h>

/* The name of this process's instance into buf. Returns buf. */
const char *rc_instance_name(char *buf, size_t len);

/* Whether tracing_dir/instances/name is a directory. */
int rc_instance_exists(const char *tracing_dir, const char *name);

/*
 * Remove (rmdir, which deletes a tracefs instance) every instance in
 * tracing_dir/instances named by kvm-rootcheck whose analyzer is gone;
 * one "kvm-rootcheck: note: ..." line on stderr for each removed or that
 * cannot be removed. Returns the number removed.
 */
int rc_instance_reap_stale(const char *tracing_dir);

/* Whether the analyzer named by instance name is alive (1), gone (0), or
 * name is not one of ours (-1). */
int rc_instance_owner_alive(const char *name);

#endif
