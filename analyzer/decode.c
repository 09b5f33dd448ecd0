// SPDX-License-Identifier: GPL-2.0
/*
 * Decoding of kvmmmu root-lifecycle records (docs/events.md) into struct
 * rc_event, and the emitter that numbers them and reports lost events.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

#define KVMMMU "kvmmmu"

enum fld {
	F_KVM, F_ROOT, F_ROLE, F_COUNT, F_AS_ID, F_LEVEL, F_CALLER, F_OLD,
	F_OWNER, F_REASON, F_CTX, F_SHARED, F__N
};

static const char *const fld_names[F__N] = {
	[F_KVM] = "kvm", [F_ROOT] = "root", [F_ROLE] = "role",
	[F_COUNT] = "count", [F_AS_ID] = "as_id", [F_LEVEL] = "level",
	[F_CALLER] = "caller", [F_OLD] = "old", [F_OWNER] = "owner",
	[F_REASON] = "reason", [F_CTX] = "ctx", [F_SHARED] = "shared",
};

#define B(f) (1u << (f))

struct ev_spec {
	const char *name;
	enum rc_ev_type type;
	unsigned int fields;	/* bitmask of enum fld */
	int abi;		/* one of the nine root events */
};

static const struct ev_spec specs[] = {
	{ "kvm_tdp_mmu_root_alloc", RC_EV_ROOT_ALLOC,
	  B(F_KVM) | B(F_ROOT) | B(F_ROLE) | B(F_COUNT) | B(F_AS_ID) | B(F_LEVEL), 1 },
	{ "kvm_tdp_mmu_root_get", RC_EV_ROOT_GET,
	  B(F_KVM) | B(F_ROOT) | B(F_CALLER) | B(F_OLD) | B(F_OWNER), 1 },
	{ "kvm_tdp_mmu_root_put", RC_EV_ROOT_PUT,
	  B(F_KVM) | B(F_ROOT) | B(F_CALLER) | B(F_OLD) | B(F_OWNER), 1 },
	{ "kvm_tdp_mmu_root_invalidate", RC_EV_ROOT_INVALIDATE,
	  B(F_KVM) | B(F_ROOT) | B(F_COUNT) | B(F_REASON), 1 },
	{ "kvm_tdp_mmu_root_zap_start", RC_EV_ROOT_ZAP_START,
	  B(F_KVM) | B(F_ROOT) | B(F_CTX) | B(F_SHARED), 1 },
	{ "kvm_tdp_mmu_root_zap_end", RC_EV_ROOT_ZAP_END,
	  B(F_KVM) | B(F_ROOT) | B(F_CTX), 1 },
	{ "kvm_tdp_mmu_root_free", RC_EV_ROOT_FREE, B(F_KVM) | B(F_ROOT), 1 },
	{ "kvm_mmu_zap_all_fast_done", RC_EV_FAST_ZAP_DONE, B(F_KVM), 1 },
	{ "kvm_tdp_mmu_teardown", RC_EV_TEARDOWN, B(F_KVM), 1 },
	/* The existing tracepoint at the start of the fast zap: no kvm field. */
	{ "kvm_mmu_zap_all_fast", RC_EV_FAST_ZAP_START, 0, 0 },
};

#define NSPECS ((int)(sizeof(specs) / sizeof(specs[0])))

struct dec_field {
	struct tep_format_field *field;
	enum fld slot;
};

struct dec_event {
	int present;
	int id;
	unsigned int nfields;
	struct dec_field f[F__N];
	unsigned int min_size;	/* bytes a record must have to hold the fields */
};

struct rc_decoder {
	struct tep_handle *tep;
	struct dec_event ev[NSPECS];
	int missing;
	int max_id;		/* by_id has max_id + 1 entries */
	signed char *by_id;	/* event id -> index into specs, -1 if not ours */
};

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

const char *rc_decoder_event_name(enum rc_ev_type t)
{
	for (int i = 0; i < NSPECS; i++)
		if (specs[i].type == t)
			return specs[i].name;
	return NULL;
}

static int cache_event(struct rc_decoder *d, int i, char *err, size_t errlen)
{
	const struct ev_spec *s = &specs[i];
	struct dec_event *de = &d->ev[i];
	struct tep_event *e;

	e = tep_find_event_by_name(d->tep, KVMMMU, s->name);
	if (!e) {
		if (s->abi)
			d->missing++;
		return 0;
	}
	if (e->id < 0 || e->id > 65535) {
		rc_seterr(err, errlen, "kvmmmu/%s has an invalid event id %d",
			  s->name, e->id);
		return -1;
	}
	de->present = 1;
	de->id = e->id;
	for (int f = 0; f < F__N; f++) {
		struct tep_format_field *ff;
		unsigned int end;

		if (!(s->fields & B(f)))
			continue;
		ff = tep_find_field(e, fld_names[f]);
		if (!ff) {
			rc_seterr(err, errlen,
				  "kvmmmu/%s has no field '%s': the kernel's events do not match docs/events.md",
				  s->name, fld_names[f]);
			return -1;
		}
		if ((ff->flags & (TEP_FIELD_IS_ARRAY | TEP_FIELD_IS_DYNAMIC |
				  TEP_FIELD_IS_STRING | TEP_FIELD_IS_RELATIVE)) ||
		    (ff->size != 1 && ff->size != 2 && ff->size != 4 && ff->size != 8) ||
		    ff->offset < 0) {
			rc_seterr(err, errlen,
				  "kvmmmu/%s field '%s' is not a 1, 2, 4 or 8 byte number (size %d): the kernel's events do not match docs/events.md",
				  s->name, fld_names[f], ff->size);
			return -1;
		}
		de->f[de->nfields].field = ff;
		de->f[de->nfields].slot = (enum fld)f;
		de->nfields++;
		end = (unsigned int)ff->offset + (unsigned int)ff->size;
		if (end > de->min_size)
			de->min_size = end;
	}
	if (de->id > d->max_id)
		d->max_id = de->id;
	return 0;
}

struct rc_decoder *rc_decoder_new(struct tep_handle *tep, char *err, size_t errlen)
{
	struct rc_decoder *d;

	if (!tep)
		return rc_seterr(err, errlen, "no event formats");
	d = calloc(1, sizeof(*d));
	if (!d)
		return rc_seterr(err, errlen, "out of memory");
	d->tep = tep;
	d->max_id = -1;
	for (int i = 0; i < NSPECS; i++) {
		if (cache_event(d, i, err, errlen) < 0) {
			free(d);
			return NULL;
		}
	}
	if (d->max_id >= 0) {
		d->by_id = malloc((size_t)d->max_id + 1);
		if (!d->by_id) {
			free(d);
			return rc_seterr(err, errlen, "out of memory");
		}
		memset(d->by_id, -1, (size_t)d->max_id + 1);
		for (int i = 0; i < NSPECS; i++) {
			if (!d->ev[i].present)
				continue;
			if (d->by_id[d->ev[i].id] >= 0) {
				rc_seterr(err, errlen,
					  "kvmmmu/%s and kvmmmu/%s share event id %d",
					  specs[d->by_id[d->ev[i].id]].name,
					  specs[i].name, d->ev[i].id);
				rc_decoder_free(d);
				return NULL;
			}
			d->by_id[d->ev[i].id] = (signed char)i;
		}
	}
	return d;
}

void rc_decoder_free(struct rc_decoder *d)
{
	if (!d)
		return;
	free(d->by_id);
	free(d);
}

int rc_decoder_missing(const struct rc_decoder *d)
{
	return d->missing;
}

int rc_decoder_has(const struct rc_decoder *d, enum rc_ev_type t)
{
	for (int i = 0; i < NSPECS; i++)
		if (specs[i].type == t)
			return d->ev[i].present;
	return 0;
}

int rc_decode(const struct rc_decoder *d, struct tep_record *rec, struct rc_event *ev)
{
	unsigned long long v[F__N] = { 0 };
	const struct dec_event *de;
	int id, i;

	if (!rec->data || rec->size < 2)
		return 0;
	id = tep_data_type(d->tep, rec);
	if (id < 0 || id > d->max_id || d->by_id[id] < 0)
		return 0;
	i = d->by_id[id];
	de = &d->ev[i];
	if ((unsigned int)rec->size < de->min_size)
		return -1;
	for (unsigned int k = 0; k < de->nfields; k++)
		tep_read_number_field(de->f[k].field, rec->data, &v[de->f[k].slot]);

	memset(ev, 0, sizeof(*ev));
	ev->type = specs[i].type;
	ev->ts = rec->ts;
	ev->cpu = rec->cpu;
	ev->pid = tep_data_pid(d->tep, rec);
	ev->kvm = v[F_KVM];
	ev->root = v[F_ROOT];
	ev->caller = v[F_CALLER];
	ev->old = (uint32_t)v[F_OLD];
	ev->count = (uint32_t)v[F_COUNT];
	ev->role = (uint32_t)v[F_ROLE];
	ev->as_id = (uint8_t)v[F_AS_ID];
	ev->level = (uint8_t)v[F_LEVEL];
	ev->owner = (uint8_t)v[F_OWNER];
	ev->reason = (uint8_t)v[F_REASON];
	ev->ctx = (uint8_t)v[F_CTX];
	ev->shared = (uint8_t)v[F_SHARED];
	return 1;
}

static int deliver(struct rc_emitter *em, struct rc_event *ev)
{
	ev->seq = em->seq++;
	if (em->sink(ev, em->arg))
		em->stopped = 1;
	return em->stopped;
}

int rc_emit_lost(struct rc_emitter *em, int cpu, uint64_t ts, long long n)
{
	struct rc_event ev;

	if (em->stopped)
		return 1;
	memset(&ev, 0, sizeof(ev));
	ev.type = RC_EV_LOST;
	ev.ts = ts;
	ev.cpu = cpu;
	ev.pid = -1;
	if (n > 0) {
		ev.lost = n;
		em->info->lost_events += (unsigned long long)n;
	} else {
		ev.lost = -1;
		em->info->lost_unknown = 1;
	}
	return deliver(em, &ev);
}

int rc_emitter_missed_seen(const struct rc_emitter *em, int cpu)
{
	if (cpu < 0 || cpu >= RC_MAX_CPUS)
		return 0;
	return !!(em->missed_seen[cpu / 64] & (1ull << (cpu % 64)));
}

int rc_emit_record(struct rc_emitter *em, struct tep_record *rec)
{
	struct rc_event ev;
	int r;

	if (em->stopped)
		return 1;
	em->info->records_read++;
	em->last_ts = rec->ts;
	if (rec->missed_events) {
		if (rec->cpu >= 0 && rec->cpu < RC_MAX_CPUS)
			em->missed_seen[rec->cpu / 64] |= 1ull << (rec->cpu % 64);
		if (rc_emit_lost(em, rec->cpu, rec->ts, rec->missed_events))
			return 1;
	}
	r = rc_decode(em->dec, rec, &ev);
	if (r == 0)
		return 0;
	if (r < 0)
		return rc_emit_lost(em, rec->cpu, rec->ts, -1);
	em->info->events_read++;
	return deliver(em, &ev);
}

static int stat_line(const char *line, const char *key, unsigned long long *v)
{
	size_t k = strlen(key);

	if (strncmp(line, key, k))
		return 0;
	*v += strtoull(line + k, NULL, 10);
	return 1;
}

int rc_parse_cpustats(const char *text, struct rc_cpu_drops *drops, int n, int cpu)
{
	const char *p = text;
	int found = 0;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		struct rc_cpu_drops *d;

		while (*p == ' ' || *p == '\t')
			p++;
		d = cpu >= 0 && cpu < n ? &drops[cpu] : NULL;
		if (!strncmp(p, "CPU:", 4)) {
			cpu = atoi(p + 4);
		} else if (d) {
			found += stat_line(p, "overrun:", &d->overrun);
			found += stat_line(p, "commit overrun:", &d->commit_overrun);
			found += stat_line(p, "dropped events:", &d->dropped);
		}
		p = nl ? nl + 1 : NULL;
	}
	return found;
}

int rc_emit_unmarked_drops(struct rc_emitter *em, const struct rc_cpu_drops *drops, int n)
{
	for (int cpu = 0; cpu < n; cpu++) {
		const struct rc_cpu_drops *d = &drops[cpu];

		if (d->commit_overrun || d->dropped ||
		    (d->overrun && !rc_emitter_missed_seen(em, cpu)))
			if (rc_emit_lost(em, cpu, em->last_ts, -1))
				return 1;
	}
	return 0;
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

struct rc_reorder {
	rc_sink_fn sink;
	void *arg;
	int ncpus;
	uint64_t holdback;
	size_t cap;
	struct rc_event *heap;	/* min-heap by (ts, seq = arrival number) */
	size_t n, alloc;
	uint64_t arrivals, released;
	uint64_t max_ts;
	uint64_t *cpu_ts;	/* last ts delivered per CPU */
	unsigned char *cpu_seen;
	int stopped;
};

struct rc_reorder *rc_reorder_new(rc_sink_fn sink, void *arg, int ncpus,
				  uint64_t holdback, size_t cap)
{
	struct rc_reorder *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->sink = sink;
	r->arg = arg;
	r->ncpus = ncpus > 0 ? ncpus : 1;
	r->holdback = holdback;
	r->cap = cap ? cap : 1;
	r->cpu_ts = calloc((size_t)r->ncpus, sizeof(*r->cpu_ts));
	r->cpu_seen = calloc((size_t)r->ncpus, 1);
	if (!r->cpu_ts || !r->cpu_seen) {
		rc_reorder_free(r);
		return NULL;
	}
	return r;
}

void rc_reorder_free(struct rc_reorder *r)
{
	if (!r)
		return;
	free(r->heap);
	free(r->cpu_ts);
	free(r->cpu_seen);
	free(r);
}

static int ev_before(const struct rc_event *a, const struct rc_event *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

static void heap_pop(struct rc_reorder *r, struct rc_event *out)
{
	size_t i = 0;

	*out = r->heap[0];
	r->heap[0] = r->heap[--r->n];
	for (;;) {
		size_t l = 2 * i + 1, m = i;

		if (l < r->n && ev_before(&r->heap[l], &r->heap[m]))
			m = l;
		if (l + 1 < r->n && ev_before(&r->heap[l + 1], &r->heap[m]))
			m = l + 1;
		if (m == i)
			break;
		struct rc_event t = r->heap[i];

		r->heap[i] = r->heap[m];
		r->heap[m] = t;
		i = m;
	}
}

static int release_one(struct rc_reorder *r)
{
	struct rc_event ev;

	heap_pop(r, &ev);
	if (r->stopped)
		return 1;
	ev.seq = r->released++;
	if (r->sink(&ev, r->arg))
		r->stopped = 1;
	return r->stopped;
}

int rc_reorder_push(const struct rc_event *ev, void *arg)
{
	struct rc_reorder *r = arg;
	size_t i;

	if (r->stopped)
		return 1;
	if (r->n == r->cap && release_one(r))
		return 1;
	if (r->n == r->alloc) {
		size_t na = r->alloc ? 2 * r->alloc : 256;
		struct rc_event *h = realloc(r->heap, na * sizeof(*h));

		if (!h) {	/* no memory: hand it over now, order may suffer */
			struct rc_event e = *ev;

			e.seq = r->released++;
			if (r->sink(&e, r->arg))
				r->stopped = 1;
			return r->stopped;
		}
		r->heap = h;
		r->alloc = na;
	}
	i = r->n++;
	r->heap[i] = *ev;
	r->heap[i].seq = r->arrivals++;
	while (i && ev_before(&r->heap[i], &r->heap[(i - 1) / 2])) {
		struct rc_event t = r->heap[i];

		r->heap[i] = r->heap[(i - 1) / 2];
		r->heap[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
	if (ev->ts > r->max_ts)
		r->max_ts = ev->ts;
	if (ev->cpu >= 0 && ev->cpu < r->ncpus) {
		if (ev->ts > r->cpu_ts[ev->cpu])
			r->cpu_ts[ev->cpu] = ev->ts;
		r->cpu_seen[ev->cpu] = 1;
	}
	return 0;
}

int rc_reorder_release(struct rc_reorder *r, int all)
{
	uint64_t safe_all = UINT64_MAX, safe_time;

	for (int c = 0; c < r->ncpus; c++) {
		uint64_t t = r->cpu_seen[c] ? r->cpu_ts[c] : 0;

		if (t < safe_all)
			safe_all = t;
	}
	safe_time = r->max_ts > r->holdback ? r->max_ts - r->holdback : 0;
	while (r->n && !r->stopped &&
	       (all || r->heap[0].ts <= safe_all || r->heap[0].ts <= safe_time))
		release_one(r);
	return r->stopped;
}
