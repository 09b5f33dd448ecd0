// SPDX-License-Identifier: GPL-2.0
/* The spool of a live run's events (source_spool.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "source-local.h"
#include "source_spool.h"

struct rc_spool {
	FILE *f;		/* NULL: disabled or failed */
	uint64_t max_bytes;
	uint64_t bytes;		/* kept */
	uint64_t events;	/* put */
	bool stopped;		/* something was not kept */
	bool flushed;
	bool capped;		/* max_bytes is a quarter of the free space */
	char dir[80];
	char why[160];
};

struct rc_spool *rc_spool_new(uint64_t max_bytes, bool cap_free)
{
	struct rc_spool *sp = calloc(1, sizeof(*sp));
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (!sp)
		return NULL;
	sp->max_bytes = max_bytes;
	if (!max_bytes) {
		sp->stopped = true;
		snprintf(sp->why, sizeof(sp->why), "the spool is off (KVM_ROOTCHECK_SPOOL_MB=0)");
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
	fd = mkostemp(path, O_CLOEXEC);
	if (fd >= 0) {
		unlink(path);
		sp->f = fdopen(fd, "w+b");
		if (!sp->f)
			close(fd);
	}
	if (!sp->f) {
		sp->stopped = true;
		snprintf(sp->why, sizeof(sp->why), "cannot create the spool in %.80s: %s",
			 dir, strerror(errno));
		return sp;
	}
	/* the stdio buffer: 64 KB writes */
	setvbuf(sp->f, NULL, _IOFBF, (size_t)64 << 10);
	return sp;
}

static void stop(struct rc_spool *sp, const char *why)
{
	if (sp->stopped)
		return;
	sp->stopped = true;
	snprintf(sp->why, sizeof(sp->why), "%s", why);
}

void rc_spool_put(struct rc_spool *sp, const struct rc_event *ev)
{
	char why[160];

	sp->events++;
	if (sp->stopped)
		return;
	if (sp->bytes + sizeof(*ev) > sp->max_bytes) {
		if (sp->capped)
			snprintf(why, sizeof(why), "the run outgrew the spool's %" PRIu64
				 " MB (a quarter of the space free in %.40s)",
				 sp->max_bytes >> 20, sp->dir);
		else
			snprintf(why, sizeof(why), "the run outgrew the spool's %" PRIu64
				 " MB (KVM_ROOTCHECK_SPOOL_MB)", sp->max_bytes >> 20);
		stop(sp, why);
		return;
	}
	if (fwrite(ev, sizeof(*ev), 1, sp->f) != 1) {
		snprintf(why, sizeof(why), "cannot write the spool: %s", strerror(errno));
		stop(sp, why);
		return;
	}
	sp->bytes += sizeof(*ev);
	sp->flushed = false;
}

bool rc_spool_whole(struct rc_spool *sp)
{
	char why[160];

	if (!sp || sp->stopped)
		return false;
	if (!sp->flushed) {
		if (fflush(sp->f) || ferror(sp->f)) {
			snprintf(why, sizeof(why), "cannot write the spool: %s", strerror(errno));
			stop(sp, why);
			return false;
		}
		sp->flushed = true;
	}
	return true;
}

const char *rc_spool_why(const struct rc_spool *sp)
{
	return sp ? sp->why : "no spool";
}

uint64_t rc_spool_events(const struct rc_spool *sp)
{
	return sp ? sp->events : 0;
}

uint64_t rc_spool_bytes(const struct rc_spool *sp)
{
	return sp ? sp->bytes : 0;
}

uint64_t rc_spool_limit(const struct rc_spool *sp)
{
	return sp ? sp->max_bytes : 0;
}

/* The source: the spool's events in order, RC_SPOOL_BATCH at a read. */
#define RC_SPOOL_BATCH 512

static int spool_run(struct rc_source *src, rc_sink_fn sink, void *arg,
		     char *err, size_t errlen)
{
	struct rc_spool *sp = src->priv;
	struct rc_event *v = malloc(RC_SPOOL_BATCH * sizeof(*v));
	uint64_t left = sp->bytes / sizeof(*v);
	int ret = 0;

	if (!v) {
		rc_seterr(err, errlen, "out of memory");
		return -1;
	}
	if (fseeko(sp->f, 0, SEEK_SET)) {
		rc_seterr(err, errlen, "cannot read the spool: %s", strerror(errno));
		free(v);
		return -1;
	}
	while (left) {
		size_t want = left < RC_SPOOL_BATCH ? (size_t)left : RC_SPOOL_BATCH;
		size_t got = fread(v, sizeof(*v), want, sp->f);

		if (got != want) {
			rc_seterr(err, errlen, "cannot read the spool: %s",
				  ferror(sp->f) ? strerror(errno) : "it is shorter than written");
			ret = -1;
			break;
		}
		for (size_t i = 0; i < got; i++) {
			src->info.events_read += v[i].type != RC_EV_LOST;
			if (sink(&v[i], arg))
				goto out;
		}
		left -= got;
	}
out:
	free(v);
	/* the next write, if any, goes at the end */
	if (fseeko(sp->f, 0, SEEK_END) && !ret) {
		rc_seterr(err, errlen, "cannot read the spool: %s", strerror(errno));
		ret = -1;
	}
	return ret;
}

static void spool_close(struct rc_source *src)
{
	free(src);
}

static const struct rc_source_ops spool_ops = {
	.run = spool_run,
	.close = spool_close,
};

struct rc_source *rc_source_open_spool(struct rc_spool *sp,
				       const struct rc_trace_info *like,
				       char *err, size_t errlen)
{
	struct rc_source *src;

	if (!rc_spool_whole(sp))
		return rc_seterr(err, errlen, "the spool is not whole: %s", rc_spool_why(sp));
	src = calloc(1, sizeof(*src));
	if (!src)
		return rc_seterr(err, errlen, "out of memory");
	src->ops = &spool_ops;
	if (like)
		src->info = *like;
	src->info.events_read = 0;
	src->cmd_status = -1;
	src->priv = sp;
	return src;
}

void rc_spool_free(struct rc_spool *sp)
{
	if (!sp)
		return;
	if (sp->f)
		fclose(sp->f);
	free(sp);
}
