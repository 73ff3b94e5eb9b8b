/* simnet: two engine stacks joined by a simulated network, in virtual time.
 *
 * Stack 0 is 10.0.0.1, stack 1 is 10.0.0.2 (env seeds 1 and 2). Every packet
 * one stack emits reaches the other after delay_us, plus a uniform random
 * 0..jitter_us (which reorders), unless the network's seeded PRNG drops it
 * (loss_ppm) or duplicates it (dup_ppm). A reorder_ppm share of packets is
 * held back a further uniform 1..reorder_us, so later packets overtake them;
 * a corrupt_ppm share has one byte of its TCP segment flipped (never the data
 * offset), which the receiver's checksum must catch: counted in its
 * malformed[SYNACK_SEG_BAD_CHECKSUM], never delivered. Faults are drawn in
 * that order per packet (drop; else reorder, corrupt; then duplicate, whose
 * copy gets its own delay and is intact). Packets and timers are processed in
 * time order; packets due at the same microsecond in the order they were
 * sent. Deterministic: same config, same seeds, same calls, same run.
 *
 * Shared by engine/tests/test_two_engines.c and bench/bench_engine.c.
 */
#ifndef SYNACK_ENGINE_TESTS_SIMNET_H
#define SYNACK_ENGINE_TESTS_SIMNET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "synack/engine.h"

#define SIMNET_QMAX   8192 /* packets in flight, both directions */
#define SIMNET_PKTMAX 1600

struct simnet_config {
	uint32_t delay_us;  /* one way; 0 means 1000 (1 ms) */
	uint32_t jitter_us; /* extra uniform delay 0..jitter_us */
	uint32_t loss_ppm;  /* per packet, both directions */
	uint32_t dup_ppm;
	uint32_t reorder_ppm, reorder_us; /* extra delay 1..reorder_us (0: 10 ms) */
	uint32_t corrupt_ppm;
	uint64_t seed; /* the network's PRNG (not the stacks') */
	/* A ce_ppm share of ECT packets is marked CE, as an AQM router would
	 * (RFC 3168 §5); drawn after the others, only for ECT packets. */
	uint32_t ce_ppm;
};

/* What one stack put on the wire. */
struct simnet_dir_stats {
	uint64_t pkts;      /* emitted, dropped ones included */
	uint64_t data_segs; /* emitted with payload */
	uint64_t payload;   /* payload bytes emitted */
	uint64_t dropped, duplicated, reordered, corrupted;
	uint64_t ce_marked; /* ECT packets the network marked CE */
};

struct simnet_pkt {
	uint64_t at, order; /* delivery time; tie-break: send order */
	uint16_t len;
	uint8_t to;
	uint8_t data[SIMNET_PKTMAX];
};

struct simnet;
struct simnet_port {
	struct simnet *net;
	int side;
};

struct simnet {
	struct synack_stack *st[2];
	uint64_t now;
	struct simnet_config cfg;
	struct simnet_dir_stats dir[2]; /* dir[i]: emitted by st[i] */
	size_t len;                     /* packets in flight */
	bool overflow;                  /* the wire was full (an ACK storm?) */
	/* internals */
	uint64_t rng, order;
	struct simnet_pkt *slot;
	uint32_t *heap, *free_slots;
	size_t nfree;
	struct simnet_port port[2];
};

/* Creates both stacks with profile p (NULL: the linux profile) at virtual
 * time 1 s. Returns 0, or -1 if memory cannot be had. */
int simnet_init(struct simnet *net, const struct simnet_config *cfg,
                const struct synack_profile *p);
/* The same for a net simnet_init set up: frees its stacks and starts again
 * with cfg and p, keeping its packet buffers (many short runs, cheaply). */
int simnet_reinit(struct simnet *net, const struct simnet_config *cfg,
                  const struct synack_profile *p);
void simnet_free(struct simnet *net);

/* The address of stack side, port port. */
void simnet_sockaddr(int side, uint16_t port, struct sockaddr_in *sin);

/* Processes the earliest event (one packet delivery and the timers due then)
 * if it is at or before until. Returns false if nothing was due by then. */
bool simnet_step(struct simnet *net, uint64_t until);
/* Runs every event up to until, then sets the clock to until. */
void simnet_run(struct simnet *net, uint64_t until);
/* The earliest pending event: a packet's arrival or a timer; SYNACK_NEVER. */
uint64_t simnet_next_event(const struct simnet *net);

/* A connected pair: a listener on side 1 port 80, a client on side 0; runs
 * the handshake. Returns 0 and the descriptors, or -1. */
int simnet_connect(struct simnet *net, int *client_fd, int *server_fd);

#endif
