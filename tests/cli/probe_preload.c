// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD library for the CLI tests of the open probe (the child that
 * tries tracecmd_open() before the analyzer does). It replaces
 * tracecmd_open(): on a path containing "probe-hang" it never returns, on
 * one containing "probe-crash" it raises SIGSEGV, on one containing
 * "probe-slow" it sleeps 1.5 s and then opens the file (the library's own
 * tracecmd_open()), writing "start" and "end <ms slept>" lines to the file
 * named by PROBE_PRELOAD_SLOW_LOG; on any other it fails.
 * And it installs, at load time, a SIGSEGV handler of the careless kind a
 * fuzzer or crash reporter might leave behind: it creates the file named
 * by PROBE_PRELOAD_MARK and exits 0. A probe child that kept that handler
 * would report a crash as a successful open.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct tracecmd_input;
struct tracecmd_input *tracecmd_open(const char *file, int flags);

static const char *mark;

static void careless(int sig)
{
	(void)sig;
	if (mark)
		close(open(mark, O_WRONLY | O_CREAT, 0644));
	_exit(0);
}

__attribute__((constructor)) static void install(void)
{
	struct sigaction sa;

	mark = getenv("PROBE_PRELOAD_MARK");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = careless;
	sigaction(SIGSEGV, &sa, NULL);
}

static void slow_log(const char *line)
{
	const char *p = getenv("PROBE_PRELOAD_SLOW_LOG");
	int fd = p ? open(p, O_WRONLY | O_CREAT | O_APPEND, 0644) : -1;

	if (fd >= 0) {
		if (write(fd, line, strlen(line)) < 0)
			_exit(9);
		close(fd);
	}
}

static struct tracecmd_input *slow_open(const char *file, int flags)
{
	struct tracecmd_input *(*real)(const char *, int) =
		(struct tracecmd_input *(*)(const char *, int))dlsym(RTLD_NEXT, "tracecmd_open");
	struct timespec nap = { 1, 500000000 }, a, b;
	char line[64];

	clock_gettime(CLOCK_MONOTONIC, &a);
	slow_log("start\n");
	while (nanosleep(&nap, &nap) < 0)
		;
	clock_gettime(CLOCK_MONOTONIC, &b);
	snprintf(line, sizeof(line), "end %lld\n",
		 (long long)(b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000);
	slow_log(line);
	return real ? real(file, flags) : NULL;
}

struct tracecmd_input *tracecmd_open(const char *file, int flags)
{
	if (strstr(file, "probe-slow"))
		return slow_open(file, flags);
	if (strstr(file, "probe-hang"))
		for (;;)
			pause();
	if (strstr(file, "probe-crash"))
		raise(SIGSEGV);
	return NULL;
}
