/* Part 2, receiver side and idle timers: delayed ACK (delack.c), the
 * out-of-order queue (ooo.c), SACK / D-SACK generation (sack_gen.c), the
 * persist timer (persist.c) and keepalive (keepalive.c).
 *
 * Their per-connection state lives in one struct (tcb.rx) so the shared
 * TCB in internal.h only gains a single member; the hooks the shared files
 * call are declared here.
 */
#ifndef SYNACK_ENGINE_RX_H
#define SYNACK_ENGINE_RX_H

#include <stdbool.h>
#include <stdint.h>

struct tcb;
struct synack_segment;

#define SA_OOO_MAX_SACK 4 /* RFC 2018 §3: at most 4 blocks (3 with timestamps) */

/* One out-of-order run of bytes [seq, end), kept in sequence order. */
struct sa_ooo_seg {
	struct sa_ooo_seg *next;
	uint32_t seq, end;
	/* The extent of the skb the run's bytes came in (Linux keeps that skb
	 * whole, overlapping what was held before it): a segment within it is
	 * all held already (sa_ooo_holds). */
	uint32_t skb_seq, skb_end;
	bool fin;          /* the peer's FIN follows end */
	uint32_t truesize; /* the skb it arrived in (Linux: skb_set_owner_r), or 0 */
	uint32_t tailroom; /* that skb's, for a later in-order segment's copy */
	uint8_t data[];    /* end - seq bytes */
};

struct sa_sack_block {
	uint32_t start, end;
};

struct sa_rx {
	/* Persist and keepalive share Linux's icsk_probes_out (tcp_info.probes). */
	uint8_t probes_out;
	bool probes_tstamp_set; /* Linux: icsk_probes_tstamp != 0 */
	uint64_t probes_tstamp_us;

	/* Delayed ACK (Linux: icsk->icsk_ack). */
	uint8_t ack_pending; /* SA_ACK_* bits */
	uint16_t quick;      /* quick-ACK credit (Linux: icsk_ack.quick) */
	bool pingpong;       /* interactive mode (Linux: inet_csk_in_pingpong_mode) */
	uint32_t ato_us;     /* Linux: icsk_ack.ato */
	uint64_t lrcv_us;    /* last data received (Linux: icsk_ack.lrcvtime) */

	/* Out-of-order queue (ooo.c), bounded by the receive buffer. */
	struct sa_ooo_seg *ooo;
	uint32_t ooo_mem; /* bytes allocated (headers + payload), within rcvbuf */
	/* The held skbs' truesize, part of Linux's sk_rmem_alloc (window.c). */
	uint32_t ooo_truesize;
	/* SACK compression (Linux: tp->compressed_ack, dup_ack_counter). */
	uint32_t comp_rcv_nxt;
	uint8_t dup_ack_counter;
	uint32_t compressed_ack;

	/* The receiver's RTT estimate (rcv_rtt.c; Linux: tp->rcv_rtt_est). */
	uint32_t rcv_rtt_us;  /* microseconds << 3; 0: none yet */
	bool rcv_rtt_timing;  /* a window-based measurement is under way */
	uint32_t rcv_rtt_seq; /* ... it ends when RCV.NXT gets here */
	uint64_t rcv_rtt_time_us;
	uint32_t rcv_rtt_last_tsecr;

	/* SACK blocks to send, most recent first (RFC 2018 §4), and a
	 * pending D-SACK block (RFC 2883). */
	struct sa_sack_block sack[SA_OOO_MAX_SACK];
	uint8_t n_sack;
	bool dsack;
	struct sa_sack_block dsack_blk;
	/* A multi-segment skb leaves as segments that all carry the header of
	 * its first (GSO): its SACK blocks, a D-SACK sent once included.
	 * 1: the skb's first segment is next; 2: the blocks below apply. */
	uint8_t gso_sack;
	uint8_t gso_n;
	struct synack_sack_block gso_blk[SYNACK_MAX_SACK_BLOCKS];
};

/* keepalive.c */
void sa_keepalive_reset(struct tcb *t); /* (re)arm at KEEPIDLE from the last segment heard */
void sa_keepalive_fire(struct tcb *t);
void sa_keepalive_set(struct tcb *t, bool on);
void sa_keepalive_idle_changed(struct tcb *t);

/* persist.c */
void sa_persist_check(struct tcb *t); /* after output: arm if a zero window blocks data */
void sa_persist_on_ack(struct tcb *t, uint32_t prior_in_flight);
void sa_persist_fire(struct tcb *t);
uint64_t sa_probe0_when(const struct tcb *t);

/* delack.c */
void sa_rx_ooo_ack(struct tcb *t); /* out-of-order data arrived: ACK now */
void sa_rx_data_ack(struct tcb *t, uint32_t len, bool gap_filled); /* in-order data queued */
void sa_delack_data_in(struct tcb *t, uint32_t len, bool gap_filled);
void sa_delack_ack_needed(struct tcb *t); /* a duplicate: quick-ACK mode, ACK now */
void sa_delack_ack_lost(struct tcb *t);   /* old data dropped unread: quick-ACK mode */
bool sa_delack_fin(struct tcb *t);        /* a FIN in ESTABLISHED: true if its ACK may wait */
void sa_delack_check(struct tcb *t);      /* end of input: ACK now or arm the timer */
void sa_delack_sent_ack(struct tcb *t);   /* a segment with ACK went out */
void sa_delack_data_sent(struct tcb *t);  /* new data went out */
void sa_delack_fire(struct tcb *t);
void sa_delack_comp_sack_fire(struct tcb *t); /* the compressed-SACK timer */
void sa_delack_established(struct tcb *t);
void sa_delack_quickack(struct tcb *t, bool on);
void sa_delack_enter_quickack(struct tcb *t, uint32_t max); /* Linux: tcp_enter_quickack_mode */
void sa_delack_ack_now(struct tcb *t); /* the ACK owed goes at once (Linux: ICSK_ACK_NOW) */
bool sa_delack_quickack_get(const struct tcb *t);
bool sa_delack_cleanup_rbuf(struct tcb *t, uint32_t copied);
uint32_t sa_delack_ato(const struct tcb *t);
bool sa_window_wont_shrink(struct tcb *t); /* window.c */

/* rcv_rtt.c */
void sa_rcv_rtt_measure(struct tcb *t); /* in-order data queued, RCV.NXT past it */
void sa_rcv_rtt_measure_ts(struct tcb *t,
                           const struct synack_segment *seg); /* ESTABLISHED, after the ACK */

/* ooo.c */
/* Queues out-of-order text; returns false if it could not be kept. */
bool sa_ooo_insert(struct tcb *t, uint32_t seq, const uint8_t *p, uint32_t len, bool fin,
                   uint32_t truesize, uint32_t tailroom);
/* Moves what is now in order into the receive queue; *fin if the peer's
 * FIN is now in sequence. Returns the bytes moved. */
uint32_t sa_ooo_drain(struct tcb *t, bool *fin);
void sa_ooo_purge(struct tcb *t);
void sa_ooo_make_room(struct tcb *t, uint32_t need);                /* before in-order data */
bool sa_ooo_prune(struct tcb *t, uint32_t in_seq, uint32_t in_len); /* Linux: tcp_prune_ofo_queue */
void sa_ooo_collapse(struct tcb *t); /* Linux: tcp_collapse_ofo_queue */

/* rmem.c: receive memory under pressure (Linux: tcp_try_rmem_schedule) */
bool sa_rmem_can_ingest(const struct tcb *t, uint32_t len);
/* May a segment [seq, seq+len) be queued? Clamps, collapses, prunes first;
 * false: drop it. */
bool sa_rmem_schedule(struct tcb *t, uint32_t seq, uint32_t len);
bool sa_ooo_empty(const struct tcb *t);
uint32_t sa_ooo_last_end(const struct tcb *t); /* the highest sequence held, FIN included */
bool sa_ooo_holds(const struct tcb *t, uint32_t seq, uint32_t end); /* all held, one run */
const char *sa_ooo_invariant(const struct tcb *t);                  /* NULL if sound */

/* sack_gen.c */
void sa_sack_on_ooo(struct tcb *t, uint32_t seq, uint32_t end);
void sa_sack_on_advance(struct tcb *t);
/* Fills blk with the blocks to send (D-SACK first), at most max; returns n. */
struct synack_segment;
/* Puts the SACK / D-SACK blocks into an outgoing segment (Linux:
 * tcp_established_options); a D-SACK is sent once. */
void sa_sack_fill(struct tcb *t, struct synack_segment *s);
void sa_gso_sack_begin(struct tcb *t, bool many); /* a new skb leaves: one segment or several */
uint32_t sa_sack_opt_len(const struct tcb *t);
void sa_dsack_set(struct tcb *t, uint32_t seq, uint32_t end);
void sa_dsack_extend(struct tcb *t, uint32_t seq, uint32_t end);

#endif
