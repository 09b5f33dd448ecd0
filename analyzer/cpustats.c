// SPDX-License-Identifier: GPL-2.0
/*
 * Parser of the kernel's ring-buffer statistics (per_cpu/cpuN/stats, or
 * trace-cmd's CPUSTAT option): the counters of events lost per CPU.
 */
#include <stdlib.h>
#include <string.h>

#include "source-local.h"

static int stat_line(const char *line, const char *key, unsigned long long *v)
{
	size_t k = strlen(key);

	if (strncmp(line, key, k))
		return 0;
	*v += strtoull(line + k, NULL, 10);
	return 1;
}

int rc_parse_cpustats(const char *text, struct rc_cpu_drops *drops, int n, int cpu)
{
	const char *p = text;
	int found = 0;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		struct rc_cpu_drops *d;

		while (*p == ' ' || *p == '\t')
			p++;
		d = cpu >= 0 && cpu < n ? &drops[cpu] : NULL;
		if (!strncmp(p, "CPU:", 4)) {
			cpu = atoi(p + 4);
		} else if (d) {
			found += stat_line(p, "overrun:", &d->overrun);
			found += stat_line(p, "commit overrun:", &d->commit_overrun);
			found += stat_line(p, "dropped events:", &d->dropped);
		}
		p = nl ? nl + 1 : NULL;
	}
	return found;
}
