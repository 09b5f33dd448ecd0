// SPDX-License-Identifier: GPL-2.0
/* Command-line input and output details (cli_io.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_io.h"

int rc_parse_hex_addr(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int n = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (; *s; s++, n++) {
		int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -1;
		if (n == 16)
			return -1;
		v = v << 4 | (uint64_t)d;
	}
	if (!n)
		return -1;
	*out = v;
	return 0;
}

static char stdin_tmp[64];

void rc_stdin_cleanup(void)
{
	if (stdin_tmp[0])
		unlink(stdin_tmp);
	stdin_tmp[0] = '\0';
}

const char *rc_stdin_path(char *buf, size_t len, char *err, size_t errlen)
{
	const char *dir = getenv("TMPDIR");
	char chunk[65536];
	struct stat st;
	ssize_t n;
	int fd;

	if (fstat(STDIN_FILENO, &st) < 0) {
		snprintf(err, errlen, "-: standard input: %s", strerror(errno));
		return NULL;
	}
	if (S_ISREG(st.st_mode)) {
		snprintf(buf, len, "/proc/self/fd/%d", STDIN_FILENO);
		return buf;
	}
	/* libtracecmd seeks: copy a pipe to a file first */
	snprintf(stdin_tmp, sizeof(stdin_tmp), "%s/kvm-rootcheck-XXXXXX",
		 dir && *dir && strlen(dir) < 32 ? dir : "/tmp");
	fd = mkstemp(stdin_tmp);
	if (fd < 0) {
		snprintf(err, errlen, "-: cannot make a temporary file for standard input (%s): %s",
			 stdin_tmp, strerror(errno));
		stdin_tmp[0] = '\0';
		return NULL;
	}
	for (;;) {
		n = read(STDIN_FILENO, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(fd, chunk + off, (size_t)(n - off));

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				snprintf(err, errlen, "-: copying standard input to %s: %s",
					 stdin_tmp, w < 0 ? strerror(errno) : "short write");
				close(fd);
				rc_stdin_cleanup();
				return NULL;
			}
			off += w;
		}
	}
	if (n < 0) {
		snprintf(err, errlen, "-: reading standard input: %s", strerror(errno));
		close(fd);
		rc_stdin_cleanup();
		return NULL;
	}
	if (close(fd) < 0) {
		snprintf(err, errlen, "-: writing %s: %s", stdin_tmp, strerror(errno));
		rc_stdin_cleanup();
		return NULL;
	}
	snprintf(buf, len, "%s", stdin_tmp);
	return buf;
}

int rc_stdout_finish(void)
{
	int bad = fflush(stdout) != 0;

	return bad || ferror(stdout) ? -1 : 0;
}

int rc_env_cap(const char *name, uint32_t *out, char *err, size_t errlen)
{
	const char *s = getenv(name);
	char *end;
	unsigned long v;

	*out = 0;
	if (!s || !*s)
		return 0;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < 1 || v > UINT32_MAX || s[0] < '0' || s[0] > '9') {
		snprintf(err, errlen, "%s='%s' is not a number from 1 to %u", name, s, UINT32_MAX);
		return -1;
	}
	*out = (uint32_t)v;	/* the model takes the lower of this and its cap */
	return 0;
}
