/* Connections the script talks over, by 4-tuple, with their sequence-space
 * mapping (packetdrill's run_packet.c socket mapping, without its "one
 * socket under test" limit).
 *
 * Script numbers follow packetdrill (its socket.h): a packet with SYN set
 * carries absolute numbers, every other packet numbers relative to the
 * ISNs, so scripts read like tcpdump's relative output:
 *   inbound  seq:               script + remote_isn (SYN: as is)
 *   inbound  ack, SACK blocks:  script + local_isn (SYN: + local_isn -
 *                               script_local_isn)
 *   outbound seq:               the same local mapping
 *   outbound ack, SACK blocks:  the same remote mapping
 *   inbound  TS ecr:            script + ts_offset (the stack's TSval stream)
 * remote_isn is the seq of the SYN that opened a passive connection (0 for
 * an active one: packetdrill learns it only from the SYN that reaches a
 * listener). local_isn is the stack's first SYN or SYN-ACK seq on the
 * connection and script_local_isn what the script's line wrote for it;
 * ts_offset comes from the first TS val (live - script). A tuple reused by
 * a later SYN on the same connection (TIME-WAIT reuse, a SYN in
 * ESTABLISHED) keeps its entry and its mapping, as packetdrill's socket
 * does; a SYN to a listener the script listen()ed on again, or the SYN of
 * a new connect(), is a new incarnation with a new entry that learns all
 * of it afresh (packetdrill's new socket).
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
	uint32_t local_isn, script_local_isn, ts_offset;
	uint32_t remote_isn;
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

/* Script -> live offsets for the stack's sequence space (the ack of an
 * inbound packet, the seq of an outbound one) and the peer's (the other
 * way round), for a packet with or without SYN. Live -> script subtracts. */
uint32_t run_conn_local_off(const struct run_conn *c, bool syn);
uint32_t run_conn_remote_off(const struct run_conn *c, bool syn);

#endif
