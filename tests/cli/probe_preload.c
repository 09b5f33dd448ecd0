// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD library for the CLI tests of the open probe (the child that
 * tries tracecmd_open() before the analyzer does). It replaces
 * tracecmd_open(): on a path containing "probe-hang" it never returns, on
 * one containing "probe-crash" it raises SIGSEGV, on any other it fails.
 * And it installs, at load time, a SIGSEGV handler of the careless kind a
 * fuzzer or crash reporter might leave behind: it creates the file named
 * by PROBE_PRELOAD_MARK and exits 0. A probe child that kept that handler
 * would report a crash as a successful open.
 */
#include <fcntl.h>
#include <signal.h>
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

struct tracecmd_input *tracecmd_open(const char *file, int flags)
{
	(void)flags;
	if (strstr(file, "probe-hang"))
		for (;;)
			pause();
	if (strstr(file, "probe-crash"))
		raise(SIGSEGV);
	return NULL;
}
