// SPDX-License-Identifier: GPL-2.0
/*
 * Decoding of kvmmmu root-lifecycle records (docs/events.md) into struct
 * rc_event, driven by the event table of event.c.
 *
 * Fast path: when the file's byte order is the host's (always, for a trace
 * recorded and read on the same machine), the record is read in place at
 * the offsets and sizes of the fields cached once, and each value stored
 * straight into its member of struct rc_event (where and how wide, learnt
 * once from rc_event_set()), instead of calling tep_data_type(),
 * tep_data_pid() and tep_read_number_field() per record (they cost about
 * as much as libtracecmd's iteration itself). Otherwise, the library's
 * readers, which swap bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source-local.h"

/* A field holding an enum rc_owner (mapped from the file's values). */
static inline bool owner_slot(enum rc_field slot)
{
	return slot == RC_F_OWNER || slot == RC_F_FROM || slot == RC_F_TO;
}

struct dec_field {
	struct tep_format_field *field;
	enum rc_field slot;
	unsigned short offset;	/* in the record */
	unsigned char size;	/* 1, 2, 4 or 8 */
	unsigned char dst_size;	/* width of the member of struct rc_event */
	bool map;		/* an owner: mapped by dec_event.owner_map */
	unsigned short dst;	/* offset of the member in struct rc_event */
};

struct dec_event {
	int present;
	int id;
	unsigned int nfields;
	struct dec_field f[RC_EV_MAX_FIELDS];
	unsigned int min_size;	/* bytes a record must have to hold the fields */
	uint32_t absent;	/* optional fields this format lacks */
	/* owner/from/to record value -> enum rc_owner, by the printed name */
	uint8_t owner_map[256];
};

struct rc_decoder {
	struct tep_handle *tep;
	struct dec_event ev[RC_EV__COUNT];
	int missing;
	int abi;		/* 1 or 2, docs/events.md */
	int max_id;		/* by_id has max_id + 1 entries */
	signed char *by_id;	/* event id -> enum rc_ev_type, -1 if not ours */
	int native;		/* records readable in place (see the top) */
	unsigned int type_off, type_size, pid_off, pid_size;
};

static int num_size(int size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

/*
 * Where rc_event_set() stores field f, and how wide: the bytes that
 * storing all ones changes. -1 if they are not one 1, 2, 4 or 8 byte run.
 */
static int event_member(enum rc_field f, unsigned short *dst, unsigned char *size)
{
	unsigned char *p;
	struct rc_event ev;
	size_t lo = sizeof(ev), hi = 0;

	memset(&ev, 0, sizeof(ev));
	rc_event_set(&ev, f, ~0ull);
	p = (unsigned char *)&ev;
	for (size_t i = 0; i < sizeof(ev); i++)
		if (p[i]) {
			if (i < lo)
				lo = i;
			hi = i + 1;
		}
	if (hi <= lo || !num_size((int)(hi - lo)))
		return -1;
	for (size_t i = lo; i < hi; i++)
		if (p[i] != 0xff)
			return -1;
	*dst = (unsigned short)lo;
	*size = (unsigned char)(hi - lo);
	return 0;
}

/*
 * Whether records can be read in place: the file's byte order is the
 * host's, common_type and common_pid are numbers at the same place in all
 * our events (common fields have one layout in a kernel), and every field
 * has a plain member in struct rc_event.
 */
static void setup_native(struct rc_decoder *d)
{
	int first = 1;

	d->native = 0;
	if (tep_is_file_bigendian(d->tep) != tep_is_local_bigendian(d->tep))
		return;
	for (int t = 0; t < RC_EV__COUNT; t++) {
		struct dec_event *de = &d->ev[t];
		struct tep_format_field *ft, *fp;
		struct tep_event *e;

		if (!de->present)
			continue;
		e = tep_find_event(d->tep, de->id);
		ft = e ? tep_find_common_field(e, "common_type") : NULL;
		fp = e ? tep_find_common_field(e, "common_pid") : NULL;
		if (!ft || !fp || ft->offset < 0 || fp->offset < 0 ||
		    !num_size(ft->size) || !num_size(fp->size))
			return;
		if (first) {
			d->type_off = (unsigned int)ft->offset;
			d->type_size = (unsigned int)ft->size;
			d->pid_off = (unsigned int)fp->offset;
			d->pid_size = (unsigned int)fp->size;
			first = 0;
		} else if (d->type_off != (unsigned int)ft->offset ||
			   d->type_size != (unsigned int)ft->size ||
			   d->pid_off != (unsigned int)fp->offset ||
			   d->pid_size != (unsigned int)fp->size) {
			return;
		}
		for (unsigned int k = 0; k < de->nfields; k++)
			if (event_member(de->f[k].slot, &de->f[k].dst, &de->f[k].dst_size) < 0)
				return;
	}
	if (first)
		return;
	/* the pid is read after the size check: make it part of it */
	for (int t = 0; t < RC_EV__COUNT; t++)
		if (d->ev[t].present && d->pid_off + d->pid_size > d->ev[t].min_size)
			d->ev[t].min_size = d->pid_off + d->pid_size;
	d->native = 1;
}

const char *rc_decoder_event_name(enum rc_ev_type t)
{
	return (unsigned int)t < RC_EV__COUNT ? rc_events[t].tp : NULL;
}

/*
 * Owner values are mapped by the names the kernel prints for them
 * (__print_symbolic in the format), so that a series may number them as
 * it likes: ABI v1 has vcpu=0 iter=1 mmu=2 zap=3, v2 vcpu=0 iter=1 zap=2.
 * Without a symbol table the values are taken as they are (v1 numbering).
 * A value the table does not name maps to RC_OWN__COUNT (unknown owner).
 */
static void owner_map_init(struct tep_event *e, uint8_t *map)
{
	struct tep_print_arg *a;
	int found = 0;

	for (int v = 0; v < 256; v++)
		map[v] = (uint8_t)v;
	for (a = e->print_fmt.args; a; a = a->next) {
		struct tep_print_flag_sym *sym;
		const char *fname;

		if (a->type != TEP_PRINT_SYMBOL || !a->symbol.field ||
		    a->symbol.field->type != TEP_PRINT_FIELD)
			continue;
		fname = a->symbol.field->field.name;
		if (!fname || (strcmp(fname, "owner") && strcmp(fname, "from") &&
			       strcmp(fname, "to")))
			continue;
		if (!found)
			memset(map, RC_OWN__COUNT, 256);
		found = 1;
		for (sym = a->symbol.symbols; sym; sym = sym->next) {
			unsigned long v;
			char *end;

			if (!sym->value || !sym->str)
				continue;
			v = strtoul(sym->value, &end, 0);
			if (*end || v > 255)
				continue;
			for (unsigned int o = 0; o < RC_OWN__COUNT; o++)
				if (!strcmp(sym->str, rc_owner_name(o)))
					map[v] = (uint8_t)o;
		}
	}
}

static int cache_event(struct rc_decoder *d, int t, char *err, size_t errlen)
{
	const struct rc_event_desc *s = &rc_events[t];
	struct dec_event *de = &d->ev[t];
	struct tep_event *e;

	if (!s->tp)
		return 0;
	e = tep_find_event_by_name(d->tep, RC_TP_SYSTEM, s->tp);
	if (!e) {
		if (s->abi)
			d->missing++;
		return 0;
	}
	if (e->id < 0 || e->id > 65535) {
		rc_seterr(err, errlen, RC_TP_SYSTEM "/%s has an invalid event id %d",
			  s->tp, e->id);
		return -1;
	}
	de->present = 1;
	de->id = e->id;
	for (unsigned int k = 0; k < s->nfields; k++) {
		const char *name = rc_fields[s->fields[k]].name;
		struct tep_format_field *ff;
		unsigned int end;

		ff = tep_find_field(e, name);
		if (!ff && (s->optional & (1u << s->fields[k]))) {
			de->absent |= 1u << s->fields[k];
			continue;
		}
		if (!ff) {
			rc_seterr(err, errlen,
				  RC_TP_SYSTEM "/%s has no field '%s': the kernel's events do not match docs/events.md",
				  s->tp, name);
			return -1;
		}
		if (ff->flags & (TEP_FIELD_IS_ARRAY | TEP_FIELD_IS_DYNAMIC |
				 TEP_FIELD_IS_STRING | TEP_FIELD_IS_RELATIVE)) {
			rc_seterr(err, errlen,
				  RC_TP_SYSTEM "/%s field '%s' is an array or string ('%.40s', %d bytes), not a number: the kernel's events do not match docs/events.md",
				  s->tp, name, ff->type ? ff->type : "?", ff->size);
			return -1;
		}
		if ((ff->size != 1 && ff->size != 2 && ff->size != 4 && ff->size != 8) ||
		    ff->offset < 0) {
			rc_seterr(err, errlen,
				  RC_TP_SYSTEM "/%s field '%s' is not a 1, 2, 4 or 8 byte number (size %d): the kernel's events do not match docs/events.md",
				  s->tp, name, ff->size);
			return -1;
		}
		de->f[de->nfields].field = ff;
		de->f[de->nfields].slot = s->fields[k];
		de->f[de->nfields].map = owner_slot(s->fields[k]);
		de->f[de->nfields].offset = (unsigned short)ff->offset;
		de->f[de->nfields].size = (unsigned char)ff->size;
		de->nfields++;
		end = (unsigned int)ff->offset + (unsigned int)ff->size;
		if (end > de->min_size)
			de->min_size = end;
	}
	if (t == RC_EV_ROOT_ZAP_END &&
	    (de->absent & (1u << RC_F_CTX)) && (de->absent & (1u << RC_F_SHARED))) {
		rc_seterr(err, errlen,
			  RC_TP_SYSTEM "/%s has neither 'ctx' (ABI v1) nor 'shared' (ABI v2): the kernel's events do not match docs/events.md",
			  s->tp);
		return -1;
	}
	owner_map_init(e, de->owner_map);
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
	for (int t = 0; t < RC_EV__COUNT; t++) {
		if (cache_event(d, t, err, errlen) < 0) {
			free(d);
			return NULL;
		}
	}
	/*
	 * ABI v2 (docs/events.md): no zap ctx, no invalidate count. (Not the
	 * handoff event: 6.1 has none, and a format set may carry it alone.)
	 */
	d->abi = 1;
	if ((d->ev[RC_EV_ROOT_ZAP_START].present &&
	     (d->ev[RC_EV_ROOT_ZAP_START].absent & (1u << RC_F_CTX))) ||
	    (d->ev[RC_EV_ROOT_INVALIDATE].present &&
	     (d->ev[RC_EV_ROOT_INVALIDATE].absent & (1u << RC_F_COUNT))))
		d->abi = 2;
	if (d->max_id >= 0) {
		d->by_id = malloc((size_t)d->max_id + 1);
		if (!d->by_id) {
			free(d);
			return rc_seterr(err, errlen, "out of memory");
		}
		memset(d->by_id, -1, (size_t)d->max_id + 1);
		for (int t = 0; t < RC_EV__COUNT; t++) {
			if (!d->ev[t].present)
				continue;
			if (d->by_id[d->ev[t].id] >= 0) {
				rc_seterr(err, errlen,
					  RC_TP_SYSTEM "/%s and " RC_TP_SYSTEM "/%s share event id %d",
					  rc_events[d->by_id[d->ev[t].id]].tp,
					  rc_events[t].tp, d->ev[t].id);
				rc_decoder_free(d);
				return NULL;
			}
			d->by_id[d->ev[t].id] = (signed char)t;
		}
	}
	setup_native(d);
	return d;
}

void rc_decoder_free(struct rc_decoder *d)
{
	if (!d)
		return;
	free(d->by_id);
	free(d);
}

int rc_decoder_abi(const struct rc_decoder *d)
{
	return d->abi;
}

int rc_decoder_missing(const struct rc_decoder *d)
{
	return d->missing;
}

int rc_decoder_has(const struct rc_decoder *d, enum rc_ev_type t)
{
	return (unsigned int)t < RC_EV__COUNT && d->ev[t].present;
}

/* A 1, 2, 4 or 8 byte number at p, in the host's byte order. */
static inline uint64_t load_native(const unsigned char *p, unsigned int size)
{
	uint64_t v8;
	uint32_t v4;
	uint16_t v2;

	switch (size) {
	case 1:
		return *p;
	case 2:
		memcpy(&v2, p, 2);
		return v2;
	case 4:
		memcpy(&v4, p, 4);
		return v4;
	default:
		memcpy(&v8, p, 8);
		return v8;
	}
}

/* Store v, truncated to size bytes, at p (as rc_event_set() would). */
static inline void store_native(unsigned char *p, unsigned int size, uint64_t v)
{
	uint32_t v4 = (uint32_t)v;
	uint16_t v2 = (uint16_t)v;

	switch (size) {
	case 1:
		*p = (unsigned char)v;
		break;
	case 2:
		memcpy(p, &v2, 2);
		break;
	case 4:
		memcpy(p, &v4, 4);
		break;
	default:
		memcpy(p, &v, 8);
		break;
	}
}

int rc_decode(const struct rc_decoder *d, struct tep_record *rec, struct rc_event *ev)
{
	const unsigned char *data = rec->data;
	const struct dec_event *de;
	int id, t;

	if (!data || rec->size < 2)
		return 0;
	if (d->native) {
		if ((unsigned int)rec->size < d->type_off + d->type_size)
			return 0;
		id = (int)load_native(data + d->type_off, d->type_size);
	} else {
		id = tep_data_type(d->tep, rec);
	}
	if (id < 0 || id > d->max_id || d->by_id[id] < 0)
		return 0;
	t = d->by_id[id];
	de = &d->ev[t];
	if ((unsigned int)rec->size < de->min_size)
		return -1;
	/*
	 * Member by member, not memset(): GCC makes that memset a `rep
	 * stos`, 2.6% of the CPU time on 10M records; these stores merge.
	 * (Padding is left as it was: compare events member by member.)
	 */
	_Static_assert(sizeof(struct rc_event) == 96,
		       "a new member of struct rc_event is zeroed here");
	ev->type = (enum rc_ev_type)t;
	ev->seq = 0;
	ev->kvm = ev->root = ev->caller = 0;
	ev->old = ev->count = ev->role = 0;
	ev->as_id = ev->level = ev->owner = ev->to = ev->reason = ev->ctx = ev->shared = 0;
	ev->lost = 0;
	ev->outside_abi = 0;
	ev->ts = rec->ts;
	ev->cpu = rec->cpu;
	if (d->native)
		ev->pid = (int)load_native(data + d->pid_off, d->pid_size);
	else
		ev->pid = tep_data_pid(d->tep, rec);
	if (d->native) {
		for (unsigned int k = 0; k < de->nfields; k++) {
			const struct dec_field *f = &de->f[k];
			uint64_t v = load_native(data + f->offset, f->size);

			if (f->map)
				v = de->owner_map[(uint8_t)v];
			store_native((unsigned char *)ev + f->dst, f->dst_size, v);
		}
	} else {
		for (unsigned int k = 0; k < de->nfields; k++) {
			const struct dec_field *f = &de->f[k];
			unsigned long long v = 0;

			tep_read_number_field(f->field, rec->data, &v);
			if (f->map)
				v = de->owner_map[(uint8_t)v];
			rc_event_set(ev, f->slot, v);
		}
	}
	ev->absent = de->absent;
	/* ABI v2: the zap context is 1:1 with how mmu_lock is held */
	if ((t == RC_EV_ROOT_ZAP_START || t == RC_EV_ROOT_ZAP_END) &&
	    (de->absent & (1u << RC_F_CTX))) {
		ev->ctx = ev->shared ? RC_CTX_FAST_ZAP : RC_CTX_ZAP_ALL;
		ev->absent &= ~(1u << RC_F_CTX);	/* derived: reported */
	}
	return 1;
}
