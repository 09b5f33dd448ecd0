/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The decoder: turns a raw kvmmmu record into struct rc_event. Every event
 * of the event table (event.h) is looked up once by system+name, its
 * fields once by name; per record only tep_data_type(), a table lookup by
 * event id and tep_read_number_field() on the cached fields remain.
 *
 * Part of the input layer (source-local.h); not part of the analyzer's
 * public interface (that is source.h).
 */
#ifndef RC_DECODE_H
#define RC_DECODE_H

#include <stddef.h>
#include <event-parse.h>
#include "event.h"

struct rc_decoder;

/*
 * Look up the events of rc_events[] in tep and cache their fields. An ABI
 * event that is absent from tep counts as missing; an event that is
 * present but lacks a field of the table, or has a field that is not a
 * 1/2/4/8-byte number, is an error (the kernel does not implement the
 * contract; decoding it would invent values). Returns NULL with a one-line
 * message in err on error.
 */
struct rc_decoder *rc_decoder_new(struct tep_handle *tep, char *err, size_t errlen);
void rc_decoder_free(struct rc_decoder *d);

/* Number of the ABI events absent from the formats (0..rc_ev_abi_count()). */
int rc_decoder_missing(const struct rc_decoder *d);

/*
 * Version of the event ABI (docs/events.md) the formats implement: 1 for the
 * first kernel series (zap events carry ctx, invalidate carries count), 2
 * for the second (zap events carry shared only, owners renumbered, handoff).
 */
int rc_decoder_abi(const struct rc_decoder *d);

/* Whether the format of the event decoded as type t is known. */
int rc_decoder_has(const struct rc_decoder *d, enum rc_ev_type t);

/* Tracefs name ("kvm_tdp_mmu_root_alloc") of a decoded type, NULL for LOST. */
const char *rc_decoder_event_name(enum rc_ev_type t);

/*
 * Decode one record. Returns 1 with *ev filled (everything but seq) if it is
 * one of our events, 0 if it is any other event, -1 if it is one of ours
 * but too short to hold its fields (then *ev is not valid).
 */
int rc_decode(const struct rc_decoder *d, struct tep_record *rec, struct rc_event *ev);

#endif
