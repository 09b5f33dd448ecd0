// SPDX-License-Identifier: GPL-2.0
/* Completeness check of a trace.dat read (completeness.h). */
#include <stdio.h>

#include "completeness.h"

int rc_completeness_judge(struct rc_cpu_read *c, int n, unsigned int page_size)
{
	int bad = 0;

	for (int i = 0; i < n; i++) {
		struct rc_cpu_read *r = &c[i];
		uint64_t in_pages = r->records_in_pages;

		r->pages_expected = page_size ? (r->bytes + page_size - 1) / page_size : 0;
		r->pages_unread = r->pages_loaded < r->pages_expected ?
				  r->pages_expected - r->pages_loaded : 0;
		r->records_missing = 0;
		if (in_pages > r->records_read)
			r->records_missing = in_pages - r->records_read;
		if (r->entries > 0 && (uint64_t)r->entries > r->records_read &&
		    (uint64_t)r->entries - r->records_read > r->records_missing)
			r->records_missing = (uint64_t)r->entries - r->records_read;
		r->incomplete = r->pages_unread || r->pages_damaged || r->records_missing;
		bad += r->incomplete;
	}
	return bad;
}

void rc_completeness_line(const struct rc_cpu_read *c, char *buf, size_t len)
{
	int w = snprintf(buf, len, "CPU %d: %llu of %llu pages read", c->cpu,
			 (unsigned long long)(c->pages_expected - c->pages_unread),
			 (unsigned long long)c->pages_expected);

	if (w < 0 || (size_t)w >= len)
		return;
	if (c->pages_damaged)
		w += snprintf(buf + w, len - (size_t)w, ", %llu damaged",
			      (unsigned long long)c->pages_damaged);
	if (w >= 0 && (size_t)w < len && c->records_missing)
		snprintf(buf + w, len - (size_t)w, ", >= %llu records missing",
			 (unsigned long long)c->records_missing);
}
