// SPDX-License-Identifier: GPL-2.0
/*
 * Seed maker for fuzz_engine: reads a trace.dat through the analyzer's own
 * source and writes its root events in fuzz_engine's input format (mode
 * byte, then 16 bytes per event), VMs and roots mapped to the harness's
 * small sets in order of first appearance. At most `max` events.
 * Usage: dat2engine IN.dat OUT MODE [MAX]
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source.h"

struct conv {
	FILE *out;
	uint64_t kvm[3], root[7];
	int nkvm, nroot;
	uint64_t last_ts;
	long n, max;
};

static int idx(uint64_t *tab, int *n, int cap, uint64_t v)
{
	for (int i = 0; i < *n; i++)
		if (tab[i] == v)
			return i;
	if (*n < cap) {
		tab[*n] = v;
		return (*n)++;
	}
	return (int)(v % (uint64_t)cap);
}

static int put(const struct rc_event *ev, void *arg)
{
	struct conv *c = arg;
	uint8_t b[16] = { 0 };
	uint64_t d;
	int k = idx(c->kvm, &c->nkvm, 3, ev->kvm);
	int r = idx(c->root, &c->nroot, 7, ev->root);

	if (c->n++ >= c->max)
		return 1;
	d = ev->ts > c->last_ts ? (ev->ts - c->last_ts) / 1000 : 0;
	c->last_ts = ev->ts;
	b[0] = (uint8_t)(ev->type | ((ev->cpu & 3) << 4));
	b[1] = (uint8_t)(((ev->pid & 7) << 5) | (k << 3) | r);
	b[2] = (uint8_t)(d > 127 ? 127 : d);
	b[3] = (uint8_t)((ev->old & 7) | ((ev->count & 3) << 4));
	b[4] = ev->owner;
	b[5] = ev->reason;
	b[6] = ev->ctx;
	b[7] = 0;
	b[12] = (uint8_t)((ev->caller >> 6) & 15);
	b[13] = ev->shared;
	b[14] = (uint8_t)ev->role;
	b[15] = ev->as_id;
	return fwrite(b, 1, sizeof(b), c->out) == sizeof(b) ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct conv c;
	struct rc_source *src;
	char err[1024];
	uint8_t mode;

	if (argc < 4) {
		fprintf(stderr, "usage: dat2engine IN.dat OUT MODE [MAX]\n");
		return 2;
	}
	memset(&c, 0, sizeof(c));
	c.max = argc > 4 ? atol(argv[4]) : 4096;
	mode = (uint8_t)strtoul(argv[3], NULL, 0);
	src = rc_source_open_file(argv[1], NULL, err, sizeof(err));
	if (!src) {
		fprintf(stderr, "dat2engine: %s\n", err);
		return 2;
	}
	c.out = fopen(argv[2], "wb");
	if (!c.out || fwrite(&mode, 1, 1, c.out) != 1) {
		fprintf(stderr, "dat2engine: cannot write %s\n", argv[2]);
		rc_source_close(src);
		return 2;
	}
	rc_source_run(src, put, &c, err, sizeof(err));
	rc_source_close(src);
	return fclose(c.out) ? 2 : 0;
}
