// SPDX-License-Identifier: GPL-2.0
/*
 * The event table: names of decoded event types, their tracepoints and
 * fields, and the names of the ABI enums (docs/events.md).
 */
#include <stddef.h>
#include <stdlib.h>
#include "event.h"

static const char *const ev_names[RC_EV__COUNT] = {
	[RC_EV_ROOT_ALLOC] = "alloc",
	[RC_EV_ROOT_GET] = "get",
	[RC_EV_ROOT_PUT] = "put",
	[RC_EV_ROOT_INVALIDATE] = "invalidate",
	[RC_EV_ROOT_ZAP_START] = "zap_start",
	[RC_EV_ROOT_ZAP_END] = "zap_end",
	[RC_EV_ROOT_FREE] = "free",
	[RC_EV_FAST_ZAP_START] = "fast_zap",
	[RC_EV_FAST_ZAP_DONE] = "fast_zap_done",
	[RC_EV_TEARDOWN] = "teardown",
	[RC_EV_ROOT_HANDOFF] = "handoff",
	[RC_EV_LOST] = "lost",
};

static const char *const owner_names[RC_OWN__COUNT] = { "vcpu", "iter", "mmu", "zap" };
static const char *const reason_names[RC_RSN__COUNT] = { "fast_zap", "teardown", "last_put" };
static const char *const ctx_names[RC_CTX__COUNT] = { "fast_zap", "zap_all", "worker" };

const char *rc_ev_name(enum rc_ev_type t)
{
	return (unsigned int)t < RC_EV__COUNT ? ev_names[t] : "?";
}

const char *rc_owner_name(unsigned int o)
{
	return o < RC_OWN__COUNT ? owner_names[o] : "?";
}

const char *rc_reason_name(unsigned int r)
{
	return r < RC_RSN__COUNT ? reason_names[r] : "?";
}

const char *rc_ctx_name(unsigned int c)
{
	return c < RC_CTX__COUNT ? ctx_names[c] : "?";
}

const struct rc_field_desc rc_fields[RC_F__COUNT] = {
	[RC_F_KVM] = { "kvm", RC_FK_HEX, 0, NULL },
	[RC_F_ROOT] = { "root", RC_FK_HEX, 0, NULL },
	[RC_F_ROLE] = { "role", RC_FK_UINT, 0, NULL },
	[RC_F_COUNT] = { "count", RC_FK_UINT, 1, NULL },
	[RC_F_AS_ID] = { "as_id", RC_FK_UINT, 1, NULL },
	[RC_F_LEVEL] = { "level", RC_FK_UINT, 1, NULL },
	[RC_F_CALLER] = { "caller", RC_FK_SYM, 0, NULL },
	[RC_F_OLD] = { "old", RC_FK_INT, 1, NULL },
	[RC_F_OWNER] = { "owner", RC_FK_ENUM, 1, rc_owner_name },
	[RC_F_REASON] = { "reason", RC_FK_ENUM, 1, rc_reason_name },
	[RC_F_CTX] = { "ctx", RC_FK_ENUM, 1, rc_ctx_name },
	[RC_F_SHARED] = { "shared", RC_FK_UINT, 1, NULL },
	[RC_F_FROM] = { "from", RC_FK_ENUM, 1, rc_owner_name },
	[RC_F_TO] = { "to", RC_FK_ENUM, 1, rc_owner_name },
	[RC_F_LOST] = { "lost", RC_FK_INT, 0, NULL },
};

#define F(...) sizeof((enum rc_field[]){ __VA_ARGS__ }) / sizeof(enum rc_field), { __VA_ARGS__ }

const struct rc_event_desc rc_events[RC_EV__COUNT] = {
	[RC_EV_ROOT_ALLOC] = { "kvm_tdp_mmu_root_alloc", 1,
		F(RC_F_KVM, RC_F_ROOT, RC_F_COUNT, RC_F_ROLE, RC_F_AS_ID, RC_F_LEVEL) },
	[RC_EV_ROOT_GET] = { "kvm_tdp_mmu_root_get", 1,
		F(RC_F_KVM, RC_F_ROOT, RC_F_OWNER, RC_F_OLD, RC_F_CALLER) },
	[RC_EV_ROOT_PUT] = { "kvm_tdp_mmu_root_put", 1,
		F(RC_F_KVM, RC_F_ROOT, RC_F_OWNER, RC_F_OLD, RC_F_CALLER) },
	/* count: ABI v1 only (a racy refcount_read(), dropped in v2) */
	[RC_EV_ROOT_INVALIDATE] = { "kvm_tdp_mmu_root_invalidate", 1,
		F(RC_F_KVM, RC_F_ROOT, RC_F_REASON, RC_F_COUNT), 1u << RC_F_COUNT },
	/* ctx: ABI v1 only; v2 has shared, which is 1:1 with it (decode.c) */
	[RC_EV_ROOT_ZAP_START] = { "kvm_tdp_mmu_root_zap_start", 1,
		F(RC_F_KVM, RC_F_ROOT, RC_F_CTX, RC_F_SHARED), 1u << RC_F_CTX },
	[RC_EV_ROOT_ZAP_END] = { "kvm_tdp_mmu_root_zap_end", 1,
		F(RC_F_KVM, RC_F_ROOT, RC_F_CTX, RC_F_SHARED),
		1u << RC_F_CTX | 1u << RC_F_SHARED },
	[RC_EV_ROOT_FREE] = { "kvm_tdp_mmu_root_free", 1, F(RC_F_KVM, RC_F_ROOT) },
	/* The existing tracepoint at the start of the fast zap: no kvm field. */
	[RC_EV_FAST_ZAP_START] = { .tp = "kvm_mmu_zap_all_fast" },
	[RC_EV_FAST_ZAP_DONE] = { "kvm_mmu_zap_all_fast_done", 1, F(RC_F_KVM) },
	[RC_EV_TEARDOWN] = { "kvm_tdp_mmu_teardown", 1, F(RC_F_KVM) },
	/* ABI v2, 6.12 only (not counted as missing elsewhere) */
	[RC_EV_ROOT_HANDOFF] = { "kvm_tdp_mmu_root_handoff", 0,
		F(RC_F_KVM, RC_F_ROOT, RC_F_FROM, RC_F_TO, RC_F_CALLER) },
	/* Made by the input layer, not read from a record. */
	[RC_EV_LOST] = { .tp = NULL, .abi = 0, F(RC_F_LOST) },
};

#undef F

int rc_ev_abi_count(void)
{
	int n = 0;

	for (int t = 0; t < RC_EV__COUNT; t++)
		n += !!rc_events[t].abi;
	return n;
}

/* Bit t: events of type t have a root field (rc_events[]); 0: not known yet. */
static uint32_t names_root;

_Static_assert(RC_EV__COUNT < 32, "names_root");

int rc_ev_names_root(enum rc_ev_type t)
{
	if ((unsigned int)t >= RC_EV__COUNT)
		return 0;
	if (!names_root) {	/* once: the model asks on every event */
		uint32_t m = 1u << 31;

		for (unsigned int e = 0; e < RC_EV__COUNT; e++)
			for (unsigned int k = 0; k < rc_events[e].nfields; k++)
				if (rc_events[e].fields[k] == RC_F_ROOT)
					m |= 1u << e;
		names_root = m;
	}
	return names_root >> t & 1;
}

uint64_t rc_event_get(const struct rc_event *ev, enum rc_field f)
{
	switch (f) {
	case RC_F_KVM: return ev->kvm;
	case RC_F_ROOT: return ev->root;
	case RC_F_ROLE: return ev->role;
	case RC_F_COUNT: return ev->count;
	case RC_F_AS_ID: return ev->as_id;
	case RC_F_LEVEL: return ev->level;
	case RC_F_CALLER: return ev->caller;
	case RC_F_OLD: return (uint64_t)(int64_t)rc_ev_old(ev);
	case RC_F_OWNER: return ev->owner;
	case RC_F_REASON: return ev->reason;
	case RC_F_CTX: return ev->ctx;
	case RC_F_SHARED: return ev->shared;
	case RC_F_FROM: return ev->owner;
	case RC_F_TO: return ev->to;
	case RC_F_LOST: return (uint64_t)ev->lost;
	default: return 0;
	}
}

void rc_event_set(struct rc_event *ev, enum rc_field f, uint64_t v)
{
	switch (f) {
	case RC_F_KVM: ev->kvm = v; break;
	case RC_F_ROOT: ev->root = v; break;
	case RC_F_ROLE: ev->role = (uint32_t)v; break;
	case RC_F_COUNT: ev->count = (uint32_t)v; break;
	case RC_F_AS_ID: ev->as_id = (uint8_t)v; break;
	case RC_F_LEVEL: ev->level = (uint8_t)v; break;
	case RC_F_CALLER: ev->caller = v; break;
	case RC_F_OLD: ev->old = (uint32_t)v; break;
	case RC_F_OWNER: ev->owner = (uint8_t)v; break;
	case RC_F_REASON: ev->reason = (uint8_t)v; break;
	case RC_F_CTX: ev->ctx = (uint8_t)v; break;
	case RC_F_SHARED: ev->shared = (uint8_t)v; break;
	case RC_F_FROM: ev->owner = (uint8_t)v; break;
	case RC_F_TO: ev->to = (uint8_t)v; break;
	case RC_F_LOST: ev->lost = (int64_t)v; break;
	default: break;
	}
}

static bool time_before(const struct rc_event *a, const struct rc_event *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

static int time_cmp(const void *pa, const void *pb)
{
	const struct rc_event *a = pa, *b = pb;

	return time_before(a, b) ? -1 : time_before(b, a);
}

void rc_events_time_order(struct rc_event *v, size_t n)
{
	size_t i, j;

	for (i = 1; i < n && !time_before(&v[i], &v[i - 1]); i++)
		;
	if (i >= n)
		return;		/* the usual case: already in order */
	if (n > 64) {
		qsort(v, n, sizeof(*v), time_cmp);
		return;
	}
	for (; i < n; i++) {
		struct rc_event x = v[i];

		for (j = i; j > 0 && time_before(&x, &v[j - 1]); j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}
