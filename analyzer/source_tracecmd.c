// SPDX-License-Identifier: GPL-2.0
/*
 * trace.dat input through libtracecmd: versions 6 and 7 (compressed
 * sections), the top buffer or a named instance (trace-cmd record -B NAME),
 * all CPUs merged in timestamp order (source_merge.h: in bounded memory
 * for compressed data, which libtracecmd 1.3.1 would otherwise keep).
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <trace-cmd.h>

#include "completeness.h"
#include "pageguard.h"
#include "source-local.h"
#include "source_merge.h"

/*
 * Exported by libtracecmd but declared only in its private header
 * (trace-cmd-private.h, stable since 2.x). Weak, so that a library without
 * them still links and loads: then the information is reported as unknown.
 */
extern const char *tracecmd_get_uname(struct tracecmd_input *handle) __attribute__((weak));
extern const char *tracecmd_get_trace_clock(struct tracecmd_input *handle) __attribute__((weak));
extern int tracecmd_cpus(struct tracecmd_input *handle) __attribute__((weak));
extern const char *tracecmd_get_cpustats(struct tracecmd_input *handle) __attribute__((weak));
extern off_t tracecmd_get_cpu_file_size(struct tracecmd_input *handle, int cpu) __attribute__((weak));
extern int tracecmd_get_file_compress_proto(struct tracecmd_input *handle, const char **name,
					    const char **version) __attribute__((weak));

static const unsigned char dat_magic[10] = {
	0x17, 0x08, 0x44, 't', 'r', 'a', 'c', 'i', 'n', 'g'
};

struct file_priv {
	struct tracecmd_input *top;	/* what tracecmd_open() returned */
	struct tracecmd_input *handle;	/* top, or the instance's handle */
	struct rc_cpu_drops *drops;	/* ring-buffer stats per CPU, or NULL */
	int ndrops;
	char instances[256];		/* top buffer read: the file's instances */
	struct rc_page_fmt fmt;		/* sub-buffer format of the file */
	struct rc_merge_opts merge;	/* how the records are read */
	char *path;
	char *instance;
};

/*
 * Check the file ourselves first so that the common mistakes get a precise
 * message (libtracecmd only says that it failed). version gets the version
 * string of the header.
 */
static int precheck(const char *path, char *version, size_t vlen,
		    struct rc_page_fmt *fmt, char *err, size_t errlen)
{
	unsigned char buf[sizeof(dat_magic) + 16];
	struct stat st;
	ssize_t n;
	size_t i;
	int fd;

	/* the type first: opening a FIFO without a writer would block */
	if (stat(path, &st) < 0) {
		rc_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		rc_seterr(err, errlen, "%s: is a directory, not a trace.dat file", path);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		rc_seterr(err, errlen, "%s: not a regular file (a trace.dat is read with seeks)", path);
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		rc_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		rc_seterr(err, errlen, "%s: is a directory, not a trace.dat file", path);
		return -1;
	}
	if (fstat(fd, &st) == 0 && !S_ISREG(st.st_mode)) {
		close(fd);
		rc_seterr(err, errlen, "%s: not a regular file (a trace.dat is read with seeks)", path);
		return -1;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0) {
		rc_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((size_t)n < sizeof(dat_magic) || memcmp(buf, dat_magic, sizeof(dat_magic))) {
		rc_seterr(err, errlen, "%s: not a trace-cmd trace.dat file", path);
		return -1;
	}
	if ((size_t)n < sizeof(buf)) {
		rc_seterr(err, errlen, "%s: truncated trace.dat file (%zd bytes)", path, n);
		return -1;
	}
	for (i = 0; i + sizeof(dat_magic) < (size_t)n && i + 1 < vlen; i++) {
		unsigned char c = buf[sizeof(dat_magic) + i];

		if (!c)
			break;
		if (c < '0' || c > '9') {
			rc_seterr(err, errlen, "%s: not a trace-cmd trace.dat file (bad version)", path);
			return -1;
		}
		version[i] = (char)c;
	}
	version[i] = '\0';
	if (!i) {
		rc_seterr(err, errlen, "%s: not a trace-cmd trace.dat file (no version)", path);
		return -1;
	}
	if (rc_page_fmt_from_dat(buf, (size_t)n, fmt) < 0) {
		rc_seterr(err, errlen,
			  "%s: cannot read trace.dat version %s (corrupt header: page size or long size)",
			  path, version);
		return -1;
	}
	return 0;
}

/* KVM_ROOTCHECK_OPEN_TIMEOUT: the probe's time limit in seconds (0: default) */
#define RC_OPEN_TIMEOUT_ENV "KVM_ROOTCHECK_OPEN_TIMEOUT"

/*
 * The probe's time limit: the environment's, else 60 s plus 1 s per MiB
 * of file (opening a compressed trace decompresses it: about 0.25 s per
 * MiB of zstd data here). -1 with err set for a bad variable.
 */
static long open_timeout(const char *path, char *err, size_t errlen)
{
	const char *s = getenv(RC_OPEN_TIMEOUT_ENV);
	struct stat st;
	char *end;
	long v;

	if (s && *s) {
		errno = 0;
		v = strtol(s, &end, 10);
		if (errno || *end || v < 1 || v > 86400 || s[0] < '0' || s[0] > '9') {
			rc_seterr(err, errlen, "%s='%s' is not a number of seconds from 1 to 86400",
				  RC_OPEN_TIMEOUT_ENV, s);
			return -1;
		}
		return v;
	}
	v = 60;
	if (stat(path, &st) == 0 && st.st_size > 0)
		v += (long)(st.st_size >> 20);
	return v;
}

/*
 * Present only when a sanitizer runtime is linked (the test and fuzz
 * builds): libFuzzer registers a death callback that saves the current
 * input as a crash, and a forked child inherits it.
 */
void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

/*
 * The probe child runs library code on an untrusted file: whatever the
 * parent installed (a fuzzer's or a sanitizer's crash handler or death
 * callback, an ignored or blocked signal) must not decide how it ends: a
 * library crash in the child is contained and reported by the parent.
 * Default dispositions, nothing blocked, no core file, no death callback.
 */
static void probe_child_reset(void)
{
	struct rlimit no_core = { 0, 0 };
	struct sigaction sa;
	sigset_t none;

	if (__sanitizer_set_death_callback)
		__sanitizer_set_death_callback(NULL);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &sa, NULL);	/* EINVAL on the reserved ones */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setrlimit(RLIMIT_CORE, &no_core);
}

/*
 * libtracecmd 1.3.1 (trace-cmd 3.1.6) crashes (NULL dereference in tracecmd_close() on the
 * error path of tracecmd_open_fd()) on a trace.dat that is cut anywhere
 * after its headers, e.g. a copy that did not finish. Try the open in a
 * child first, so that such a file gets an error message, not a crash;
 * a child still running after the time limit is killed. The limit counts
 * the time this process ran, not the time it was stopped.
 * Returns 0 if the child opened the file, -1 if it did not, -2 with err
 * set if it ran out of memory (exit 3), was killed at the time limit or
 * the limit is not valid.
 */
static int probe_open(const char *path, char *err, size_t errlen)
{
	long limit = open_timeout(path, err, errlen);
	struct timespec last, now, nap = { 0, 1000000 };
	long long waited = 0;
	pid_t pid, w;
	int st;

	if (limit < 0)
		return -2;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return 0;	/* cannot probe: let the real open decide */
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		probe_child_reset();
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		errno = 0;
		if (tracecmd_open(path, TRACECMD_FL_LOAD_NO_PLUGINS))
			_exit(0);
		_exit(errno == ENOMEM ? 3 : 1);
	}
	clock_gettime(CLOCK_MONOTONIC, &last);
	while ((w = waitpid(pid, &st, WNOHANG)) == 0 || (w < 0 && errno == EINTR)) {
		long long gap;

		clock_gettime(CLOCK_MONOTONIC, &now);
		gap = (now.tv_sec - last.tv_sec) * 1000000000LL + (now.tv_nsec - last.tv_nsec);
		last = now;
		/*
		 * Only time this process ran counts: a gap between two checks
		 * of more than a second beyond the nap is a stop (SIGSTOP,
		 * Ctrl-Z, a job controller), in which the child was stopped
		 * too, or a starved scheduler; not the library hanging.
		 */
		waited += gap > nap.tv_nsec + 1000000000LL ? nap.tv_nsec : gap;
		if (waited >= limit * 1000000000LL) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
			rc_seterr(err, errlen,
				  "%s: opening the trace did not finish in %ld s (the library hangs on it, or set %s)",
				  path, limit, RC_OPEN_TIMEOUT_ENV);
			return -2;
		}
		nanosleep(&nap, NULL);
		if (nap.tv_nsec < 50000000)
			nap.tv_nsec *= 2;	/* 1 ms, 2 ms, ... up to 64 ms */
	}
	if (w < 0)
		return 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 3) {
		rc_seterr(err, errlen, "%s: out of memory opening the trace", path);
		return -2;
	}
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* "Linux host 6.12.117 #1 SMP ... x86_64" -> "6.12.117"; a bare release stays. */
static void set_kernel(struct rc_trace_info *info, const char *uname)
{
	char tok[3][128];
	int n = 0;
	const char *p = uname;

	info->kernel[0] = '\0';
	if (!uname)
		return;
	while (*p && n < 3) {
		size_t len;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		len = strcspn(p, " \t\n");
		if (!len)
			break;
		snprintf(tok[n], sizeof(tok[n]), "%.*s", (int)len, p);
		n++;
		p += len;
	}
	if (n >= 3)
		snprintf(info->kernel, sizeof(info->kernel), "%s", tok[2]);
	else if (n >= 1)
		snprintf(info->kernel, sizeof(info->kernel), "%s", tok[n - 1]);
}

static void list_instances(struct tracecmd_input *top, char *buf, size_t len)
{
	size_t used = 0;
	int n = tracecmd_buffer_instances(top);

	buf[0] = '\0';
	for (int i = 0; i < n && used < len; i++) {
		const char *name = tracecmd_buffer_instance_name(top, i);
		int w;

		if (!name)
			continue;
		w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", name);
		if (w > 0)
			used += (size_t)w;
	}
}

static struct tracecmd_input *find_instance(struct tracecmd_input *top,
					    const char *path, const char *name,
					    char *err, size_t errlen)
{
	struct tracecmd_input *h;
	char have[256];
	int n = tracecmd_buffer_instances(top);

	for (int i = 0; i < n; i++) {
		const char *iname = tracecmd_buffer_instance_name(top, i);

		if (iname && !strcmp(iname, name)) {
			h = tracecmd_buffer_instance_handle(top, i);
			if (!h)
				rc_seterr(err, errlen, "%s: cannot read buffer instance '%s'",
					  path, name);
			return h;
		}
	}
	list_instances(top, have, sizeof(have));
	if (n <= 0)
		rc_seterr(err, errlen, "%s: no buffer instance '%s' (the trace has no instances)",
			  path, name);
	else
		rc_seterr(err, errlen, "%s: no buffer instance '%s' (instances: %s)",
			  path, name, have);
	return NULL;
}

struct iter_ctx {
	struct rc_emitter em;
	uint64_t *per_cpu;		/* records read per CPU index */
	struct rc_page_stats *pages;	/* pages loaded per CPU index */
	int ncpu;
};

static int iter_cb(struct tep_record *rec, int cpu, void *data)
{
	struct iter_ctx *ctx = data;

	if (cpu >= 0 && cpu < ctx->ncpu)
		ctx->per_cpu[cpu]++;
	return rc_emit_record(&ctx->em, rec);
}

/* "entries: N" of each CPU's stats: what was still in its buffer at the end. */
static void stats_entries(const char *text, int64_t *entries, int n)
{
	int cpu = -1;

	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');

		while (*p == ' ' || *p == '\t')
			p++;
		if (!strncmp(p, "CPU:", 4))
			cpu = atoi(p + 4);
		else if (!strncmp(p, "entries:", 8) && cpu >= 0 && cpu < n)
			entries[cpu] = strtoll(p + 8, NULL, 10);
		p = nl ? nl + 1 : NULL;
	}
}

/*
 * Compare what was read per CPU with what the file says (completeness.h).
 * Each incomplete CPU gets a lost-events report of unknown count at the
 * end (the roots it may affect are unverified) and a line in info.
 * Returns -1 with a message if nothing at all could be read.
 */
static int check_complete(struct rc_source *src, struct file_priv *fp,
			  struct iter_ctx *ctx, char *err, size_t errlen)
{
	struct rc_trace_info *in = &src->info;
	const char *stats = tracecmd_get_cpustats ? tracecmd_get_cpustats(fp->handle) : NULL;
	struct rc_cpu_read *c;
	int64_t *entries;
	int n = ctx->ncpu, bad, ret = 0;

	if (!n || !tracecmd_get_cpu_file_size || !tracecmd_record_kbuf)
		return 0;
	c = calloc((size_t)n, sizeof(*c));
	entries = calloc((size_t)n, sizeof(*entries));
	if (!c || !entries) {
		free(c);
		free(entries);
		rc_seterr(err, errlen, "out of memory");
		return -1;
	}
	for (int i = 0; i < n; i++)
		entries[i] = -1;
	/* the top buffer's stats only: an instance's are not told apart */
	if (stats && fp->handle == fp->top)
		stats_entries(stats, entries, n);
	for (int i = 0; i < n; i++) {
		const struct rc_page_stats ps = ctx->pages[i];
		off_t size = tracecmd_get_cpu_file_size(fp->handle, i);

		c[i].cpu = i;
		c[i].bytes = size > 0 ? (uint64_t)size : 0;
		c[i].entries = entries[i];
		c[i].pages_loaded = ps.loads;
		c[i].pages_damaged = ps.damaged;
		c[i].records_in_pages = ps.records;
		c[i].records_read = ctx->per_cpu[i];
	}
	bad = rc_completeness_judge(c, n, fp->fmt.page_size);
	for (int i = 0; i < n; i++) {
		in->pages_expected += c[i].pages_expected;
		if (!c[i].incomplete)
			continue;
		in->pages_unread += c[i].pages_unread;
		in->pages_damaged += c[i].pages_damaged;
		in->records_missing += c[i].records_missing;
		if (in->cpus_incomplete++ == 0)
			rc_completeness_line(&c[i], in->incomplete_detail,
					     sizeof(in->incomplete_detail));
	}
	if (bad && !in->records_read) {
		rc_seterr(err, errlen,
			  "no record could be read (%llu pages of data, %llu damaged): corrupt trace data",
			  in->pages_expected, in->pages_damaged);
		ret = -1;
	} else {
		for (int i = 0; i < n && !ctx->em.stopped; i++)
			if (c[i].incomplete)
				rc_emit_lost(&ctx->em, i, ctx->em.last_ts, -1);
	}
	free(c);
	free(entries);
	return ret;
}

static int file_run(struct rc_source *src, rc_sink_fn sink, void *arg,
		    char *err, size_t errlen)
{
	struct file_priv *fp = src->priv;
	struct rc_merge_out mo;
	struct iter_ctx ctx;
	size_t n;
	int ret;

	memset(&ctx, 0, sizeof(ctx));
	memset(&mo, 0, sizeof(mo));
	ctx.ncpu = tracecmd_cpus ? tracecmd_cpus(fp->handle) : 0;
	if (ctx.ncpu < 0 || ctx.ncpu > RC_MAX_CPUS)
		ctx.ncpu = 0;
	n = (size_t)(ctx.ncpu ? ctx.ncpu : 1);
	ctx.per_cpu = calloc(n, sizeof(*ctx.per_cpu));
	ctx.pages = calloc(n, sizeof(*ctx.pages));
	if (!ctx.per_cpu || !ctx.pages) {
		free(ctx.per_cpu);
		free(ctx.pages);
		rc_seterr(err, errlen, "out of memory");
		return -1;
	}
	ctx.em.dec = src->dec;
	ctx.em.info = &src->info;
	ctx.em.sink = sink;
	ctx.em.arg = arg;
	mo.pages = ctx.pages;
	ret = rc_merge_read(fp->handle, ctx.ncpu, &fp->merge, iter_cb, &ctx, &mo, err, errlen);
	if (ret < 0 && !ctx.em.stopped)
		goto fail;
	if (!ctx.em.stopped && check_complete(src, fp, &ctx, err, errlen) < 0)
		goto fail;
	free(ctx.per_cpu);
	free(ctx.pages);
	/*
	 * The library stops reading a CPU without a word when an allocation
	 * fails (a page or a decompressed chunk): that is no damage of the
	 * file but the analyzer's own failure, an input error.
	 */
	if (!ctx.em.stopped && src->info.cpus_incomplete && mo.read_errno == ENOMEM) {
		rc_seterr(err, errlen, "out of memory reading the trace data (%llu of %llu pages not read)",
			  src->info.pages_unread, src->info.pages_expected);
		return -1;
	}
	if (fp->drops && !ctx.em.stopped)
		rc_emit_unmarked_drops(&ctx.em, fp->drops, fp->ndrops);
	/* trace-cmd record -B NAME alone leaves the top buffer empty */
	if (!src->info.records_read && fp->instances[0]) {
		rc_seterr(err, errlen,
			  "the top buffer of the trace is empty; it has buffer instances: %s (use -B NAME)",
			  fp->instances);
		return -1;
	}
	return 0;
fail:
	free(ctx.per_cpu);
	free(ctx.pages);
	return -1;
}

/*
 * How the records are read (source_merge.h): a compressed file through a
 * new handle every RC_SEGMENT_PAGES pages or 1/RC_SEGMENT_SHARE of the
 * file's pages, whichever is more; unless the environment says otherwise.
 * Pages are walked unless the clock is a TSC: the library may convert its
 * counts to ns (the TSC2NSEC option), which is no constant offset.
 */
static int set_merge(struct file_priv *fp, const char *version, char *err, size_t errlen)
{
	const char *clock = tracecmd_get_trace_clock ? tracecmd_get_trace_clock(fp->handle) : NULL;
	const char *name = NULL, *ver = NULL;
	uint64_t pages = 0;
	int compressed, n;

	if (tracecmd_get_file_compress_proto)
		compressed = !tracecmd_get_file_compress_proto(fp->top, &name, &ver) &&
			     name && strcmp(name, "none");
	else
		compressed = atoi(version) >= 7;
	n = tracecmd_cpus ? tracecmd_cpus(fp->handle) : 0;
	for (int c = 0; c < n && tracecmd_get_cpu_file_size && fp->fmt.page_size; c++) {
		off_t size = tracecmd_get_cpu_file_size(fp->handle, c);

		if (size > 0)
			pages += (uint64_t)size / fp->fmt.page_size;
	}
	fp->merge.path = fp->path;
	fp->merge.instance = fp->instance;
	fp->merge.page_size = fp->fmt.page_size;
	fp->merge.seg_pages = 0;
	if (compressed)
		fp->merge.seg_pages = pages / RC_SEGMENT_SHARE > RC_SEGMENT_PAGES ?
				      pages / RC_SEGMENT_SHARE : RC_SEGMENT_PAGES;
	fp->merge.walk = !(clock && strstr(clock, "tsc"));
	if (rc_merge_walk_env(&fp->merge.walk, err, errlen) < 0)
		return -1;
	return rc_merge_env(&fp->merge.seg_pages, err, errlen);
}

static void file_close(struct rc_source *src)
{
	struct file_priv *fp = src->priv;

	rc_decoder_free(src->dec);
	if (fp) {
		if (fp->handle && fp->handle != fp->top)
			tracecmd_close(fp->handle);
		if (fp->top)
			rc_merge_close(fp->top);
		free(fp->drops);
		free(fp->path);
		free(fp->instance);
		free(fp);
	}
	rc_pageguard_end();
	free(src);
}

static const struct rc_source_ops file_ops = {
	.run = file_run,
	.close = file_close,
};

struct rc_source *rc_source_open_file(const char *path, const char *instance,
				      char *err, size_t errlen)
{
	struct rc_source *src;
	struct file_priv *fp;
	struct tep_handle *tep;
	struct rc_page_fmt fmt;
	char version[16];
	int ncpus = 0, probe;

	if (!path || !*path)
		return rc_seterr(err, errlen, "no trace file given");
	if (instance && !*instance)
		return rc_seterr(err, errlen, "empty buffer instance name");
	if (precheck(path, version, sizeof(version), &fmt, err, errlen) < 0)
		return NULL;

	src = calloc(1, sizeof(*src));
	fp = calloc(1, sizeof(*fp));
	if (!src || !fp) {
		free(src);
		free(fp);
		return rc_seterr(err, errlen, "out of memory");
	}
	src->ops = &file_ops;
	src->priv = fp;
	src->cmd_status = -1;
	fp->fmt = fmt;
	fp->path = strdup(path);
	fp->instance = instance ? strdup(instance) : NULL;
	if (!fp->path || (instance && !fp->instance)) {
		file_close(src);
		return rc_seterr(err, errlen, "out of memory");
	}
	/* every page the library loads from here on is checked first */
	rc_pageguard_begin(&fmt);

	/* The library's own warnings would break the one-line error rule. */
	tracecmd_set_loglevel(TEP_LOG_NONE);
	tep_set_loglevel(TEP_LOG_NONE);

	probe = probe_open(path, err, errlen);
	if (probe == -2)
		goto fail;	/* out of memory or timed out, message set */
	if (probe == 0)
		fp->top = rc_merge_open(path, &fp->merge.open_bytes);
	if (!fp->top) {
		rc_seterr(err, errlen,
			  "%s: cannot read trace.dat version %s (truncated, corrupt or unsupported file)",
			  path, version);
		goto fail;
	}
	if (instance) {
		fp->handle = find_instance(fp->top, path, instance, err, errlen);
		if (!fp->handle)
			goto fail;
	} else {
		fp->handle = fp->top;
		list_instances(fp->top, fp->instances, sizeof(fp->instances));
	}

	if (set_merge(fp, version, err, errlen) < 0)
		goto fail;

	tep = tracecmd_get_tep(fp->handle);
	src->tep = tep;
	src->dec = rc_decoder_new(tep, err, errlen);
	if (!src->dec)
		goto fail;
	rc_source_note_missing(src);
	src->info.abi = rc_decoder_abi(src->dec);
	if (src->info.missing_events == rc_ev_abi_count()) {
		rc_seterr(err, errlen,
			  "%s: trace has no kvmmmu root events (kernel lacks the kvm-rootcheck patches?)",
			  path);
		goto fail;
	}

	if (tracecmd_get_uname)
		set_kernel(&src->info, tracecmd_get_uname(fp->handle));
	if (tracecmd_cpus)
		ncpus = tracecmd_cpus(fp->handle);
	if (ncpus <= 0)
		ncpus = tep_get_cpus(tep);
	src->info.ncpus = ncpus > 0 ? ncpus : 0;
	rc_set_clock(&src->info,
		     tracecmd_get_trace_clock ? tracecmd_get_trace_clock(fp->handle) : NULL);

	/* trace-cmd record stores the ring buffer's statistics per CPU */
	if (tracecmd_get_cpustats && src->info.ncpus > 0) {
		const char *stats = tracecmd_get_cpustats(fp->handle);

		if (stats) {
			fp->ndrops = src->info.ncpus;
			fp->drops = calloc((size_t)fp->ndrops, sizeof(*fp->drops));
			if (!fp->drops) {
				rc_seterr(err, errlen, "out of memory");
				goto fail;
			}
			rc_parse_cpustats(stats, fp->drops, fp->ndrops, -1);
		}
	}
	return src;

fail:
	file_close(src);
	return NULL;
}
