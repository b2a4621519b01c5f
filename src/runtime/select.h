/*
 * select.h: the one-time claim that makes a select fire exactly once
 * (runtime layer only; the select itself is select.c, the public API
 * tova_select_* in tova.h).
 *
 * A waiting select has one waiter queued on each of its channels. Whoever
 * completes one of them (a channel operation, close), or the select's timer,
 * or a cancel, must first win the claim: an atomic CAS from WAITING to FIRED.
 * Channels make the claim under their own lock while taking the waiter
 * (chan_internal.h, waitq_pop_claimable), so a losing case is simply dropped
 * and takes nothing from its channel; the winner then withdraws every other
 * case from its channel (tova_chan_cancel_wait) before the select is freed.
 */
#ifndef TOVA_RT_SELECT_H
#define TOVA_RT_SELECT_H

#include <stdbool.h>

#include "tova.h"

/* True if the caller won the claim (exactly one caller ever does). */
bool tova_rt_select_claim(tova_select *sel);

/* A select that only completes what is ready now, by the channels'
 * readiness hints, fairly among ready cases: true with *index the case that
 * fired (its status and value set as tova_select_start sets them), false
 * when nothing fired, having changed nothing (then tova_select_start decides
 * for real: the hints may be stale). For callers that can skip setting up a
 * wait when a case is ready (the `select` import). At most 16 cases. */
bool tova_rt_select_try(tova_select_case *cases, size_t n, int *index);

#endif /* TOVA_RT_SELECT_H */
