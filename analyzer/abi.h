/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Field values outside the ABI of docs/events.md ("Values the analyzer
 * refuses"): an enum value without a name, a zero kvm or root, an `old`
 * an alloc count that is neither design's. (`old` is not refused: in ABI
 * v2 a negative old is an underflow the rules must judge.)
 * Such an event is not applied to the model: it is counted, named in a
 * warning, and its root is unverified. The value alone never makes a
 * violation.
 */
#ifndef RC_ABI_H
#define RC_ABI_H

#include <stddef.h>
#include "event.h"

/* Bitmask of RC_ABI_* fields of ev outside the ABI (0: all inside). */
enum {
	RC_ABI_KVM = 1 << 0, RC_ABI_ROOT = 1 << 1, RC_ABI_OWNER = 1 << 2,
	RC_ABI_REASON = 1 << 3, RC_ABI_CTX = 1 << 4, RC_ABI_SHARED = 1 << 5,
	RC_ABI_OLD = 1 << 6, RC_ABI_COUNT = 1 << 7,
};
unsigned int rc_abi_outside(const struct rc_event *ev);

/* "invalidate reason=7" for the first field outside; returns buf. */
const char *rc_abi_describe(const struct rc_event *ev, char *buf, size_t len);

#endif
