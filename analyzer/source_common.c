// SPDX-License-Identifier: GPL-2.0
/*
 * The parts of source.h that do not depend on the kind of source: run and
 * close dispatch, metadata, symbols and task names (both kinds keep a
 * tep_handle with the kallsyms and saved cmdlines of the traced kernel),
 * and the input layer's error helper and clock table (source-local.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <kbuffer.h>

#include "source-local.h"

void *rc_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return NULL;
}

void rc_set_clock(struct rc_trace_info *info, const char *clock)
{
	static const char *const reliable[] = {
		"global", "mono", "mono_raw", "boot", "x86-tsc", "counter", "tai",
	};

	snprintf(info->clock, sizeof(info->clock), "%s", clock ? clock : "");
	info->clock_reliable = 0;
	for (size_t i = 0; i < sizeof(reliable) / sizeof(reliable[0]); i++)
		if (!strcmp(info->clock, reliable[i]))
			info->clock_reliable = 1;
}


int rc_source_shift_clocks(struct rc_source *src, const uint64_t *sub, int n)
{
	uint64_t *s;

	if (!src || src->live || src->ran || n <= 0 || n > RC_MAX_CPUS)
		return -1;
	s = malloc((size_t)n * sizeof(*s));
	if (!s)
		return -1;
	memcpy(s, sub, (size_t)n * sizeof(*s));
	free(src->shift);
	src->shift = s;
	src->nshift = n;
	return 0;
}

struct shifter {
	const struct rc_source *src;
	struct rc_reorder *ro;
};

/* Shift one event's clock and let the reorder buffer merge it again. */
static int shift_sink(const struct rc_event *ev, void *arg)
{
	struct shifter *sh = arg;
	struct rc_event e = *ev;

	if (e.cpu >= 0 && e.cpu < sh->src->nshift)
		e.ts = e.ts > sh->src->shift[e.cpu] ? e.ts - sh->src->shift[e.cpu] : 0;
	if (rc_reorder_push(&e, sh->ro))
		return 1;
	return rc_reorder_release(sh->ro, 0);
}

int rc_source_run(struct rc_source *src, rc_sink_fn sink, void *arg,
		  char *err, size_t errlen)
{
	struct shifter sh = { .src = src };
	uint64_t most = 0;
	int ret;

	if (!src || !sink) {
		rc_seterr(err, errlen, "internal error: no source or sink");
		return -1;
	}
	if (src->ran) {
		rc_seterr(err, errlen, "internal error: the source was already run");
		return -1;
	}
	src->ran = 1;
	if (!src->nshift)
		return src->ops->run(src, sink, arg, err, errlen);
	/*
	 * Each CPU's events stay in their order; an event waits until every
	 * CPU has passed its shifted time, or the stream is the largest
	 * shift past it.
	 */
	for (int c = 0; c < src->nshift; c++)
		if (src->shift[c] > most)
			most = src->shift[c];
	sh.ro = rc_reorder_new(sink, arg, src->info.ncpus > src->nshift ?
			       src->info.ncpus : src->nshift, most + 1, (size_t)1 << 22);
	if (!sh.ro) {
		rc_seterr(err, errlen, "out of memory");
		return -1;
	}
	ret = src->ops->run(src, shift_sink, &sh, err, errlen);
	if (!ret)
		rc_reorder_release(sh.ro, 1);
	rc_reorder_free(sh.ro);
	return ret;
}

const struct rc_trace_info *rc_source_info(const struct rc_source *src)
{
	return &src->info;
}

int rc_trace_complete_events(const struct rc_trace_info *info)
{
	return info && info->missing_names[0] ? -1 : 0;
}

/*
 * Which root events the trace was recorded without (trace-cmd record -e
 * of only some of them): their formats are absent. Rules need them, so the
 * report gives no verdict then (report.c).
 */
void rc_source_note_missing(struct rc_source *src)
{
	struct rc_trace_info *in = &src->info;
	size_t off = 0;

	in->missing_events = rc_decoder_missing(src->dec);
	in->missing_names[0] = '\0';
	for (int t = RC_EV_ROOT_ALLOC; t < RC_EV_LOST; t++) {
		int w;

		if (!in->missing_events || !rc_events[t].abi ||
		    rc_decoder_has(src->dec, (enum rc_ev_type)t))
			continue;
		w = snprintf(in->missing_names + off, sizeof(in->missing_names) - off,
			     "%s%s", off ? ", " : "", rc_ev_name((enum rc_ev_type)t));
		if (w < 0 || off + (size_t)w >= sizeof(in->missing_names))
			break;
		off += (size_t)w;
	}
}

const char *rc_source_sym(const struct rc_source *src, unsigned long long addr,
			  char *buf, size_t len)
{
	const char *name = NULL;
	unsigned long long start;

	if (!buf || !len)
		return buf;
	if (src && src->tep && addr)
		name = tep_find_function(src->tep, addr);
	if (name) {
		start = tep_find_function_address(src->tep, addr);
		if (start <= addr) {
			snprintf(buf, len, "%s+0x%llx", name, addr - start);
			return buf;
		}
	}
	snprintf(buf, len, "0x%llx", addr);
	return buf;
}

const char *rc_source_comm(const struct rc_source *src, int pid)
{
	if (!src || !src->tep || pid < 0)
		return "<...>";
	return tep_data_comm_from_pid(src->tep, pid);
}

int rc_source_cmd_status(const struct rc_source *src)
{
	return src ? src->cmd_status : -1;
}

int rc_source_cmd_signal(const struct rc_source *src)
{
	return src ? src->cmd_signal : 0;
}

int rc_env_u64(const char *name, uint64_t max, const char *what, uint64_t *out,
	       char *err, size_t errlen)
{
	const char *s = getenv(name);
	unsigned long long v;
	char *end;

	if (!s || !*s)
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || s[0] < '0' || s[0] > '9' || v > max) {
		rc_seterr(err, errlen, "%s='%s' is not %s", name, s, what);
		return -1;
	}
	*out = v;
	return 1;
}

void rc_source_close(struct rc_source *src)
{
	if (!src)
		return;
	free(src->shift);
	src->shift = NULL;
	src->ops->close(src);
}

int rc_kbuf_take(struct kbuffer *kb, int cpu, struct tep_record *rec)
{
	unsigned long long ts;
	void *data = kbuffer_read_event(kb, &ts);

	if (!data)
		return 0;
	memset(rec, 0, sizeof(*rec));
	rec->ts = ts;
	rec->data = data;
	rec->size = kbuffer_event_size(kb);
	rec->record_size = kbuffer_curr_size(kb);
	/* non-zero only at the first event of a page */
	rec->missed_events = kbuffer_missed_events(kb);
	rec->cpu = cpu;
	rec->ref_count = 1;
	kbuffer_next_event(kb, NULL);
	return 1;
}
