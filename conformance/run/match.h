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

/* Learns the connection's ISN from the first SYN (before matching) and its
 * TSval offset from the first matched TS option. On mismatch returns false
 * with "seq: expected 1, got 101"-style text in why. */
bool run_match_outbound(const struct run_pkt *exp, const struct synack_segment *seg,
                        struct run_conn *c, const struct run_config *cfg, char *why, size_t whycap);

#endif
