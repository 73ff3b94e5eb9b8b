/* The engine's private types: the stack, the TCB, timers, buffers.
 *
 * One struct tcb serves every kind of socket: a fresh socket, a listener, an
 * embryonic connection in a listener's SYN queue (Linux's request sock), a
 * full connection, an orphan (closed by the user, still finishing its close)
 * and TIME_WAIT. Everything is reached from struct synack_stack; there are no
 * globals.
 */
#ifndef SYNACK_ENGINE_INTERNAL_H
#define SYNACK_ENGINE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synack/engine.h"
#include "synack/segment.h"

#include "rx.h" /* part 2 receiver and idle timers */

/* States with Linux's numbering (<netinet/tcp.h>), so tcp_info.state and
 * scripts' expectations need no translation. */
enum sa_state {
	SA_ESTABLISHED = 1,
	SA_SYN_SENT = 2,
	SA_SYN_RECV = 3,
	SA_FIN_WAIT1 = 4,
	SA_FIN_WAIT2 = 5,
	SA_TIME_WAIT = 6,
	SA_CLOSED = 7,
	SA_CLOSE_WAIT = 8,
	SA_LAST_ACK = 9,
	SA_LISTEN = 10,
	SA_CLOSING = 11,
};

/* Timer kinds: one slot per kind per connection in the stack's heap. The
 * order is the tie-break for equal deadlines on one connection. */
enum sa_timer_kind {
	SA_T_RTX,       /* SYN, SYN-ACK, FIN, data retransmission (RFC 6298; part 2 widens) */
	SA_T_DELACK,    /* part 2: delayed ACK */
	SA_T_PERSIST,   /* part 2: zero-window probes */
	SA_T_KEEPALIVE, /* part 2: RFC 1122 §4.2.3.6 */
	SA_T_FIN_WAIT2, /* orphaned FIN_WAIT_2 (Linux: tcp_fin_timeout) */
	SA_T_TIME_WAIT, /* 2MSL (Linux: TCP_TIMEWAIT_LEN) */
	SA_T_COMP_SACK, /* compressed SACK (Linux: tp->compressed_ack_timer) */
	SA_T_COUNT
};

/* One received skb still (partly) in rcvq: where its bytes end (in
 * rcvq_in units), its truesize and the tailroom later data may fill. */
struct sa_rskb {
	uint32_t end, truesize, tailroom;
};

struct sa_ring {
	uint8_t *buf;
	uint32_t cap, head, len;
};

enum { SA_SS_UNCONNECTED, SA_SS_CONNECTING, SA_SS_CONNECTED };

struct tcb {
	struct synack_stack *st;
	uint32_t id;    /* creation order: a stable tie-break */
	int fd;         /* -1: no descriptor (embryonic, queued for accept, orphan) */
	uint8_t state;  /* enum sa_state */
	uint8_t family; /* 4 or 6: the wire's (an AF_INET6 socket may talk IPv4) */
	/* The socket's domain, 4 or 6. An AF_INET6 socket bound or connected
	 * to an IPv4-mapped address (RFC 4291 §2.5.5.2), or accepted off a
	 * dual-stack listener by an IPv4 SYN, talks IPv4 (family 4) while its
	 * addresses read back as ::ffff:a.b.c.d (Linux: ipv6_mapped af_ops). */
	uint8_t sock_family;
	bool v6only; /* IPV6_V6ONLY (Linux: sk_ipv6only; bindv6only is 0) */

	struct synack_addr laddr, raddr;
	uint16_t lport, rport;
	bool bound, in_conn_hash, in_bind_hash, connected_tuple;
	struct tcb *hnext; /* 4-tuple hash chain */
	struct tcb *bnext; /* bind hash chain (by local port) */

	/* Listener: SYN queue (embryonic children) and accept queue. */
	struct tcb *listener;      /* for children: the listener that owns them */
	struct tcb *qnext, *qprev; /* link in the listener's syn or accept queue */
	bool in_accept_queue;
	struct tcb *synq_head, *acceptq_head, *acceptq_tail;
	uint32_t synq_len, acceptq_len;
	uint32_t max_ack_backlog;
	bool acked_on_overflow; /* Linux: inet_rsk(req)->acked */

	/* Send sequence space (RFC 9293 §3.3.1). */
	uint32_t iss, snd_una, snd_nxt, snd_wnd, snd_wl1, snd_wl2, max_snd_wnd, snd_up;
	/* Receive sequence space. */
	uint32_t irs, rcv_nxt, rcv_wnd, rcv_wup;
	uint32_t rcv_ssthresh, window_clamp;
	/* Receive-buffer autotuning (autotune.c; Linux: tp->rcvq_space). */
	uint32_t rcvq_space, rcvq_space_seq;
	uint64_t rcvq_space_us;
	/* Receive memory as Linux charges it (window.c): tp->scaling_ratio
	 * (window bytes per 256 bytes of buffer) and sk_rmem_alloc, the skb
	 * truesize of what rcvq holds, one record per skb. */
	uint8_t scaling_ratio;
	uint32_t rmem_alloc;
	struct sa_rskb *rskb;
	uint32_t rskb_cap, rskb_head, rskb_n;
	uint32_t rcvq_in, rcvq_out; /* bytes ever written to / read from rcvq (mod 2^32) */
	uint32_t snd_sml;           /* end of the last small segment sent (Nagle, Minshall) */

	/* Negotiated options. */
	bool ws_ok, sack_ok, ts_ok;
	uint8_t ecn_flags; /* SA_ECN_* (ecn.c; Linux: tp->ecn_flags) */
	uint8_t snd_wscale, rcv_wscale;
	uint16_t mss_clamp; /* the peer's MSS option (or default_mss) */
	uint16_t advmss;    /* what we advertise */
	uint16_t snd_mss;   /* payload per segment, options subtracted */
	/* The MSS of the send loop under way, fixed at its start (Linux:
	 * tcp_write_xmit's mss_now), else 0. */
	uint16_t xmit_mss;
	uint16_t rcv_mss; /* estimate of the peer's segment size */
	uint32_t ts_recent, ts_offset;
	uint64_t ts_recent_stamp_us;

	/* Buffers: sndq starts at SND.UNA (after SYN), rcvq holds in-order data. */
	struct sa_ring sndq, rcvq;
	uint32_t sndbuf, rcvbuf;
	bool rcvbuf_locked, sndbuf_locked; /* set by SO_RCVBUF / SO_SNDBUF */
	bool nospace; /* a writer found the send buffer full (Linux: SOCK_NOSPACE) */
	bool fin_queued, fin_sent, rcv_fin, shut_rd, shut_wr;
	/* The FIN was left behind by pushed data the window had no room for
	 * it beside (Linux: the split skb's remainder keeps the PSH mark). */
	bool fin_psh;
	uint32_t fin_seq; /* sequence number of our FIN when sent */
	int so_error;
	/* Linux: sk_err_soft — the last ICMP soft error (icmp.c); a timeout
	 * reports it instead of ETIMEDOUT (tcp_write_err). */
	int soft_err;
	/* Path MTU learned from ICMP (icmp.c; Linux: icsk_pmtu_cookie); 0:
	 * the profile's mtu. */
	uint16_t pmtu;
	bool reset_seen, orphan, timed_out;
	bool dead; /* freed, waiting in the graveyard */

	/* Socket options (stored; those of part 2 are applied there). */
	uint8_t ss;      /* socket state: SA_SS_* (Linux: sock->state) */
	bool user_bound; /* bind() chose the port (Linux: SOCK_BINDPORT_LOCK) */
	/* Linux sk_userlocks' SOCK_BINDPORT_LOCK (bind() named a port) and
	 * SOCK_BINDADDR_LOCK (bind() named an address), inherited by children:
	 * what a disconnect (disconnect.c) keeps. */
	bool port_locked, addr_locked;
	uint64_t last_synq_overflow_us; /* listener: last cookie sent */
	bool synq_overflowed;
	bool reuseaddr, linger_on, keepalive, nodelay, cork, quickack;
	/* persist.c: the probe timer's one segment (Linux tcp_write_wakeup),
	 * sent past TCP_CORK, Nagle and sender SWS avoidance, with PSH. */
	bool wakeup_one;
	/* output.c: this send loop runs with TCP_NAGLE_OFF (F-RTO's new data:
	 * tcp_xmit_recovery's REXMIT_NEW) — neither Nagle nor TCP_CORK. */
	bool nagle_off;
	/* output.c: a send loop for the full skb a write just filled (Linux:
	 * tcp_push_one) — no TSO deferral. */
	bool push_one;
	/* Linux TCP_NAGLE_PUSH: TCP_NODELAY set (or TCP_CORK cleared under it)
	 * pushes what is queued past Nagle and a later TCP_CORK alike
	 * (tcp_nagle_test tests it first), until a send starts a new skb
	 * (tcp_skb_entail). The engine has no skbs: a send finding nothing
	 * unsent starts one; one appending to unsent data is taken to fit
	 * the tail skb (size_goal is many MSS) and keeps the push. */
	bool nagle_push;
	int linger_s;
	/* TCP_LINGER2 (fin_wait2.c): -1 abort at FIN-WAIT-2, 0 tcp_fin_timeout,
	 * else seconds (at most 120: TCP_FIN_TIMEOUT_MAX). fw2_timewait: the
	 * orphan's FIN-WAIT-2 is now what Linux keeps as a TIME_WAIT sock. */
	int linger2_s;
	/* SO_RCVLOWAT (Linux: sk_rcvlowat; 0 here stands for the default 1):
	 * readiness, the delayed-ACK rule, a larger buffer (sockopt.c). */
	uint32_t rcvlowat;
	bool fw2_timewait;
	uint16_t user_mss;
	uint32_t keepidle_s, keepintvl_s, keepcnt, user_timeout_ms;
	uint8_t defer_accept; /* TCP_DEFER_ACCEPT as SYN-ACK retransmissions (Linux) */
	uint8_t syncnt;
	enum synack_cc cc;
	/* IP level (sockopt.c): IP_TOS / IP_TTL (Linux: inet->tos, uc_ttl) and
	 * IPV6_TCLASS / IPV6_UNICAST_HOPS (np->tclass, hop_limit); a TTL or hop
	 * limit of -1 is the default (SA_DEFAULT_TTL). */
	uint8_t ip_tos, ip6_tclass;
	int16_t ip_ttl, ip6_hops;
	/* IP_RECVERR / IPV6_RECVERR (Linux: inet->recverr, np->recverr): an
	 * ICMP soft error becomes the socket error at once (icmp.c). */
	bool recverr, recverr6;
	/* Urgent data (RFC 9293 §3.8.5, RFC 6093; urgent.c). Sending: urgent
	 * mode while SND.UP (snd_up) is ahead of SND.UNA (Linux: tcp_urg_mode).
	 * Receiving: Linux's urg_seq (the sequence number of the last urgent
	 * byte) and urg_data (SA_URG_* | the byte); SO_OOBINLINE. */
	bool snd_urg, oobinline;
	uint16_t urg_data;
	uint32_t urg_seq;
	/* Linux's header prediction (fastpath.c): tp->pred_flags on, with the
	 * peer's window field it expects. */
	bool hp_on;
	uint16_t hp_wnd;

	/* Congestion window (cc.c). */
	uint32_t snd_cwnd, snd_ssthresh; /* segments, as Linux counts them */

	/* Timers and retransmission (rtx.c). */
	uint64_t t_deadline[SA_T_COUNT];
	uint32_t t_heap[SA_T_COUNT]; /* index+1 in the heap; 0: not armed */
	uint32_t rto_us;
	uint8_t retransmits;
	/* Linux keeps two counts: icsk_backoff (tcpi_backoff), bumped by the
	 * retransmission timer and by zero-window probes, and the doublings
	 * of icsk_rto itself, which only the retransmission timer applies
	 * (tcp_retransmit_timer vs tcp_send_probe0). rto_us << rto_shift is
	 * Linux's icsk_rto. */
	uint8_t backoff, rto_shift;
	uint32_t total_retrans;
	uint64_t first_tx_us; /* start of the current retransmission episode */

	/* ---- part 2 sender (p2-tx): rto.c, rtx.c, recovery.c, cc*.c ---- */
	/* RFC 6298 estimator in Linux's fixed point (tcp_rtt_estimator):
	 * srtt_us is SRTT << 3, mdev/mdev_max/rttvar are 4 * RTTVAR. */
	uint32_t srtt_us, mdev_us, mdev_max_us, rttvar_us, rtt_seq;
	uint32_t min_rtt_us;       /* smallest sample (CUBIC's delay_min) */
	uint64_t pacing_rate;      /* bytes/s (Linux: sk_pacing_rate), tso.c */
	uint64_t retrans_stamp_us; /* first retransmission (Linux: retrans_stamp) */
	bool retrans_stamped, syn_rtx_no_sample;
	/* Unsent data's skbs, oldest first: their lengths (sndbuf.c; Linux:
	 * the write queue), kept with the profile's snd_truesize. */
	uint32_t *uskb;
	uint32_t uskb_cap, uskb_head, uskb_n;
	uint32_t pushed_seq;    /* Linux: tp->pushed_seq, the end of the last push mark */
	uint32_t notsent_lowat; /* TCP_NOTSENT_LOWAT; 0: the profile's (sysctl) */
	/* Sent segments, oldest first (Linux: the retransmit queue's skbs). */
	struct sa_txseg *txq;
	uint32_t txq_cap, txq_head, txq_len;
	uint32_t lost_out, retrans_out, sacked_out; /* segments (Linux names) */
	uint32_t undo_marker;                       /* Linux: undo_marker (0: none) */
	int32_t undo_retrans;                       /* retransmissions not yet D-SACKed */
	uint32_t prior_ssthresh;
	/* RFC 5682 F-RTO (Linux: tp->frto): the RTO may be spurious until an
	 * ACK says otherwise; frto_new: send new data before retransmitting
	 * (step 2b, Linux REXMIT_NEW). */
	bool frto, frto_new;
	uint8_t ca_state;                            /* TCP_CA_Open/Disorder/CWR/Recovery/Loss */
	uint32_t high_seq;                           /* RFC 6582 "recover" */
	uint32_t prior_cwnd, prr_delivered, prr_out; /* RFC 6937 PRR (Linux) */
	uint32_t snd_cwnd_cnt, max_packets_out, cwnd_usage_seq;
	bool is_cwnd_limited;
	uint64_t lsndtime_us; /* last data sent (RFC 7661 / Linux tcp_cwnd_restart) */
	uint64_t cc_priv[8];  /* the cc algorithm's state (cc_cubic.c) */
	/* RACK (RFC 8985 §6; Linux tcp_recovery.c), SACK connections only. */
	uint64_t rack_xmit_us; /* RACK.xmit_ts (Linux: rack.mstamp) */
	uint32_t rack_end_seq; /* RACK.end_seq */
	uint32_t rack_rtt_us;  /* RACK.rtt */
	uint32_t fack;         /* end of the highest SACKed segment (Linux: highest_sack) */
	uint32_t reord_seen;   /* Linux: reord_seen (RFC 8985 §6.2 step 4) */
	/* tcpi_bytes_sent, tcpi_bytes_retrans (RFC 4898 tcpEStatsPerfHCDataOctetsOut,
	 * tcpEStatsPerfOctetsRetrans), tcpi_rcv_ooopack, and the RTO
	 * statistics (rtx.c sa_rto_stats: tcpi_total_rto*). */
	uint64_t bytes_sent, bytes_retrans;
	uint32_t rcv_ooopack;
	uint32_t total_rto, total_rto_recoveries, total_rto_time_ms;
	uint64_t rto_stamp_ms;        /* 0: no RTO episode under way (Linux: rto_stamp) */
	uint32_t reordering;          /* Linux: tp->reordering, DupThresh (raised by reordering) */
	bool rack_advanced, rack_reo; /* RACK.xmit_ts moved; SA_T_RTX is the REO timer */
	/* RFC 8985 §6.2 step 4 (Linux: tcp_rack_update_reo_wnd): reo_wnd in
	 * steps of min_rtt / 4, one more per round trip with a D-SACK, back
	 * to one after 16 recoveries without. delivered: segments delivered
	 * so far (Linux: tp->delivered), stamped on each one sent. */
	uint32_t delivered, rack_last_delivered, dsack_dups;
	uint8_t rack_reo_wnd_steps, rack_reo_wnd_persist;
	bool rack_dsack_seen;
	/* TLP (RFC 8985 §7; Linux tcp_schedule_loss_probe), tlp.c. */
	uint32_t tlp_high_seq;         /* TLPRxtOut's SND.NXT (valid while tlp_out) */
	bool tlp_out, tlp_retrans;     /* a probe is unacknowledged; it was a retransmission */
	bool tlp_pending, tlp_sending; /* SA_T_RTX is the probe timer; a probe is being sent */

	/* RFC 5961 §7 / Linux tcp_oow_rate_limited: last out-of-window ACK. */
	uint64_t last_oow_ack_us;
	bool oow_ack_sent;

	/* tcp_info. */
	uint32_t segs_in, segs_out, data_segs_in, data_segs_out;
	uint64_t bytes_acked, bytes_received;
	uint64_t last_data_sent_us, last_data_recv_us, last_ack_recv_us, last_ack_sent_us;

	/* Part 2 receiver side and idle timers (rx.h). */
	struct sa_rx rx;
};

struct sa_timer {
	uint64_t deadline;
	uint64_t armed; /* when it was set (its length: deadline - armed) */
	uint64_t order; /* insertion counter: stable tie-breaking */
	struct tcb *tcb;
	uint8_t kind;
};

#define SA_MAX_ADDRS 8
/* Linux: net.ipv4.ip_default_ttl and net.ipv6.conf.*.hop_limit, both 64. */
#define SA_DEFAULT_TTL 64

struct synack_stack {
	struct synack_profile prof;
	struct synack_env env;
	struct synack_stats stats;
	uint64_t now_us;

	struct synack_addr addrs[SA_MAX_ADDRS];
	int n_addrs;

	/* Descriptors: fds[i] is descriptor i + 3 (Linux gives 0-2 to stdio). */
	struct tcb **fds;
	uint32_t n_fds;
	uint32_t n_tcbs; /* every live tcb, bounded by max_sockets */
	uint32_t next_id;

	/* Demultiplexing. */
	struct tcb **conn_hash; /* by 4-tuple */
	struct tcb **bind_hash; /* by local port: bound sockets and listeners */
	uint32_t hash_mask;

	/* Timers: a binary min-heap of (deadline, order). */
	struct sa_timer *heap;
	uint32_t heap_len, heap_cap;
	uint64_t timer_order;
	uint64_t firing_len_us; /* while a timer's expiry runs: its length + 1; else 0 */

	/* Secrets derived from the seed (isn.c). */
	uint64_t k_isn[2], k_ts[2], k_port[2], k_cookie[2];
	uint32_t port_offset_ctr; /* advances the ephemeral port search */
	uint64_t chal_sec;        /* challenge_ack_limit: the current second and its count */
	uint32_t chal_count;

	/* Output buffer for one packet. */
	uint8_t *obuf;
	size_t obuf_cap;
	/* Deferred frees (a tcb freed while input still holds it). */
	struct tcb *graveyard;
	/* The first state change outside RFC 9293's diagram (conn.c
	 * sa_set_state), for synack_check_invariants. */
	struct {
		bool seen;
		uint8_t from, to;
		uint32_t tcb_id;
	} bad_state_change;
};

/* ---- memory (stack.c) ---- */
void *sa_alloc(struct synack_stack *st, size_t n);
/* Not zeroed: for buffers never read before they are written (ring data). */
void *sa_alloc_raw(struct synack_stack *st, size_t n);
void sa_free(struct synack_stack *st, void *p);

/* ---- stack.c: addresses, demux, descriptors ---- */
bool sa_is_local_addr(const struct synack_stack *st, const struct synack_addr *a);
bool sa_addr_eq(const struct synack_addr *a, const struct synack_addr *b);
bool sa_addr_any(const struct synack_addr *a);
void sa_conn_hash_add(struct tcb *t);
void sa_conn_hash_del(struct tcb *t);
struct tcb *sa_conn_lookup(struct synack_stack *st, const struct synack_addr *laddr, uint16_t lport,
                           const struct synack_addr *raddr, uint16_t rport);
void sa_bind_hash_add(struct tcb *t);
void sa_bind_hash_del(struct tcb *t);
bool sa_families_overlap(const struct tcb *a, const struct tcb *b);
struct tcb *sa_listener_lookup(struct synack_stack *st, const struct synack_addr *laddr,
                               uint16_t lport, uint8_t family);
bool sa_port_in_use(struct synack_stack *st, const struct tcb *self,
                    const struct synack_addr *laddr, uint16_t port, bool reuse);
int sa_fd_alloc(struct synack_stack *st, struct tcb *t);
struct tcb *sa_fd_get(struct synack_stack *st, int fd, int *err);
void sa_fd_release(struct synack_stack *st, int fd);
void sa_reap(struct synack_stack *st); /* frees tcbs that died during a call */

/* ---- conn.c: TCB lifecycle and state ---- */
struct tcb *sa_tcb_new(struct synack_stack *st, uint8_t family);
void sa_tcb_defaults(struct synack_stack *st, struct tcb *t, uint8_t family); /* t zeroed */
int sa_disconnect(struct tcb *t); /* disconnect.c: connect(AF_UNSPEC) */
uint16_t sa_default_mss(const struct synack_stack *st, uint8_t family);
void sa_tcb_free(struct tcb *t);
void sa_set_state(struct tcb *t, uint8_t state);
bool sa_state_change_allowed(uint8_t from, uint8_t to);
void sa_tcb_done(struct tcb *t);            /* to CLOSED: unhash, stop timers, free if orphan */
void sa_reset_conn(struct tcb *t, int err); /* an RST arrived or the connection aborted */
void sa_enter_time_wait(struct tcb *t);

/* ---- fin_wait2.c: an orphan's FIN-WAIT-2 lifetime (Linux tcp_fin_time) ---- */
uint64_t sa_fin_time_us(const struct tcb *t);
bool sa_fin_wait2_orphaned(struct tcb *t); /* false: TCP_LINGER2 < 0, abort */
void sa_fin_wait2_timeout(struct tcb *t);
void sa_established(struct tcb *t);
const char *sa_state_name(uint8_t s);
void sa_sync_mss(struct tcb *t);
uint32_t sa_cur_mss(const struct tcb *t); /* Linux: tcp_current_mss */
bool sa_ring_reserve(struct synack_stack *st, struct sa_ring *r, uint32_t cap);
bool sa_ring_grow(struct synack_stack *st, struct sa_ring *r, uint32_t cap);
void sa_sndbuf_expand(struct tcb *t);
void sa_check_space(struct tcb *t);
uint32_t sa_ring_write(struct sa_ring *r, const uint8_t *p, uint32_t n);
uint32_t sa_ring_peek(const struct sa_ring *r, uint32_t off, uint8_t *p, uint32_t n);
void sa_ring_drop(struct sa_ring *r, uint32_t n);
void sa_ring_free(struct synack_stack *st, struct sa_ring *r);

/* ---- output.c ---- */
void sa_send_syn(struct tcb *t);
void sa_send_synack(struct tcb *t);
void sa_send_ack(struct tcb *t);
/* The ACK of an embryonic connection (Linux: tcp_v4_reqsk_send_ack). */
void sa_send_embryonic_ack(struct tcb *t, const struct synack_segment *in);
void sa_send_rst_for(struct tcb *t); /* RST|ACK at SND.NXT (abort) */
void sa_send_reset_reply(struct synack_stack *st, const struct synack_segment *in);
void sa_output(struct tcb *t);          /* send whatever data/FIN the window and Nagle allow */
void sa_output_recovery(struct tcb *t); /* what an ACK calls for (tcp_xmit_recovery) */
/* gso_end: the last segment of a transmission of several (tso.c): Linux
 * sets PSH on it. */
void sa_send_data(struct tcb *t, uint32_t seq, uint32_t len, bool fin, bool rtx, bool gso_end);
void sa_emit(struct synack_stack *st, struct synack_segment *s);

/* ---- input.c ---- */
void sa_tcp_input(struct synack_stack *st, struct synack_segment *seg);
/* icmp.c: an ICMPv4/ICMPv6 datagram (the outer IP header already known
 * not to carry TCP); returns false if it is not ICMP at all. */
bool sa_icmp_input(struct synack_stack *st, const uint8_t *pkt, size_t len);
/* Linux: tcp_write_err — sk_err_soft if set, else ETIMEDOUT. */
int sa_timeout_error(const struct tcb *t);
/* Delayed-ACK hook: part 1 acknowledges at once. */
void sa_ack_needed(struct tcb *t);
void sa_send_ack_now(struct tcb *t);
/* RFC 5961 §7 / Linux tcp_oow_rate_limited: true if the ACK must be skipped. */
bool sa_oow_rate_limited(struct tcb *t, const struct synack_segment *seg);

/* ---- ecn.c: RFC 3168 ECN (Linux tcp_ecn_*) ---- */
enum {
	SA_ECN_OK = 1,         /* negotiated (Linux: TCP_ECN_OK) */
	SA_ECN_QUEUE_CWR = 2,  /* CWR on the next new data segment */
	SA_ECN_DEMAND_CWR = 4, /* ECE on every segment until the peer's CWR */
	SA_ECN_SEEN = 8,       /* an ECT or CE segment arrived */
};
uint8_t sa_ecn_syn_flags(struct tcb *t); /* ECE|CWR for our SYN, or 0 */
void sa_ecn_rcv_synack(struct tcb *t, const struct synack_segment *seg);
void sa_ecn_rcv_syn(struct tcb *t, const struct synack_segment *seg);
bool sa_ecn_syn_ok(const struct synack_stack *st, const struct synack_segment *syn);
void sa_ecn_create_request(struct tcb *c, const struct synack_segment *syn);
void sa_ecn_send(struct tcb *t, struct synack_segment *s, bool new_data);
void sa_ecn_queue_cwr(struct tcb *t);
void sa_ecn_accept_cwr(struct tcb *t, const struct synack_segment *seg);
void sa_ecn_check_ce(struct tcb *t, const struct synack_segment *seg);
bool sa_ecn_echo(const struct tcb *t, const struct synack_segment *seg);
void sa_ecn_received(struct tcb *t, const struct synack_segment *seg);

/* ---- listen.c ---- */
void sa_listen_input(struct tcb *l, struct synack_segment *seg);
/* A SYN that reopens a TIME_WAIT 4-tuple, with the ISN Linux picks. */
void sa_listen_input_isn(struct tcb *l, struct synack_segment *seg, uint32_t isn);
/* Segments for an embryonic connection (Linux: tcp_check_req). */
void sa_embryonic_input(struct tcb *c, struct synack_segment *seg);
void sa_sync_input(struct tcb *t, struct synack_segment *seg);
void sa_child_established(struct tcb *c);
void sa_listen_unlink_child(struct tcb *c);
void sa_listen_close(struct tcb *l);
int sa_backlog_of(struct synack_stack *st, int backlog);

/* ---- syncookie.c (RFC 4987; Linux syncookies.c) ---- */
uint32_t sa_cookie_make(struct synack_stack *st, const struct synack_segment *syn,
                        uint16_t *mss_out);
uint32_t sa_cookie_ts(struct synack_stack *st, const struct synack_segment *syn);
/* Returns the MSS encoded in a valid cookie, 0 if invalid. */
uint16_t sa_cookie_check(struct synack_stack *st, const struct synack_segment *ack);
void sa_cookie_ts_decode(uint32_t tsecr, bool *ws_ok, uint8_t *wscale, bool *sack_ok, bool *ecn_ok);

/* ---- isn.c (RFC 6528) ---- */
void sa_secrets_init(struct synack_stack *st);
uint64_t sa_siphash(const uint64_t k[2], const uint8_t *p, size_t n);
uint32_t sa_isn(struct synack_stack *st, const struct synack_addr *la, uint16_t lp,
                const struct synack_addr *ra, uint16_t rp);
uint32_t sa_ts_offset(struct synack_stack *st, const struct synack_addr *la,
                      const struct synack_addr *ra);
uint32_t sa_tuple_hash(const uint64_t k[2], const struct synack_addr *la, uint16_t lp,
                       const struct synack_addr *ra, uint16_t rp, uint32_t extra);
uint32_t sa_port_hash(struct synack_stack *st, const struct synack_addr *la,
                      const struct synack_addr *ra, uint16_t rp);

/* ---- timers.c ---- */
void sa_timer_set(struct tcb *t, int kind, uint64_t deadline);
void sa_timer_clear(struct tcb *t, int kind);
void sa_timer_clear_all(struct tcb *t);
bool sa_timer_armed(const struct tcb *t, int kind);
void sa_timers_run(struct synack_stack *st, uint64_t now);
void sa_timers_run_before_input(struct synack_stack *st, uint64_t now, bool before_input);
uint64_t sa_timers_next(const struct synack_stack *st);

/* ---- rtx.c: retransmission timer, the sent-segment queue ---- */
struct sa_txseg {
	uint32_t seq, end;  /* [seq, end), a FIN counts */
	uint32_t delivered; /* tcb.delivered when last (re)sent (Linux: tx.delivered) */
	uint64_t xmit_us;   /* last (re)transmission */
	uint8_t flags;      /* SA_TX_* */
};
enum {
	SA_TX_RETRANS = 1,
	SA_TX_LOST = 2,
	SA_TX_EVER_RETRANS = 4,
	SA_TX_PSH = 8,
	SA_TX_SACKED = 16,
	/* Sent in one skb with the entry after it: a retransmission of both
	 * is one transmission again (tso.c). */
	SA_TX_JOINED = 32
};
enum { SA_CA_OPEN = 0, SA_CA_DISORDER = 1, SA_CA_CWR = 2, SA_CA_RECOVERY = 3, SA_CA_LOSS = 4 };
void sa_rtx_arm(struct tcb *t);
void sa_rto_stats(struct tcb *t);       /* an RTO, before retransmits counts it */
void sa_rto_time_update(struct tcb *t); /* an RTO episode is over */
uint32_t sa_rto_time_ms(const struct tcb *t);
/* New data acknowledged (seg: the ACK); returns the segments acknowledged. */
/* What one ACK did to the sent segments (Linux: tcp_ack's flag bits). */
struct sa_ack {
	uint32_t acked_segs;   /* newly acknowledged whole, not SACKed before */
	uint32_t newly_sacked; /* FLAG_DATA_SACKED when nonzero */
	bool acked_any;        /* FLAG_ACKED: a whole segment, not part of one */
	bool orig_acked;       /* FLAG_ORIG_SACK_ACKED: never-retransmitted data
	                        * up to high_seq (S)ACKed */
	bool ts_delayed;       /* the ACK echoes a TSval from before the first
	                        * retransmission (Linux: tcp_packet_delayed) */
	bool cum_rack_rtt;     /* RACK.rtt came from the cumulative part */
	/* The rate sample's prior_delivered (Linux: tcp_rate_skb_delivered):
	 * the delivered stamp of the last-sent segment this ACK delivered. */
	uint32_t prior_delivered, sample_end;
	/* The lowest never-retransmitted segment delivered below the highest
	 * SACKed one (Linux: reord, state->reord); 0 with have_reord unset. */
	bool have_reord;
	uint32_t reord;
	uint64_t sample_xmit_us;
	/* The RTO was restarted for a SACK's RTT sample (FLAG_SET_XMIT_TIMER
	 * without FLAG_ACKED). */
	bool sack_rearmed;
};
/* a may be NULL (the SYN's ACK). */
void sa_rtx_on_ack(struct tcb *t, const struct synack_segment *seg, struct sa_ack *a);
/* An ACK that moves SND.UNA nowhere, with SACK blocks: their RTT sample. */
void sa_rtx_on_sack(struct tcb *t, const struct synack_segment *seg, struct sa_ack *a);
void sa_rtx_fire(struct tcb *t);
uint32_t sa_in_flight(const struct tcb *t);
/* output.c calls this for every data/FIN segment it sends. */
void sa_tx_sent(struct tcb *t, uint32_t seq, uint32_t len, uint8_t flags, bool rtx);
bool sa_tx_was_psh(const struct tcb *t, uint32_t end); /* the segment ending there had PSH */
struct sa_txseg *sa_txq_at(const struct tcb *t, uint32_t i);
bool sa_txq_split(struct tcb *t, uint32_t i, uint32_t at);
/* Linux: tcp_retrans_try_collapse — entry i, about to be resent in `room`. */
void sa_txq_collapse(struct tcb *t, uint32_t i, uint32_t room);
void sa_txq_join_last(struct tcb *t);
void sa_txq_merge_tail(struct tcb *t, uint32_t i);
void sa_txq_regroup(struct tcb *t, uint32_t i, uint32_t mss); /* re-cut an skb at the MSS */
void sa_txq_unjoin(struct tcb *t, uint32_t i);
void sa_txq_free(struct tcb *t);

/* ---- fastpath.c: Linux's header prediction (profile header_prediction) ---- */
void sa_hp_on(struct tcb *t, uint16_t wnd_field); /* Linux: __tcp_fast_path_on */
void sa_hp_off(struct tcb *t);
void sa_hp_check(struct tcb *t);                /* Linux: tcp_fast_path_check */
uint32_t sa_forward_alloc(const struct tcb *t); /* Linux: sk_forward_alloc */
bool sa_hp_skips_ack(const struct tcb *t, const struct synack_segment *seg, uint32_t rcv_wnd);

/* ---- sndbuf.c: the send buffer as Linux charges it (snd_truesize) ---- */
/* Linux: SKB_TRUESIZE(MAX_TCP_HEADER) — an skb's head, charged besides its
 * payload (tcp_stream_alloc_skb; measured: docs/engine.md). */
#define SA_SKB_HEAD 832u
uint32_t sa_size_goal(const struct tcb *t, bool large); /* Linux: tcp_xmit_size_goal */
uint32_t sa_wmem_queued(const struct tcb *t);           /* Linux: sk_wmem_queued */
bool sa_sndbuf_writable(const struct tcb *t);           /* Linux: sk_stream_is_writeable */
bool sa_sndbuf_memory_free(const struct tcb *t);        /* Linux: sk_stream_memory_free */
bool sa_uskb_new(struct tcb *t);
uint32_t sa_uskb_tail_len(const struct tcb *t);
void sa_uskb_append(struct tcb *t, uint32_t n);
void sa_uskb_mark_push(struct tcb *t, bool on); /* the tail skb's PSH (tcp_mark_push) */
bool sa_uskb_ends_pushed(const struct tcb *t, uint32_t len); /* len ends a PSH skb */
void sa_uskb_drop_tail(struct tcb *t);
uint32_t sa_uskb_head_left(const struct tcb *t);
void sa_uskb_sent(struct tcb *t, uint32_t n);
void sa_uskb_grow_head(struct tcb *t, uint32_t want); /* Linux: tcp_grow_skb */
void sa_uskb_clear(struct tcb *t);
void sa_uskb_free(struct tcb *t);
bool sa_uskb_consistent(const struct tcb *t);
uint32_t sa_packets_in_flight(const struct tcb *t); /* Linux: tcp_packets_in_flight */

/* ---- tso.c: Linux's TSO sizing of a transmission ---- */
void sa_tso_update_pacing(struct tcb *t); /* Linux: tcp_update_pacing_rate */
/* Segments the next new-data transmission may carry (tcp_cwnd_test's
 * half-cwnd cap, tcp_tso_autosize); 0 when the cwnd is full. */
uint32_t sa_tso_quota(const struct tcb *t);
uint32_t sa_tso_max_segs(const struct tcb *t); /* Linux: tcp_tso_segs */
/* Linux: tcp_tso_should_defer — hold the unsent bytes back for now. */
bool sa_tso_should_defer(const struct tcb *t, uint32_t unsent, bool *cwnd_limited);
/* Bytes queued and not sent yet. */
uint32_t sa_unsent(const struct tcb *t);

/* ---- rto.c: RFC 6298 / RFC 7323 §4 ---- */
void sa_rto_sample(struct tcb *t, int64_t rtt_us);
uint64_t sa_rto_backed_off(const struct tcb *t);
void sa_rto_back_off(struct tcb *t);
bool sa_rto_timed_out(const struct tcb *t, uint32_t boundary, uint32_t user_timeout_ms, bool syn);
uint64_t sa_rto_clamp_user_timeout(const struct tcb *t, uint64_t rto);

/* ---- recovery.c: RFC 5681 §3.2, RFC 6582, RFC 6937 (Linux) ---- */
bool sa_rec_is_dupack(const struct tcb *t, const struct synack_segment *seg, uint32_t nwin);
/* After each acceptable ACK: prior_una before it, dup from sa_rec_is_dupack. */
void sa_rec_on_ack(struct tcb *t, const struct synack_segment *seg, uint32_t prior_una, bool dup,
                   struct sa_ack *a);

/* ---- sack_board.c: the SACK scoreboard (RFC 2018, RFC 2883, RFC 6675) ---- */
/* Marks segments the ACK's SACK blocks cover; returns how many were newly
 * SACKed. D-SACK blocks (RFC 2883) are recognised and only undo. */
uint32_t sa_sack_tag(struct tcb *t, const struct synack_segment *seg, uint32_t prior_una,
                     struct sa_ack *a);
/* RFC 6675 IsLost as Linux's tcp_mark_head_lost: holes with at least
 * DupThresh SACKed segments above them are lost. Returns newly lost. */
uint32_t sa_sack_update_scoreboard(struct tcb *t, bool fast_rexmit);
bool sa_sack_rtt_times(const struct tcb *t, const struct synack_segment *seg, uint64_t *first,
                       uint64_t *last);
void sa_rec_mark_lost(struct tcb *t, struct sa_txseg *s);
void sa_rec_enter_recovery(struct tcb *t);
bool sa_rec_sack_reneged(const struct tcb *t);
void sa_rec_cwnd_reduction(struct tcb *t, uint32_t delivered, bool una_advanced,
                           uint32_t newly_lost);

/* ---- rack.c: RFC 8985 RACK loss detection (Linux tcp_recovery.c) ---- */
bool sa_rack_on(const struct tcb *t);
/* A segment newly SACKed or cumulatively ACKed (prior_fack: the highest
 * SACKed sequence before this ACK). */
#define SA_RACK_RECOVERY_THRESH 16     /* Linux: TCP_RACK_RECOVERY_THRESH */
#define SA_MAX_REORDERING       300    /* Linux: sysctl tcp_max_reordering */
#define SA_WMEM_MAX             212992 /* net.core.wmem_max: SO_SNDBUF's cap (not modelled) */
void sa_rack_update_reo_wnd(struct tcb *t, const struct sa_ack *a);
void sa_rack_check_reordering(struct tcb *t, const struct sa_ack *a);
void sa_rack_delivered(struct tcb *t, const struct sa_txseg *s, uint32_t prior_fack,
                       struct sa_ack *a);
uint32_t sa_rack_mark_lost(struct tcb *t); /* newly lost; may arm the REO timer */
void sa_rack_reo_timeout(struct tcb *t);

/* ---- tlp.c: RFC 8985 §7 tail loss probe (Linux tcp_send_loss_probe) ---- */
bool sa_tlp_schedule(struct tcb *t, bool advancing_rto);
void sa_tlp_fire(struct tcb *t);
void sa_tlp_on_ack(struct tcb *t, const struct synack_segment *seg, uint32_t prior_una, bool dup);
void sa_rec_enter_loss(struct tcb *t);
uint32_t sa_rec_current_ssthresh(const struct tcb *t); /* Linux: tcp_current_ssthresh */
void sa_rec_xmit_lost(struct tcb *t); /* retransmits lost segments the cwnd allows */

/* ---- cc.c: congestion control ops (RFC 5681, RFC 9438) ---- */
struct sa_cc_ops {
	const char *name;
	void (*init)(struct tcb *t);
	uint32_t (*ssthresh)(struct tcb *t);
	void (*cong_avoid)(struct tcb *t, uint32_t acked);
	void (*on_loss)(struct tcb *t); /* entering Loss (RTO) */
	void (*on_rtt)(struct tcb *t, uint32_t rtt_us);
	void (*tx_start)(struct tcb *t, uint64_t idle_us);
};
extern const struct sa_cc_ops sa_cc_reno, sa_cc_cubic;
const struct sa_cc_ops *sa_cc_ops_of(const struct tcb *t);
/* Congestion-control hook: may another segment go? */
bool sa_cc_can_send(const struct tcb *t);
void sa_cc_after_output(struct tcb *t, bool cwnd_limited);
void sa_cc_data_sent(struct tcb *t); /* RFC 7661 / Linux tcp_cwnd_restart */
void sa_cc_on_ack(struct tcb *t, uint32_t acked_segs);
bool sa_cc_is_cwnd_limited(const struct tcb *t);
uint32_t sa_cc_slow_start(struct tcb *t, uint32_t acked); /* returns acked left over */
void sa_cc_ai(struct tcb *t, uint32_t w, uint32_t acked);

/* ---- window.c ---- */
void sa_init_rcv_window(struct tcb *t, bool wscale_ok);
void sa_init_rcv_window_mss(struct tcb *t, bool wscale_ok, uint32_t mss);
uint16_t sa_select_window(struct tcb *t);
uint32_t sa_rcv_space(const struct tcb *t);
void sa_init_buffer_space(struct tcb *t); /* entering ESTABLISHED */
/* autotune.c */
void sa_autotune_init(struct tcb *t);
void sa_rcvbuf_grow(struct tcb *t, uint32_t newval);
bool sa_rcvbuf_raise(struct tcb *t, uint32_t rcvbuf);          /* the ring follows; false: cannot */
uint64_t sa_space_from_win(const struct tcb *t, uint64_t win); /* Linux: tcp_space_from_win */
void sa_rcv_space_adjust(struct tcb *t, uint32_t copied_seq);
void sa_autotune_read(struct tcb *t, uint32_t copied_seq0, uint32_t n);
uint32_t sa_full_space(const struct tcb *t);
uint32_t sa_win_from_space(const struct tcb *t, uint32_t space);
void sa_grow_window(struct tcb *t, uint32_t len, uint32_t truesize);
uint32_t sa_skb_truesize(const struct tcb *t, uint32_t len, uint32_t hdr, uint32_t *tailroom);
bool sa_rmem_charge(struct tcb *t, uint32_t len, uint32_t truesize, uint32_t tailroom,
                    bool overlaps);
void sa_rmem_uncharge(struct tcb *t, uint32_t n);     /* n bytes read from rcvq */
void sa_rmem_charge_run(struct tcb *t, uint32_t n);   /* reassembled bytes */
void sa_rmem_charge_fin(struct tcb *t, uint32_t hdr); /* a FIN without data */
void sa_rmem_free(struct tcb *t);
void sa_measure_rcv_mss(struct tcb *t, uint32_t len, uint32_t truesize);
void sa_set_window_clamp(struct tcb *t, uint32_t val); /* Linux: tcp_set_window_clamp */
uint8_t sa_wscale_for(const struct synack_stack *st, uint32_t space);

/* ---- timestamps.c (RFC 7323) ---- */
uint32_t sa_tsval(const struct tcb *t);
uint32_t sa_now_ms(const struct synack_stack *st);
/* PAWS (RFC 7323 §5.3): true if the segment's TSval is too old. */
bool sa_paws_reject(struct tcb *t, const struct synack_segment *seg);
/* What a synchronized connection does with a segment sa_paws_reject
 * refused (Linux: tcp_disordered_ack_check). */
enum sa_paws_verdict { SA_PAWS_DROP_DUPACK, SA_PAWS_DROP_SILENT, SA_PAWS_ACCEPT };
enum sa_paws_verdict sa_paws_disordered(const struct tcb *t, const struct synack_segment *seg);
void sa_ts_update_recent(struct tcb *t, const struct synack_segment *seg);

/* ---- urgent.c: RFC 9293 §3.8.5 / RFC 6093 as Linux (tcp_urg, tcp_recv_urg) ---- */
enum { SA_URG_VALID = 0x100, SA_URG_NOTYET = 0x200, SA_URG_READ = 0x400 };
void sa_urg_mark(struct tcb *t);                                    /* send(MSG_OOB) */
void sa_urg_fill(const struct tcb *t, struct synack_segment *s);    /* URG + pointer out */
void sa_urg_acked(struct tcb *t);                                   /* SND.UNA advanced */
void sa_urg_input(struct tcb *t, const struct synack_segment *seg); /* step six */
uint32_t sa_copied_seq(const struct tcb *t);                      /* the next byte the user reads */
int sa_urg_recv(struct tcb *t, void *buf, size_t len, int flags); /* recv(MSG_OOB) */

/* ---- socket.c ---- */
void sa_wake(struct tcb *t); /* hook for readiness changes (no-op: poll is level-triggered) */

/* RFC 9293 §3.10.7.4 (SND.WL1/SND.WL2), as Linux's tcp_may_update_window:
 * would this ACK update the send window? */
static inline bool sa_may_update_window(const struct tcb *t, uint32_t ack, uint32_t seq,
                                        uint32_t nwin)
{
	return synack_seq_gt(ack, t->snd_una) || synack_seq_gt(seq, t->snd_wl1) ||
	       (seq == t->snd_wl1 && (nwin > t->snd_wnd || !nwin));
}

static inline uint32_t sa_rcvlowat(const struct tcb *t)
{
	return t->rcvlowat ? t->rcvlowat : 1u;
}

static inline uint32_t sa_seg_len(const struct synack_segment *s)
{
	return (uint32_t)s->payload_len + ((s->flags & SYNACK_TH_SYN) ? 1u : 0u) +
	       ((s->flags & SYNACK_TH_FIN) ? 1u : 0u);
}

#define SA_MIN(a, b) ((a) < (b) ? (a) : (b))
/* synack_seq_lt as a macro, for the invariant checkers, which are built
 * without sanitizers: a sanitized inline function is not inlined there, and
 * a call per comparison cost more than their walks. */
#define SA_SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SA_MAX(a, b)    ((a) > (b) ? (a) : (b))

#endif
