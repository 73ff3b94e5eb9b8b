/* Packets in the script's own syntax, so a failure reads like the script:
 * "S. 0:0(0) ack 1 win 65535 <mss 1460,nop,wscale 7>".
 *
 * One printer for expected packets (the script model) and actual ones (a
 * live segment first made relative with run_pkt_from_live), so the two
 * lines of a report differ only where the packets do.
 */
#ifndef SYNACK_RUN_PKT_PRINT_H
#define SYNACK_RUN_PKT_PRINT_H

#include <stddef.h>

#include "run/conns.h"
#include "run/script.h"
#include "synack/segment.h"

/* "S.", "P.", "F.", "R", "." ...: packetdrill's order (F S R P . U E W). */
void run_flags_format(uint8_t flags, char *buf, size_t cap);
/* "mss", "TS", "nop" ... as the script spells them. */
const char *run_opt_name(enum run_opt_kind kind);
/* Without the direction and time. */
void run_pkt_format(const struct run_pkt *p, char *buf, size_t cap);
/* A live segment as the script would write it: relative to conn (NULL:
 * absolute numbers), window and options always shown. */
void run_pkt_from_live(const struct synack_segment *seg, const struct run_conn *conn, bool outbound,
                       struct run_pkt *out);

#endif
