/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decoded root-lifecycle events: the one type that flows from the input
 * sources (trace.dat, live tracefs) into the lifecycle model.
 * Field meanings: docs/events.md.
 */
#ifndef RC_EVENT_H
#define RC_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rc_ev_type {
	RC_EV_ROOT_ALLOC,
	RC_EV_ROOT_GET,
	RC_EV_ROOT_PUT,
	RC_EV_ROOT_INVALIDATE,
	RC_EV_ROOT_ZAP_START,
	RC_EV_ROOT_ZAP_END,
	RC_EV_ROOT_FREE,
	RC_EV_FAST_ZAP_START,	/* kvmmmu/kvm_mmu_zap_all_fast (no kvm field) */
	RC_EV_FAST_ZAP_DONE,
	RC_EV_TEARDOWN,
	RC_EV_ROOT_HANDOFF,	/* ABI v2: a reference changes holder (owner -> to) */
	RC_EV_LOST,		/* events were lost on ev->cpu before this point */
	RC_EV__COUNT
};

enum rc_owner { RC_OWN_VCPU, RC_OWN_ITER, RC_OWN_MMU, RC_OWN_ZAP, RC_OWN__COUNT };
enum rc_reason { RC_RSN_FAST_ZAP, RC_RSN_TEARDOWN, RC_RSN_LAST_PUT, RC_RSN__COUNT };
enum rc_ctx { RC_CTX_FAST_ZAP, RC_CTX_ZAP_ALL, RC_CTX_WORKER, RC_CTX__COUNT };

struct rc_event {
	enum rc_ev_type type;
	uint64_t seq;		/* 0-based position in the stream */
	uint64_t ts;		/* trace timestamp, ns for ns clocks */
	int cpu;
	int pid;
	uint64_t kvm;
	uint64_t root;
	uint64_t caller;	/* kernel text address, 0 if none */
	uint32_t old;		/* get/put: refcount before the operation */
	uint32_t count;		/* alloc: initial count; invalidate: informational */
	uint32_t role;
	uint8_t as_id;
	uint8_t level;
	uint8_t owner;		/* enum rc_owner; may be out of range on bad input;
				 * handoff: the previous holder ("from") */
	uint8_t to;		/* handoff: the new holder (enum rc_owner) */
	uint8_t reason;		/* enum rc_reason */
	uint8_t ctx;		/* enum rc_ctx */
	uint8_t shared;
	int64_t lost;		/* RC_EV_LOST: events lost, -1 if unknown */
	uint32_t absent;	/* bit f: field f is not in this ABI's record */
	uint8_t outside_abi;	/* a field value outside docs/events.md (abi.h):
				 * not applied, its root unverified */
};

/* get/put: `old` as the kernel's refcount_t, an int (<= 0: at or past zero) */
static inline int32_t rc_ev_old(const struct rc_event *ev)
{
	return (int32_t)ev->old;
}

const char *rc_ev_name(enum rc_ev_type t);
const char *rc_owner_name(unsigned int o);
const char *rc_reason_name(unsigned int r);
const char *rc_ctx_name(unsigned int c);

/*
 * The event table (event.c): for each event type its tracepoint and its
 * fields, in the order the reports print them. The decoder reads exactly
 * these fields from the record, the text and JSON reports print them from
 * here, and the list of events to enable (source_live.c, `kvm-rootcheck
 * record`, --list-events) is derived from it. Adding an event: a line
 * here, a type above, a hook in the model and a line in docs/events.md.
 */
#define RC_TP_SYSTEM "kvmmmu"

enum rc_field {
	RC_F_KVM, RC_F_ROOT, RC_F_ROLE, RC_F_COUNT, RC_F_AS_ID, RC_F_LEVEL,
	RC_F_CALLER, RC_F_OLD, RC_F_OWNER, RC_F_REASON, RC_F_CTX, RC_F_SHARED,
	RC_F_FROM, RC_F_TO, RC_F_LOST, RC_F__COUNT
};

enum rc_field_kind {
	RC_FK_HEX,	/* address or id: JSON "0x..." string */
	RC_FK_UINT,	/* unsigned number */
	RC_FK_ENUM,	/* ABI enum: printed by name (enum_name) */
	RC_FK_SYM,	/* kernel text address: JSON hex and symbol, text "by SYM" */
	RC_FK_INT,	/* signed (LOST: -1 if unknown; old: a refcount_t) */
};

struct rc_field_desc {
	const char *name;	/* tracepoint field name and JSON key */
	enum rc_field_kind kind;
	int text;		/* shown as name=value in the text report's line */
	const char *(*enum_name)(unsigned int v);	/* RC_FK_ENUM */
};

#define RC_EV_MAX_FIELDS 6

struct rc_event_desc {
	const char *tp;		/* tracepoint in RC_TP_SYSTEM, NULL: not one */
	int abi;		/* a root-lifecycle event of docs/events.md */
	unsigned int nfields;
	enum rc_field fields[RC_EV_MAX_FIELDS];	/* read from the record, in print order */
	/*
	 * Bit f: field f is in one version of the ABI only (docs/events.md):
	 * read if the format has it, else marked absent. ABI v1 has
	 * invalidate.count and the zap ctx, v2 zap_end.shared instead.
	 */
	unsigned int optional;
};

extern const struct rc_field_desc rc_fields[RC_F__COUNT];
extern const struct rc_event_desc rc_events[RC_EV__COUNT];

/* Number of the ABI events (rc_events[].abi). */
int rc_ev_abi_count(void);
/*
 * Whether events of type t name a root (a root field in rc_events[]):
 * the root-lifecycle events, not the VM-level ones (fast zap, teardown)
 * nor lost-event marks.
 */
int rc_ev_names_root(enum rc_ev_type t);

/*
 * Sort v into timestamp order (ties: stream order, seq), as trace-cmd
 * report shows records. What the model keeps is in the order it applied
 * the events, which differs where a record was held back for another
 * CPU's (docs/invariants.md, cross-CPU order); reports read in time order.
 */
void rc_events_time_order(struct rc_event *v, size_t n);

/* Value of field f of ev (0 if the event has no such field). */
uint64_t rc_event_get(const struct rc_event *ev, enum rc_field f);
/* Store v, truncated to the width of the field in struct rc_event. */
void rc_event_set(struct rc_event *ev, enum rc_field f, uint64_t v);

#endif
