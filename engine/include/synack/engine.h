/* The synack TCP engine: a deterministic TCP implementation in virtual time.
 *
 * Everything from outside comes in through this API: packets (synack_input),
 * time (the now_us argument of synack_input / synack_advance), randomness
 * (env.seed), and output (env.emit). No I/O, no clock, no globals, no
 * syscalls: the same calls with the same arguments produce the same emitted
 * bytes, bit for bit.
 *
 * Sockets follow BSD/Linux semantics with Linux's constant values (AF_INET,
 * SOL_SOCKET, TCP_NODELAY, MSG_PEEK, POLLIN, SHUT_WR … from the libc headers)
 * and return -errno exactly where Linux would fail with errno. Every call is
 * non-blocking: -EAGAIN / -EINPROGRESS where a blocking socket would wait;
 * waiting is the caller's business (poll() says when to retry).
 *
 * Time: synack_input and synack_advance set the stack's clock (microseconds,
 * monotonic; a smaller value than the last is treated as the last). Socket
 * calls act at the stack's current clock.
 */
#ifndef SYNACK_ENGINE_H
#define SYNACK_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "synack/segment.h"

#define SYNACK_NEVER UINT64_MAX

struct synack_stack;

/* Everything the engine needs from outside. */
struct synack_env {
	/* An outbound IP packet (IPv4 or IPv6 with TCP). Called synchronously from
	 * inside synack_input / synack_advance / socket calls; the buffer is only
	 * valid during the call. */
	void (*emit)(void *ctx, const uint8_t *ip_pkt, size_t len);
	void *ctx;
	/* The only source of randomness: ISN secret, timestamp offsets, ephemeral
	 * port choice, SYN cookie secrets. */
	uint64_t seed;
	/* Optional allocator (all engine memory goes through it, bounded by the
	 * profile's limits). NULL means malloc/free. */
	void *(*alloc)(void *ctx, size_t size);
	void (*free)(void *ctx, void *p);
	void *alloc_ctx;
};

enum synack_cc {
	SYNACK_CC_RENO,
	SYNACK_CC_CUBIC,
};

/* Every tunable. synack_profile_linux() fills in Linux 6.x defaults
 * (../shared/LINUX-DEFAULTS.md); synack_profile_rfc() the RFCs' own values. */
struct synack_profile {
	/* Memory limits: nothing grows past these. */
	uint32_t max_sockets;     /* descriptors (listeners + connections + embryonic) */
	uint32_t max_syn_backlog; /* tcp_max_syn_backlog */
	uint32_t somaxconn;       /* listen() backlog cap */

	/* Buffers (tcp_rmem / tcp_wmem: min, default, max; bytes). */
	uint32_t rmem[3], wmem[3];
	/* net.core.rmem_max: caps SO_RCVBUF, and (Linux 6.x
	 * tcp_select_initial_window) is a floor of the space wscale covers. */
	uint32_t rmem_max;
	int tcp_adv_win_scale; /* without rcv_truesize: 1 (half the buffer is window) */
	/* Linux >= 6.5: the buffer is charged by skb truesize (sk_rmem_alloc)
	 * and the window is scaling_ratio/256 of it, the ratio measured as
	 * payload/truesize of received segments (tcp_measure_rcv_mss). The
	 * truesize is that of a linear skb from a tun device (tun_alloc_skb):
	 * skb_pad + IP/TCP headers + payload, cache-aligned, plus skb_shared_info,
	 * kmalloc-rounded (a small-head cache for tiny ones), plus struct sk_buff. */
	bool rcv_truesize;
	/* Linux: tcp_sndbuf_expand — at ESTABLISHED and when ACKs free a full
	 * send buffer (tcp_new_space), SO_SNDBUF grows to room for 2 * max(10,
	 * cwnd) segments of skb memory, at most tcp_wmem[2], unless locked. */
	bool sndbuf_expand;
	/* Linux: the send buffer is charged by skb truesize (payload plus an
	 * 832-byte head per skb) and a write fills skbs of tcp_xmit_size_goal,
	 * a new one while sk_wmem_queued is below SO_SNDBUF; without it the
	 * buffer holds SO_SNDBUF payload bytes. */
	bool snd_truesize;
	/* tcp_notsent_lowat: the unsent bytes above which a socket is not
	 * writable and a write starts no new skb (TCP_NOTSENT_LOWAT's
	 * default; UINT32_MAX: none). */
	uint32_t notsent_lowat;
	/* Linux's header prediction: an in-order data segment whose ACK moves
	 * nothing skips ACK processing (no probe-count reset, no persist
	 * restart) when the fast path is on and reserved memory takes it. */
	bool header_prediction;
	uint8_t scaling_ratio_init; /* TCP_DEFAULT_SCALING_RATIO: 128 (50%) */
	uint8_t tcp_app_win;        /* tcp_app_win: 31 (keeps one MSS of the buffer back) */
	/* tcp_moderate_rcvbuf: receive-buffer autotuning (autotune.c). */
	bool moderate_rcvbuf;

	/* Options negotiated in the handshake. */
	bool sack, dsack, window_scaling;
	/* tcp_timestamps: 0 off, 1 on with a per-connection random offset
	 * (RFC 7323 §5.4), 2 on without one (TSval is the clock in ms). */
	uint8_t timestamps;
	uint16_t default_mss; /* peer MSS without an MSS option: 536 (RFC 9293 §3.7.1) */
	uint16_t min_snd_mss; /* tcp_min_snd_mss: 48 */
	uint16_t base_mss;    /* tcp_base_mss: 1024 (MTU probing start) */
	uint16_t mtu;         /* the interface MTU the engine assumes: 1500 */

	/* Passive open. */
	int syncookies;         /* 0 never, 1 on SYN-queue overflow, 2 always */
	bool abort_on_overflow; /* tcp_abort_on_overflow */

	/* Timers (microseconds unless noted). */
	uint64_t rto_min_us, rto_init_us, rto_max_us, rto_fallback_us;
	uint64_t time_wait_us;   /* TCP_TIMEWAIT_LEN: 60 s */
	uint64_t fin_timeout_us; /* tcp_fin_timeout: orphaned FIN_WAIT_2 */
	/* Linux tcp_fin_time: an orphan's FIN_WAIT_2 lasts at least 3.5 RTO, and
	 * one longer than TCP_TIMEWAIT_LEN is spent in two stages of (lifetime -
	 * TCP_TIMEWAIT_LEN) each (tcp_close, tcp_keepalive_timer); off, exactly
	 * tcp_fin_timeout (or TCP_LINGER2). */
	bool fin_time_linux;
	uint64_t delack_min_us, delack_max_us; /* ATO bounds: 40 ms / 200 ms */
	bool fin_pingpong; /* Linux tcp_fin: a FIN's ACK is delayed (pingpong mode) */
	/* 0: every timer fires at its deadline. N: each fires as late as Linux's
	 * timer wheel at CONFIG_HZ=N may fire it — the delay rounded up to
	 * jiffies, then a whole slot of its wheel level later (one jiffy below
	 * 63, eight below 504, 64 below 4032, ...: at most an eighth of it).
	 * The deadline the stack reasons with stays the nominal one, as Linux's
	 * icsk_timeout does. Profile linux-late (which also fires the
	 * compressed-SACK hrtimer at the start of its slack): a script that
	 * passes on both linux and linux-late tolerates a real kernel's timer
	 * slack. */
	uint32_t timer_wheel_hz;
	/* Linux tcp_sequence: text past the window's right edge is taken whole
	 * while the receive queue is empty, else the segment is dropped; off,
	 * the part in the buffer is kept (RFC 9293 §3.10.7.4 trimming). */
	bool rcv_past_window_if_empty;
	/* Linux tcp_acceptable_seq: an ACK or RST sent while SND.NXT is past the
	 * peer's window (it shrank) carries SND.UNA + SND.WND instead, which the
	 * peer's acceptability test (RFC 9293 §3.10.7.4) lets through; off, it
	 * carries SND.NXT as RFC 9293 §3.10.7.4 writes it. */
	bool ack_seq_in_window;
	uint32_t keepalive_time_s, keepalive_intvl_s, keepalive_probes;
	uint8_t syn_retries, synack_retries, retries1, retries2, orphan_retries;
	uint8_t syn_linear_timeouts; /* tcp_syn_linear_timeouts: 4 */

	/* Robustness. */
	bool rfc1337; /* tcp_rfc1337: an RST in TIME_WAIT does not kill it */
	/* Linux tcp_parse_options: an option with a length below 2 or running
	 * past the header ends the parsing, and the segment is processed with
	 * the options before it; off, RFC 9293 §3.1's advice: such a segment is
	 * erroneous and dropped (counted in malformed[SYNACK_SEG_BAD_OPTION]). */
	bool bad_option_keeps_segment;
	uint32_t invalid_ratelimit_ms; /* tcp_invalid_ratelimit: 500 */
	uint32_t challenge_ack_limit;  /* per second, stack-wide; 0x7fffffff: off */
	bool verify_checksums;         /* false only for fuzzing */

	/* Congestion control and loss recovery (part 2). */
	enum synack_cc cc;
	uint32_t initcwnd; /* segments: 10 */
	bool slow_start_after_idle;
	uint8_t early_retrans; /* tcp_early_retrans: 3 (TLP) */
	uint8_t recovery;      /* tcp_recovery bits: 1 = RACK */
	uint8_t frto;
	uint8_t reordering; /* tcp_reordering: 3 */
	/* tcp_retrans_collapse: a retransmission shorter than an MSS takes the
	 * following sent segments that fit (Linux: tcp_retrans_try_collapse). */
	uint8_t retrans_collapse; /* 0 off, else on (proc_dou8vec_minmax: 0-255) */
	/* Linux's TSO sizing (tso.c): a transmission of several segments is
	 * one skb of at most max(pacing budget, tcp_min_tso_segs) segments,
	 * the budget being the pacing rate (tcp_pacing_ss_ratio /
	 * tcp_pacing_ca_ratio percent of cwnd * mss / srtt) for 1/1024 s plus
	 * gso_max_size >> (min_rtt >> tcp_tso_rtt_log); the kernel sets PSH on
	 * the last segment of each. */
	uint8_t min_tso_segs;                      /* tcp_min_tso_segs: 2 (1-255) */
	uint8_t tso_rtt_log;                       /* tcp_tso_rtt_log: 9 */
	uint16_t pacing_ss_ratio, pacing_ca_ratio; /* percent: 200, 120 (0-1000) */
	/* Linux's TSO model (tso.c): skb sizing, PSH on every multi-segment
	 * skb, deferral; off in the RFC profile (every segment goes when it
	 * may, PSH only where the user pushed). */
	bool tso;
	uint8_t tso_win_divisor; /* tcp_tso_win_divisor: 3 */
	/* RFC 3168 ECN: tcp_ecn 0 off, 1 request and accept, 2 accept only
	 * (Linux default); tcp_ecn_fallback: a retransmitted SYN drops ECE|CWR. */
	uint8_t ecn;
	bool ecn_fallback;
	/* SACK compression: tcp_comp_sack_nr 44, tcp_comp_sack_delay_ns 1 ms,
	 * tcp_comp_sack_slack_ns 100 us. */
	uint32_t comp_sack_nr;
	uint64_t comp_sack_delay_ns, comp_sack_slack_ns;
	/* RFC 6298 §2 clock granularity G; Linux keeps the RTO in jiffies
	 * (usecs_to_jiffies rounds up): 4000 at HZ=250. */
	uint32_t clock_granularity_us;

	/* Ports: ip_local_port_range. */
	uint16_t port_lo, port_hi;
};

void synack_profile_linux(struct synack_profile *p);
void synack_profile_rfc(struct synack_profile *p);
/* Looks up a profile by name ("linux", "rfc"); false if unknown. */
bool synack_profile_by_name(const char *name, struct synack_profile *p);
/* Applies a Linux sysctl ("net.ipv4.tcp_rmem", "4096 131072 6291456").
 * Returns 0, -ENOENT for a sysctl the engine does not model, -EINVAL for a
 * bad value. The interpreter maps `sysctl -w` commands through this. */
int synack_profile_sysctl(struct synack_profile *p, const char *name, const char *value);

/* Counters; every dropped segment is counted under exactly one reason. */
struct synack_stats {
	uint64_t in_segs, out_segs, out_rsts, retrans_segs;
	uint64_t malformed[SYNACK_SEG_ERROR_COUNT]; /* indexed by enum synack_seg_error */
	uint64_t no_socket;  /* segments for no socket (answered with RST unless RST) */
	uint64_t not_for_us; /* destination address not the stack's */
	uint64_t challenge_acks, challenge_acks_limited;
	uint64_t out_of_window, out_of_window_acks_limited;
	uint64_t paws_drops;
	uint64_t syn_queue_overflows, accept_queue_overflows, listen_drops;
	uint64_t syncookies_sent, syncookies_recv, syncookies_failed;
	uint64_t time_wait_recycled, time_wait_killed;
	uint64_t aborts_on_timeout, aborts_on_close, aborts_on_data, aborts_on_linger;
	uint64_t socket_limit_drops; /* embryonic connections refused by max_sockets */
	uint64_t tlp_probes;         /* tail loss probes sent (Linux: TCPLossProbes) */
	uint64_t ofo_queued;         /* segments offered to the out-of-order queue (TCPOFOQueue) */
	uint64_t ofo_drops;          /* held segments refused for memory (TCPOFODrop) */
	uint64_t rcvq_drops;         /* in-order segments refused for memory (TCPRcvQDrop) */
	uint64_t rcv_pruned;         /* memory pressure relief that was not enough (RcvPruned) */
	/* ICMP errors (icmp.c): received; dropped as malformed (length,
	 * checksum, quote); for no connection; quoting a sequence number
	 * outside [SND.UNA, SND.NXT] (Linux: OutOfWindowIcmps); ignored by
	 * type (source quench, redirect, …). */
	uint64_t icmp_in, icmp_malformed, icmp_no_socket, icmp_out_of_window, icmp_ignored;
};

/* A snapshot like Linux's struct tcp_info (TCP_INFO); field names without the
 * tcpi_ prefix, same meaning and units (microseconds for rto/ato/rtt). */
struct synack_tcp_info {
	uint8_t state; /* TCP_ESTABLISHED … (Linux's numbering, <netinet/tcp.h>) */
	uint8_t ca_state, retransmits, probes, backoff, options;
	uint8_t snd_wscale, rcv_wscale;
	uint32_t rto, ato, snd_mss, rcv_mss;
	uint32_t unacked, sacked, lost, retrans, fackets;
	uint32_t last_data_sent, last_ack_sent, last_data_recv, last_ack_recv; /* ms */
	uint32_t pmtu, rcv_ssthresh, rtt, rttvar, snd_ssthresh, snd_cwnd, advmss, reordering;
	uint32_t rcv_rtt, rcv_space, total_retrans;
	uint64_t bytes_acked, bytes_received;
	uint32_t segs_out, segs_in, data_segs_in, data_segs_out;
	uint32_t notsent_bytes, min_rtt, delivered, delivered_ce;
	uint32_t snd_wnd, rcv_wnd;
	uint64_t bytes_sent,
	    bytes_retrans; /* data bytes sent, retransmissions included; retransmitted */
	uint32_t dsack_dups, reord_seen, rcv_ooopack;
	/* RTO timeouts (SYN and SYN-ACK ones too), the episodes they began,
	 * and the milliseconds spent in them (an unfinished one included). */
	uint32_t total_rto, total_rto_recoveries, total_rto_time;
};

/* ---- the stack ------------------------------------------------------------ */

/* Returns NULL if memory for the profile's fixed tables cannot be had. */
struct synack_stack *synack_stack_new(const struct synack_profile *profile,
                                      const struct synack_env *env);
void synack_stack_free(struct synack_stack *st);

/* Local addresses the stack owns; packets to other addresses are counted and
 * dropped. At most 8. Returns 0 or -ENOSPC. */
int synack_add_address(struct synack_stack *st, const struct synack_addr *addr);

/* A packet arrives at now_us. Malformed packets are dropped and counted.
 * Timers due before now_us fire first; one due exactly at now_us fires after
 * the packet (at the next call): a kernel's timer fires at a tick at or
 * after its deadline, so a packet of that instant comes first. */
void synack_input(struct synack_stack *st, uint64_t now_us, const uint8_t *ip_pkt, size_t len);
/* Fires every timer due at or before now_us, in a deterministic order. */
void synack_advance(struct synack_stack *st, uint64_t now_us);
/* Moves the clock to now_us, firing only the timers due before it: for a
 * harness about to act at now_us (a packet, a socket call), which then goes
 * before the timers of that instant, as synack_input's packet does. */
void synack_settle(struct synack_stack *st, uint64_t now_us);
/* While synack_advance runs a timer's expiry (the emit callback may ask):
 * how long that timer was set for, in microseconds; -1 otherwise. A harness
 * comparing with a real kernel uses it to allow that kernel's timer slack
 * (Linux's timer wheel fires a long timer up to an eighth of it late). */
int64_t synack_firing_timer_len(const struct synack_stack *st);
/* Linux's timer wheel at CONFIG_HZ=hz: how late, at most, a timer set for
 * len_us fires — the delay rounded up to jiffies, then a whole slot of its
 * level (kernel/time/timer.c calc_index: one jiffy below 63, eight below
 * 504, 64 below 4032, ...), never early. The linux-late profile adds two
 * ticks of a busy machine; compare allows it on a kernel's timer rows. */
uint64_t synack_timer_wheel_slack_us(uint32_t hz, uint64_t len_us);
/* The earliest pending deadline, exact to the microsecond, or SYNACK_NEVER. */
uint64_t synack_next_deadline(const struct synack_stack *st);
uint64_t synack_now(const struct synack_stack *st);

const struct synack_stats *synack_stats(const struct synack_stack *st);
const struct synack_profile *synack_get_profile(const struct synack_stack *st);

/* ---- sockets: Linux semantics, -errno on failure ------------------------------ */
int synack_socket(struct synack_stack *st, int domain, int type, int protocol);
int synack_bind(struct synack_stack *st, int fd, const struct sockaddr *addr, socklen_t len);
int synack_listen(struct synack_stack *st, int fd, int backlog);
int synack_accept(struct synack_stack *st, int fd, struct sockaddr *addr, socklen_t *len);
int synack_connect(struct synack_stack *st, int fd, const struct sockaddr *addr, socklen_t len);
ssize_t synack_send(struct synack_stack *st, int fd, const void *buf, size_t len, int flags);
ssize_t synack_recv(struct synack_stack *st, int fd, void *buf, size_t len, int flags);
int synack_shutdown(struct synack_stack *st, int fd, int how);
int synack_close(struct synack_stack *st, int fd);
int synack_setsockopt(struct synack_stack *st, int fd, int level, int name, const void *val,
                      socklen_t len);
int synack_getsockopt(struct synack_stack *st, int fd, int level, int name, void *val,
                      socklen_t *len);
int synack_getsockname(struct synack_stack *st, int fd, struct sockaddr *addr, socklen_t *len);
int synack_getpeername(struct synack_stack *st, int fd, struct sockaddr *addr, socklen_t *len);
/* Readiness now: a mask of POLLIN, POLLOUT, POLLERR, POLLHUP, POLLRDHUP,
 * computed as Linux's tcp_poll() does. -EBADF for a bad descriptor. */
int synack_poll(struct synack_stack *st, int fd);
/* ioctl SIOCINQ / SIOCOUTQ / SIOCOUTQNSD. */
int synack_ioctl(struct synack_stack *st, int fd, unsigned long request, int *out);
int synack_tcp_info(struct synack_stack *st, int fd, struct synack_tcp_info *info);

/* ---- self-check -------------------------------------------------------------- */
/* Checks the engine's internal invariants (sequence space, buffers within
 * their bounds, timers consistent with states, hash chains acyclic …).
 * Returns 0, or -1 with a one-line reason in why. For fuzzing and tests;
 * the engine never calls it itself. */
int synack_check_invariants(const struct synack_stack *st, char *why, size_t len);

#endif
