/* Does an outbound packet match what the script expects? Field by field,
 * in packetdrill's order: flags, seq, ack, payload length, window, urgent
 * pointer, options, IP extras. Only what the script gives is checked
 * (window, ack, urg, IP extras), except options: no list means "no
 * options", `<...>` means any, as packetdrill does.
 */
#ifndef SYNACK_RUN_MATCH_H
#define SYNACK_RUN_MATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "run/conns.h"
#include "run/script.h"
#include "synack/segment.h"

/* When the packet was seen and when the script said it would be, for the
 * TS val check (--tcp_ts_tick_usecs). */
struct run_match_when {
	int64_t observed_us; /* the stack's clock when it was sent */
	int64_t nominal_us;  /* its script time as written (sum of the relative
	                        times, no adjustment); -1: unknown (`*`) */
	int64_t script_us;   /* its expected time (the tolerance window's) */
};

/* Learns the connection's ISN from the first SYN (before matching) and its
 * TSval offset from the first matched TS option. On mismatch returns false
 * with "seq: expected 1, got 101"-style text in why. when may be NULL (no
 * TS val check). */
bool run_match_outbound(const struct run_pkt *exp, const struct synack_segment *seg,
                        struct run_conn *c, const struct run_config *cfg,
                        const struct run_match_when *when, char *why, size_t whycap);

/* The TS val the stack should have sent for script value `script_val`
 * observed at `when`, and the allowance in ticks (packetdrill's
 * verify_outbound_tcp_option): the stack's TSval clock runs with real time,
 * so the expectation moves by however late this packet was, compared to how
 * late the connection's first TS packet was; the allowance is
 * max(tolerance_usecs, tolerance_percent % of the script time) in ticks,
 * plus one for rounding. */
uint32_t run_ts_val_expected(const struct run_conn *c, const struct run_config *cfg,
                             uint32_t script_val, const struct run_match_when *when,
                             long long *slack_ticks);

#endif
