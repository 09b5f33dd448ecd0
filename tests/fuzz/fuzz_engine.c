// SPDX-License-Identifier: GPL-2.0
/*
 * Fuzz target for the event engine: arbitrary sequences of kvmmmu root
 * events, straight into the decoder (as raw records of the real 6.12 event
 * formats) or straight into the model, then the rules, findings and both
 * reports. Input layout (docs: tests/fuzz/README.md):
 *
 *   byte 0: bit 0 decode path, bits 1-2 design, bit 3 --root filter,
 *           bit 4 JSON report
 *   then 16 bytes per event (see ev_from()).
 *
 * Values are drawn from small sets (few VMs, roots, tasks, CPUs) so that
 * the fuzzer builds real lives, with a way out to any 8/32-bit value so
 * that values outside docs/events.md are reached too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>

#include <event-parse.h>

#include "abi.h"
#include "decode.h"
#include "source-local.h"
#include "engine.h"
#include "model.h"
#include "report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct tep_handle *tep;
static struct rc_decoder *dec;
static FILE *devnull;

static const uint64_t kvms[] = { 0xffff888001000000ull, 0xffff888002000000ull,
				 0xffff888003000000ull, 0 };
static const uint64_t roots[] = { 0x1000, 0x2000, 0x3000, 0x4000, 0x5000,
				  0x6000, 0x7000, 0 };

static int load_format(const char *path, const char *sys)
{
	char buf[16384];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return tep_parse_event(tep, buf, n, sys) ? -1 : 0;
}

/* The decode path needs the formats of the real kernel: parse them once. */
static void init(void)
{
	const char *dir = getenv("RC_FUZZ_FORMATS");
	char path[4096];
	struct dirent *de;
	DIR *d;

	devnull = fopen("/dev/null", "w");
	if (!dir)
		dir = "tests/data/v1/formats/6.12";
	tep = tep_alloc();
	if (!tep)
		return;
	tep_set_loglevel(TEP_LOG_NONE);
	tep_set_long_size(tep, 8);
	tep_set_file_bigendian(tep, TEP_LITTLE_ENDIAN);
	tep_set_local_bigendian(tep, TEP_LITTLE_ENDIAN);
	snprintf(path, sizeof(path), "%s/kvmmmu", dir);
	d = opendir(path);
	if (!d) {
		fprintf(stderr, "fuzz_engine: no formats in %s (set RC_FUZZ_FORMATS)\n", path);
		return;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/kvmmmu/%s/format", dir, de->d_name);
		load_format(path, "kvmmmu");
	}
	closedir(d);
	dec = rc_decoder_new(tep, NULL, 0);
}

struct rd {
	const uint8_t *p;
	size_t n;
};

static uint8_t u8(struct rd *r)
{
	if (!r->n)
		return 0;
	r->n--;
	return *r->p++;
}

static uint32_t u32(struct rd *r)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v |= (uint32_t)u8(r) << (8 * i);
	return v;
}

/* 16 bytes -> one event. */
static void ev_from(struct rd *r, struct rc_event *ev, uint64_t *ts)
{
	uint8_t t = u8(r), sel = u8(r), d = u8(r), old = u8(r), o = u8(r);
	uint8_t rs = u8(r), cx = u8(r), big = u8(r);
	uint32_t wide = u32(r);
	uint8_t extra[4];

	for (int i = 0; i < 4; i++)
		extra[i] = u8(r);
	memset(ev, 0, sizeof(*ev));
	ev->type = (enum rc_ev_type)(t % RC_EV__COUNT);
	ev->cpu = (t >> 4) & 3;
	ev->pid = 100 + ((sel >> 5) & 7);
	ev->kvm = kvms[(sel >> 3) & 3];
	ev->root = roots[sel & 7];
	/* time: forward, equal, or a little back (another CPU's view) */
	if (d & 0x80 && *ts > (uint64_t)(d & 0x7f))
		*ts -= d & 0x7f;
	else
		*ts += (uint64_t)d * 1000;
	ev->ts = *ts;
	ev->caller = 0xffffffff81000000ull + (extra[0] & 15) * 0x40;
	ev->old = big & 1 ? wide : old & 7;
	ev->count = big & 2 ? wide : (old >> 4) & 3;
	ev->owner = big & 4 ? o : o & 3;
	ev->reason = big & 8 ? rs : rs % 3;
	ev->ctx = big & 16 ? cx : cx % 3;
	ev->shared = extra[1] & 1;
	ev->role = extra[2];
	ev->as_id = extra[3] & 1;
	ev->level = 4 + (extra[3] >> 7);
	if (ev->type == RC_EV_LOST)
		ev->lost = big & 32 ? -1 : (int64_t)(old + 1);
}

static void put(uint8_t *buf, size_t len, const struct tep_format_field *f, uint64_t v)
{
	if (!f || f->offset < 0 || (size_t)f->offset + (size_t)f->size > len)
		return;
	for (int i = 0; i < f->size && i < 8; i++)
		buf[f->offset + i] = (uint8_t)(v >> (8 * i));
}

/* Encode ev as a raw record of its kernel format and emit it. */
static void emit_raw(struct rc_emitter *em, const struct rc_event *ev, uint8_t cut)
{
	const char *name = rc_decoder_event_name(ev->type);
	struct tep_record rec;
	struct tep_event *e;
	uint8_t buf[128];

	if (ev->type == RC_EV_LOST) {
		rc_emit_lost(em, ev->cpu, ev->ts, ev->lost);
		return;
	}
	e = name ? tep_find_event_by_name(tep, "kvmmmu", name) : NULL;
	if (!e)
		return;
	memset(buf, 0, sizeof(buf));
	put(buf, sizeof(buf), tep_find_common_field(e, "common_type"), (uint64_t)e->id);
	put(buf, sizeof(buf), tep_find_common_field(e, "common_pid"), (uint64_t)ev->pid);
	/* the fields the decoder reads, from the same event table */
	for (unsigned int i = 0; i < rc_events[ev->type].nfields; i++) {
		enum rc_field f = rc_events[ev->type].fields[i];

		put(buf, sizeof(buf), tep_find_field(e, rc_fields[f].name),
		    rc_event_get(ev, f));
	}
	memset(&rec, 0, sizeof(rec));
	rec.ts = ev->ts;
	rec.cpu = ev->cpu;
	rec.data = buf;
	rec.size = 64;
	if ((cut & 0xf0) == 0xf0)	/* a short record now and then */
		rec.size = cut & 0x0f;
	rec.missed_events = (cut & 0xf0) == 0xe0 ? ((cut & 1) ? -1 : cut & 0x0f) : 0;
	rec.ref_count = 1;
	rc_emit_record(em, &rec);
}

static int sink(const struct rc_event *ev, void *arg)
{
	rc_engine_feed(arg, ev);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int inited;
	struct rc_model_opts mo = { .design = RC_DESIGN_AUTO };
	struct rc_trace_info info;
	struct rc_emitter em;
	struct rc_report rep;
	struct rc_engine *m;
	struct rd r = { data, size };
	uint64_t ts = 1000000;
	uint8_t mode;

	if (!inited) {
		init();
		inited = 1;
	}
	if (!size || !devnull)
		return 0;
	mode = u8(&r);
	mo.design = (enum rc_design)((mode >> 1) & 3) % 3;
	if (mode & 8) {
		mo.have_root_filter = true;
		mo.root_filter = roots[(mode >> 5) & 7];
	}
	m = rc_engine_new(&mo);
	if (!m)
		return 0;
	memset(&info, 0, sizeof(info));
	snprintf(info.clock, sizeof(info.clock), "global");
	info.clock_reliable = 1;
	info.ncpus = 4;
	memset(&em, 0, sizeof(em));
	em.dec = dec;
	em.info = &info;
	em.sink = sink;
	em.arg = m;
	while (r.n) {
		struct rc_event ev;
		uint8_t cut;

		ev_from(&r, &ev, &ts);
		if ((mode & 1) && dec) {
			cut = r.n ? r.p[0] : 0;
			emit_raw(&em, &ev, cut);
		} else {
			ev.seq = em.seq++;
			ev.outside_abi = rc_abi_outside(&ev) != 0;
			if (ev.type == RC_EV_LOST) {
				info.lost_events += ev.lost > 0 ? (uint64_t)ev.lost : 0;
				info.lost_unknown |= ev.lost < 0;
			} else {
				info.events_read++;
			}
			rc_engine_feed(m, &ev);
		}
	}
	rc_engine_finish(m);
	memset(&rep, 0, sizeof(rep));
	rep.input = "fuzz";
	rep.info = &info;
	rep.model = rc_engine_model(m);
	rep.findings = rc_engine_findings(m);
	rep.design_opt = mo.design;
	rep.have_root = mo.have_root_filter;
	rep.root = mo.root_filter;
	if (mode & 16) {
		rc_report_json(devnull, &rep);
	} else {
		if (rep.have_root)
			rc_report_timeline(devnull, &rep);
		rc_report_text(devnull, &rep);
	}
	rc_report_exit(&rep);
	rc_engine_free(m);
	return 0;
}
