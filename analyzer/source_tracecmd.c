// SPDX-License-Identifier: GPL-2.0
/*
 * trace.dat input through libtracecmd: versions 6 and 7 (compressed
 * sections), the top buffer or a named instance (trace-cmd record -B NAME),
 * all CPUs merged in timestamp order by tracecmd_iterate_events().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <trace-cmd.h>

#include "decode.h"

/*
 * Exported by libtracecmd but declared only in its private header
 * (trace-cmd-private.h, stable since 2.x). Weak, so that a library without
 * them still links and loads: then the information is reported as unknown.
 */
extern const char *tracecmd_get_uname(struct tracecmd_input *handle) __attribute__((weak));
extern const char *tracecmd_get_trace_clock(struct tracecmd_input *handle) __attribute__((weak));
extern int tracecmd_cpus(struct tracecmd_input *handle) __attribute__((weak));
extern const char *tracecmd_get_cpustats(struct tracecmd_input *handle) __attribute__((weak));

/*
 * libtracecmd 3.1.6 leaks the trace clock name (its sscanf("%ms")) when a
 * v6 file carries the clock twice, as trace-cmd convert writes it. Tell
 * LeakSanitizer in the sanitized builds that this library leak is known
 * (nothing in this program uses "%ms"); no effect in other builds.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:isoc99_vsscanf\n";
}

static const unsigned char dat_magic[10] = {
	0x17, 0x08, 0x44, 't', 'r', 'a', 'c', 'i', 'n', 'g'
};

struct file_priv {
	struct tracecmd_input *top;	/* what tracecmd_open() returned */
	struct tracecmd_input *handle;	/* top, or the instance's handle */
	struct rc_cpu_drops *drops;	/* ring-buffer stats per CPU, or NULL */
	int ndrops;
	char instances[256];		/* top buffer read: the file's instances */
};

/*
 * Check the file ourselves first so that the common mistakes get a precise
 * message (libtracecmd only says that it failed). version gets the version
 * string of the header.
 */
static int precheck(const char *path, char *version, size_t vlen,
		    char *err, size_t errlen)
{
	unsigned char buf[sizeof(dat_magic) + 16];
	struct stat st;
	ssize_t n;
	size_t i;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
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
	return 0;
}

/*
 * libtracecmd 3.1.6 crashes (NULL dereference in tracecmd_close() on the
 * error path of tracecmd_open_fd()) on a trace.dat that is cut anywhere
 * after its headers, e.g. a copy that did not finish. Try the open in a
 * child first, so that such a file gets an error message, not a crash.
 * Returns 0 if the child opened the file.
 */
static int probe_open(const char *path)
{
	pid_t pid;
	int st;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return 0;	/* cannot probe: let the real open decide */
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		_exit(tracecmd_open(path, TRACECMD_FL_LOAD_NO_PLUGINS) ? 0 : 1);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 0;
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
};

static int iter_cb(struct tracecmd_input *handle, struct tep_record *rec,
		   int cpu, void *data)
{
	struct iter_ctx *ctx = data;

	(void)handle;
	(void)cpu;
	return rc_emit_record(&ctx->em, rec);
}

static int file_run(struct rc_source *src, rc_sink_fn sink, void *arg,
		    char *err, size_t errlen)
{
	struct file_priv *fp = src->priv;
	struct iter_ctx ctx;
	int ret;

	memset(&ctx, 0, sizeof(ctx));
	ctx.em.dec = src->dec;
	ctx.em.info = &src->info;
	ctx.em.sink = sink;
	ctx.em.arg = arg;
	ret = tracecmd_iterate_events(fp->handle, NULL, 0, iter_cb, &ctx);
	if (ret < 0 && !ctx.em.stopped) {
		rc_seterr(err, errlen, "error reading the trace data (truncated or corrupt file?)");
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
}

static void file_close(struct rc_source *src)
{
	struct file_priv *fp = src->priv;

	rc_decoder_free(src->dec);
	if (fp) {
		if (fp->handle && fp->handle != fp->top)
			tracecmd_close(fp->handle);
		if (fp->top)
			tracecmd_close(fp->top);
		free(fp->drops);
		free(fp);
	}
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
	char version[16];
	int ncpus = 0;

	if (!path || !*path)
		return rc_seterr(err, errlen, "no trace file given");
	if (instance && !*instance)
		return rc_seterr(err, errlen, "empty buffer instance name");
	if (precheck(path, version, sizeof(version), err, errlen) < 0)
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

	/* The library's own warnings would break the one-line error rule. */
	tracecmd_set_loglevel(TEP_LOG_NONE);
	tep_set_loglevel(TEP_LOG_NONE);

	if (probe_open(path) == 0)
		fp->top = tracecmd_open(path, TRACECMD_FL_LOAD_NO_PLUGINS);
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

	tep = tracecmd_get_tep(fp->handle);
	src->tep = tep;
	src->dec = rc_decoder_new(tep, err, errlen);
	if (!src->dec)
		goto fail;
	src->info.missing_events = rc_decoder_missing(src->dec);
	if (src->info.missing_events == RC_ABI_NEVENTS) {
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
