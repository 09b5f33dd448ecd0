// SPDX-License-Identifier: GPL-2.0
/*
 * Exit paths of the live source that can be produced without a real
 * tracefs, through its test seam (rc_live_open_fds): nothing of the
 * command outlives a run (its own process group, orphans reparented to us
 * and killed), a command that ignores SIGTERM is killed after Ctrl-C, the
 * descriptors handed over are closed, and the command's exit code is told
 * apart from the signal that killed it. And the instance names: a name of
 * this process is ours and alive, a dead PID's or a reused PID's is stale,
 * other names are not ours. And the reader thread (live_reader.c): pages
 * come out whole and in order through a ring far smaller than the
 * stream (full ring, wrap, a ring emptied and started again at slot 0),
 * every CPU up to the same round, to the end after finish, and a failed
 * read is an error, not an end.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event-parse.h>
#include <tracefs.h>

#include "live_instance.h"
#include "live_reader.h"
#include "source-local.h"
#include "unit.h"

static int sink(const struct rc_event *ev, void *arg)
{
	(void)ev;
	(void)arg;
	return 0;
}

static pid_t read_pid(const char *path)
{
	FILE *f = fopen(path, "r");
	long p = 0;

	if (f) {
		if (fscanf(f, "%ld", &p) != 1)
			p = 0;
		fclose(f);
	}
	return (pid_t)p;
}

static int gone(pid_t pid)
{
	return pid > 0 && kill(pid, 0) < 0 && errno == ESRCH;
}

static int last_signal;	/* rc_source_cmd_signal() of the last run() */

/* Run the seam on /dev/null (no data) with argv; returns the status. */
static int run(char *const *argv, int *fd_out, double *secs)
{
	struct tep_handle *tep = tep_alloc();
	int fds[1] = { open("/dev/null", O_RDONLY | O_NONBLOCK) }, cpus[1] = { 0 };
	struct timespec a, b;
	struct rc_source *src;
	char err[512] = "";
	int st = -1;

	*fd_out = fds[0];
	src = rc_live_open_fds(tep, fds, cpus, 1, 4096, argv, err, sizeof(err));
	CHECK_MSG(src != NULL, "%s", err);
	if (src) {
		clock_gettime(CLOCK_MONOTONIC, &a);
		rc_source_run(src, sink, NULL, err, sizeof(err));
		clock_gettime(CLOCK_MONOTONIC, &b);
		*secs = (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
		st = rc_source_cmd_status(src);
		last_signal = rc_source_cmd_signal(src);
		rc_source_close(src);
	}
	tep_free(tep);
	return st;
}

static void test_command(void)
{
	char pidfile[64], cmd[256];
	double secs = 0;
	int fd = -1, st;
	pid_t bg;

	snprintf(pidfile, sizeof(pidfile), "/tmp/rc-test-live-%ld", (long)getpid());
	/* a grandchild left running, in the group and out of it (setsid) */
	snprintf(cmd, sizeof(cmd),
		 "sleep 300 & echo $! > %s; setsid sleep 301 & echo $! > %s.2; exit 3",
		 pidfile, pidfile);
	{
		char *const argv[] = { "sh", "-c", cmd, NULL };

		st = run(argv, &fd, &secs);
	}
	CHECK_MSG(st == 3, "status %d", st);
	bg = read_pid(pidfile);
	CHECK_MSG(gone(bg), "grandchild %ld outlived the run", (long)bg);
	bg = read_pid(strcat(pidfile, ".2"));
	CHECK_MSG(gone(bg), "setsid grandchild %ld outlived the run", (long)bg);
	unlink(pidfile);
	pidfile[strlen(pidfile) - 2] = '\0';
	unlink(pidfile);
	/* the descriptor handed over is closed by rc_source_close() */
	CHECK(fcntl(fd, F_GETFD) == -1 && errno == EBADF);

	/* Ctrl-C, and a command that ignores SIGTERM: killed after 2 s */
	{
		char *const argv[] = { "sh", "-c",
			"trap '' TERM INT; kill -INT $PPID; sleep 300; exit 0", NULL };

		st = run(argv, &fd, &secs);
	}
	CHECK_MSG(st == 128 + SIGKILL, "status %d", st);
	CHECK_MSG(secs >= 1.0 && secs < 30, "%.1f s", secs);	/* whole seconds */
}

/*
 * How the command ended, as the report needs it (issue 14): an exit code,
 * or the signal that killed it, told apart (128 + N alone cannot: a
 * command may exit 139 itself).
 */
static void test_command_end(void)
{
	char *const t[] = { "true", NULL };
	char *const f[] = { "false", NULL };
	char *const segv[] = { "sh", "-c", "kill -SEGV $$", NULL };
	char *const e139[] = { "sh", "-c", "exit 139", NULL };
	double secs;
	int fd, st;

	st = run(t, &fd, &secs);
	CHECK_MSG(st == 0 && last_signal == 0, "true: status %d signal %d", st, last_signal);
	st = run(f, &fd, &secs);
	CHECK_MSG(st == 1 && last_signal == 0, "false: status %d signal %d", st, last_signal);
	st = run(segv, &fd, &secs);
	CHECK_MSG(st == 128 + SIGSEGV && last_signal == SIGSEGV,
		  "kill -SEGV: status %d signal %d", st, last_signal);
	st = run(e139, &fd, &secs);
	CHECK_MSG(st == 139 && last_signal == 0, "exit 139: status %d signal %d", st, last_signal);
}

static void test_names(void)
{
	char name[96], other[96];
	unsigned long long st = 0;
	const char *p;

	rc_instance_name(name, sizeof(name));
	CHECK(rc_instance_owner_alive(name) == 1);
	p = strrchr(name, '-');
	CHECK(p && sscanf(p + 1, "%llu", &st) == 1 && st > 0);
	snprintf(other, sizeof(other), "kvm-rootcheck-%ld-%llu", (long)getpid(), st + 1);
	CHECK(rc_instance_owner_alive(other) == 0);	/* PID reused */
	CHECK(rc_instance_owner_alive("kvm-rootcheck-999999999-5") == 0);
	CHECK(rc_instance_owner_alive("kvm-rootcheck-999999999") == 0);
	CHECK(rc_instance_owner_alive("kvm-rootcheck-1x") == -1);
	CHECK(rc_instance_owner_alive("kvm-rootcheck--1") == -1);
	CHECK(rc_instance_owner_alive("my-instance") == -1);
}

/*
 * The analyzer itself SIGKILLed while the command runs: the command's own
 * process dies with it (PR_SET_PDEATHSIG). That is all that can be
 * promised: its descendants are not killed (nothing runs any more to do
 * it) and are reparented; the man page says so. This process is a
 * subreaper, so the command comes back to it and its end can be waited for.
 */
static void on_alarm(int sig)
{
	(void)sig;
}

static void test_analyzer_killed(void)
{
	char pidfile[64], cmd[512];
	pid_t an, c = 0, gc = 0;
	int st = 0;

	snprintf(pidfile, sizeof(pidfile), "/tmp/rc-test-live-k%ld", (long)getpid());
	unlink(pidfile);
	snprintf(cmd, sizeof(cmd), "sleep 301 & echo $! > %s.2; echo $$ > %s.t; mv %s.t %s; exec sleep 300",
		 pidfile, pidfile, pidfile, pidfile);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	an = fork();
	if (an == 0) {
		char *const argv[] = { "sh", "-c", cmd, NULL };
		double secs;
		int fd;

		run(argv, &fd, &secs);
		_exit(0);
	}
	CHECK(an > 0);
	for (int i = 0; i < 3000 && !(c = read_pid(pidfile)); i++)
		usleep(10000);
	CHECK_MSG(c > 0, "the command did not start");
	kill(an, SIGKILL);
	waitpid(an, NULL, 0);
	if (c > 0) {
		struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */

		sigaction(SIGALRM, &sa, NULL);
		alarm(30);
		CHECK_MSG(waitpid(c, &st, 0) == c && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
			  "command %ld: status 0x%x", (long)c, st);
		alarm(0);
		if (!WIFSIGNALED(st))
			kill(c, SIGKILL);
	}
	/* the documented limit: a grandchild is not killed; end it here */
	gc = read_pid(strcat(pidfile, ".2"));
	if (gc > 0) {
		kill(gc, SIGKILL);
		waitpid(gc, NULL, 0);
	}
	unlink(pidfile);
	pidfile[strlen(pidfile) - 2] = '\0';
	unlink(pidfile);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
}

#define RD_CPUS 4
#define RD_PAGE 4096
#define RD_PAGES 300

/* Page k of CPU c: its first two words say so, the rest is a pattern. */
static void rd_fill(unsigned char *p, int c, unsigned int k)
{
	for (int i = 0; i < RD_PAGE; i++)
		p[i] = (unsigned char)(c * 31 + k * 7 + (unsigned int)i);
	memcpy(p, &c, sizeof(c));
	memcpy(p + sizeof(c), &k, sizeof(k));
}

/* RD_CPUS non-blocking pipes, each holding prefill pages, and a tracefs_cpu
 * reading each. Returns -1 on failure (checked). */
static int rd_pipes(struct tracefs_cpu **tcpus, int *rfd, int *wfd, unsigned int prefill)
{
	unsigned char page[RD_PAGE];

	for (int c = 0; c < RD_CPUS; c++) {
		int p[2];

		CHECK(pipe2(p, O_NONBLOCK) == 0);
		rfd[c] = p[0];
		wfd[c] = p[1];
		for (unsigned int k = 0; k < prefill; k++) {
			rd_fill(page, c, k);
			CHECK(write(wfd[c], page, RD_PAGE) == RD_PAGE);
		}
		tcpus[c] = tracefs_cpu_alloc_fd(rfd[c], RD_PAGE, true);
		CHECK(tcpus[c] != NULL);
		if (!tcpus[c])
			return -1;
	}
	return 0;
}

static void rd_close(struct tracefs_cpu **tcpus, const int *rfd, const int *wfd)
{
	for (int c = 0; c < RD_CPUS; c++) {
		tracefs_cpu_free_fd(tcpus[c]);
		close(rfd[c]);
		close(wfd[c]);
	}
}

/*
 * RD_CPUS pipes written page by page as they take them (a pipe holds 16
 * pages), read by the reader into rings of 5 pages, taken by this thread
 * a few pages at a time: the ring fills, wraps and empties again. Every
 * page must come out once, whole, in order.
 */
static void test_reader_stream(void)
{
	struct tracefs_cpu *tcpus[RD_CPUS];
	int rfd[RD_CPUS], wfd[RD_CPUS];
	unsigned int written[RD_CPUS] = { 0 }, got[RD_CPUS] = { 0 };
	uint64_t head[RD_CPUS] = { 0 };
	unsigned char page[RD_PAGE];
	struct rc_lreader *rd;
	int bad = 0, rounds = 0, done_seen = 0;

	if (rd_pipes(tcpus, rfd, wfd, 0))
		return;
	rd = rc_lreader_new(tcpus, rfd, RD_CPUS, RD_PAGE, 5, 3, 1000000L);
	CHECK(rd != NULL);
	if (!rd)
		return;
	CHECK(rc_lreader_start(rd) == 0);
	for (;;) {
		int all_written = 1, more = 0;

		for (int c = 0; c < RD_CPUS; c++) {
			while (written[c] < RD_PAGES) {
				rd_fill(page, c, written[c]);
				if (write(wfd[c], page, RD_PAGE) != RD_PAGE)
					break;	/* pipe full (a page is written whole or not) */
				written[c]++;
			}
			if (written[c] < RD_PAGES)
				all_written = 0;
		}
		if (all_written && !done_seen) {
			rc_lreader_finish(rd);
			done_seen = 1;
		}
		{
			int d = rc_lreader_done(rd);

			rc_lreader_snapshot(rd);
			for (int c = 0; c < RD_CPUS; c++) {
				uint64_t base, end = rc_lring_snapshot(rd, c, &base);

				/* at most 2 pages a round: the consumer is slow */
				for (int j = 0; j < 2 && head[c] < end; j++) {
					const unsigned char *p = rc_lring_page(rd, c, base, head[c]);

					rd_fill(page, c, got[c]);
					if (memcmp(p, page, RD_PAGE))
						bad++;
					got[c]++;
					head[c]++;
					rc_lring_done(rd, c, head[c]);
				}
				if (head[c] < end)
					more = 1;
			}
			if (d && !more)
				break;
		}
		if (!more)
			rc_lreader_wait(rd, 2000000L);
		if (++rounds > 200000)
			break;
	}
	CHECK_MSG(!bad, "%d pages differ", bad);
	for (int c = 0; c < RD_CPUS; c++)
		CHECK_MSG(got[c] == RD_PAGES, "CPU %d: %u pages of %d", c, got[c], RD_PAGES);
	for (int c = 0; c < RD_CPUS; c++)
		CHECK(rc_lring_err(rd, c) == 0);
	rc_lreader_free(rd);
	rd_close(tcpus, rfd, wfd);
}

/*
 * A cut is whole rounds: with every CPU's pipe holding the same number
 * of pages, every snapshot shows all CPUs read to the same page. And a descriptor that fails is an error that stops the
 * reader, not an end of data.
 */
static void test_reader_cut_and_error(void)
{
	struct tracefs_cpu *tcpus[RD_CPUS];
	int rfd[RD_CPUS], wfd[RD_CPUS];
	struct rc_lreader *rd;
	uint64_t lo_end = 0;
	int spread = 0;

	if (rd_pipes(tcpus, rfd, wfd, 12))
		return;
	/* 2 pages a turn, rings of 64: six rounds read everything */
	rd = rc_lreader_new(tcpus, rfd, RD_CPUS, RD_PAGE, 64, 2, 1000000L);
	CHECK(rd != NULL && rc_lreader_start(rd) == 0);
	if (!rd)
		return;
	for (time_t t0 = time(NULL); time(NULL) - t0 < 10;) {
		uint64_t base, lo = UINT64_MAX, hi = 0;

		rc_lreader_snapshot(rd);
		for (int c = 0; c < RD_CPUS; c++) {
			uint64_t end = rc_lring_snapshot(rd, c, &base);

			lo = end < lo ? end : lo;
			hi = end > hi ? end : hi;
		}
		if (hi != lo)
			spread++;
		lo_end = lo;
		if (lo == 12)
			break;
	}
	CHECK_MSG(lo_end == 12, "read %d pages of 12", (int)lo_end);
	CHECK_MSG(!spread, "%d snapshots with CPUs read to different rounds", spread);
	rc_lreader_free(rd);
	rd_close(tcpus, rfd, wfd);

	/* a write-only descriptor: EBADF, the reader stops and says so */
	{
		int fd = open("/dev/null", O_WRONLY);
		struct tracefs_cpu *t = tracefs_cpu_alloc_fd(fd, RD_PAGE, true);

		CHECK(fd >= 0 && t != NULL);
		rd = t ? rc_lreader_new(&t, &fd, 1, RD_PAGE, 8, 4, 1000000L) : NULL;
		CHECK(rd != NULL && rc_lreader_start(rd) == 0);
		for (int i = 0; rd && i < 500 && !rc_lreader_done(rd); i++)
			rc_lreader_wait(rd, 10000000L);
		CHECK(rd && rc_lreader_done(rd) && rc_lring_err(rd, 0) == EBADF);
		rc_lreader_free(rd);
		if (t)
			tracefs_cpu_free_fd(t);
		close(fd);
	}
}

static const struct unit_test tests[] = {
	UNIT_TEST(test_reader_stream),
	UNIT_TEST(test_reader_cut_and_error),
	UNIT_TEST(test_names),
	UNIT_TEST(test_command),
	UNIT_TEST(test_command_end),
	UNIT_TEST(test_analyzer_killed),
};

int main(int argc, char **argv)
{
	return unit_main("live", argc, argv, tests, sizeof(tests) / sizeof(tests[0]),
			 NULL, NULL);
}
