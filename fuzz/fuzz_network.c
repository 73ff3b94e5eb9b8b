/* Fuzz target: a client and a server engine transferring known byte streams
 * (both ways) across a fuzz-controlled network (docs/fuzzing.md).
 *
 * The network is a small model inside the target: one bounded FIFO of
 * packets in flight between the two stacks. Each fuzz step either delivers a
 * packet with a fault — drop, duplicate, reorder (deliver one from the
 * middle), delay (send the head to the back), corrupt (one bit of the TCP
 * segment, so the checksum must catch it: this target verifies checksums),
 * truncate (cut the datagram short, or trim the payload and fix the
 * lengths and checksums, as a middlebox may), rewrite the window, clamp the
 * MSS option of a SYN, mark an ECT packet CE (an AQM router, RFC 3168 §5;
 * a not-ECT one is just delivered) — or advances the clock, or makes an
 * application read a little (zero windows), write, or shut down. The seed's
 * top bit has the client ask for ECN (tcp_ecn=1; the server accepts).
 *
 * Oracles:
 * - integrity: every byte an application reads is exactly the next byte the
 *   other side wrote — no loss, corruption, duplication or reordering reaches
 *   the application, and no end of stream before the last byte;
 * - no reset and no error on a connection over a network that loses,
 *   duplicates, reorders, delays, corrupts (detectably) and rewrites windows
 *   — except where Linux itself fails the same way, which the oracles name
 *   and accept (linux_ack_seq_deadlock, linux_zero_window_stall);
 * - synack_check_invariants() after every step, on each stack the step
 *   called into (the others are unchanged: see mut());
 * - bounded output per step (the zero-window / zero-MSS packet-loop guard):
 *   at most MAX_EMIT_PER_STEP packets without data, and with data at most
 *   MAX_EMIT_PER_STEP + twice both streams in minimum-MSS segments;
 * - liveness (NETWORK_LIVENESS): once the input — the faults — ends, the
 *   network delivers everything in order and the applications read, write
 *   and close as fast as they can; both transfers then complete, both sides
 *   see the end of stream, close, and both stacks go quiet (no pending
 *   timer: TIME_WAIT over, every TCB freed), never spending more than
 *   LIVENESS_BUDGET_US of virtual time without the applications making
 *   progress (a transfer through a window below one MSS with the RTO at its
 *   120 s cap crawls, rightly, for longer than any fixed total). This needs retransmission with a working RTO (issue 5,
 *   engine/src/rto.c): it is switched on at compile time once that is in.
 *
 * fuzz_network_inet6.c builds this file again with NETWORK_INET6 set: both
 * ends use AF_INET6 sockets, and a byte after the first picks the wire —
 * IPv6, or IPv4 through IPv4-mapped addresses — and whether the server
 * listens on :: and the client connects unbound. The faults act on either
 * header (the IPv6 payload length, the ECN bits of its traffic class).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz_arena.h"
#include "fuzz_input.h"
#include "fuzz_sockaddr.h"
#include "synack/engine.h"
#include "synack/segment.h"

#ifndef NETWORK_LIVENESS
#define NETWORK_LIVENESS 0
#endif
#ifndef NETWORK_INET6
#define NETWORK_INET6 0
#endif

#define MAX_STEPS         512
#define MAX_EMIT_PER_STEP 256
/* The least data a full segment carries: Linux's tcp_min_snd_mss (48)
 * less the options a segment may carry beyond it, timestamps (12) and
 * three SACK blocks (28): tcp_current_mss subtracts them. */
#define MIN_SND_MSS 8
#define QUEUE_LEN   64
#define PKT_MAX     1600
#ifndef MAX_STREAM
#define MAX_STREAM 65536
#endif
/* Clock advances during the faulty phase stay below this much virtual time
 * in total, so no side may rightly give up (tcp_syn_retries: 127 s;
 * tcp_retries2: ~15 min) before the network heals. */
#define FAULT_TIME_US (60ull * 1000000)
/* After the faults: the retransmission backoff may have reached its 120 s
 * cap, then the transfer, the close and TIME_WAIT (60 s). */
#define LIVENESS_BUDGET_US (15ull * 60 * 1000000)
#define LIVENESS_MAX_ITER  200000

#define SPORT 80
#define CPORT 40000

struct pkt {
	uint8_t to; /* 0: client, 1: server */
	uint16_t len;
	uint8_t b[PKT_MAX];
};

struct end {
	/* Through mut() or ro() only: see there. */
	struct synack_stack *st_;
	bool dirty; /* called into since the last invariant check */
	bool poked; /* called into since the end of its last healing turn */
	bool moved; /* that turn made progress */
	struct synack_addr addr;
	int fd, lfd;
	const uint8_t *out_pattern, *in_pattern;
	uint32_t to_send;             /* this side's stream length */
	uint32_t to_recv;             /* the other side's stream length */
	uint64_t written, read;       /* bytes of the streams so far */
	bool shut, eof, closed, dead; /* dead: the connection failed (error) */
	int err;
	/* From the segments it sent: the ACK field of the last one (its
	 * rcv_nxt then, which Linux's tcp_select_window makes its rcv_wup) and
	 * the right edge it advertised with it (rcv_wup + rcv_wnd), the
	 * sequence number of its last pure ACK and the range of its last data
	 * segment (linux_ack_seq_deadlock). */
	bool acked_any, pure_ack_any, data_any;
	uint32_t last_ack, right_edge, pure_ack_seq, data_seq, data_end;
	int syn_wscale;   /* the window scale its SYN offered; -1: none */
	bool told_larger; /* the middlebox enlarged a window this end was sent */
};

struct net {
	struct end e[2];          /* 0 client, 1 server */
	unsigned n;               /* packets in flight */
	uint8_t ord[QUEUE_LEN];   /* their slots in q, in queue order */
	uint8_t free_[QUEUE_LEN]; /* the free slots: free_[0 .. QUEUE_LEN - n) */
	uint64_t now, fault_time;
	unsigned emitted, emitted_data;
	bool healing;
	bool excused;            /* a Linux behaviour ended the transfer: the input is over */
	struct pkt q[QUEUE_LEN]; /* last: not cleared per input */
};

/* Every call into a stack that may change it goes through mut(), which
 * marks the stack for the invariant check after the step (and for the
 * healing phase's event-driven applications, app_run_events); a stack no call
 * reached since its last check is unchanged (the engine has no globals and
 * no threads: a delivery to one side runs that side's code only — what it
 * emits goes to the queue), so check_step skips it without losing anything.
 * Calls that take a const stack use ro(). */
static struct synack_stack *mut(struct end *e)
{
	e->dirty = e->poked = true;
	return e->st_;
}

static const struct synack_stack *ro(const struct end *e)
{
	return e->st_;
}

static int tracing = -1;

static void trace_out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void trace_out(const char *fmt, ...)
{
	if (tracing < 0)
		tracing = getenv("FUZZ_TRACE") != NULL;
	if (!tracing)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

/* Not even the arguments when not tracing (a call per packet otherwise). */
#define trace(...)                              \
	do {                                    \
		if (tracing)                    \
			trace_out(__VA_ARGS__); \
	} while (0)

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz_network: oracle failed: %s\n", what);
		abort();
	}
}

/* Each stream is a function of its offset with period 256 (one memcmp from a
 * table, see fuzz_segment.c). */
#define PATTERN_LEN (MAX_STREAM + 256)
static uint8_t c_pattern[PATTERN_LEN], s_pattern[PATTERN_LEN];

static void init_patterns(void)
{
	if (c_pattern[1])
		return;
	for (size_t i = 0; i < PATTERN_LEN; i++) {
		c_pattern[i] = (uint8_t)(i * 13 + 1);
		s_pattern[i] = (uint8_t)(i * 29 + 5);
	}
}

/* ---- the network model --------------------------------------------------- */

/* The i-th packet in queue order. Packets stay in their slot; only the
 * one-byte slot numbers move. */
static struct pkt *at(struct net *n, unsigned i)
{
	return &n->q[n->ord[i]];
}

static struct net *g_net; /* the emit callback's way back (one input at a time) */

static void emit_from(int side, const uint8_t *b, size_t len)
{
	struct net *n = g_net;
	struct synack_segment s;
	check(synack_seg_parse(b, len, true, &s) == SYNACK_SEG_OK, "emitted packet parses");
	/* Bounded output per step, checked here so that a loop aborts at once.
	 * Packets with data: a step may send both whole streams (write all,
	 * after the congestion window has grown) in segments as small as the
	 * minimum send MSS, each byte at most twice — a middlebox clamps the
	 * MSS to tiny values, and then the flat bound fired falsely. */
	if (s.payload_len)
		check(++n->emitted_data <=
		          MAX_EMIT_PER_STEP + 2 * (n->e[0].to_send + n->e[1].to_send) / MIN_SND_MSS,
		      "bounded output per step (data segments)");
	else
		check(++n->emitted <= MAX_EMIT_PER_STEP,
		      "bounded output per step (segments without data)");
	check(memcmp(&s.src, &n->e[side].addr, sizeof s.src) == 0, "emitted from its own address");
	trace("  %c> flags %02x seq %u ack %u win %u len %zu\n", side ? 'S' : 'C', s.flags, s.seq,
	      s.ack, s.window, s.payload_len);
	struct end *e = &n->e[side];
	if (s.flags & SYNACK_TH_SYN)
		e->syn_wscale = s.opt.has_wscale ? (s.opt.wscale > 14 ? 14 : s.opt.wscale) : -1;
	if ((s.flags & SYNACK_TH_ACK) && !(s.flags & (SYNACK_TH_SYN | SYNACK_TH_RST))) {
		/* RFC 7323 §2.2: scaled only when both SYNs carried the option. */
		const struct end *peer = &n->e[!side];
		int ws = e->syn_wscale >= 0 && peer->syn_wscale >= 0 ? e->syn_wscale : 0;
		e->acked_any = true;
		e->last_ack = s.ack;
		e->right_edge = s.ack + ((uint32_t)s.window << ws);
		if (!s.payload_len && !(s.flags & SYNACK_TH_FIN)) {
			e->pure_ack_any = true;
			e->pure_ack_seq = s.seq;
		} else {
			e->data_any = true;
			e->data_seq = s.seq;
			e->data_end = s.seq + (uint32_t)s.payload_len + !!(s.flags & SYNACK_TH_FIN);
		}
	}
	if (n->n == QUEUE_LEN || len > PKT_MAX)
		return; /* the queue is full: lost */
	n->ord[n->n] = n->free_[QUEUE_LEN - 1 - n->n];
	struct pkt *p = at(n, n->n++);
	p->to = (uint8_t)!side;
	p->len = (uint16_t)len;
	memcpy(p->b, b, len);
}

static void emit_client(void *ctx, const uint8_t *b, size_t len)
{
	(void)ctx;
	emit_from(0, b, len);
}

static void emit_server(void *ctx, const uint8_t *b, size_t len)
{
	(void)ctx;
	emit_from(1, b, len);
}

static void remove_at(struct net *n, unsigned i)
{
	uint8_t slot = n->ord[i];
	memmove(&n->ord[i], &n->ord[i + 1], n->n - i - 1);
	n->n--;
	n->free_[QUEUE_LEN - 1 - n->n] = slot;
}

static void deliver(struct net *n, const struct pkt *p)
{
	trace("%llu -> %c %u bytes\n", (unsigned long long)n->now, p->to ? 'S' : 'C', p->len);
	synack_input(mut(&n->e[p->to]), n->now, p->b, p->len);
}

/* Takes packet i out of the queue and delivers it (a copy: delivering may
 * queue more). */
static void deliver_at(struct net *n, unsigned i)
{
	static struct pkt p;
	struct pkt *q = at(n, i);
	p.to = q->to;
	p.len = q->len;
	memcpy(p.b, q->b, q->len);
	remove_at(n, i);
	deliver(n, &p);
}

/* The length of a queued packet's IP header: 20+ for IPv4, 40 for IPv6
 * (the stacks send no extension headers). */
static size_t ip_hlen(const struct pkt *p)
{
	return (p->b[0] >> 4) == 6 ? 40 : (size_t)(p->b[0] & 15) * 4;
}

/* The TCP header of a queued IP packet, or NULL. */
static uint8_t *tcp_of(struct pkt *p, size_t *tcp_len)
{
	if (p->len < 40)
		return NULL;
	size_t ihl = ip_hlen(p);
	if (ihl < 20 || p->len < ihl + 20)
		return NULL;
	*tcp_len = p->len - ihl;
	return p->b + ihl;
}

/* Sets the IP header's length field after the packet changed length: the
 * IPv4 total length, or the IPv6 payload length. */
static void set_ip_len(struct pkt *p)
{
	bool v6 = (p->b[0] >> 4) == 6;
	size_t at = v6 ? 4 : 2, len = v6 ? p->len - 40u : p->len;
	p->b[at] = (uint8_t)(len >> 8);
	p->b[at + 1] = (uint8_t)len;
}

/* The packet's ECN field (RFC 3168 §5): the low bits of the IPv4 TOS byte,
 * or of the IPv6 traffic class, which straddles bytes 0 and 1. */
static uint8_t *ecn_byte(struct pkt *p, unsigned *shift)
{
	*shift = (p->b[0] >> 4) == 6 ? 4 : 0;
	return &p->b[1];
}

static void fault(struct net *n, struct fuzz_input *in, uint8_t op)
{
	if (n->n == 0)
		return;
	unsigned i = fi_u8(in) % n->n;
	struct pkt *p = at(n, i);
	size_t tl;
	uint8_t *tcp;
	switch (op) {
	case 0: /* drop */
		trace("drop %u\n", i);
		remove_at(n, i);
		break;
	case 1: /* duplicate: deliver a copy, keep the original queued */
		trace("duplicate %u\n", i);
		deliver(n, p);
		break;
	case 2: /* delay: to the back of the queue */
		if (n->n > 1) {
			uint8_t slot = n->ord[i];
			memmove(&n->ord[i], &n->ord[i + 1], n->n - i - 1);
			n->ord[n->n - 1] = slot;
		}
		break;
	case 3: /* corrupt one bit of the TCP segment: the checksum catches it */
		if ((tcp = tcp_of(p, &tl))) {
			uint32_t bit = fi_u16(in) % (uint32_t)(tl * 8);
			tcp[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			trace("corrupt %u bit %u\n", i, bit);
			deliver_at(n, i);
		}
		break;
	case 4: /* truncate the datagram: shorter than its IP length, dropped */
		if (p->len > 1) {
			p->len = (uint16_t)fi_range(in, 0, p->len - 1u);
			trace("truncate %u to %u\n", i, p->len);
			deliver_at(n, i);
		}
		break;
	case 5: /* trim the payload (a shorter but valid segment), FIN cleared */
		if ((tcp = tcp_of(p, &tl))) {
			size_t hl = (size_t)(tcp[12] >> 4) * 4;
			if (hl >= 20 && tl > hl) {
				size_t keep = fi_range(in, 0, (uint32_t)(tl - hl - 1));
				tcp[13] &= (uint8_t)~0x01; /* FIN */
				p->len = (uint16_t)(p->len - (tl - hl - keep));
				set_ip_len(p);
				synack_seg_fix_checksums(p->b, p->len);
				trace("trim %u to %zu payload bytes\n", i, keep);
			}
		}
		break;
	case 6: /* rewrite the window field */
		if ((tcp = tcp_of(p, &tl))) {
			uint16_t w = fi_u16(in);
			if (w > ((uint16_t)tcp[14] << 8 | tcp[15]))
				n->e[p->to].told_larger = true;
			tcp[14] = (uint8_t)(w >> 8);
			tcp[15] = (uint8_t)w;
			synack_seg_fix_checksums(p->b, p->len);
			trace("window of %u := %u\n", i, w);
		}
		break;
	case 7: /* clamp the MSS option of a SYN (zero and tiny included) */
		if ((tcp = tcp_of(p, &tl)) && (tcp[13] & 0x02)) {
			size_t hl = (size_t)(tcp[12] >> 4) * 4;
			uint16_t mss = fi_u16(in);
			for (size_t o = 20; o + 1 < hl && o < tl;) {
				uint8_t kind = tcp[o];
				if (kind == 0)
					break;
				if (kind == 1) {
					o++;
					continue;
				}
				uint8_t ol = tcp[o + 1];
				if (ol < 2 || o + ol > hl)
					break;
				if (kind == 2 && ol == 4) {
					tcp[o + 2] = (uint8_t)(mss >> 8);
					tcp[o + 3] = (uint8_t)mss;
					trace("mss of %u := %u\n", i, mss);
				}
				o += ol;
			}
			synack_seg_fix_checksums(p->b, p->len);
		}
		break;
	case 8: /* CE on an ECT packet (RFC 3168 §5), then deliver it */
		if (p->len >= 20) {
			unsigned sh;
			uint8_t *e = ecn_byte(p, &sh);
			unsigned ecn = (*e >> sh) & 3u;
			if (ecn == 1 || ecn == 2) {
				*e |= (uint8_t)(3u << sh);
				synack_seg_fix_checksums(p->b, p->len);
				trace("CE on %u\n", i);
			}
		}
		deliver_at(n, i);
		break;
	default: /* reorder: deliver packet i, wherever it is */
		deliver_at(n, i);
		break;
	}
}

/* ---- the applications ------------------------------------------------------ */

/* Whether Linux's tcp_sequence drops a segment [seq, end) that `to`
 * receives, as of the last segment `to` sent: older than its rcv_wup, or
 * starting past the right edge it advertised. A dropped segment's ACK
 * field is never read (tcp_validate_incoming). */
static bool dropped_by(const struct end *to, uint32_t seq, uint32_t end)
{
	return synack_seq_lt(end, to->last_ack) || synack_seq_gt(seq, to->right_edge);
}

/* One end's ACKs can no longer reach the other, the way Linux fails:
 * - behind: it sends its pure ACKs at the right edge of a window the other
 *   has shrunk (Linux tcp_acceptable_seq: SND.NXT is past it), while the
 *   other has already accepted data past that edge (Linux takes a segment
 *   past its window while its receive queue is empty, tcp_sequence), so
 *   they are older than the other's rcv_wup;
 * - ahead: the middlebox told it a larger window than the other offered,
 *   it sent past the real one (tcp_acceptable_seq then puts its pure ACKs
 *   at that SND.NXT, beyond the other's right edge), and its
 *   retransmissions, from SND.UNA, are older than the other's rcv_wup
 *   because the other's ACKs of them are the ones dropped the other way.
 * Both ends in that state is a deadlock: the retransmissions that would
 * break the tie are dropped too, and Linux pairs stay there until their
 * retries run out. The network target's middlebox, which rewrites
 * windows, gets them there. */
static bool acks_unreadable(const struct end *from, const struct end *to)
{
	if (!from->pure_ack_any || !to->acked_any)
		return false;
	if (synack_seq_lt(from->pure_ack_seq, to->last_ack))
		return true;
	return from->told_larger && synack_seq_gt(from->pure_ack_seq, to->right_edge) &&
	       from->data_any && dropped_by(to, from->data_seq, from->data_end);
}

static bool linux_ack_seq_deadlock(const struct net *n)
{
	return acks_unreadable(&n->e[0], &n->e[1]) && acks_unreadable(&n->e[1], &n->e[0]);
}

static void fail_on_error(struct net *n, struct end *e, long r, const char *what)
{
	if (r >= 0 || r == -EAGAIN || r == -EINPROGRESS || e->dead)
		return;
	trace("%s: %s = %ld\n", e == &n->e[0] ? "client" : "server", what, r);
	e->dead = true;
	e->err = (int)-r;
	/* The deadlock ends in a timeout (ETIMEDOUT) on one end, and the
	 * other's next retransmission then meets no connection: its RST
	 * (ECONNRESET) is the same failure. */
	if ((r == -ETIMEDOUT || r == -ECONNRESET) && linux_ack_seq_deadlock(n)) {
		fprintf(stderr, "fuzz_network: each end's ACKs fall outside the window the other "
		                "keeps (Linux tcp_acceptable_seq, tcp_sequence) and are dropped "
		                "unread; not an engine failure\n");
		n->excused = true;
		return;
	}
	/* ETIMEDOUT is legitimate only if the clock ran far enough for the
	 * retries to run out, which the faulty phase never allows. */
	check(0, "no error on a connection over a lossy but working network");
}

static void app_write(struct net *n, struct end *e, size_t max)
{
	if (e->fd < 0 || e->shut || e->dead || e->written >= e->to_send)
		return;
	size_t len = e->to_send - e->written;
	if (len > max)
		len = max;
	ssize_t r = synack_send(mut(e), e->fd, e->out_pattern + e->written % 256, len, 0);
	fail_on_error(n, e, r, "send");
	if (r > 0)
		e->written += (size_t)r;
}

static void app_shutdown(struct net *n, struct end *e)
{
	if (e->fd < 0 || e->shut || e->dead || e->written < e->to_send)
		return;
	/* Not while connecting: Linux's shutdown() of a SYN_SENT socket
	 * disconnects it (inet_shutdown). */
	struct synack_tcp_info ti;
	if (synack_tcp_info(mut(e), e->fd, &ti) != 0 ||
	    (ti.state != TCP_ESTABLISHED && ti.state != TCP_CLOSE_WAIT))
		return;
	fail_on_error(n, e, synack_shutdown(mut(e), e->fd, SHUT_WR), "shutdown");
	e->shut = true;
}

static void app_read(struct net *n, struct end *e, size_t max)
{
	static uint8_t buf[MAX_STREAM];
	if (e->fd < 0 || e->eof || e->dead)
		return;
	if (max > sizeof buf)
		max = sizeof buf;
	ssize_t r = synack_recv(mut(e), e->fd, buf, max, 0);
	if (r == 0 && max > 0) {
		check(e->read == e->to_recv, "no end of stream before the last byte");
		e->eof = true;
		return;
	}
	fail_on_error(n, e, r, "recv");
	if (r > 0) {
		check(e->read + (uint64_t)r <= e->to_recv, "no bytes past the end of the stream");
		check(memcmp(buf, e->in_pattern + e->read % 256, (size_t)r) == 0,
		      "every byte read is the next byte written");
		e->read += (uint64_t)r;
	}
}

static void app_accept(struct end *s)
{
	if (s->fd >= 0)
		return;
	int fd = synack_accept(mut(s), s->lfd, NULL, NULL);
	if (fd >= 0)
		s->fd = fd;
}

/* What an application does when it goes as fast as it can. */
/* Close only once everything sent, FIN included, is acknowledged (the
 * application closes after its shutdown and the peer's end of stream, so
 * that is TIME_WAIT or CLOSED). An orphan may rightly give up on what it
 * still has to send: Linux kills an orphan whose backed-off RTO reached
 * TCP_RTO_MAX at its next retransmission or probe timeout
 * (tcp_orphan_retries(alive = false) = 0), and RTT samples taken across a
 * faulty phase of delays push the RTO there — its data, or its FIN held
 * behind a zero window, then never arrive. An application that wants them
 * delivered waits (as SO_LINGER would); so does this one. */
static bool all_acked(struct end *e)
{
	struct synack_tcp_info ti;
	return synack_tcp_info(mut(e), e->fd, &ti) != 0 || ti.state == TCP_TIME_WAIT ||
	       ti.state == TCP_CLOSE;
}

static void app_turn(struct net *n, struct end *e)
{
	app_read(n, e, MAX_STREAM);
	app_write(n, e, MAX_STREAM);
	app_shutdown(n, e);
	if (e->fd >= 0 && e->eof && e->shut && !e->closed && all_acked(e)) {
		synack_close(mut(e), e->fd);
		e->closed = true;
	}
}

static void app_run(struct net *n)
{
	app_accept(&n->e[1]);
	for (int i = 0; i < 2; i++)
		app_turn(n, &n->e[i]);
}

/* One side's application progress: bytes moved, ends seen, accept, close. */
static uint64_t end_progress(const struct end *e)
{
	return e->read + e->written + e->eof + e->shut + e->closed + (e->fd >= 0);
}

/* The healing phase's applications are event-driven, as with epoll: a side
 * takes its turn when something called into its stack since its last turn
 * (a delivery, a timer) or when that turn made progress. Otherwise the turn
 * would repeat, on a stack nothing touched, the calls that had just
 * returned nothing (half the healing phase's socket calls, and the
 * invariant checks after them). */
static void app_run_events(struct net *n)
{
	bool go[2];
	uint64_t before[2];
	for (int i = 0; i < 2; i++) {
		go[i] = n->e[i].poked || n->e[i].moved;
		before[i] = end_progress(&n->e[i]);
	}
	if (go[1])
		app_accept(&n->e[1]);
	for (int i = 0; i < 2; i++)
		if (go[i]) {
			app_turn(n, &n->e[i]);
			n->e[i].moved = end_progress(&n->e[i]) != before[i];
			n->e[i].poked = false;
		}
}

static void check_step(struct net *n)
{
	char why[256];
	n->emitted = n->emitted_data = 0;
	for (int i = 0; i < 2; i++) {
		if (!n->e[i].dirty)
			continue; /* no call reached it: unchanged since its last check */
		n->e[i].dirty = false;
		if (synack_check_invariants(ro(&n->e[i]), why, sizeof why) != 0) {
			fprintf(stderr, "fuzz_network: %s stack: %s\n", i ? "server" : "client",
			        why);
			check(0, "engine invariants");
		}
	}
}

/* Triage (FUZZ_TRACE=1): each side's TCP_INFO at every clock advance. */
static void trace_info(struct net *n)
{
	if (!tracing)
		return;
	for (int i = 0; i < 2; i++) {
		struct synack_tcp_info ti;
		struct end *e = &n->e[i];
		if (e->fd < 0 || synack_tcp_info(mut(e), e->fd, &ti) != 0)
			continue;
		trace("  %c: state %u ca %u unacked %u lost %u retrans %u sacked %u cwnd %u "
		      "ssthresh %u snd_wnd %u rcv_wnd %u rto %u backoff %u probes %u notsent %u "
		      "mss %u\n",
		      i ? 'S' : 'C', ti.state, ti.ca_state, ti.unacked, ti.lost, ti.retrans,
		      ti.sacked, ti.snd_cwnd, ti.snd_ssthresh, ti.snd_wnd, ti.rcv_wnd, ti.rto,
		      ti.backoff, ti.probes, ti.notsent_bytes, ti.snd_mss);
	}
}

static void advance_to(struct net *n, uint64_t t)
{
	if (t > n->now)
		n->now = t;
	trace("advance to %llu\n", (unsigned long long)t);
	trace_info(n);
	for (int i = 0; i < 2; i++) {
		uint64_t due = synack_next_deadline(ro(&n->e[i]));
		uint64_t sent = (uint64_t)n->emitted + n->emitted_data;
		synack_advance(mut(&n->e[i]), t);
		/* No segment without a cause: time that reaches none of a
		 * stack's deadlines fires nothing there (they are exact). */
		if (t < due)
			check((uint64_t)n->emitted + n->emitted_data == sent,
			      "no segment without a cause (the clock reached no deadline)");
	}
}

static uint64_t next_deadline(const struct net *n)
{
	uint64_t a = synack_next_deadline(ro(&n->e[0])), b = synack_next_deadline(ro(&n->e[1]));
	return a < b ? a : b;
}

static void fault_advance(struct net *n, uint64_t dt)
{
	if (n->fault_time + dt > FAULT_TIME_US)
		dt = FAULT_TIME_US - n->fault_time; /* may be 0: timers due now still fire */
	n->fault_time += dt;
	advance_to(n, n->now + dt);
}

static void step(struct net *n, struct fuzz_input *in)
{
	uint8_t op = fi_u8(in);
	switch (op % 24) {
	case 0:
	case 1:
	case 2:
	case 3:
	case 4:
	case 5:
		if (n->n)
			deliver_at(n, 0); /* in order */
		break;
	case 6:
	case 7:
	case 8:
	case 9:
	case 10:
	case 11:
	case 12:
	case 13:
	case 14:
		fault(n, in, (uint8_t)(op % 24 - 6));
		break;
	case 15: {
		uint64_t d = next_deadline(n);
		trace("next deadline %llu (client %llu, server %llu)\n", (unsigned long long)d,
		      (unsigned long long)synack_next_deadline(ro(&n->e[0])),
		      (unsigned long long)synack_next_deadline(ro(&n->e[1])));
		if (d != SYNACK_NEVER)
			fault_advance(n, d > n->now ? d - n->now : 0);
		break;
	}
	case 16:
		fault_advance(n, (uint64_t)fi_u8(in) * 1000);
		break;
	case 17:
		fault_advance(n, (uint64_t)fi_u8(in) * 100000);
		break;
	case 18:
	case 19:
		app_read(n, &n->e[op & 1], fi_u16(in));
		break;
	case 20:
	case 21:
		app_write(n, &n->e[op & 1], fi_u16(in));
		break;
	case 22:
		app_accept(&n->e[1]);
		break;
	default:
		app_run(n);
		break;
	}
}

static bool quiet(const struct net *n)
{
	return n->n == 0 && synack_next_deadline(ro(&n->e[0])) == SYNACK_NEVER &&
	       synack_next_deadline(ro(&n->e[1])) == SYNACK_NEVER;
}

/* What the applications have done so far (bytes moved, ends seen, closes). */
static uint64_t progress(const struct net *n)
{
	uint64_t p = 0;
	for (int i = 0; i < 2; i++)
		p += n->e[i].read + n->e[i].written + n->e[i].eof + n->e[i].shut + n->e[i].closed;
	return p;
}

/* Linux's receive window can stay at zero for good (measured on 6.18:
 * conformance/scripts/window/receive-window-stuck-below-rcv-mss.pkt). A
 * segment larger than the window offered (here: after a middlebox rewrote
 * a window) raises rcv_mss above rcv_ssthresh and closes the window; once
 * read, __tcp_select_window without window scaling keeps the zero window
 * because the free space, capped at rcv_ssthresh, is less than one rcv_mss,
 * and rcv_ssthresh only grows with data received, which a zero window
 * drops. The engine does the same; this is not a liveness failure of the
 * engine against its model. */
static bool linux_zero_window_stall(struct end *e)
{
	struct synack_tcp_info ti;
	return e->fd >= 0 && synack_tcp_info(mut(e), e->fd, &ti) == 0 && ti.rcv_wnd == 0 &&
	       ti.rcv_wscale == 0 && ti.rcv_ssthresh < ti.rcv_mss;
}

/* The network heals: everything in order, applications as fast as they can. */
static void heal(struct net *n)
{
	uint64_t start = n->now; /* of the current stretch without progress */
	uint64_t last = progress(n);
	n->healing = true;
	n->e[0].moved = n->e[1].moved = true; /* a first turn each */
	trace("--- faults over at %llu ---\n", (unsigned long long)n->now);
	for (int iter = 0; iter < LIVENESS_MAX_ITER; iter++) {
		app_run_events(n);
		check_step(n);
		if (n->excused)
			return;
		bool done = n->e[0].closed && n->e[1].closed;
		if (done && quiet(n))
			return;
		if (n->n) {
			deliver_at(n, 0);
		} else {
			uint64_t d = next_deadline(n);
			if (d == SYNACK_NEVER) {
				/* Nothing in flight, no timer: the applications may
				 * still have a turn to take (read the end of stream
				 * that the last read emptied the queue for, then
				 * close). Stuck only if that changes nothing. */
				uint64_t before = progress(n);
				app_run_events(n);
				check_step(n);
				uint64_t after = progress(n);
				if (n->n || next_deadline(n) != SYNACK_NEVER || after != before)
					continue;
				break;
			}
			if (d - start > LIVENESS_BUDGET_US)
				break;
			advance_to(n, d);
		}
		check_step(n);
		if (progress(n) != last) {
			last = progress(n);
			start = n->now;
		}
	}
	fprintf(stderr,
	        "fuzz_network: %llu us without progress: client wrote %llu/%u read %llu/%u eof %d "
	        "closed %d; "
	        "server wrote %llu/%u read %llu/%u eof %d closed %d; %u queued\n",
	        (unsigned long long)(n->now - start), (unsigned long long)n->e[0].written,
	        n->e[0].to_send, (unsigned long long)n->e[0].read, n->e[0].to_recv, n->e[0].eof,
	        n->e[0].closed, (unsigned long long)n->e[1].written, n->e[1].to_send,
	        (unsigned long long)n->e[1].read, n->e[1].to_recv, n->e[1].eof, n->e[1].closed,
	        n->n);
	if (linux_ack_seq_deadlock(n)) {
		fprintf(stderr, "fuzz_network: each end's ACKs fall outside the window the other "
		                "keeps (Linux tcp_acceptable_seq, tcp_sequence): no progress, as "
		                "Linux's; not a liveness failure\n");
		return;
	}
	for (int i = 0; i < 2; i++)
		if (linux_zero_window_stall(&n->e[i])) {
			fprintf(stderr,
			        "fuzz_network: %s: receive window stuck at zero below one "
			        "rcv_mss, as Linux's: not a liveness failure\n",
			        i ? "server" : "client");
			return;
		}
	check(0, "liveness: transfer complete and both sides closed in bounded virtual time");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct net net;
	struct net *n = &net;
	struct fuzz_input in = fi_init(data, size);
	struct synack_profile prof[2];
	struct sockaddr_storage ss;
	socklen_t sl;

	memset(n, 0, offsetof(struct net, q));
	for (unsigned i = 0; i < QUEUE_LEN; i++)
		n->free_[i] = (uint8_t)i;
	g_net = n;
	init_patterns();
	if (tracing < 0)
		tracing = getenv("FUZZ_TRACE") != NULL;

	uint8_t cfg = fi_u8(&in);
	/* NETWORK_INET6's wire: bit 0 IPv4 through IPv4-mapped addresses,
	 * else IPv6; bit 1 the server listens on ::; bit 2 the client
	 * connects unbound (the stack picks its port and address). Variants
	 * for paths no other fuzz input reached (make fuzz-coverage): bit 3
	 * the classic loss recovery on both sides (Reno, no RACK, no loss
	 * probe: RFC 5681/6675's scoreboard under loss and reordering). (Not
	 * SYN cookies: data reordered before the handshake's ACK fails the
	 * cookie check and gets an RST, on Linux too — RFC 4987 §3.6 — which
	 * the no-error oracle would have to accept; segment_inet6 fuzzes
	 * them.) */
	uint8_t wire = NETWORK_INET6 ? fi_u8(&in) : 1;
	bool v6_wire = NETWORK_INET6 && !(wire & 1);
	for (int i = 0; i < 2; i++) {
		synack_profile_linux(&prof[i]);
		prof[i].max_sockets = 8;
		/* Autotuning grows the receive buffer (and its ring) up to
		 * tcp_rmem[2]; 32 MiB per input would leave the arena for
		 * malloc. 1 MiB still reaches the cap. */
		prof[i].rmem[2] = 1u << 20;
		prof[i].verify_checksums = true; /* corruption must be caught */
		prof[i].timestamps = !(cfg & (1 << (i * 3)));
		prof[i].sack = !(cfg & (2 << (i * 3)));
		prof[i].window_scaling = !(cfg & (4 << (i * 3)));
		/* The handshake's retry limits outlast the faulty phase and the
		 * first retransmission after it (RTO max 120 s): Linux's 5
		 * SYN-ACK retries give up 63 s after the first SYN-ACK, and a
		 * peer whose ACK and first data were lost in a 60 s faulty
		 * phase retransmits only after its RTO — then the RST is
		 * right, not a bug. 8 retries: 511 s. */
		prof[i].syn_retries = 8;
		prof[i].synack_retries = 8;
	}
	for (int i = 0; NETWORK_INET6 && (wire & 0x08) && i < 2; i++) {
		prof[i].cc = SYNACK_CC_RENO;
		prof[i].recovery = 0;
		prof[i].early_retrans = 0;
	}
	/* Small buffers reach zero windows and full send queues. */
	if (cfg & 0x40) {
		prof[1].rmem[1] = fi_range(&in, 1024, 65536);
		prof[0].wmem[1] = fi_range(&in, 1024, 65536);
	}
	n->e[0].addr = (struct synack_addr){ .family = 4, .bytes = { 10, 0, 0, 1 } };
	n->e[1].addr = (struct synack_addr){ .family = 4, .bytes = { 10, 0, 0, 2 } };
	if (v6_wire) {
		n->e[0].addr =
		    (struct synack_addr){ .family = 6, .bytes = { 0xfd, 0, [14] = 0, [15] = 1 } };
		n->e[1].addr =
		    (struct synack_addr){ .family = 6, .bytes = { 0xfd, 0, [14] = 0, [15] = 2 } };
	}
	n->e[0].out_pattern = n->e[1].in_pattern = c_pattern;
	n->e[1].out_pattern = n->e[0].in_pattern = s_pattern;
	n->e[0].to_send = n->e[1].to_recv = fi_range(&in, 0, MAX_STREAM);
	n->e[1].to_send = n->e[0].to_recv = (cfg & 0x80) ? fi_range(&in, 0, 4096) : 0;
	uint64_t seed = fi_u32(&in);
	if (seed >> 31)
		prof[0].ecn = 1; /* the client asks for ECN; the server (2) accepts */
	static struct fuzz_arena arena;
	arena_reset(&arena);
	struct synack_env env[2] = {
		{ .emit = emit_client, .ctx = n, .seed = seed },
		{ .emit = emit_server, .ctx = n, .seed = seed ^ 0x9e3779b97f4a7c15ull },
	};
	for (int i = 0; i < 2; i++) {
		env[i].alloc = arena_alloc;
		env[i].free = arena_free;
		env[i].alloc_ctx = &arena;
	}
	n->now = 1000000;
	for (int i = 0; i < 2; i++) {
		n->e[i].st_ = synack_stack_new(&prof[i], &env[i]);
		check(n->e[i].st_ != NULL, "stack_new");
		synack_add_address(mut(&n->e[i]), &n->e[i].addr);
		synack_advance(mut(&n->e[i]), n->now);
		n->e[i].fd = n->e[i].lfd = -1;
	}
	struct end *c = &n->e[0], *s = &n->e[1];
	int domain = NETWORK_INET6 ? AF_INET6 : AF_INET;
	s->lfd = synack_socket(mut(s), domain, SOCK_STREAM, 0);
	sl = fuzz_sockaddr(NETWORK_INET6, &s->addr, SPORT, NETWORK_INET6 && (wire & 2), &ss);
	check(synack_bind(mut(s), s->lfd, (struct sockaddr *)&ss, sl) == 0, "bind");
	check(synack_listen(mut(s), s->lfd, 8) == 0, "listen");
	c->fd = synack_socket(mut(c), domain, SOCK_STREAM, 0);
	sl = fuzz_sockaddr(NETWORK_INET6, &c->addr, CPORT, false, &ss);
	if (!(NETWORK_INET6 && (wire & 4)))
		synack_bind(mut(c), c->fd, (struct sockaddr *)&ss, sl);
	sl = fuzz_sockaddr(NETWORK_INET6, &s->addr, SPORT, false, &ss);
	int r = synack_connect(mut(c), c->fd, (struct sockaddr *)&ss, sl);
	check(r == -EINPROGRESS || r == 0, "connect");
	check_step(n);

	for (int k = 0; k < MAX_STEPS && !fi_empty(&in) && !n->excused; k++) {
		step(n, &in);
		check_step(n);
	}
	if (NETWORK_LIVENESS && !n->excused)
		heal(n);

	synack_stack_free(c->st_);
	synack_stack_free(s->st_);
	return 0;
}
