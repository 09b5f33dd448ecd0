// SPDX-License-Identifier: GPL-2.0
/*
 * floor: the least any libtracecmd reader of the kvmmmu root events can
 * do, to measure kvm-rootcheck against (make bench).
 *
 *   floor FILE            open FILE with libtracecmd, iterate every record
 *                         in time order, and for each kvmmmu root event
 *                         read the fields kvm-rootcheck reads (and the
 *                         pid) with tep_read_number_field() on
 *                         tep_format_field pointers looked up once
 *   floor --iterate FILE  iterate only (count the records)
 *
 * Prints the number of records and a checksum of the values read (so
 * that the reads cannot be optimised away). Exit 0, 2 cannot open.
 */
#include <stdio.h>
#include <string.h>

#include <event-parse.h>
#include <trace-cmd.h>

static const char *const events[] = {
	"kvm_tdp_mmu_root_alloc", "kvm_tdp_mmu_root_get", "kvm_tdp_mmu_root_put",
	"kvm_tdp_mmu_root_invalidate", "kvm_tdp_mmu_root_zap_start",
	"kvm_tdp_mmu_root_zap_end", "kvm_tdp_mmu_root_free",
	"kvm_mmu_zap_all_fast", "kvm_mmu_zap_all_fast_done", "kvm_tdp_mmu_teardown",
};
static const char *const fields[] = {
	"kvm", "root", "role", "count", "as_id", "level", "caller", "old",
	"owner", "reason", "ctx", "shared",
};
#define NEV (sizeof(events) / sizeof(events[0]))
#define NFLD (sizeof(fields) / sizeof(fields[0]))
#define MAXID 65536

struct cached {
	int nf;
	struct tep_format_field *f[NFLD];
};

struct ctx {
	struct tep_handle *tep;
	struct cached *by_id[MAXID];
	struct cached ev[NEV];
	unsigned long long records, sum;
};

static int read_cb(struct tracecmd_input *h, struct tep_record *rec, int cpu, void *arg)
{
	struct ctx *c = arg;
	unsigned long long v;
	struct cached *e;
	int id;

	(void)h;
	(void)cpu;
	c->records++;
	id = tep_data_type(c->tep, rec);
	if (id < 0 || id >= MAXID || !(e = c->by_id[id]))
		return 0;
	c->sum += (unsigned long long)tep_data_pid(c->tep, rec) + rec->ts;
	for (int i = 0; i < e->nf; i++) {
		tep_read_number_field(e->f[i], rec->data, &v);
		c->sum ^= v;
	}
	return 0;
}

static int count_cb(struct tracecmd_input *h, struct tep_record *rec, int cpu, void *arg)
{
	struct ctx *c = arg;

	(void)h;
	(void)rec;
	(void)cpu;
	c->records++;
	return 0;
}

int main(int argc, char **argv)
{
	static struct ctx c;
	struct tracecmd_input *h;
	int iterate = argc == 3 && !strcmp(argv[1], "--iterate");
	const char *path = argv[argc - 1];

	if (argc != 2 && !iterate) {
		fprintf(stderr, "usage: floor [--iterate] FILE\n");
		return 2;
	}
	tracecmd_set_loglevel(TEP_LOG_NONE);
	h = tracecmd_open(path, TRACECMD_FL_LOAD_NO_PLUGINS);
	if (!h) {
		fprintf(stderr, "floor: cannot open %s\n", path);
		return 2;
	}
	c.tep = tracecmd_get_tep(h);
	for (size_t i = 0; i < NEV; i++) {
		struct tep_event *e = tep_find_event_by_name(c.tep, "kvmmmu", events[i]);

		if (!e || e->id < 0 || e->id >= MAXID)
			continue;
		for (size_t k = 0; k < NFLD; k++) {
			struct tep_format_field *f = tep_find_field(e, fields[k]);

			if (f)
				c.ev[i].f[c.ev[i].nf++] = f;
		}
		c.by_id[e->id] = &c.ev[i];
	}
	tracecmd_iterate_events(h, NULL, 0, iterate ? count_cb : read_cb, &c);
	printf("%llu records, checksum %llx\n", c.records, c.sum);
	tracecmd_close(h);
	return 0;
}
