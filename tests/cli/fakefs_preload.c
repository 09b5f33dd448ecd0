// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD library for the CLI tests of `live` on a fake tracefs
 * (tests/cli/fakefs.py): a plain directory has none of the files the
 * kernel puts in a new tracefs instance. When libtracefs creates the
 * analyzer's instance (mkdir of .../instances/kvm-rootcheck-...), this
 * copies the directory FAKEFS_TEMPLATE into it; rmdir of it removes it
 * with its files, as tracefs does. With FAKEFS_KALLSYMS set, an open of
 * /proc/kallsyms opens that file instead: libtracefs reads kallsyms in
 * BUFSIZ steps with a realloc each, and under AddressSanitizer (whose
 * realloc always copies) the host's 5 MB of it took 15-20 s of CPU per
 * live run. A write to the instance's trace_clock is dropped (the
 * template's reads "[global]"). With FAKEFS_NCPUS set, sysconf() says the machine has that
 * many CPUs (the CPUs of a fixture with events on more CPUs than the
 * host has). Everything else goes to libc.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int ours(const char *path)
{
	return getenv("FAKEFS_TEMPLATE") && strstr(path, "/instances/kvm-rootcheck-");
}

/* Run argv (no shell); 0 if it exited 0. */
static int run(char *const argv[])
{
	pid_t pid;
	int st;

	if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ))
		return -1;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -1;
}

int mkdir(const char *path, mode_t mode)
{
	int (*real)(const char *, mode_t) =
		(int (*)(const char *, mode_t))dlsym(RTLD_NEXT, "mkdir");
	char src[4096];
	int r = real(path, mode);

	if (r == 0 && ours(path)) {
		char *const argv[] = { "cp", "-R", src, (char *)path, NULL };

		strncpy(src, getenv("FAKEFS_TEMPLATE"), sizeof(src) - 3);
		src[sizeof(src) - 3] = '\0';
		strcat(src, "/.");
		if (run(argv))
			return -1;
	}
	return r;
}

int rmdir(const char *path)
{
	int (*real)(const char *) = (int (*)(const char *))dlsym(RTLD_NEXT, "rmdir");

	if (ours(path)) {
		char *const argv[] = { "rm", "-rf", (char *)path, NULL };

		return run(argv);
	}
	return real(path);
}

/*
 * open(2) and open64(2): /proc/kallsyms is FAKEFS_KALLSYMS if set; a write
 * to the trace_clock of our instance goes to /dev/null, so that it still
 * reads "[global]" as tracefs shows the clock it was set to.
 */
static int open_as(const char *path, int flags, va_list ap)
{
	int (*real)(const char *, int, ...) =
		(int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	const char *k = getenv("FAKEFS_KALLSYMS");
	mode_t mode = 0;

	if (flags & (O_CREAT | O_TMPFILE))
		mode = (mode_t)va_arg(ap, int);
	if (k && !strcmp(path, "/proc/kallsyms"))
		path = k;
	if (ours(path) && (flags & O_ACCMODE) != O_RDONLY && strlen(path) > 12 &&
	    !strcmp(path + strlen(path) - 12, "/trace_clock"))
		path = "/dev/null";
	return real(path, flags, mode);
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	int r;

	va_start(ap, flags);
	r = open_as(path, flags, ap);
	va_end(ap);
	return r;
}

/* the same call on a 64-bit libc (off_t is 64 bits) */
int open64(const char *path, int flags, ...) __attribute__((alias("open")));

/* what _FORTIFY_SOURCE makes of open() without a mode (libtracefs' writes) */
int __open_2(const char *path, int flags)
{
	return open(path, flags);
}

int __open64_2(const char *path, int flags) __attribute__((alias("__open_2")));

long sysconf(int name)
{
	static long (*real)(int);
	const char *n = getenv("FAKEFS_NCPUS");

	if (n && *n && (name == _SC_NPROCESSORS_CONF || name == _SC_NPROCESSORS_ONLN))
		return atol(n);
	if (!real)
		real = (long (*)(int))dlsym(RTLD_NEXT, "sysconf");
	return real(name);
}
