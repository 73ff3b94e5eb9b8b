/* Test fixtures for the engine: a stack with a capturing env, a scripted
 * remote peer whose segments are built relative to the connection (lwIP's
 * tcp_create_rx_segment idea), state fixtures that put a socket straight
 * into a state, and one expectation helper that prints both segments in
 * packetdrill syntax when they differ.
 *
 * Sequence numbers in expectations are packetdrill-relative: the stack's
 * segments count from its ISS, its acks from the peer's ISN.
 */
#ifndef SYNACK_ENGINE_TESTS_FIXTURES_H
#define SYNACK_ENGINE_TESTS_FIXTURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synack/engine.h"
#include "synack/segment.h"

#ifndef POLLRDHUP
#define POLLRDHUP 0x2000 /* Linux; <poll.h> hides it without _GNU_SOURCE */
#endif

#define FX_ANY    INT64_MIN
#define FX_QUEUE  1024
#define FX_PKTMAX 2048

struct fx_pkt {
	uint8_t buf[FX_PKTMAX];
	size_t len;
};

struct fx {
	struct synack_stack *st;
	struct synack_env env;
	struct synack_profile prof;
	uint64_t now;
	/* Captured output: a FIFO of packets (dropped when keep is false). */
	struct fx_pkt *q;
	size_t q_head, q_len;
	bool keep;
	/* Optional: every emitted packet, length-prefixed (determinism tests). */
	bool record;
	uint8_t *rec;
	size_t rec_len, rec_cap;
	uint64_t emitted, emitted_bytes, emitted_hash;
	int64_t last_timer_len_us; /* synack_firing_timer_len at the last packet */
	/* Counting allocator. */
	uint64_t live_bytes, peak_bytes, allocs;
	/* Addresses: the stack is 192.0.2.1, the peer 192.0.2.2 (or v6). */
	struct synack_addr local, remote;
	uint16_t lport, rport;
	int lfd, fd;
	/* The peer's view of the connection. */
	uint32_t irs;            /* peer ISN */
	uint32_t iss;            /* the stack's ISS, learned from its SYN or SYN-ACK */
	uint32_t p_seq;          /* the peer's next sequence number */
	uint32_t p_ack;          /* the peer's next ack (the stack's next byte) */
	uint16_t p_win;          /* the peer's raw window field */
	bool p_ts, p_sack, p_ws; /* options the peer offers in its SYN */
	uint8_t p_wscale;
	uint16_t p_mss;
	uint32_t p_tsval; /* the peer's clock */
	uint32_t s_tsval; /* the last TSval the stack sent */
	char last_fmt[256];
};

void fx_init(struct fx *f, const struct synack_profile *p, uint64_t seed);
void fx_init6(struct fx *f, const struct synack_profile *p, uint64_t seed);
void fx_free(struct fx *f);
void fx_advance(struct fx *f, uint64_t dt_us);

/* Builds a peer segment: seq = p_seq + seq_off, ack = p_ack + ack_off,
 * window p_win, TS (val p_tsval, ecr s_tsval) if the peer uses timestamps. */
void fx_mkseg(struct fx *f, struct synack_segment *s, uint8_t flags, int32_t seq_off,
              int32_t ack_off, const void *data, size_t len);
/* Injects a segment as is. */
void fx_inject(struct fx *f, const struct synack_segment *s);
/* A pure ACK of `ack` (relative to the stack's ISS) carrying n SACK blocks
 * given as relative [left, right) pairs in lr. */
void fx_ack_sack(struct fx *f, uint32_t ack, int n, const uint32_t *lr);
/* Microseconds from now to the stack's next deadline. */
uint64_t fx_until_next_us(const struct fx *f);
/* Builds and injects; if seq_off is 0, p_seq advances past it. */
void fx_send(struct fx *f, uint8_t flags, int32_t seq_off, int32_t ack_off, const void *data,
             size_t len);
/* In-order data (zeros, or nothing: a pure ACK) from the peer with the
 * TSecr given, in the stack's TSval clock; drains the output. */
void fx_send_ecr(struct fx *f, size_t len, uint32_t ecr);
/* The peer's SYN with its options (mss, sackOK, TS, wscale as set). */
void fx_send_syn(struct fx *f);

/* Output queue. fx_pop also updates the peer's view (iss, p_ack, s_tsval). */
size_t fx_pending(const struct fx *f);
bool fx_pop(struct fx *f, struct synack_segment *out);
void fx_drain(struct fx *f);
/* Formats a segment in packetdrill syntax, relative to the connection. */
const char *fx_fmt(struct fx *f, const struct synack_segment *s, char *buf, size_t cap);

/* Pops the next segment and checks it: flags exactly, then seq/ack/len/win
 * unless FX_ANY. On failure prints expected and actual as packetdrill lines. */
bool fx_expect_at(struct fx *f, const char *file, int line, uint8_t flags, int64_t seq, int64_t ack,
                  int64_t len, int64_t win, struct synack_segment *out);
#define expect_seg(f, flags, seq, ack, len, win) \
	fx_expect_at((f), __FILE__, __LINE__, (flags), (seq), (ack), (len), (win), NULL)
#define expect_seg_out(f, flags, seq, ack, len, win, out) \
	fx_expect_at((f), __FILE__, __LINE__, (flags), (seq), (ack), (len), (win), (out))
bool fx_expect_none_at(struct fx *f, const char *file, int line);
#define expect_none(f) fx_expect_none_at((f), __FILE__, __LINE__)

/* Flag shorthands. */
#define F_S  SYNACK_TH_SYN
#define F_A  SYNACK_TH_ACK
#define F_F  SYNACK_TH_FIN
#define F_R  SYNACK_TH_RST
#define F_P  SYNACK_TH_PSH
#define F_SA (SYNACK_TH_SYN | SYNACK_TH_ACK)
#define F_FA (SYNACK_TH_FIN | SYNACK_TH_ACK)
#define F_RA (SYNACK_TH_RST | SYNACK_TH_ACK)
#define F_PA (SYNACK_TH_PSH | SYNACK_TH_ACK)

/* Sockets. */
int fx_sockaddr(const struct fx *f, const struct synack_addr *a, uint16_t port, void *sa);
int fx_listen(struct fx *f);  /* socket + bind lport + listen(128): f->lfd */
int fx_connect(struct fx *f); /* socket + connect to remote:rport: f->fd (SYN popped) */

/* State fixtures: each leaves f->fd in the state, the output queue empty. */
bool fx_syn_sent(struct fx *f);
bool fx_syn_recv(struct fx *f);           /* embryonic: f->fd is the listener */
bool fx_established(struct fx *f);        /* passive open, accepted */
bool fx_established_active(struct fx *f); /* active open */
bool fx_close_wait(struct fx *f);
bool fx_fin_wait1(struct fx *f);
bool fx_fin_wait2(struct fx *f);
bool fx_closing(struct fx *f);
bool fx_last_ack(struct fx *f);
bool fx_time_wait(struct fx *f); /* f->fd is closed; TIME_WAIT is an orphan */

int fx_state(struct fx *f, int fd); /* tcp_info state, or -errno */

#endif
