/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The live source's reader thread: it moves sub-buffers out of the
 * kernel's per-CPU ring buffers (trace_pipe_raw, page-sized reads) into
 * a ring of sub-buffers per CPU, apart from the thread that parses and
 * analyzes them, so that analysis never delays a read (as trace-cmd
 * record reads each CPU in a process of its own).
 *
 * Each CPU's ring has one producer (the reader thread) and one consumer
 * (the thread that calls rc_lring_snapshot() and rc_lring_page()). Pages
 * are numbered from 0 on; the consumer reads pages it was shown by a
 * snapshot and gives them back with rc_lring_done(). A ring that is full
 * is not read until the consumer gives pages back (the kernel's buffer
 * then fills and, if the consumer stays behind, loses events, which the
 * kernel counts and the pages say).
 *
 * The reader sleeps in poll() on every CPU's descriptor (the kernel wakes
 * it when a buffer is filled to its instance's buffer_percent) and on a
 * timeout of the poll interval; at a timeout it reads every CPU (partial
 * sub-buffers too), when woken only the CPUs that are ready.
 */
#ifndef RC_LIVE_READER_H
#define RC_LIVE_READER_H

#include <stddef.h>
#include <stdint.h>

struct tracefs_cpu;
struct rc_lreader;

/*
 * A reader of n CPUs: cpu i is read with tcpus[i] (non-blocking reads of
 * sub-buffers of size bytes), polled on fds[i], into a ring of cap
 * sub-buffers; at most pass_max sub-buffers of one CPU are read before
 * the next CPU's turn. poll_ns: the poll interval (at least 1 ms).
 * Returns NULL when out of memory. Not started.
 */
struct rc_lreader *rc_lreader_new(struct tracefs_cpu *const *tcpus, const int *fds,
				  int n, int size, size_t cap, size_t pass_max,
				  long poll_ns);

/* Start the thread (SIGINT, SIGTERM, SIGHUP, SIGCHLD blocked in it).
 * Returns 0, or an errno. */
int rc_lreader_start(struct rc_lreader *rd);

/*
 * Ask the reader to read every CPU until nothing is readable and then
 * stop (after tracing was turned off: the end of the stream). The
 * consumer goes on taking pages until rc_lreader_done().
 */
void rc_lreader_finish(struct rc_lreader *rd);

/* Whether the thread has stopped: after rc_lreader_finish() read
 * everything, or after a failed read (rc_lring_err()). A snapshot taken
 * after done is the last. */
int rc_lreader_done(struct rc_lreader *rd);

/* Wait until the reader made pages available since the last call, it is
 * done, or ns passed. */
void rc_lreader_wait(struct rc_lreader *rd, long ns);

/* Stop the thread (if started) and free everything. */
void rc_lreader_free(struct rc_lreader *rd);

/*
 * Consumer side. rc_lreader_snapshot() takes what the reader has read on
 * every CPU, a cut in which each CPU was read up to the same round. For
 * CPU i, rc_lring_snapshot() then gives the number of the page after the
 * last one of that cut (pages from the last rc_lring_done() up to it may
 * be read with rc_lring_page(); *base is the ring's base, to pass there).
 */
void rc_lreader_snapshot(struct rc_lreader *rd);
uint64_t rc_lring_snapshot(const struct rc_lreader *rd, int i, uint64_t *base);
const unsigned char *rc_lring_page(const struct rc_lreader *rd, int i, uint64_t base,
				   uint64_t k);
/* Pages before k are not needed any more. */
void rc_lring_done(struct rc_lreader *rd, int i, uint64_t k);
/* The errno of CPU i's failed read (not EAGAIN), 0 if none. */
int rc_lring_err(const struct rc_lreader *rd, int i);

#endif
