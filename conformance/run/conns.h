/* Connections the script talks over, by 4-tuple, with their sequence-space
 * mapping (packetdrill's run_packet.c socket mapping, without its "one
 * socket under test" limit).
 *
 * Script numbers are relative; live numbers are what is on the wire:
 *   inbound  seq/SACK: the peer's own, written as is (peer ISN 0)
 *   inbound  ack, SACK blocks:  script + local_isn
 *   outbound seq:               script + local_isn
 *   outbound ack, SACK blocks:  as is
 *   inbound  TS ecr:            script + ts_offset (the stack's TSval stream)
 * local_isn is learned from the stack's first SYN or SYN-ACK on the
 * connection, ts_offset from its first TS val (live - script). A tuple
 * reused by a later SYN (TIME-WAIT reuse, a SYN in ESTABLISHED) keeps its
 * entry and its mapping, as packetdrill's socket does.
 *
 * Which connection an inbound line goes to: timeline.c inbound_conn().
 */
#ifndef SYNACK_RUN_CONNS_H
#define SYNACK_RUN_CONNS_H

#include <stdbool.h>
#include <stdint.h>

#include "synack/segment.h"

#define RUN_MAX_CONNS 64

struct run_conn {
	struct synack_addr local, remote;
	uint16_t lport, rport;
	bool isn_known, ts_known;
	uint32_t local_isn, ts_offset;
	/* The first TS packet's observed and nominal script times: how late
	 * it was, for the TS val check (match.c). */
	int64_t ts_first_observed_us, ts_first_nominal_us;
	int stack_fd; /* the connected socket, once known (accept/connect); -1 */
};

struct run_conns {
	struct run_conn v[RUN_MAX_CONNS];
	int n;
	int current;         /* where inbound packets go: the last connection used; -1 */
	uint16_t next_rport; /* remote ports for passive opens */
	/* A listen() succeeded since the current connection was chosen: the
	 * listener is packetdrill's "socket under test", so the next inbound
	 * packet without ports opens a new connection (a new remote port). */
	bool listening;
};

void run_conns_init(struct run_conns *cs);
/* -1 if none. */
int run_conns_find(const struct run_conns *cs, const struct synack_addr *local, uint16_t lport,
                   const struct synack_addr *remote, uint16_t rport);
int run_conns_by_fd(const struct run_conns *cs, int stack_fd);
/* -1 when full. */
int run_conns_add(struct run_conns *cs, const struct synack_addr *local, uint16_t lport,
                  const struct synack_addr *remote, uint16_t rport);

/* A remote port no connection uses, for a passive open the script wrote
 * without ports (48000, 48001, ...). */
uint16_t run_conns_new_rport(struct run_conns *cs);

/* Relative <-> live for a connection (identity until the ISN is known). */
uint32_t run_conn_local_off(const struct run_conn *c);

#endif
