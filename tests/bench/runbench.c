// SPDX-License-Identifier: GPL-2.0
/*
 * runbench: run one command and print what it cost (make bench).
 *
 *   runbench [-o OUT] -- COMMAND [ARGS...]
 *
 * The command's stdout goes to OUT (default /dev/null). Prints one line:
 *   <cpu s> <user s> <sys s> <max RSS KB> <peak anon KB> <exit status>
 * CPU time and max RSS come from wait4()'s rusage; the peak of anonymous
 * memory (RssAnon of /proc/PID/status, which leaves out the file pages a
 * reader maps) is sampled every 2 ms while the command runs.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long rss_anon_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "RssAnon:", 8)) {
			kb = strtol(line + 8, NULL, 10);
			break;
		}
	fclose(f);
	return kb;
}

int main(int argc, char **argv)
{
	const char *out = "/dev/null";
	struct timespec tick = { 0, 2000000 };
	struct rusage ru;
	long peak = 0;
	int i = 1, st = 0;
	pid_t pid;

	if (i + 1 < argc && !strcmp(argv[i], "-o")) {
		out = argv[i + 1];
		i += 2;
	}
	if (i >= argc || strcmp(argv[i], "--") || i + 1 >= argc) {
		fprintf(stderr, "usage: runbench [-o OUT] -- COMMAND [ARGS...]\n");
		return 2;
	}
	i++;
	pid = fork();
	if (pid < 0) {
		perror("runbench: fork");
		return 1;
	}
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0) {
			perror(out);
			_exit(126);
		}
		execvp(argv[i], argv + i);
		perror(argv[i]);
		_exit(127);
	}
	for (;;) {
		pid_t r = wait4(pid, &st, WNOHANG, &ru);
		long kb;

		if (r == pid)
			break;
		if (r < 0) {
			perror("runbench: wait4");
			return 1;
		}
		kb = rss_anon_kb(pid);
		if (kb > peak)
			peak = kb;
		nanosleep(&tick, NULL);
	}
	printf("%.4f %.4f %.4f %ld %ld %d\n",
	       ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
	       ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
	       ru.ru_maxrss, peak,
	       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return 0;
}
