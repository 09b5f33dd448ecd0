// SPDX-License-Identifier: GPL-2.0
/* Names of decoded event types and of the ABI enums (docs/events.md). */
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
