/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Freed root lives in 60 bytes (issue 15). A freed life is kept whole
 * (struct rc_root) while records of other CPUs may still come before its
 * free in `old` order; once its free is RC_REORDER_NS of trace time old
 * and nothing of it waits, the model keeps only what a use after free
 * needs: who it was (VM, address, life, id), the free itself, and the
 * few flags the verdict depends on (model.c tomb_demote()). This file is
 * the table of those records: a ring of at most RC_TOMBS_MAX (the oldest
 * goes first) and an open-addressing index by (kvm, address). It knows
 * nothing of the model.
 */
#ifndef RC_MODEL_TOMB_H
#define RC_MODEL_TOMB_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Compact tombstones kept at most: with the index (16-bit slots, at most
 * 3/4 full: 65,536 of them) 62.7 bytes a tombstone when all are kept.
 */
#define RC_TOMBS_MAX 49151u

/* Flags in the low 12 bits of rc_tomb.addr (a root page is 4 KB aligned). */
#define RC_TOMB_ADDR_MASK (~(uint64_t)0xfff)
enum {
	RC_TF_UNVERIFIED = 1 << 0,
	RC_TF_LOST_AFTER_FREE = 1 << 1,
	RC_TF_ADOPTED = 1 << 2,
	RC_TF_VIOLATED = 1 << 3,
	RC_TF_VALID = 1 << 4,
	RC_TF_VALID_KNOWN = 1 << 5,
	RC_TF_DESIGN_FORCED = 1 << 6,
	RC_TF_ZAPPED = 1 << 7,
	RC_TF_GIFTED = 1 << 8,
	RC_TF_DESIGN_SHIFT = 9,	/* two bits: enum rc_design */
};

/* 4-byte aligned, no padding: 60 bytes. */
struct __attribute__((packed, aligned(4))) rc_tomb {
	uint64_t kvm;
	uint64_t addr;		/* | RC_TF_* flags */
	uint64_t id;		/* the life's (rc_root.id), 0: slot unused */
	uint64_t ts;		/* the free's */
	uint64_t seq : 56;	/* the free's */
	uint64_t absent : 8;	/* the free's rc_event.absent */
	int32_t pid;		/* the free's */
	uint32_t life;
	uint32_t nevents;	/* events of the life, the free included */
	uint32_t lost_seen;	/* low 32 bits of rc_root.lost_seen */
	uint16_t caller;	/* the free's, as rc_hrec.caller (1 + index) */
	int16_t cpu;		/* the free's */
};
_Static_assert(sizeof(struct rc_tomb) == 60, "a compact tombstone is 60 bytes");

struct rc_tombs {
	struct rc_tomb *v;	/* the ring: v[0..n), oldest at `next` once full */
	uint16_t *slot;		/* index: 1 + position in v, 0: empty */
	uint32_t n, cap, next, nslot, live;
};

static inline uint64_t rc_tomb_addr(const struct rc_tomb *t)
{
	return t->addr & RC_TOMB_ADDR_MASK;
}

/*
 * Add rec (its id non-zero, no record of its kvm and address in the
 * table). When the ring is full the oldest record goes: copied to
 * *evicted, returns 1. Returns 0, or -1 (nothing added) when out of memory.
 */
int rc_tombs_add(struct rc_tombs *t, const struct rc_tomb *rec,
		 struct rc_tomb *evicted);
struct rc_tomb *rc_tombs_find(const struct rc_tombs *t, uint64_t kvm, uint64_t addr);
/* Remove x (a record of the table). */
void rc_tombs_del(struct rc_tombs *t, struct rc_tomb *x);
void rc_tombs_free(struct rc_tombs *t);

#endif
