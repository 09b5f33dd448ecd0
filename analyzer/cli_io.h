/* SPDX-License-Identifier: GPL-2.0 */
/* Command-line input and output details of main.c (cli_io.c). */
#ifndef RC_CLI_IO_H
#define RC_CLI_IO_H

#include <stddef.h>
#include <stdint.h>

/*
 * A root address for --root: optional "0x", then 1 to 16 hex digits, and
 * nothing else (no sign, no spaces). Returns 0 and sets *out, or -1.
 */
int rc_parse_hex_addr(const char *s, uint64_t *out);

/*
 * "-" as the trace: a path that reads standard input. A regular file on
 * stdin is read in place (/proc/self/fd/0); anything else (pipe, socket,
 * terminal) is copied to a temporary file, removed by rc_stdin_cleanup().
 * Returns the path (in buf) or NULL with a one-line message in err.
 */
const char *rc_stdin_path(char *buf, size_t len, char *err, size_t errlen);
void rc_stdin_cleanup(void);

/* Flush stdout: 0, or -1 if any of the report could not be written. */
int rc_stdout_finish(void);

/* Caps for the model from KVM_ROOTCHECK_MAX_VMS / _MAX_ROOTS (0: default);
 * -1 with a message if set but not a number >= 1. */
int rc_env_cap(const char *name, uint32_t *out, char *err, size_t errlen);

#endif
