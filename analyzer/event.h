/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Decoded root-lifecycle events: the one type that flows from the input
 * sources (trace.dat, live tracefs) into the lifecycle model.
 * Field meanings: docs/events.md.
 */
#ifndef RC_EVENT_H
#define RC_EVENT_H

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
	uint8_t owner;		/* enum rc_owner; may be out of range on bad input */
	uint8_t reason;		/* enum rc_reason */
	uint8_t ctx;		/* enum rc_ctx */
	uint8_t shared;
	int64_t lost;		/* RC_EV_LOST: events lost, -1 if unknown */
};

const char *rc_ev_name(enum rc_ev_type t);
const char *rc_owner_name(unsigned int o);
const char *rc_reason_name(unsigned int r);
const char *rc_ctx_name(unsigned int c);

#endif
