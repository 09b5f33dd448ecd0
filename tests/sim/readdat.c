// SPDX-License-Identifier: GPL-2.0
/*
 * readdat: dump a trace.dat through libtracecmd, one line per record, so
 * the generator's tests can check what the library (not just trace-cmd
 * report) sees: per-CPU timestamps, record->missed_events, field values.
 *
 *   readdat FILE
 * prints "meta ncpus=N clock=C uname=U" is not available through the
 * public API, so only records are printed:
 *   <cpu> <ts> <missed> <pid> <system>:<event> <field>=<value> ...
 * (all numeric values in decimal). Exit 0 ok, 2 cannot open.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <trace-cmd.h>
#include <event-parse.h>

static int cb(struct tracecmd_input *handle, struct tep_record *rec, int cpu, void *arg)
{
	struct tep_handle *tep = tracecmd_get_tep(handle);
	struct tep_event *ev = tep_find_event_by_record(tep, rec);
	struct tep_format_field **fields;
	int i;

	(void)arg;
	if (!ev) {
		printf("%d %llu %lld ? unknown\n", cpu, rec->ts, rec->missed_events);
		return 0;
	}
	printf("%d %llu %lld %d %s:%s", cpu, rec->ts, rec->missed_events,
	       tep_data_pid(tep, rec), ev->system, ev->name);
	fields = tep_event_fields(ev);
	for (i = 0; fields && fields[i]; i++) {
		unsigned long long v;

		if (tep_read_number_field(fields[i], rec->data, &v) == 0)
			printf(" %s=%llu", fields[i]->name, v);
	}
	free(fields);
	printf(" comm=%s\n", tep_data_comm_from_pid(tep, tep_data_pid(tep, rec)));
	return 0;
}

int main(int argc, char **argv)
{
	struct tracecmd_input *h;

	if (argc != 2) {
		fprintf(stderr, "usage: readdat FILE\n");
		return 2;
	}
	h = tracecmd_open(argv[1], 0);
	if (!h) {
		fprintf(stderr, "readdat: cannot open %s\n", argv[1]);
		return 2;
	}
	tracecmd_iterate_events(h, NULL, 0, cb, NULL);
	tracecmd_close(h);
	return 0;
}
