// SPDX-License-Identifier: GPL-2.0
/*
 * Live input through libtracefs: a private instance "kvm-rootcheck-PID"
 * with the kvmmmu root events enabled and the global clock, read per CPU
 * from trace_pipe_raw (non-blocking tracefs_cpu_read(), partial pages
 * included), each page parsed with kbuffer, the CPUs merged by timestamp,
 * decoded by decode.c like a trace.dat.
 *
 * Cost: a reader thread of its own (live_reader.c) moves the data out of
 * the kernel's ring buffers, page-sized reads into a ring of sub-buffers
 * per CPU, so that no parsing or analysis ever delays a read (trace-cmd
 * record reads each CPU in a process of its own). It sleeps in poll() on
 * every CPU's trace_pipe_raw (the kernel wakes it when a buffer is half
 * full) and for at most a poll interval, a time bounded by the buffer
 * size so that the buffer cannot fill during it at up to 20 MB/s per CPU;
 * at the interval it reads every CPU, partial pages too (the kernel
 * copies their events out; full pages it hands over whole). This thread
 * parses what the reader has read, merges the CPUs and analyzes; when
 * the reader has nothing new, it waits for it.
 *
 * Ordering: each poll merges everything the reader had read on all CPUs
 * at that moment. An event that a CPU's buffer still held then comes out
 * of a later poll, after later events of other CPUs (the limit of
 * tracefs_iterate_raw_events() too); a reorder buffer (reorder.c) holds
 * events back until that cannot happen any more, so the sink sees them in
 * timestamp order unless a CPU lags by more than the holdback.
 *
 * tracefs is never mounted by the analyzer (libtracefs would do it silently):
 * it must be mounted already, or $KVM_ROOTCHECK_TRACEFS names its directory.
 *
 * Signals: SIGINT, SIGTERM and SIGHUP are caught from the moment the instance
 * exists until rc_source_close(), which always removes the instance; with a
 * command, a SIGTERM is forwarded to it and its exit is awaited.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <kbuffer.h>
#include <tracefs.h>

#include "live_instance.h"
#include "live_reader.h"
#include "source-local.h"
#include "source_spool.h"

/* Environment variable naming the tracefs directory (default: the mounted one). */
#define RC_TRACEFS_ENV "KVM_ROOTCHECK_TRACEFS"

/* Poll interval: 50 us per KB of buffer (the time 20 MB/s takes to
 * fill it), within 1 ms .. 50 ms. */
#define LIVE_POLL_NS_PER_KB 50000L
#define LIVE_POLL_NS_MIN 1000000L
#define LIVE_POLL_NS_MAX 50000000L
/*
 * Sub-buffers the reader reads from one CPU before the next CPU's turn:
 * one buffer's worth, at most 4 MB. Each CPU's ring of sub-buffers holds
 * twice that and at least LIVE_RING_MIN_BYTES (a burst larger than a
 * small kernel buffer waits there, not in the kernel's).
 */
#define LIVE_PASS_MAX_BYTES (4u << 20)
#define LIVE_RING_MIN_BYTES (4u << 20)
/* Reordering (see rc_reorder in source-local.h): events are held back until
 * every CPU has caught up with them, or for 1 s of trace time (global
 * clock: ns), at most 256k of them. */
#define LIVE_HOLDBACK_NS 1000000000ull
#define LIVE_REORDER_CAP (256u * 1024u)

struct live_cpu {
	int cpu;
	int fd;			/* trace_pipe_raw (test seam: the descriptor given) */
	struct tracefs_cpu *tcpu;
	struct kbuffer *kbuf;
	int size;		/* sub-buffer (page) size */
	/*
	 * Pages of the reader's ring (live_reader.h): head is the next to
	 * parse, limit the end of what this poll merges, base the ring's
	 * base for them; with have_page, page head-1 is being parsed.
	 */
	uint64_t head, limit, base;
	int have_page;
	int have_rec;
	struct tep_record rec;
};

struct live_priv {
	struct tracefs_instance *inst;
	struct live_cpu *cpus;
	int ncpus;
	unsigned int buffer_kb;	/* per-CPU ring-buffer size */
	size_t pass_max;	/* sub-buffers read from a CPU in a turn */
	long poll_ns;		/* the reader's poll interval */
	struct rc_lreader *rd;	/* during live_run() */
	char *const *argv;
	struct sigaction old_int, old_term, old_hup;
	int handlers;
	int own_tep;
	char clocksource[32];	/* the kernel's clocksource at the start, "" if unknown */
	struct rc_spool *spool;	/* keeps every page parsed (source_spool.h), or NULL */
};

static volatile sig_atomic_t live_signal;

static void on_signal(int sig)
{
	live_signal = sig;
}

static void install_handlers(struct live_priv *lp)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	live_signal = 0;
	sigaction(SIGINT, &sa, &lp->old_int);
	sigaction(SIGTERM, &sa, &lp->old_term);
	sigaction(SIGHUP, &sa, &lp->old_hup);
	lp->handlers = 1;
}

static void restore_handlers(struct live_priv *lp)
{
	if (!lp->handlers)
		return;
	sigaction(SIGINT, &lp->old_int, NULL);
	sigaction(SIGTERM, &lp->old_term, NULL);
	sigaction(SIGHUP, &lp->old_hup, NULL);
	lp->handlers = 0;
}

static void live_close(struct rc_source *src)
{
	struct live_priv *lp = src->priv;

	if (lp) {
		if (lp->inst)
			tracefs_trace_off(lp->inst);
		rc_lreader_free(lp->rd);	/* stops the reader first */
		for (int i = 0; lp->cpus && i < lp->ncpus; i++) {
			if (lp->cpus[i].tcpu) {
				/* tracefs_cpu_free_fd() does not close it */
				tracefs_cpu_free_fd(lp->cpus[i].tcpu);
				close(lp->cpus[i].fd);
			}
			if (lp->cpus[i].kbuf)
				kbuffer_free(lp->cpus[i].kbuf);
		}
		free(lp->cpus);
		if (lp->inst) {
			tracefs_instance_destroy(lp->inst);
			tracefs_instance_free(lp->inst);
		}
		restore_handlers(lp);
	}
	rc_decoder_free(src->dec);
	if (src->tep && (!lp || lp->own_tep))
		tep_free(src->tep);
	free(lp);
	free(src);
}

/* Make c->rec the next record of that CPU (i) from the pages read. */
static int cpu_next(struct live_priv *lp, int i)
{
	struct live_cpu *c = &lp->cpus[i];
	const unsigned char *page;

	while (!c->have_rec) {
		if (c->have_page) {
			if (rc_kbuf_take(c->kbuf, c->cpu, &c->rec)) {
				c->have_rec = 1;
				return 1;
			}
			c->have_page = 0;
			rc_lring_done(lp->rd, i, c->head);	/* page head-1 is free again */
		}
		if (c->head == c->limit)
			return 0;
		page = rc_lring_page(lp->rd, i, c->base, c->head++);
		if (kbuffer_load_subbuffer(c->kbuf, (void *)page) < 0)
			return 0;
		c->have_page = 1;
		if (lp->spool) {
			/* header, events and a stored lost-events count */
			unsigned int len = (unsigned int)kbuffer_start_of_data(c->kbuf) +
					   (unsigned int)kbuffer_subbuffer_size(c->kbuf) + 8;

			rc_spool_page(lp->spool, c->cpu, page,
				      len < (unsigned int)c->size ? len : (unsigned int)c->size,
				      (unsigned int)c->size);
		}
	}
	return 1;
}

/*
 * Merge what the reader has read on every CPU up to now. Returns the
 * number of records.
 */
static unsigned long poll_cpus(struct live_priv *lp, struct rc_emitter *em)
{
	unsigned long n = 0;

	rc_lreader_snapshot(lp->rd);
	for (int i = 0; i < lp->ncpus; i++) {
		lp->cpus[i].limit = rc_lring_snapshot(lp->rd, i, &lp->cpus[i].base);
		cpu_next(lp, i);
	}
	for (;;) {
		int best = -1;

		for (int i = 0; i < lp->ncpus; i++) {
			struct live_cpu *c = &lp->cpus[i];

			if (c->have_rec && (best < 0 || c->rec.ts < lp->cpus[best].rec.ts))
				best = i;
		}
		if (best < 0)
			break;
		n++;
		if (!em->stopped)
			rc_emit_record(em, &lp->cpus[best].rec);
		lp->cpus[best].have_rec = 0;
		cpu_next(lp, best);
	}
	return n;
}

/* The first CPU whose read failed, or NULL. */
static struct live_cpu *failed_cpu(struct live_priv *lp)
{
	for (int i = 0; i < lp->ncpus; i++)
		if (rc_lring_err(lp->rd, i))
			return &lp->cpus[i];
	return NULL;
}

static void set_status(struct rc_source *src, int st)
{
	src->cmd_signal = 0;
	if (WIFEXITED(st)) {
		src->cmd_status = WEXITSTATUS(st);
	} else if (WIFSIGNALED(st)) {
		src->cmd_signal = WTERMSIG(st);
		src->cmd_status = 128 + WTERMSIG(st);
	} else {
		src->cmd_status = -1;
	}
}

/*
 * Start argv. Exec failure comes back through a close-on-exec pipe so that
 * the caller gets a one-line error instead of a child exiting 127.
 */
static pid_t start_command(char *const *argv, char *err, size_t errlen)
{
	int pfd[2], e = 0;
	pid_t pid, parent = getpid();
	ssize_t n;

	/* orphans of the command become ours, so that end_command() finds them */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		rc_seterr(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		rc_seterr(err, errlen, "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		/* its own process group, and it dies with the analyzer */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		close(pfd[0]);
		execvp(argv[0], argv);
		e = errno;
		if (write(pfd[1], &e, sizeof(e)) < 0)
			_exit(127);
		_exit(127);
	}
	close(pfd[1]);
	setpgid(pid, pid);	/* also here: no race with the child's */
	do {
		n = read(pfd[0], &e, sizeof(e));
	} while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n == (ssize_t)sizeof(e)) {
		waitpid(pid, NULL, 0);
		rc_seterr(err, errlen, "cannot run '%s': %s", argv[0], strerror(e));
		return -1;
	}
	return pid;
}

/*
 * Our children as /proc lists them (PPID == us), at most max; 0 if /proc
 * cannot be read.
 */
static int our_children(pid_t *pids, int max)
{
	pid_t self = getpid();
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir("/proc");
	while (d && n < max && (de = readdir(d))) {
		char path[300], buf[512], *p;
		long ppid = 0;
		FILE *f;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
		fclose(f);
		if (p && sscanf(p + 1, " %*c %ld", &ppid) == 1 && ppid == self)
			pids[n++] = (pid_t)atol(de->d_name);
	}
	if (d)
		closedir(d);
	return n;
}

/*
 * Make sure nothing of the command outlives the analyzer: kill its process
 * group, and any process of it that left the group and was reparented to
 * us (we are a subreaper), then reap them. Each one killed is waited for
 * (SIGKILL is not instant: a WNOHANG reap would leave it a zombie, still
 * alive to kill(pid, 0)), and the scan repeats, because killing one may
 * hand us its own orphans.
 */
static void end_command(pid_t pgid)
{
	pid_t pids[256];
	int n;

	if (pgid > 0)
		kill(-pgid, SIGKILL);
	for (int round = 0; round < 64; round++) {
		n = our_children(pids, 256);
		if (!n)
			break;
		for (int i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
		for (int i = 0; i < n; i++)
			while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
				;
	}
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static void report_unmarked_drops(struct live_priv *lp, struct rc_emitter *em)
{
	struct rc_cpu_drops *drops;
	int n = 0;

	for (int i = 0; i < lp->ncpus; i++)
		if (lp->cpus[i].cpu + 1 > n)
			n = lp->cpus[i].cpu + 1;
	drops = calloc((size_t)(n > 0 ? n : 1), sizeof(*drops));
	if (!drops)
		return;
	for (int i = 0; i < lp->ncpus; i++) {
		char file[64], *text;

		snprintf(file, sizeof(file), "per_cpu/cpu%d/stats", lp->cpus[i].cpu);
		text = tracefs_instance_file_read(lp->inst, file, NULL);
		if (text)
			rc_parse_cpustats(text, drops, n, lp->cpus[i].cpu);
		free(text);
	}
	if (lp->spool)
		rc_spool_drops(lp->spool, drops, n);
	rc_emit_unmarked_drops(em, drops, n);
	free(drops);
}

static int live_stream(struct rc_source *src, struct live_priv *lp,
		       struct rc_emitter *emp, struct rc_reorder *ro,
		       char *err, size_t errlen);
static int new_reader(struct live_priv *lp);

/*
 * The kernel's clocksource into buf ("" if it cannot be read). When the
 * kernel finds the TSC unstable it marks it so, changes the clocksource
 * and sched_clock stops being stable: from then on the trace clock may
 * order two CPUs' events wrongly by up to a tick, and a run it happened
 * in is judged as one with a clock that does not order CPUs.
 * KVM_ROOTCHECK_CLOCKSOURCE names another file (the tests' hook).
 */
#define RC_CLOCKSOURCE_FILE "/sys/devices/system/clocksource/clocksource0/current_clocksource"

static void read_clocksource(char *buf, size_t len)
{
	const char *path = getenv("KVM_ROOTCHECK_CLOCKSOURCE");
	FILE *f;

	buf[0] = '\0';
	f = fopen(path && *path ? path : RC_CLOCKSOURCE_FILE, "re");
	if (!f)
		return;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

/* At the end of a run: a clocksource that changed makes the clock untrusted. */
static void check_clocksource(struct rc_source *src, const struct live_priv *lp)
{
	char now[32];

	read_clocksource(now, sizeof(now));
	if (!lp->clocksource[0] || !strcmp(now, lp->clocksource))
		return;
	src->info.clock_reliable = 0;
	snprintf(src->info.clock_note, sizeof(src->info.clock_note),
		 "clocksource went %.30s -> %.30s mid-run", lp->clocksource,
		 now[0] ? now : "?");
}

static int live_run(struct rc_source *src, rc_sink_fn sink, void *arg,
		    char *err, size_t errlen)
{
	struct live_priv *lp = src->priv;
	struct rc_emitter em;
	struct rc_reorder *ro;
	int maxcpu = 0, ret;

	for (int i = 0; i < lp->ncpus; i++)
		if (lp->cpus[i].cpu > maxcpu)
			maxcpu = lp->cpus[i].cpu;
	ro = rc_reorder_new(sink, arg, maxcpu + 1, LIVE_HOLDBACK_NS, LIVE_REORDER_CAP);
	if (!ro || new_reader(lp) < 0) {
		rc_reorder_free(ro);
		rc_seterr(err, errlen, "out of memory");
		return -1;
	}
	memset(&em, 0, sizeof(em));
	em.dec = src->dec;
	em.info = &src->info;
	em.sink = rc_reorder_push;
	em.arg = ro;
	read_clocksource(lp->clocksource, sizeof(lp->clocksource));
	ret = live_stream(src, lp, &em, ro, err, errlen);
	if (!ret)
		check_clocksource(src, lp);
	rc_lreader_free(lp->rd);
	lp->rd = NULL;
	rc_reorder_free(ro);
	return ret;
}

static int live_stream(struct rc_source *src, struct live_priv *lp,
		       struct rc_emitter *emp, struct rc_reorder *ro,
		       char *err, size_t errlen)
{
	struct rc_emitter em = *emp;
	struct live_cpu *failed = NULL;
	pid_t child = 0, pgid = 0;
	int forwarded = 0, st = 0, e;
	struct timespec fwd_at = { 0, 0 };

	if (lp->argv && lp->argv[0]) {
		child = start_command(lp->argv, err, errlen);
		if (child < 0)
			return -1;
		pgid = child;
	}
	/* after the fork: the command's process never has two threads */
	e = rc_lreader_start(lp->rd);
	if (e) {
		rc_seterr(err, errlen, "cannot start the reader thread: %s", strerror(e));
		failed = lp->cpus;	/* below: stop the command */
	}
	while (!failed) {
		unsigned long n = poll_cpus(lp, &em);

		if (rc_reorder_release(ro, 0))
			em.stopped = 1;
		failed = failed_cpu(lp);
		if (failed)
			break;
		if (child > 0) {
			pid_t r = waitpid(child, &st, WNOHANG);

			if (r == child) {
				set_status(src, st);
				child = 0;
				break;
			}
			if (live_signal && !forwarded) {
				kill(-child, SIGTERM);
				forwarded = 1;
				clock_gettime(CLOCK_MONOTONIC, &fwd_at);
			} else if (forwarded == 1) {
				struct timespec now;

				/* a command that ignores SIGTERM: 2 s, then SIGKILL */
				clock_gettime(CLOCK_MONOTONIC, &now);
				if (now.tv_sec - fwd_at.tv_sec >= 2) {
					kill(-child, SIGKILL);
					forwarded = 2;
				}
			}
		} else if (live_signal || em.stopped) {
			break;
		}
		if (!n)
			rc_lreader_wait(lp->rd, lp->poll_ns);
	}
	if (!failed) {
		end_command(pgid);
		/* Drain: stop writing, then read what is left on every CPU. */
		if (lp->inst)
			tracefs_trace_off(lp->inst);
		rc_lreader_finish(lp->rd);
		for (;;) {
			int done = rc_lreader_done(lp->rd);

			if (poll_cpus(lp, &em))
				continue;
			if (done)
				break;
			rc_lreader_wait(lp->rd, lp->poll_ns);
		}
		failed = failed_cpu(lp);
	}
	if (failed) {
		/* Events would be missing from here on: stop, with an error. */
		if (!e)
			rc_seterr(err, errlen, "reading trace_pipe_raw of CPU %d: %s",
				  failed->cpu, strerror(rc_lring_err(lp->rd, (int)(failed - lp->cpus))));
		if (lp->inst)
			tracefs_trace_off(lp->inst);
		if (child > 0) {
			pid_t r;

			while ((r = waitpid(child, &st, 0)) < 0 && errno == EINTR)
				;
			if (r == child)
				set_status(src, st);
		}
		end_command(pgid);
		return -1;
	}
	/* Losses the kernel counted but could not mark in the pages. */
	if (lp->inst && !em.stopped)
		report_unmarked_drops(lp, &em);
	rc_reorder_release(ro, 1);
	/* Task names of the processes seen while streaming. */
	if (lp->inst)
		tracefs_load_cmdlines(NULL, src->tep);
	return 0;
}

static const struct rc_source_ops live_ops = {
	.run = live_run,
	.close = live_close,
};

void rc_source_set_spool(struct rc_source *src, struct rc_spool *sp)
{
	if (src && src->ops == &live_ops)
		((struct live_priv *)src->priv)->spool = sp;
}

static const char *const live_systems[] = { RC_TP_SYSTEM, NULL };

static struct rc_source *live_alloc(char *const *argv, char *err, size_t errlen)
{
	struct rc_source *src = calloc(1, sizeof(*src));
	struct live_priv *lp = calloc(1, sizeof(*lp));

	if (!src || !lp) {
		free(src);
		free(lp);
		return rc_seterr(err, errlen, "out of memory");
	}
	src->ops = &live_ops;
	src->live = 1;
	src->priv = lp;
	src->cmd_status = -1;
	lp->argv = argv;
	return src;
}

/*
 * The command must not inherit our trace_pipe_raw descriptors: a process it
 * leaves behind would keep the instance busy and its removal would fail.
 * libtracefs 1.6.4 neither opens them close-on-exec nor exposes them, so
 * find them in /proc/self/fd.
 */
static void cloexec_pipes(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char link[64], target[PATH_MAX];
		ssize_t n;
		int fd;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		fd = atoi(de->d_name);
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strstr(target, "/per_cpu/cpu") && strstr(target, "/trace_pipe_raw"))
			fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
	}
	closedir(d);
}

/* Poll interval and reading turn for a per-CPU buffer of kb KB. */
static void set_pacing(struct live_priv *lp, unsigned int kb)
{
	size_t bytes = (size_t)kb * 1024, size = 4096;
	long long ns = (long long)kb * LIVE_POLL_NS_PER_KB;

	for (int i = 0; i < lp->ncpus; i++)
		if (lp->cpus[i].size > 0)
			size = (size_t)lp->cpus[i].size;
	if (bytes > LIVE_PASS_MAX_BYTES)
		bytes = LIVE_PASS_MAX_BYTES;
	lp->buffer_kb = kb;
	lp->pass_max = bytes / size ? bytes / size : 1;
	lp->poll_ns = ns < LIVE_POLL_NS_MIN ? LIVE_POLL_NS_MIN :
		      ns > LIVE_POLL_NS_MAX ? LIVE_POLL_NS_MAX : (long)ns;
}

/* The reader of lp's CPUs (not started). Returns -1 when out of memory. */
static int new_reader(struct live_priv *lp)
{
	struct tracefs_cpu **tcpus = calloc((size_t)lp->ncpus + 1, sizeof(*tcpus));
	int *fds = calloc((size_t)lp->ncpus + 1, sizeof(*fds));
	int size = 0;
	size_t cap;

	for (int i = 0; i < lp->ncpus; i++) {
		if (tcpus)
			tcpus[i] = lp->cpus[i].tcpu;
		if (fds)
			fds[i] = lp->cpus[i].fd;
		if (lp->cpus[i].size > size)
			size = lp->cpus[i].size;
	}
	cap = 2 * lp->pass_max;
	if (size > 0 && cap < LIVE_RING_MIN_BYTES / (size_t)size)
		cap = LIVE_RING_MIN_BYTES / (size_t)size;
	lp->rd = tcpus && fds ? rc_lreader_new(tcpus, fds, lp->ncpus, size, cap, lp->pass_max,
					       lp->poll_ns) : NULL;
	free(tcpus);
	free(fds);
	return lp->rd ? 0 : -1;
}

static int open_cpus(struct rc_source *src, struct live_priv *lp,
		     char *err, size_t errlen)
{
	long nconf = sysconf(_SC_NPROCESSORS_CONF);
	int opened = 0;

	if (nconf < 1)
		nconf = 1;
	lp->cpus = calloc((size_t)nconf, sizeof(*lp->cpus));
	if (!lp->cpus) {
		rc_seterr(err, errlen, "out of memory");
		return -1;
	}
	for (long cpu = 0; cpu < nconf; cpu++) {
		struct tracefs_cpu *tcpu = tracefs_cpu_open(lp->inst, (int)cpu, true);
		struct live_cpu *c;
		char path[64];
		int size;

		if (!tcpu)
			continue;	/* possible but absent CPU */
		/*
		 * The reader polls the descriptor, which libtracefs 1.6.4 does
		 * not expose: tracefs_cpu_open() gives the sub-buffer size (from
		 * header_page), then the file is opened again here.
		 */
		size = tracefs_cpu_read_size(tcpu);
		tracefs_cpu_close(tcpu);
		c = &lp->cpus[lp->ncpus++];
		c->cpu = (int)cpu;
		snprintf(path, sizeof(path), "per_cpu/cpu%ld/trace_pipe_raw", cpu);
		c->fd = tracefs_instance_file_open(lp->inst, path, O_RDONLY | O_NONBLOCK);
		c->tcpu = c->fd >= 0 && size > 0 ? tracefs_cpu_alloc_fd(c->fd, size, true) : NULL;
		if (!c->tcpu && c->fd >= 0)
			close(c->fd);
		c->kbuf = tep_kbuffer(src->tep);
		c->size = size;
		if (!c->tcpu || !c->kbuf || size <= 0) {
			rc_seterr(err, errlen, "cannot set up reading of CPU %ld", cpu);
			return -1;
		}
		opened++;
	}
	if (!opened) {
		rc_seterr(err, errlen, "cannot open trace_pipe_raw of instance %s: %s",
			  tracefs_instance_get_name(lp->inst), strerror(errno));
		return -1;
	}
	src->info.ncpus = opened;
	cloexec_pipes();
	return 0;
}

/*
 * Whether a tracefs is mounted. Not tracefs_tracing_dir_is_mounted(): in
 * libtracefs 1.6.4 it leaks the path it finds (LeakSanitizer fails the
 * sanitized build).
 */
static int tracefs_mount_dir(char *dir, size_t len)
{
	struct mntent *m;
	FILE *f = setmntent("/proc/mounts", "r");
	int found = 0;

	if (!f)
		return 0;
	while (!found && (m = getmntent(f)))
		if (!strcmp(m->mnt_type, "tracefs")) {
			found = 1;
			snprintf(dir, len, "%s", m->mnt_dir);
		}
	endmntent(f);
	return found;
}

static int tracefs_mounted(void)
{
	char dir[PATH_MAX];

	return tracefs_mount_dir(dir, sizeof(dir));
}

int rc_live_event_exists(const char *system, const char *name)
{
	const char *env = getenv(RC_TRACEFS_ENV);
	char dir[PATH_MAX], path[PATH_MAX + 256];

	if (env && *env)
		snprintf(dir, sizeof(dir), "%s", env);
	else if (!tracefs_mount_dir(dir, sizeof(dir)))
		return -1;
	snprintf(path, sizeof(path), "%s/events", dir);
	if (access(path, F_OK) < 0)
		return -1;
	if (!name)
		snprintf(path, sizeof(path), "%s/events/%s", dir, system);
	else
		snprintf(path, sizeof(path), "%s/events/%s/%s/format", dir, system, name);
	return access(path, F_OK) == 0;
}

struct rc_source *rc_source_open_live(char *const *argv, unsigned int buffer_kb,
				      char *err, size_t errlen)
{
	struct rc_source *src;
	struct live_priv *lp;
	const char *dir;
	struct utsname u;
	char name[96];
	char *clock;
	int i;

	/*
	 * tracefs_tracing_dir() mounts tracefs when it finds none: do not let
	 * the analyzer change the system behind the user's back, only use a
	 * tracefs that is mounted (or the directory the environment names).
	 */
	dir = getenv(RC_TRACEFS_ENV);
	if (dir && *dir) {
		char tdir[PATH_MAX];

		snprintf(tdir, sizeof(tdir), "%s", dir);
		if (tracefs_set_tracing_dir(tdir) < 0)
			return rc_seterr(err, errlen, "%s=%s: cannot use it as tracefs",
					 RC_TRACEFS_ENV, dir);
	} else if (!tracefs_mounted()) {
		return rc_seterr(err, errlen,
				 "tracefs is not mounted (mount -t tracefs nodev /sys/kernel/tracing, as root)");
	}
	dir = tracefs_tracing_dir();
	if (!dir || access(dir, R_OK | X_OK) < 0)
		return rc_seterr(err, errlen, "tracefs%s%s is not accessible (run as root)",
				 dir ? " at " : "", dir ? dir : "");

	src = live_alloc(argv, err, errlen);
	if (!src)
		return NULL;
	lp = src->priv;
	lp->own_tep = 1;

	/* The libraries' own warnings would break the one-line error rule. */
	tep_set_loglevel(TEP_LOG_NONE);
	tracefs_set_loglevel(TEP_LOG_NONE);
	src->tep = tracefs_local_events_system(NULL, live_systems);
	if (!src->tep) {
		rc_seterr(err, errlen, "cannot read the event formats in %s: %s", dir,
			  strerror(errno));
		goto fail;
	}
	if (tep_get_events_count(src->tep) == 0) {
		/* KVM built as modules: kvmmmu appears when kvm.ko is loaded */
		if (access("/sys/module/kvm", F_OK) < 0 && errno == ENOENT)
			rc_seterr(err, errlen,
				  "tracefs has no kvmmmu events: the kvm module is not loaded (load kvm_amd or kvm_intel, then run again)");
		else
			rc_seterr(err, errlen,
				  "tracefs has no kvmmmu events (kvm module not loaded, or the kernel lacks the kvm-rootcheck patches)");
		goto fail;
	}
	src->dec = rc_decoder_new(src->tep, err, errlen);
	if (!src->dec)
		goto fail;
	if (!rc_decoder_has(src->dec, RC_EV_ROOT_ALLOC)) {
		rc_seterr(err, errlen,
			  "tracefs has no kvmmmu/kvm_tdp_mmu_root_alloc: the kernel lacks the kvm-rootcheck patches");
		goto fail;
	}
	rc_source_note_missing(src);
	src->info.abi = rc_decoder_abi(src->dec);

	/*
	 * Our own checks, in the directory in use: libtracefs 1.6.4's
	 * tracefs_instance_exists() looks only in the default one.
	 */
	rc_instance_reap_stale(dir);
	rc_instance_name(name, sizeof(name));
	if (rc_instance_exists(dir, name)) {
		rc_seterr(err, errlen, "tracefs instance %s already exists (remove it: rmdir %s/instances/%s)",
			  name, dir, name);
		goto fail;
	}
	errno = 0;
	lp->inst = tracefs_instance_create(name);
	if (!lp->inst || !rc_instance_exists(dir, name)) {
		rc_seterr(err, errlen, "cannot create tracefs instance %s in %s: %s", name, dir,
			  errno ? strerror(errno) : "unknown error");
		goto fail;	/* live_close() destroys what exists of it */
	}
	install_handlers(lp);
	tracefs_trace_off(lp->inst);

	if (tracefs_instance_file_write(lp->inst, "trace_clock", "global") < 0) {
		rc_seterr(err, errlen, "cannot set the trace clock of %s to global", name);
		goto fail;
	}
	clock = tracefs_get_clock(lp->inst);
	rc_set_clock(&src->info, clock);
	free(clock);
	if (buffer_kb) {
		if (tracefs_instance_set_buffer_size(lp->inst, buffer_kb, -1) < 0) {
			rc_seterr(err, errlen, "cannot set the ring buffer of %s to %u KB per CPU: %s",
				  name, buffer_kb, strerror(errno));
			goto fail;
		}
	} else {
		/* Best effort: a larger buffer loses fewer events; the default stays. */
		tracefs_instance_set_buffer_size(lp->inst, RC_LIVE_BUFFER_KB, -1);
	}
	{
		ssize_t kb = tracefs_instance_get_buffer_size(lp->inst, 0);

		lp->buffer_kb = kb > 0 ? (unsigned int)kb : buffer_kb ? buffer_kb : RC_LIVE_BUFFER_KB;
	}

	for (i = 0; i < RC_EV__COUNT; i++) {
		const char *ev = rc_events[i].tp;

		if (!ev || !rc_decoder_has(src->dec, (enum rc_ev_type)i))
			continue;
		if (tracefs_event_enable(lp->inst, RC_TP_SYSTEM, ev) < 0) {
			rc_seterr(err, errlen, "cannot enable kvmmmu/%s in %s: %s", ev, name,
				  strerror(errno));
			goto fail;
		}
	}
	if (open_cpus(src, lp, err, errlen) < 0)
		goto fail;
	set_pacing(lp, lp->buffer_kb);
	if (uname(&u) == 0)
		snprintf(src->info.kernel, sizeof(src->info.kernel), "%s", u.release);
	if (tracefs_trace_on(lp->inst) < 0) {
		rc_seterr(err, errlen, "cannot turn tracing on in %s", name);
		goto fail;
	}
	if (live_signal) {
		rc_seterr(err, errlen, "interrupted");
		goto fail;
	}
	return src;

fail:
	live_close(src);
	return NULL;
}

struct rc_source *rc_live_open_fds(struct tep_handle *tep, const int *fds,
				   const int *cpus, int n, int subbuf_size,
				   char *const *argv, char *err, size_t errlen)
{
	struct rc_source *src = live_alloc(argv, err, errlen);
	struct live_priv *lp;

	if (!src)
		return NULL;
	lp = src->priv;
	src->tep = tep;
	lp->cpus = calloc((size_t)(n > 0 ? n : 1), sizeof(*lp->cpus));
	src->dec = rc_decoder_new(tep, err, errlen);
	if (!lp->cpus || !src->dec)
		goto fail;
	rc_source_note_missing(src);
	src->info.abi = rc_decoder_abi(src->dec);
	for (int i = 0; i < n; i++) {
		struct live_cpu *c = &lp->cpus[lp->ncpus];

		c->tcpu = tracefs_cpu_alloc_fd(fds[i], subbuf_size, true);
		c->fd = fds[i];
		if (!c->tcpu) {
			rc_seterr(err, errlen, "cannot read fd %d", fds[i]);
			goto fail;
		}
		lp->ncpus++;
		c->cpu = cpus[i];
		c->kbuf = tep_kbuffer(tep);
		c->size = subbuf_size;
		if (!c->kbuf || subbuf_size <= 0) {
			rc_seterr(err, errlen, "out of memory");
			goto fail;
		}
	}
	src->info.ncpus = n;
	/* A small buffer: streams of a few dozen pages cross several drains. */
	set_pacing(lp, 64);
	install_handlers(lp);
	return src;
fail:
	live_close(src);
	return NULL;
}
