// SPDX-License-Identifier: GPL-2.0
/*
 * LD_PRELOAD library for the CLI tests of `live` on a fake tracefs
 * (tests/cli/fakefs.py): a plain directory has none of the files the
 * kernel puts in a new tracefs instance. When libtracefs creates the
 * analyzer's instance (mkdir of .../instances/kvm-rootcheck-...), this
 * copies the directory FAKEFS_TEMPLATE into it; rmdir of it removes it
 * with its files, as tracefs does. Everything else goes to libc.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

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
