// SPDX-License-Identifier: GPL-2.0
/* The spool of a live run's pages (source_spool.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <kbuffer.h>

#include "source-local.h"
#include "source_spool.h"

/* A page in the index: its offset in the file and its length. */
#define SPOOL_LEN_BITS 24
#define SPOOL_OFF_MAX ((uint64_t)1 << (64 - SPOOL_LEN_BITS))
#define SPOOL_LEN_MAX (((uint64_t)1 << SPOOL_LEN_BITS) - 1)

struct spool_cpu {
	int cpu;
	uint64_t *idx;		/* off << SPOOL_LEN_BITS | len, in order */
	size_t n, cap;
};

struct rc_spool {
	int fd;			/* -1: disabled or failed */
	uint64_t max_bytes;
	uint64_t bytes;		/* kept: the file and its index */
	uint64_t off;		/* the file's size */
	uint64_t pages;		/* given */
	unsigned int size;	/* the largest sub-buffer */
	bool stopped;		/* something was not kept */
	bool capped;		/* max_bytes is a quarter of the free space */
	struct spool_cpu *cpus;	/* in the order first seen */
	int ncpus;
	int *slot;		/* CPU -> index in cpus + 1, RC_MAX_CPUS of them */
	struct rc_cpu_drops *drops;
	int ndrops;
	char dir[80];
	char why[160];
};

static void stop(struct rc_spool *sp, const char *why)
{
	if (sp->stopped)
		return;
	sp->stopped = true;
	snprintf(sp->why, sizeof(sp->why), "%s", why);
}

struct rc_spool *rc_spool_new(uint64_t max_bytes, bool cap_free)
{
	struct rc_spool *sp = calloc(1, sizeof(*sp));
	const char *dir = getenv("TMPDIR");
	char path[4096];

	if (!sp)
		return NULL;
	sp->fd = -1;
	sp->max_bytes = max_bytes;
	if (!max_bytes) {
		stop(sp, "the spool is off (KVM_ROOTCHECK_SPOOL_MB=0)");
		return sp;
	}
	if (!dir || !dir[0])
		dir = "/tmp";
	snprintf(sp->dir, sizeof(sp->dir), "%s", dir);
	if (cap_free) {
		struct statvfs vfs;

		/* a tmpfs /tmp is memory: never take more than a quarter of it */
		if (statvfs(dir, &vfs) == 0 &&
		    (uint64_t)vfs.f_bavail * vfs.f_frsize / 4 < max_bytes) {
			sp->max_bytes = (uint64_t)vfs.f_bavail * vfs.f_frsize / 4;
			sp->capped = true;
		}
	}
	snprintf(path, sizeof(path), "%s/kvm-rootcheck-spool.XXXXXX", dir);
	/* close-on-exec: live starts its command after this */
	sp->fd = mkostemp(path, O_CLOEXEC);
	if (sp->fd < 0) {
		sp->stopped = true;
		snprintf(sp->why, sizeof(sp->why), "cannot create the spool in %.80s: %s",
			 dir, strerror(errno));
		return sp;
	}
	unlink(path);
	return sp;
}

static void outgrew(struct rc_spool *sp)
{
	char why[160];

	if (sp->capped)
		snprintf(why, sizeof(why), "the run outgrew the spool's %" PRIu64
			 " MB (a quarter of the space free in %.40s)",
			 sp->max_bytes >> 20, sp->dir);
	else
		snprintf(why, sizeof(why), "the run outgrew the spool's %" PRIu64
			 " MB (KVM_ROOTCHECK_SPOOL_MB)", sp->max_bytes >> 20);
	stop(sp, why);
}

/* The index of cpu's pages, NULL (and stopped) if it cannot be had. */
static struct spool_cpu *cpu_of(struct rc_spool *sp, int cpu)
{
	struct spool_cpu *c;

	if (cpu < 0 || cpu >= RC_MAX_CPUS) {
		char why[64];

		snprintf(why, sizeof(why), "a page of CPU %d", cpu);
		stop(sp, why);
		return NULL;
	}
	if (!sp->slot && !(sp->slot = calloc(RC_MAX_CPUS, sizeof(*sp->slot)))) {
		stop(sp, "out of memory for the spool's index");
		return NULL;
	}
	if (sp->slot[cpu])
		return &sp->cpus[sp->slot[cpu] - 1];
	c = realloc(sp->cpus, (size_t)(sp->ncpus + 1) * sizeof(*c));
	if (!c) {
		stop(sp, "out of memory for the spool's index");
		return NULL;
	}
	sp->cpus = c;
	c = &sp->cpus[sp->ncpus++];
	memset(c, 0, sizeof(*c));
	c->cpu = cpu;
	sp->slot[cpu] = sp->ncpus;
	return c;
}

void rc_spool_page(struct rc_spool *sp, int cpu, const void *page, unsigned int len,
		   unsigned int size)
{
	const char *p = page;
	struct spool_cpu *c;
	uint64_t left;
	char why[160];

	sp->pages++;
	if (sp->stopped)
		return;
	if (!len || len > size || len > SPOOL_LEN_MAX) {
		snprintf(why, sizeof(why), "a page of %u bytes in a sub-buffer of %u", len, size);
		stop(sp, why);
		return;
	}
	if (sp->bytes + len + sizeof(uint64_t) > sp->max_bytes ||
	    sp->off + len >= SPOOL_OFF_MAX) {
		outgrew(sp);
		return;
	}
	c = cpu_of(sp, cpu);
	if (!c)
		return;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 256;
		uint64_t *idx = realloc(c->idx, cap * sizeof(*idx));

		if (!idx) {
			stop(sp, "out of memory for the spool's index");
			return;
		}
		c->idx = idx;
		c->cap = cap;
	}
	for (left = len; left;) {
		ssize_t w = write(sp->fd, p, left);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(why, sizeof(why), "cannot write the spool: %s",
				 w < 0 ? strerror(errno) : "no space");
			stop(sp, why);
			return;
		}
		p += w;
		left -= (uint64_t)w;
	}
	c->idx[c->n++] = sp->off << SPOOL_LEN_BITS | len;
	sp->off += len;
	sp->bytes += len + sizeof(uint64_t);
	if (size > sp->size)
		sp->size = size;
}

void rc_spool_drops(struct rc_spool *sp, const struct rc_cpu_drops *drops, int n)
{
	struct rc_cpu_drops *d;

	if (sp->stopped || n <= 0)
		return;
	d = realloc(sp->drops, (size_t)n * sizeof(*d));
	if (!d) {
		stop(sp, "out of memory for the spool's drop counters");
		return;
	}
	memcpy(d, drops, (size_t)n * sizeof(*d));
	sp->drops = d;
	sp->ndrops = n;
}

bool rc_spool_whole(const struct rc_spool *sp)
{
	return sp && !sp->stopped;
}

const char *rc_spool_why(const struct rc_spool *sp)
{
	return sp ? sp->why : "no spool";
}

uint64_t rc_spool_pages(const struct rc_spool *sp)
{
	return sp ? sp->pages : 0;
}

uint64_t rc_spool_bytes(const struct rc_spool *sp)
{
	return sp ? sp->bytes : 0;
}

uint64_t rc_spool_limit(const struct rc_spool *sp)
{
	return sp ? sp->max_bytes : 0;
}

/* The source: each CPU's pages parsed again, the CPUs merged by timestamp. */
struct spool_reader {
	const struct spool_cpu *c;
	struct kbuffer *kbuf;
	unsigned char *buf;	/* the page being parsed */
	size_t next;		/* its next page in c->idx */
	int have_page, have_rec;
	struct tep_record rec;
};

struct spool_src {
	struct rc_spool *sp;
	const struct rc_decoder *dec;
};

/* Make r->rec the next record of its CPU; 0 at the end, -1 on an error. */
static int reader_next(const struct rc_spool *sp, struct spool_reader *r,
		       char *err, size_t errlen)
{
	while (!r->have_rec) {
		if (r->have_page) {
			if (rc_kbuf_take(r->kbuf, r->c->cpu, &r->rec)) {
				r->have_rec = 1;
				return 1;
			}
			r->have_page = 0;
		}
		if (r->next == r->c->n)
			return 0;
		{
			uint64_t e = r->c->idx[r->next++];
			size_t len = (size_t)(e & SPOOL_LEN_MAX);
			ssize_t got = pread(sp->fd, r->buf, len, (off_t)(e >> SPOOL_LEN_BITS));

			if (got != (ssize_t)len) {
				rc_seterr(err, errlen, "cannot read the spool: %s",
					  got < 0 ? strerror(errno) : "it is shorter than written");
				return -1;
			}
			/* what the ring's page held past the data: nothing */
			memset(r->buf + len, 0, sp->size - len);
		}
		if (kbuffer_load_subbuffer(r->kbuf, r->buf) < 0) {
			rc_seterr(err, errlen, "cannot parse a page of the spool");
			return -1;
		}
		r->have_page = 1;
	}
	return 1;
}

static int spool_run(struct rc_source *src, rc_sink_fn sink, void *arg,
		     char *err, size_t errlen)
{
	const struct spool_src *ss = src->priv;
	const struct rc_spool *sp = ss->sp;
	struct spool_reader *rd = calloc((size_t)(sp->ncpus ? sp->ncpus : 1), sizeof(*rd));
	struct rc_emitter em;
	int ret = 0;

	if (!rd) {
		rc_seterr(err, errlen, "out of memory");
		return -1;
	}
	for (int i = 0; i < sp->ncpus; i++) {
		rd[i].c = &sp->cpus[i];
		rd[i].kbuf = tep_kbuffer(src->tep);
		rd[i].buf = malloc(sp->size ? sp->size : 1);
		if (!rd[i].kbuf || !rd[i].buf) {
			rc_seterr(err, errlen, "out of memory");
			ret = -1;
			goto out;
		}
	}
	memset(&em, 0, sizeof(em));
	em.dec = ss->dec;
	em.info = &src->info;
	em.sink = sink;
	em.arg = arg;
	for (int i = 0; i < sp->ncpus && !ret; i++)
		ret = reader_next(sp, &rd[i], err, errlen) < 0 ? -1 : 0;
	while (!ret && !em.stopped) {
		struct spool_reader *best = NULL;

		for (int i = 0; i < sp->ncpus; i++) {
			struct spool_reader *r = &rd[i];

			if (r->have_rec && (!best || r->rec.ts < best->rec.ts ||
					    (r->rec.ts == best->rec.ts && r->c->cpu < best->c->cpu)))
				best = r;
		}
		if (!best)
			break;
		rc_emit_record(&em, &best->rec);
		best->have_rec = 0;
		if (reader_next(sp, best, err, errlen) < 0)
			ret = -1;
	}
	if (!ret && !em.stopped && sp->drops)
		rc_emit_unmarked_drops(&em, sp->drops, sp->ndrops);
out:
	for (int i = 0; i < sp->ncpus; i++) {
		if (rd[i].kbuf)
			kbuffer_free(rd[i].kbuf);
		free(rd[i].buf);
	}
	free(rd);
	return ret;
}

static void spool_close(struct rc_source *src)
{
	free(src->priv);
	free(src);
}

static const struct rc_source_ops spool_ops = {
	.run = spool_run,
	.close = spool_close,
};

struct rc_source *rc_source_open_spool(struct rc_spool *sp, const struct rc_source *like,
				       char *err, size_t errlen)
{
	struct rc_source *src;
	struct spool_src *ss;

	if (!rc_spool_whole(sp))
		return rc_seterr(err, errlen, "the spool is not whole: %s", rc_spool_why(sp));
	if (!like || !like->tep || !like->dec)
		return rc_seterr(err, errlen, "the spool has no event formats to read it with");
	src = calloc(1, sizeof(*src));
	ss = calloc(1, sizeof(*ss));
	if (!src || !ss) {
		free(src);
		free(ss);
		return rc_seterr(err, errlen, "out of memory");
	}
	ss->sp = sp;
	ss->dec = like->dec;
	src->ops = &spool_ops;
	src->info = like->info;
	src->info.events_read = 0;
	src->info.records_read = 0;
	src->info.lost_events = 0;
	src->info.lost_unknown = 0;
	src->info.values_outside = 0;
	src->info.value_detail[0] = '\0';
	src->tep = like->tep;	/* borrowed: like's */
	src->cmd_status = -1;
	src->priv = ss;
	return src;
}

void rc_spool_free(struct rc_spool *sp)
{
	if (!sp)
		return;
	if (sp->fd >= 0)
		close(sp->fd);
	for (int i = 0; i < sp->ncpus; i++)
		free(sp->cpus[i].idx);
	free(sp->cpus);
	free(sp->slot);
	free(sp->drops);
	free(sp);
}
