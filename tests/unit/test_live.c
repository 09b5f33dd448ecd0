// SPDX-License-Identifier: GPL-2.0
/*
 * Exit paths of the live source that can be produced without a real
 * tracefs, through its test seam (rc_live_open_fds): nothing of the
 * command outlives a run (its own process group, orphans reparented to us
 * and killed), a command that ignores SIGTERM is killed after Ctrl-C, the
 * descriptors handed over are closed, and the command's exit code is told
 * apart from the signal that killed it. And the instance names: a name of
 * this process is ours and alive, a dead PID's or a reused PID's is stale,
 * other names are not ours.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <event-parse.h>

#include "live_instance.h"
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

static const struct unit_test tests[] = {
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
