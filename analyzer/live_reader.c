// SPDX-License-Identifier: GPL-2.0
/*
 * The live source's reader thread (live_reader.h).
 *
 * A CPU's ring: page k (a sub-buffer) lives in slot (k - base) % cap.
 * The reader writes pages at tail; after each round over the CPUs it
 * publishes every CPU's tail and base at once, under the mutex, and the
 * consumer copies them all at once, under the mutex too
 * (rc_lreader_snapshot()): the consumer sees a cut in which every CPU
 * was read up to the same round, as one drain of every CPU would give,
 * never one CPU read far ahead of the others. The consumer gives pages
 * back by storing the page number it is done up to in freed (release),
 * which the reader loads (acquire) before it reuses a slot. When the ring
 * is empty (every published page given back), the reader moves base to
 * tail, so that the next page goes to slot 0 again: a light trace keeps
 * touching the same few slots, never the whole ring. The consumer has
 * then nothing left to read with the old base.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tracefs.h>

#include "live_reader.h"

/* Poll timeout while some ring is full and waits for the consumer. */
#define LRING_FULL_WAIT_MS 1

struct lring {
	struct tracefs_cpu *tcpu;
	int fd;
	unsigned char *pages;	/* cap slots of size bytes */
	uint64_t tail, base;	/* reader: next page to write, page of slot 0 */
	uint64_t pub, pub_base;	/* under the mutex: tail and base published */
	uint64_t snap, snap_base;	/* consumer: the last snapshot of them */
	_Atomic uint64_t freed;	/* pages below it were given back */
	_Atomic int err;
};

struct rc_lreader {
	struct lring *r;
	int n;
	int size;
	size_t cap, pass_max;
	int poll_ms;
	int wake[2];		/* consumer -> reader: finish or stop */
	pthread_t thread;
	int started;
	_Atomic int ending, stop, done;
	pthread_mutex_t mu;	/* pub of each ring; with cv and seq: wake-ups */
	pthread_cond_t cv;
	uint64_t seq, seen;
};

struct rc_lreader *rc_lreader_new(struct tracefs_cpu *const *tcpus, const int *fds,
				  int n, int size, size_t cap, size_t pass_max,
				  long poll_ns)
{
	struct rc_lreader *rd = calloc(1, sizeof(*rd));

	if (!rd)
		return NULL;
	rd->wake[0] = rd->wake[1] = -1;
	rd->n = n;
	rd->size = size;
	rd->cap = cap ? cap : 1;
	rd->pass_max = pass_max ? pass_max : 1;
	rd->poll_ms = (int)(poll_ns / 1000000L);
	if (rd->poll_ms < 1)
		rd->poll_ms = 1;
	pthread_mutex_init(&rd->mu, NULL);
	{
		pthread_condattr_t ca;

		/* timed waits on the monotonic clock: a clock set back does not
		 * stretch them */
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&rd->cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	rd->r = calloc((size_t)(n > 0 ? n : 1), sizeof(*rd->r));
	if (!rd->r || pipe2(rd->wake, O_CLOEXEC | O_NONBLOCK) < 0)
		goto fail;
	for (int i = 0; i < n; i++) {
		rd->r[i].tcpu = tcpus[i];
		rd->r[i].fd = fds[i];
		/* untouched until used: the memory a ring costs is its backlog */
		rd->r[i].pages = malloc(rd->cap * (size_t)size);
		if (!rd->r[i].pages)
			goto fail;
	}
	return rd;
fail:
	rc_lreader_free(rd);
	return NULL;
}

static unsigned char *slot(const struct rc_lreader *rd, const struct lring *r,
			   uint64_t base, uint64_t k)
{
	return r->pages + (size_t)((k - base) % rd->cap) * (size_t)rd->size;
}

/*
 * Read CPU r's buffer into its ring, up to pass_max sub-buffers. Returns
 * how many; *full is set when the ring had no room left.
 */
static size_t read_cpu(struct rc_lreader *rd, struct lring *r, bool *full)
{
	uint64_t freed = atomic_load_explicit(&r->freed, memory_order_acquire);
	size_t got = 0;

	if (freed == r->tail)
		r->base = r->tail;	/* empty: start again at slot 0 */
	while (got < rd->pass_max) {
		int n;

		if (r->tail - freed >= rd->cap) {
			*full = true;
			break;
		}
		errno = 0;
		n = tracefs_cpu_read(r->tcpu, slot(rd, r, r->base, r->tail), true);
		if (n <= 0) {
			if (errno && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				atomic_store(&r->err, errno);
			break;	/* nothing more readable now (EAGAIN) */
		}
		r->tail++;
		got++;
	}
	return got;
}

/* Publish what every CPU read (and, with done, that the thread stops). */
static void notify(struct rc_lreader *rd, int done)
{
	pthread_mutex_lock(&rd->mu);
	for (int i = 0; i < rd->n; i++) {
		rd->r[i].pub = rd->r[i].tail;
		rd->r[i].pub_base = rd->r[i].base;
	}
	rd->seq++;
	if (done)
		atomic_store(&rd->done, 1);
	pthread_cond_signal(&rd->cv);
	pthread_mutex_unlock(&rd->mu);
}

static void *reader_main(void *arg)
{
	struct rc_lreader *rd = arg;
	/* pf[0]: the wake-up pipe; pf[i + 1]: CPU i */
	struct pollfd *pf = calloc((size_t)rd->n + 1, sizeof(*pf));
	bool all = true, by_fd = false;

	if (!pf) {
		for (int i = 0; i < rd->n; i++)
			atomic_store(&rd->r[i].err, ENOMEM);
		goto out;
	}
	while (!atomic_load(&rd->stop)) {
		bool ending = atomic_load(&rd->ending), full = false, failed = false;
		bool more = false, plain;
		size_t got = 0;
		int timeout, ret;

		for (int i = 0; i < rd->n; i++) {
			struct lring *r = &rd->r[i];
			size_t k;

			if (!all && !ending && !pf[i + 1].revents)
				continue;
			if (atomic_load(&r->err))
				continue;
			k = read_cpu(rd, r, &full);
			got += k;
			/* a CPU that had more than a pass is read on at once */
			pf[i + 1].revents = k >= rd->pass_max ? POLLIN : 0;
			more |= k >= rd->pass_max;
			failed |= atomic_load(&r->err) != 0;
		}
		if (got)
			notify(rd, 0);
		if (failed || (ending && !got && !full))
			break;
		if (more) {
			all = by_fd = false;
			continue;
		}
		/*
		 * Sleep in poll() on the CPUs whose ring has room. A wake-up by
		 * a CPU that then had nothing to read (a descriptor that is
		 * always readable: a file, in tests) makes the next sleep a
		 * plain one of the poll interval.
		 */
		plain = by_fd && !got;
		pf[0].fd = rd->wake[0];
		pf[0].events = POLLIN;
		pf[0].revents = 0;
		for (int i = 0; i < rd->n; i++) {
			struct lring *r = &rd->r[i];
			bool room = r->tail -
				    atomic_load_explicit(&r->freed, memory_order_acquire) < rd->cap;

			/* fd -1: poll() skips the entry */
			pf[i + 1].fd = !plain && room && !atomic_load(&r->err) ? r->fd : -1;
			pf[i + 1].events = POLLIN;
			pf[i + 1].revents = 0;
		}
		timeout = full || ending ? LRING_FULL_WAIT_MS : rd->poll_ms;
		ret = poll(pf, (nfds_t)rd->n + 1, timeout);
		if (ret < 0)
			ret = 0;	/* EINTR: as a timeout */
		all = ret == 0;
		by_fd = ret > 0;
		if (pf[0].revents) {
			char buf[16];

			while (read(rd->wake[0], buf, sizeof(buf)) > 0)
				;
			all = true;	/* finish or stop: look at everything */
			by_fd = false;
		}
	}
out:
	free(pf);
	notify(rd, 1);
	return NULL;
}

int rc_lreader_start(struct rc_lreader *rd)
{
	sigset_t block, old;
	int e;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	e = pthread_create(&rd->thread, NULL, reader_main, rd);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!e)
		rd->started = 1;
	return e;
}

static void wake(struct rc_lreader *rd)
{
	char c = 1;

	if (write(rd->wake[1], &c, 1) < 0) {
		/* full pipe: a wake-up is pending anyway */
	}
}

void rc_lreader_finish(struct rc_lreader *rd)
{
	atomic_store(&rd->ending, 1);
	wake(rd);
}

int rc_lreader_done(struct rc_lreader *rd)
{
	return !rd->started || atomic_load(&rd->done);
}

void rc_lreader_wait(struct rc_lreader *rd, long ns)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_nsec += ns;
	t.tv_sec += t.tv_nsec / 1000000000L;
	t.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&rd->mu);
	while (rd->seq == rd->seen && !atomic_load(&rd->done) && rd->started)
		if (pthread_cond_timedwait(&rd->cv, &rd->mu, &t) == ETIMEDOUT)
			break;
	rd->seen = rd->seq;
	pthread_mutex_unlock(&rd->mu);
}

void rc_lreader_free(struct rc_lreader *rd)
{
	if (!rd)
		return;
	if (rd->started) {
		atomic_store(&rd->stop, 1);
		wake(rd);
		pthread_join(rd->thread, NULL);
	}
	for (int i = 0; rd->r && i < rd->n; i++)
		free(rd->r[i].pages);
	free(rd->r);
	if (rd->wake[0] >= 0)
		close(rd->wake[0]);
	if (rd->wake[1] >= 0)
		close(rd->wake[1]);
	pthread_cond_destroy(&rd->cv);
	pthread_mutex_destroy(&rd->mu);
	free(rd);
}

void rc_lreader_snapshot(struct rc_lreader *rd)
{
	pthread_mutex_lock(&rd->mu);
	for (int i = 0; i < rd->n; i++) {
		rd->r[i].snap = rd->r[i].pub;
		rd->r[i].snap_base = rd->r[i].pub_base;
	}
	pthread_mutex_unlock(&rd->mu);
}

uint64_t rc_lring_snapshot(const struct rc_lreader *rd, int i, uint64_t *base)
{
	*base = rd->r[i].snap_base;
	return rd->r[i].snap;
}

const unsigned char *rc_lring_page(const struct rc_lreader *rd, int i, uint64_t base,
				   uint64_t k)
{
	return slot(rd, &rd->r[i], base, k);
}

void rc_lring_done(struct rc_lreader *rd, int i, uint64_t k)
{
	atomic_store_explicit(&rd->r[i].freed, k, memory_order_release);
}

int rc_lring_err(const struct rc_lreader *rd, int i)
{
	return atomic_load(&rd->r[i].err);
}
