// SPDX-License-Identifier: GPL-2.0
/* tracefs instance names of the live source and stale-instance removal. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "live_instance.h"

#define PREFIX "kvm-rootcheck-"

/* Field 22 of /proc/PID/stat (start time), 0 if unknown. */
static unsigned long long start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* comm may hold spaces */
	if (!p)
		return 0;
	/* after ")": field 3 (state) ... field 22 */
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		v = strtoull(p + 1, NULL, 10);
	return v;
}

const char *rc_instance_name(char *buf, size_t len)
{
	pid_t pid = getpid();

	snprintf(buf, len, PREFIX "%ld-%llu", (long)pid, start_time(pid));
	return buf;
}

int rc_instance_exists(const char *tracing_dir, const char *name)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/instances/%s", tracing_dir, name);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int rc_instance_owner_alive(const char *name)
{
	unsigned long long want = 0;
	const char *p;
	char *end;
	long pid;

	if (strncmp(name, PREFIX, strlen(PREFIX)))
		return -1;
	p = name + strlen(PREFIX);
	if (*p < '0' || *p > '9')
		return -1;
	pid = strtol(p, &end, 10);
	if (pid <= 0)
		return -1;
	if (*end == '-') {
		p = end + 1;
		if (*p < '0' || *p > '9')
			return -1;
		want = strtoull(p, &end, 10);
	}
	if (*end)
		return -1;
	if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
		return 0;
	/* the PID lives: the same process only if it started at that time
	 * (names without a start time, of older versions: trust the PID) */
	if (want && start_time((pid_t)pid) != want)
		return 0;
	return 1;
}

int rc_instance_reap_stale(const char *tracing_dir)
{
	char path[4096];
	struct dirent *de;
	int removed = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/instances", tracing_dir);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (rc_instance_owner_alive(de->d_name) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/instances/%s", tracing_dir, de->d_name);
		if (rmdir(path) == 0) {
			removed++;
			fprintf(stderr, "kvm-rootcheck: note: removed stale tracefs instance %s (its analyzer is gone)\n",
				de->d_name);
		} else {
			fprintf(stderr, "kvm-rootcheck: note: cannot remove stale tracefs instance %s: %s\n",
				path, strerror(errno));
		}
	}
	closedir(d);
	return removed;
}
