// SPDX-License-Identifier: GPL-2.0
/* Field values outside docs/events.md (abi.h). */
#include <inttypes.h>
#include <stdio.h>

#include "abi.h"

unsigned int rc_abi_outside(const struct rc_event *ev)
{
	unsigned int bad = 0;

	switch (ev->type) {
	case RC_EV_ROOT_ALLOC:
		if (ev->count != 1 && ev->count != 2)
			bad |= RC_ABI_COUNT;
		break;
	case RC_EV_ROOT_GET:
	case RC_EV_ROOT_PUT:
		/* old is not checked: in ABI v2 it is an int, and a negative
		 * value (an underflow) is what a rule must see */
		if (ev->owner >= RC_OWN__COUNT)
			bad |= RC_ABI_OWNER;
		break;
	case RC_EV_ROOT_INVALIDATE:
		if (ev->reason >= RC_RSN__COUNT)
			bad |= RC_ABI_REASON;
		break;
	case RC_EV_ROOT_ZAP_START:
		if (ev->shared > 1)
			bad |= RC_ABI_SHARED;
		/* fall through */
	case RC_EV_ROOT_ZAP_END:
		if (ev->ctx >= RC_CTX__COUNT)
			bad |= RC_ABI_CTX;
		break;
	default:
		break;
	}
	switch (ev->type) {
	case RC_EV_ROOT_ALLOC: case RC_EV_ROOT_GET: case RC_EV_ROOT_PUT:
	case RC_EV_ROOT_INVALIDATE: case RC_EV_ROOT_ZAP_START:
	case RC_EV_ROOT_ZAP_END: case RC_EV_ROOT_FREE:
		if (!ev->root)
			bad |= RC_ABI_ROOT;
		/* fall through */
	case RC_EV_FAST_ZAP_DONE: case RC_EV_TEARDOWN:
		if (!ev->kvm)
			bad |= RC_ABI_KVM;
		break;
	default:
		break;
	}
	return bad;
}

const char *rc_abi_describe(const struct rc_event *ev, char *buf, size_t len)
{
	unsigned int bad = rc_abi_outside(ev);
	const char *ev_name = rc_ev_name(ev->type);

	if (bad & RC_ABI_KVM)
		snprintf(buf, len, "%s kvm=0", ev_name);
	else if (bad & RC_ABI_ROOT)
		snprintf(buf, len, "%s root=0", ev_name);
	else if (bad & RC_ABI_OWNER)
		snprintf(buf, len, "%s owner=%u", ev_name, ev->owner);
	else if (bad & RC_ABI_REASON)
		snprintf(buf, len, "%s reason=%u", ev_name, ev->reason);
	else if (bad & RC_ABI_CTX)
		snprintf(buf, len, "%s ctx=%u", ev_name, ev->ctx);
	else if (bad & RC_ABI_SHARED)
		snprintf(buf, len, "%s shared=%u", ev_name, ev->shared);
	else if (bad & RC_ABI_OLD)
		snprintf(buf, len, "%s old=%" PRIu32, ev_name, ev->old);
	else if (bad & RC_ABI_COUNT)
		snprintf(buf, len, "%s count=%" PRIu32, ev_name, ev->count);
	else
		snprintf(buf, len, "%s", ev_name);
	return buf;
}
