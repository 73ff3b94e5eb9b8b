/* Fuzz target: one engine, a socket driven into a chosen state, then a
 * sequence of fuzzed segments interleaved with clock advances and socket
 * calls (docs/fuzzing.md).
 *
 * In half the scenarios, ICMP errors about the tracked connection are
 * among the steps too (icmp.c: hard and soft errors, PMTU discovery).
 *
 * fuzz_segment_inet6.c builds this file again with SEGMENT_INET6 set: the
 * tracked sockets are AF_INET6 and a second input byte picks the wire —
 * IPv6 (ICMPv6 errors), or IPv4 seen through IPv4-mapped addresses (the
 * dual-stack paths) — and how the sockets are bound. The inputs of
 * `segment` keep their meaning.
 *
 * Segments mostly take their sequence and ack numbers from the tracked
 * connection (so they pass the acceptability tests and reach deep states —
 * TCP-Fuzz's dependency strategy), and raw fuzzed values the rest.
 *
 * Oracles, checked after every step:
 * - synack_check_invariants(): sequence space, buffer bounds, timers
 *   consistent with states, listen queues within their bounds;
 * - every emitted packet parses with checksum verification, leaves from the
 *   stack's address to the peer's;
 * - bounded output per input event (the zero-MSS / zero-window infinite-loop
 *   guard): at most MAX_EMIT_PER_STEP packets without data, and at most
 *   MAX_EMIT_PER_STEP + 2 * held / MIN_SND_MSS with data, where held is what
 *   the application has written and the peer not yet acknowledged;
 * - the offered receive window of the tracked connection never shrinks
 *   (its right edge never moves left; RFC 9293 §3.8.6.2.2, Linux);
 * - byte-stream integrity both ways: data the application reads is exactly
 *   the peer's stream at that offset; data the stack sends at sequence S is
 *   exactly what the application wrote at that offset.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz_arena.h"
#include "fuzz_input.h"
#include "fuzz_sockaddr.h"
#include "synack/engine.h"
#include "synack/segment.h"

#ifndef MAX_STEPS
#define MAX_STEPS 256
#endif
#ifndef SEGMENT_INET6
#define SEGMENT_INET6 0
#endif
#define MAX_EMIT_PER_STEP 256
/* The least data a full segment carries: Linux's tcp_min_snd_mss (48)
 * less the options a segment may carry beyond it, timestamps (12) and
 * three SACK blocks (28): tcp_current_mss subtracts them. */
#define MIN_SND_MSS 8
#define LPORT       8080
#define RPORT       40000

struct peer {
	struct synack_stack *st;
	struct synack_profile prof;
	struct synack_addr local, remote;
	uint64_t now;
	int lfd, fd;
	bool passive, handshake_done, tainted, closed;
	/* The peer's side of the tracked connection. */
	uint16_t lport, rport;
	uint32_t irs, p_seq; /* peer ISN and next sequence number */
	uint32_t iss, s_nxt; /* the stack's ISN and highest sequence sent + 1 */
	bool iss_known;
	uint32_t p_tsval, s_tsval;
	bool ts, sack, ws;
	/* SO_OOBINLINE on the tracked socket: an urgent byte stays in the
	 * stream, so the byte-stream checks hold with URG segments too. */
	bool oobinline;
	/* Bytes of the peer's stream an out-of-band urgent byte may have taken
	 * out of what the application reads: one per URG segment sent while
	 * SO_OOBINLINE is off, spent as the reads find them missing. */
	uint32_t urgent_skips;
	bool icmp;               /* ICMP errors among the steps (scenario bit 7) */
	bool inet6;              /* AF_INET6 sockets (segment_inet6) */
	bool wildcard;           /* segment_inet6: bound to :: (passive) or not at all */
	bool v6only;             /* segment_inet6 on an IPv6 wire: IPV6_V6ONLY on the socket */
	uint8_t wire;            /* segment_inet6: the wire and variant byte (main) */
	uint64_t cookie_conns;   /* connections made from SYN cookies so far */
	uint32_t ack_in, seq_in; /* the ACK and sequence fields of the segment being injected */
	uint8_t s_wscale;        /* what the stack advertised in its SYN/SYN-ACK */
	bool edge_known;
	uint32_t right_edge; /* the stack's offered right edge: ack + win << scale */
	uint64_t app_read;   /* bytes the application has read */
	uint64_t app_written;
	unsigned emitted, emitted_data;
	uint64_t acked;     /* bytes_acked (TCP_INFO) when last asked: a lower bound */
	uint64_t step_held; /* bytes the stack may hold during this step */
};

/* FUZZ_TRACE=1 in the environment prints every step: for triage of a
 * finding with the replay binary (build/plain/fuzz-replay/segment FILE). */
static int tracing = -1;

static void trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void trace(const char *fmt, ...)
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

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz_segment: oracle failed: %s\n", what);
		abort();
	}
}

/* The peer's byte stream and the application's: a function of the offset
 * with period 256, so retransmissions and overlaps carry the same bytes, and
 * a run of them is one memcpy/memcmp from a pattern table (per-byte loops
 * under coverage instrumentation cost more than the engine itself). */
#define MAX_SEND    16384
#define PATTERN_LEN (70000 + 256)
static uint8_t peer_pattern[PATTERN_LEN], app_pattern[PATTERN_LEN];

static void init_patterns(void)
{
	if (peer_pattern[1])
		return;
	for (size_t i = 0; i < PATTERN_LEN; i++) {
		peer_pattern[i] = (uint8_t)(i * 31 + 7);
		app_pattern[i] = (uint8_t)(i * 17 + 3);
	}
}

static const uint8_t *peer_bytes(uint64_t off)
{
	return peer_pattern + off % 256;
}

static const uint8_t *app_bytes(uint64_t off)
{
	return app_pattern + off % 256;
}

/* Segments with data one step may send: everything the stack holds, in
 * segments as small as the minimum send MSS, each byte at most twice (new
 * data and a retransmission), plus timer retransmissions. Linux sends a
 * 16 KB write in 342 segments with MSS 48 once the congestion window has
 * grown (docs/engine.md: a tiny MSS made the flat 256 fire falsely). */
static uint64_t emit_data_bound(const struct peer *p)
{
	return MAX_EMIT_PER_STEP + 2 * (p->step_held + MAX_SEND) / MIN_SND_MSS;
}

/* A connection made from a SYN cookie (segment_inet6) takes its ISS and
 * the peer's ISN from the ACK that made it: ack - 1 and seq - 1. A forged
 * cookie can check — its low bits are the MSS index, so an ACK field or a
 * sequence number one above or below passes, on Linux too, with another
 * MSS of the table — and then the connection is not the one whose SYN-ACK
 * the checks here saw, nor is a second one: its streams and window start
 * over. Called as soon as one can have appeared: from the emit callback and
 * after each injected segment. */
static void note_cookie_connection(struct peer *p)
{
	uint64_t made = synack_stats(p->st)->syncookies_recv;
	if (made == p->cookie_conns)
		return;
	bool forged = p->ack_in - 1 != p->iss || p->seq_in - 1 != p->irs;
	if ((made > 1 || forged) && !p->tainted) {
		trace("  a connection from a forged or second SYN cookie: stream checks off\n");
		p->tainted = true;
	}
	p->cookie_conns = made;
}

static void on_emit(void *ctx, const uint8_t *pkt, size_t len)
{
	struct peer *p = ctx;
	struct synack_segment s;
	check(synack_seg_parse(pkt, len, true, &s) == SYNACK_SEG_OK, "emitted packet parses");
	/* Checked here, so that a loop aborts at once instead of timing out. */
	if (s.payload_len)
		check(++p->emitted_data <= emit_data_bound(p),
		      "bounded output per input event (data segments)");
	else
		check(++p->emitted <= MAX_EMIT_PER_STEP,
		      "bounded output per input event (segments without data)");
	trace("  > %u>%u flags %02x seq %u ack %u win %u len %zu\n", s.sport, s.dport, s.flags,
	      s.seq - p->iss, s.ack - p->irs, s.window, s.payload_len);
	check(memcmp(&s.src, &p->local, sizeof s.src) == 0, "emitted from the stack's address");
	if (p->lport == 0 && (s.flags & SYNACK_TH_SYN) && s.dport == p->rport)
		p->lport = s.sport; /* an unbound connect's port: its SYN shows it */
	if (s.dport != p->rport || s.sport != p->lport)
		return; /* another connection: only the generic checks */
	note_cookie_connection(p);
	/* The peer echoes the latest TSval, the SYN-ACK's too: a SYN cookie's
	 * options (wscale, SACK) live in the SYN-ACK's TSval, and its check
	 * decodes them from the ACK's TSecr (Linux cookie_timestamp_decode). */
	if (s.opt.has_ts)
		p->s_tsval = s.opt.ts_val;
	if (s.flags & SYNACK_TH_SYN) {
		/* A new incarnation (an RST killed the request and a new SYN made
		 * another, or TIME_WAIT was reopened): stream offsets start over. */
		if (p->iss_known &&
		    (s.seq != p->iss || ((s.flags & SYNACK_TH_ACK) && s.ack != p->irs + 1)))
			p->tainted = true;
		p->iss = s.seq;
		p->iss_known = true;
		p->s_nxt = s.seq + 1;
		p->s_wscale = s.opt.has_wscale ? s.opt.wscale : 0;
		p->edge_known = false;
		return;
	}
	if (s.flags & SYNACK_TH_RST) {
		p->edge_known = false;
		return;
	}
	if (p->iss_known && s.payload_len && !p->tainted) {
		/* Byte-stream integrity, stack -> peer. */
		uint64_t off = (uint32_t)(s.seq - p->iss - 1);
		check(memcmp(s.payload, app_bytes(off), s.payload_len) == 0,
		      "sent bytes are the written bytes");
	}
	uint32_t end = s.seq + (uint32_t)s.payload_len + ((s.flags & SYNACK_TH_FIN) ? 1 : 0);
	if (p->iss_known && synack_seq_gt(end, p->s_nxt))
		p->s_nxt = end;
	if ((s.flags & SYNACK_TH_ACK) && p->handshake_done && !p->tainted) {
		uint32_t scale = p->ws ? p->s_wscale : 0;
		uint32_t edge = s.ack + ((uint32_t)s.window << scale);
		if (p->edge_known)
			check(synack_seq_geq(edge, p->right_edge), "offered window never shrinks");
		if (!p->edge_known || synack_seq_gt(edge, p->right_edge))
			p->right_edge = edge;
		p->edge_known = true;
	}
}

/* An IP header of the wire's family (IPv4 or IPv6), src to dst, for a
 * payload of n bytes of protocol proto. Returns its length. */
static size_t ip_header(const struct peer *p, const uint8_t *src, const uint8_t *dst, uint8_t proto,
                        size_t n, uint8_t *h)
{
	if (p->local.family == 6) {
		memset(h, 0, 40);
		h[0] = 0x60;
		h[4] = (uint8_t)(n >> 8);
		h[5] = (uint8_t)n;
		h[6] = proto;
		h[7] = 64;
		memcpy(h + 8, src, 16);
		memcpy(h + 24, dst, 16);
		return 40;
	}
	memset(h, 0, 20);
	h[0] = 0x45;
	h[2] = (uint8_t)((20 + n) >> 8);
	h[3] = (uint8_t)(20 + n);
	h[8] = 64;
	h[9] = proto;
	memcpy(h + 12, src, 4);
	memcpy(h + 16, dst, 4);
	return 20;
}

static void inject(struct peer *p, struct synack_segment *s, bool corrupt)
{
	static uint8_t pkt[2048];
	s->src = p->remote;
	s->dst = p->local;
	s->ttl = 64;
	size_t len = synack_seg_build(s, pkt, sizeof pkt);
	if (len == 0)
		return;
	if (corrupt)
		pkt[len - 1] ^= 0x40; /* the checksum no longer matches */
	trace("%llu < %u>%u flags %02x seq %u ack %u win %u len %zu\n", (unsigned long long)p->now,
	      s->sport, s->dport, s->flags, s->seq - p->irs, s->ack - p->iss, s->window,
	      s->payload_len);
	p->ack_in = s->ack;
	p->seq_in = s->seq;
	synack_input(p->st, p->now, pkt, len);
	note_cookie_connection(p);
}

/* A segment from the tracked peer: numbers relative to the connection,
 * nudged by the fuzzer. */
static void tracked_segment(struct peer *p, struct fuzz_input *in)
{
	struct synack_segment s;
	memset(&s, 0, sizeof s);
	uint8_t shape = fi_u8(in);
	s.sport = p->rport;
	s.dport = p->lport;
	s.flags = fi_u8(in);
	if (shape & 1)
		s.flags = (uint8_t)((s.flags & ~SYNACK_TH_SYN) | SYNACK_TH_ACK);
	int32_t dseq = (shape & 2) ? (int8_t)fi_u8(in) * ((shape & 4) ? 1 : 4096) : 0;
	int32_t dack = (shape & 8) ? (int8_t)fi_u8(in) * ((shape & 16) ? 1 : 4096) : 0;
	s.seq = p->p_seq + (uint32_t)dseq;
	s.ack = p->s_nxt + (uint32_t)dack;
	s.window = (shape & 32) ? fi_u16(in) : 65535;
	size_t len = (shape & 64) ? fi_range(in, 0, 1500) : 0;
	s.payload = peer_bytes((uint32_t)(s.seq - p->irs - 1));
	s.payload_len = len;
	if (p->ts) {
		s.opt.has_ts = true;
		p->p_tsval += fi_u8(in);
		s.opt.ts_val = (shape & 128) ? fi_u32(in) : p->p_tsval;
		s.opt.ts_ecr = p->s_tsval;
	}
	if (p->sack && (shape & 128)) {
		s.opt.n_sack = (uint8_t)fi_range(in, 1, 3);
		for (unsigned i = 0; i < s.opt.n_sack; i++) {
			s.opt.sack[i].left = p->s_nxt - fi_u16(in);
			s.opt.sack[i].right = s.opt.sack[i].left + fi_u16(in);
		}
	}
	if (s.flags & SYNACK_TH_SYN) {
		s.opt.has_mss = true;
		s.opt.mss = (uint16_t)fi_u16(in); /* zero and tiny MSS included */
	}
	/* Without SO_OOBINLINE, URG may move one byte of the stream out of
	 * band (urgent.c, Linux tcp_urg): what the application reads is then
	 * the peer's stream less at most one byte per URG segment. */
	if ((s.flags & SYNACK_TH_URG) && !p->oobinline)
		p->urgent_skips++;
	inject(p, &s, false);
	if (dseq == 0 && !(s.flags & SYNACK_TH_RST))
		p->p_seq += (uint32_t)len + ((s.flags & SYNACK_TH_FIN) ? 1 : 0);
}

/* Raw bytes as the TCP header and payload, behind a valid IP header. */
static void raw_segment(struct peer *p, struct fuzz_input *in)
{
	uint8_t pkt[40 + 1024];
	size_t n;
	const uint8_t *tcp = fi_take(in, fi_range(in, 0, 1024), &n);
	size_t hl = ip_header(p, p->remote.bytes, p->local.bytes, IPPROTO_TCP, n, pkt);
	memcpy(pkt + hl, tcp, n);
	const uint8_t *th = pkt + hl;
	if (n >= 4 && ((th[0] << 8 | th[1]) == p->rport || (th[2] << 8 | th[3]) == p->lport))
		p->tainted = true; /* its payload is not the peer's stream */
	synack_seg_fix_checksums(pkt, hl + n);
	trace("raw segment of %zu bytes%s\n", n, p->tainted ? " (tainted)" : "");
	synack_input(p->st, p->now, pkt, hl + n);
}

/* An ICMP error about the tracked connection, as a router on the path
 * would send it (RFC 792, RFC 1191, RFC 5927; on IPv6, RFC 4443 and RFC
 * 8201): it quotes the IP header and the first 8 TCP bytes of a segment the
 * stack sent, with a sequence number near the highest one sent so that it
 * mostly passes the quote's window check (Linux tcp_v4_err, tcp_v6_err).
 * Type and code mostly among those TCP acts on: unreachables (hard in the
 * handshake, soft after), fragmentation needed / packet too big with a
 * fuzzed MTU (PMTU discovery and its resend), time exceeded, parameter
 * problem, source quench (IPv4); a raw type now and then. */
static void icmp_error(struct peer *p, struct fuzz_input *in)
{
	static const uint8_t types4[] = { 3, 3, 3, 11, 12, 4 };
	static const uint8_t types6[] = { 1, 1, 1, 3, 4, 2 };
	bool v6 = p->local.family == 6;
	uint8_t pkt[40 + 8 + 40 + 8];
	uint8_t shape = fi_u8(in);
	uint8_t type = (v6 ? types6 : types4)[shape % sizeof types4];
	uint8_t code = (uint8_t)fi_range(in, 0, 15);
	if (shape & 0x80)
		type = fi_u8(in);
	uint32_t seq = p->s_nxt - (uint32_t)((shape & 0x40) ? fi_u16(in) : fi_u8(in));
	if ((shape & 0x30) == 0x30)
		seq = fi_u32(in);
	uint16_t mtu = (shape & 8) ? (uint16_t)fi_u16(in) : (uint16_t)fi_range(in, 0, 1500);
	/* Routers may quote less than 8 TCP bytes (truncated quotes are
	 * ignored); mostly they quote all of them. */
	size_t quoted_tcp = (shape & 4) && (shape & 2) ? fi_range(in, 0, 8) : 8;
	/* From a router, or from the peer itself (a port unreachable). */
	static const uint8_t router4[4] = { 198, 51, 100, 1 };
	static const uint8_t router6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, [15] = 1 };
	const uint8_t *from = (shape & 1) ? p->remote.bytes : v6 ? router6 : router4;
	size_t iph = v6 ? 40 : 20, len = iph + 8 + iph + quoted_tcp;
	ip_header(p, from, p->local.bytes, v6 ? 58 : 1, len - iph, pkt);
	uint8_t *ic = pkt + iph;
	memset(ic, 0, 8);
	ic[0] = type;
	ic[1] = code;
	ic[6] = (uint8_t)(mtu >> 8); /* RFC 1191's next-hop MTU; RFC 4443's is 32 bits */
	ic[7] = (uint8_t)mtu;
	/* The segment we sent: local -> remote, quoted. */
	uint8_t *q = ic + 8;
	ip_header(p, p->local.bytes, p->remote.bytes, IPPROTO_TCP, 20, q);
	uint8_t th[8] = { (uint8_t)(p->lport >> 8), (uint8_t)p->lport,    (uint8_t)(p->rport >> 8),
		          (uint8_t)p->rport,        (uint8_t)(seq >> 24), (uint8_t)(seq >> 16),
		          (uint8_t)(seq >> 8),      (uint8_t)seq };
	memcpy(q + iph, th, quoted_tcp);
	synack_seg_fix_checksums(pkt, len); /* IP header and ICMP checksums */
	trace("%llu < icmp%s type %u code %u mtu %u quoting seq %u (%zu TCP bytes)\n",
	      (unsigned long long)p->now, v6 ? "v6" : "", type, code, mtu, seq - p->iss,
	      quoted_tcp);
	synack_input(p->st, p->now, pkt, len);
}

static void advance(struct peer *p, struct fuzz_input *in)
{
	uint8_t how = fi_u8(in);
	uint64_t next = synack_next_deadline(p->st);
	if ((how & 3) == 0 && next != SYNACK_NEVER)
		p->now = next > p->now ? next : p->now;
	else if ((how & 3) == 1)
		p->now += (uint64_t)fi_u8(in) * 1000;
	else if ((how & 3) == 2)
		p->now += (uint64_t)fi_u16(in) * 1000;
	else
		p->now += (uint64_t)fi_u8(in) * 1000000;
	trace("advance to %llu\n", (unsigned long long)p->now);
	synack_advance(p->st, p->now);
	/* No segment without a cause: time that reaches no deadline fires
	 * nothing, so nothing may leave (next is exact: engine.h). */
	if (p->now < next)
		check(p->emitted + p->emitted_data == 0,
		      "no segment without a cause (the clock reached no deadline)");
}

/* Whether buf[0..n) is the peer's stream from the application's read
 * offset on, with at most urgent_skips bytes of it missing (each taken out
 * of band by an urgent pointer). Nearby offsets of the pattern never hold
 * the same byte, so missing bytes show as a later offset's byte. */
static bool stream_matches(const struct peer *p, const uint8_t *buf, size_t n, size_t *skipped)
{
	uint64_t off = p->app_read;
	size_t i = 0;
	*skipped = 0;
	while (i < n) {
		/* The longest run that matches, compared in one memcmp. */
		size_t run = n - i;
		if (memcmp(buf + i, peer_bytes(off), run) == 0)
			return true;
		size_t k = 0;
		while (buf[i + k] == *peer_bytes(off + k))
			k++;
		i += k;
		off += k;
		/* Missing bytes, possibly several in a row (a new urgent
		 * pointer drops an unread urgent byte: Linux tcp_check_urg). */
		do {
			if (*skipped == p->urgent_skips)
				return false;
			++*skipped;
			off++;
		} while (buf[i] != *peer_bytes(off));
	}
	return true;
}

static void socket_call(struct peer *p, struct fuzz_input *in)
{
	static uint8_t buf[70000];
	uint8_t op = fi_u8(in);
	int fd = p->fd;
	switch (op % 10) {
	case 0: {
		size_t len = fi_range(in, 0, MAX_SEND);
		ssize_t r = synack_send(p->st, fd, app_bytes(p->app_written), len,
		                        (op & 0x10) ? MSG_MORE : 0);
		trace("send(%d, %zu) = %zd\n", fd, len, r);
		if (r > 0)
			p->app_written += (size_t)r;
		break;
	}
	case 1: {
		int flags = (op & 0x10) ? MSG_PEEK : 0;
		ssize_t r = synack_recv(p->st, fd, buf, fi_range(in, 0, sizeof buf), flags);
		trace("recv(%d, flags %d) = %zd at offset %llu\n", fd, flags, r,
		      (unsigned long long)p->app_read);
		size_t skipped = 0;
		if (r > 0 && !p->tainted)
			check(stream_matches(p, buf, (size_t)r, &skipped),
			      "received bytes are the peer's bytes, in order");
		if (r > 0 && !flags) {
			p->app_read += (size_t)r + skipped;
			p->urgent_skips -= (uint32_t)skipped;
		}
		break;
	}
	case 2:
		if (op & 0x10) {
			/* connect(AF_UNSPEC): the connection (or, with 0x20, the
			 * listener) is aborted and the descriptor stays. */
			struct sockaddr unspec = { .sa_family = AF_UNSPEC };
			int dfd = (op & 0x20) ? p->lfd : fd;
			int r = synack_connect(p->st, dfd, &unspec, sizeof unspec);
			trace("connect(%d, AF_UNSPEC) = %d\n", dfd, r);
		} else {
			synack_shutdown(p->st, fd, fi_range(in, 0, 2));
		}
		break;
	case 3:
		if (synack_close(p->st, fd) == 0 && fd == p->fd) {
			/* The connection lives on as an orphan (on_emit still
			 * checks it); the application no longer has it, and the
			 * descriptor number may soon name another socket. */
			p->closed = true;
			p->fd = -1;
		}
		break;
	case 4: {
		static const int opts[][2] = {
			{ IPPROTO_TCP, TCP_NODELAY },  { IPPROTO_TCP, TCP_CORK },
			{ IPPROTO_TCP, TCP_MAXSEG },   { SOL_SOCKET, SO_RCVBUF },
			{ SOL_SOCKET, SO_SNDBUF },     { SOL_SOCKET, SO_KEEPALIVE },
			{ IPPROTO_TCP, TCP_KEEPIDLE }, { IPPROTO_TCP, TCP_USER_TIMEOUT },
			{ IPPROTO_TCP, TCP_QUICKACK }, { SOL_SOCKET, SO_LINGER },
			{ IPPROTO_TCP, TCP_LINGER2 },  { IPPROTO_TCP, TCP_WINDOW_CLAMP },
			{ SOL_SOCKET, SO_RCVLOWAT },   { IPPROTO_TCP, TCP_NOTSENT_LOWAT },
		};
		unsigned i = fi_range(in, 0, sizeof opts / sizeof opts[0] - 1);
		int v[2] = { (int)fi_u32(in), (int)fi_u8(in) };
		synack_setsockopt(p->st, fd, opts[i][0], opts[i][1], v,
		                  opts[i][1] == SO_LINGER ? sizeof v : sizeof v[0]);
		break;
	}
	case 5: {
		struct synack_tcp_info ti;
		synack_tcp_info(p->st, fd, &ti);
		synack_poll(p->st, fd);
		check(p->emitted + p->emitted_data == 0,
		      "no segment without a cause (TCP_INFO and poll only read)");
		break;
	}
	case 6:
		if (p->lfd >= 0) {
			int c = synack_accept(p->st, p->lfd, NULL, NULL);
			if (c >= 0 && p->fd < 0) {
				/* After a close, another connection on the same
				 * 4-tuple (its SYN-ACK may even repeat the ISS:
				 * same tuple, same virtual time): its streams start
				 * over, so the stream offsets no longer apply. */
				if (p->closed)
					p->tainted = true;
				p->fd = c;
			}
		}
		break;
	default:
		synack_poll(p->st, fd);
		check(p->emitted + p->emitted_data == 0,
		      "no segment without a cause (poll only reads)");
		break;
	}
}

/* What the application wrote and the stack may still hold, for the output
 * bound: everything written, less what TCP_INFO says was acknowledged. */
static void update_held(struct peer *p)
{
	struct synack_tcp_info ti;
	if (p->fd >= 0 && !p->closed && p->app_written > p->acked &&
	    synack_tcp_info(p->st, p->fd, &ti) == 0 && ti.bytes_acked > p->acked)
		p->acked = ti.bytes_acked < p->app_written ? ti.bytes_acked : p->app_written;
	p->step_held = p->app_written - p->acked;
}

/* segment_inet6's socket options, from its wire byte (main): set on the
 * listener (children inherit them) or on the active socket. */
static void set_inet6_options(struct peer *p, int fd, bool listener)
{
	static const int one = 1, two = 2, ten = 10;
	if (p->v6only)
		synack_setsockopt(p->st, fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (p->wire & 0x20) /* soft ICMP errors reported at once (icmp.c) */
		synack_setsockopt(p->st, fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof one);
	if (p->wire & 0x40) { /* keepalive probes soon and few */
		synack_setsockopt(p->st, fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
		synack_setsockopt(p->st, fd, IPPROTO_TCP, TCP_KEEPIDLE, &ten, sizeof ten);
		synack_setsockopt(p->st, fd, IPPROTO_TCP, TCP_KEEPINTVL, &one, sizeof one);
		synack_setsockopt(p->st, fd, IPPROTO_TCP, TCP_KEEPCNT, &two, sizeof two);
	}
	if (p->wire & 0x80) { /* accept after data; a SYN retried twice */
		if (listener)
			synack_setsockopt(p->st, fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &two,
			                  sizeof two);
		else
			synack_setsockopt(p->st, fd, IPPROTO_TCP, TCP_SYNCNT, &two, sizeof two);
	}
}

/* Brings the tracked connection up: a passive or an active open. */
static void open_connection(struct peer *p, struct fuzz_input *in, uint8_t scenario)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int domain = p->inet6 ? AF_INET6 : AF_INET;
	p->ts = scenario & 4;
	p->sack = scenario & 8;
	p->ws = scenario & 16;
	/* Half the scenarios read urgent bytes inline (stream checks intact),
	 * half leave SO_OOBINLINE off (urgent bytes leave the stream: URG taints). */
	p->oobinline = !(scenario & 64);
	static const int one = 1;
	p->irs = fi_u32(in);
	p->p_seq = p->irs;
	p->p_tsval = fi_u32(in);
	struct synack_segment s;
	memset(&s, 0, sizeof s);
	s.sport = p->rport;
	s.dport = p->lport;
	s.window = 65535;
	s.opt.has_mss = true;
	s.opt.mss = 1460;
	s.opt.sack_permitted = p->sack;
	s.opt.has_wscale = p->ws;
	s.opt.wscale = 7;
	s.opt.has_ts = p->ts;
	s.opt.ts_val = p->p_tsval;
	if (p->passive) {
		p->lfd = synack_socket(p->st, domain, SOCK_STREAM, 0);
		set_inet6_options(p, p->lfd, true);
		sl = fuzz_sockaddr(p->inet6, &p->local, LPORT, p->wildcard, &ss);
		synack_bind(p->st, p->lfd, (struct sockaddr *)&ss, sl);
		/* Set before listen: accepted sockets inherit it (Linux). */
		if (p->oobinline)
			synack_setsockopt(p->st, p->lfd, SOL_SOCKET, SO_OOBINLINE, &one,
			                  sizeof one);
		synack_listen(p->st, p->lfd, (int)fi_range(in, 0, 8));
		s.flags = SYNACK_TH_SYN;
		s.seq = p->irs;
		inject(p, &s, false);
	} else {
		p->fd = synack_socket(p->st, domain, SOCK_STREAM, 0);
		set_inet6_options(p, p->fd, false);
		if (p->oobinline)
			synack_setsockopt(p->st, p->fd, SOL_SOCKET, SO_OOBINLINE, &one, sizeof one);
		/* Unbound (segment_inet6): connect picks the port and the
		 * source address of the wire's family. */
		sl = fuzz_sockaddr(p->inet6, &p->local, p->lport, false, &ss);
		if (p->wildcard)
			p->lport = 0; /* learnt from the SYN (on_emit) */
		else
			synack_bind(p->st, p->fd, (struct sockaddr *)&ss, sl);
		sl = fuzz_sockaddr(p->inet6, &p->remote, RPORT, false, &ss);
		synack_connect(p->st, p->fd, (struct sockaddr *)&ss, sl);
		if (!p->iss_known)
			return;
		s.dport = p->lport;
		s.flags = SYNACK_TH_SYN | SYNACK_TH_ACK;
		s.seq = p->irs;
		s.ack = p->iss + 1;
		s.opt.ts_ecr = p->s_tsval;
		inject(p, &s, false);
	}
	p->p_seq = p->irs + 1;
	if (scenario & 32)
		return; /* stay in the handshake: fuzz SYN_RECV / SYN_SENT */
	if (p->passive) {
		memset(&s.opt, 0, sizeof s.opt);
		s.opt.has_ts = p->ts;
		s.opt.ts_val = p->p_tsval;
		s.opt.ts_ecr = p->s_tsval;
		s.flags = SYNACK_TH_ACK;
		s.seq = p->p_seq;
		s.ack = p->iss + 1;
		inject(p, &s, false);
		p->fd = synack_accept(p->st, p->lfd, NULL, NULL);
	}
	p->handshake_done = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = fi_init(data, size);
	struct peer p;
	char why[256];
	memset(&p, 0, sizeof p);
	init_patterns();
	uint8_t scenario = fi_u8(&in);
	synack_profile_linux(&p.prof);
	p.prof.max_sockets = 32;
	p.prof.rmem[2] = 1u << 20; /* autotuning's cap, within the arena (fuzz_network.c) */
	p.prof.max_syn_backlog = 16;
	p.prof.verify_checksums = scenario & 2; /* one mode that does verify them */
	p.local = (struct synack_addr){ .family = 4, .bytes = { 192, 168, 0, 1 } };
	p.remote = (struct synack_addr){ .family = 4, .bytes = { 192, 0, 2, 1 } };
	if (SEGMENT_INET6) {
		/* The wire: bit 0 IPv4 (through IPv4-mapped addresses) or
		 * IPv6; bit 1 the sockets bound to the wildcard (passive) or
		 * not at all (active); bit 2 IPV6_V6ONLY on an IPv6 wire.
		 * Variants the other bits add, for paths no other fuzz input
		 * reached (make fuzz-coverage): bit 3 SYN cookies always
		 * (syncookie.c: the handshake's ACK, and any ACK a raw or
		 * nudged segment aims at the listener, is a cookie to check);
		 * bit 4 the classic loss recovery: Reno, no RACK, no loss
		 * probe (RFC 5681/6675: sack_board.c's scoreboard, the
		 * dupthresh head marking); bit 5 IPV6_RECVERR; bit 6 keepalive; bit 7
		 * TCP_DEFER_ACCEPT or TCP_SYNCNT (set_inet6_options). */
		uint8_t wire = fi_u8(&in);
		p.wire = wire;
		p.inet6 = true;
		if (wire & 0x08)
			p.prof.syncookies = 2;
		if (wire & 0x10) {
			p.prof.cc = SYNACK_CC_RENO;
			p.prof.recovery = 0;
			p.prof.early_retrans = 0;
		}
		p.wildcard = wire & 2;
		if (!(wire & 1)) {
			p.local =
			    (struct synack_addr){ .family = 6,
				                  .bytes = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } };
			p.remote = (struct synack_addr){
				.family = 6, .bytes = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 1 }
			};
			p.v6only = wire & 4;
		}
	}
	p.passive = scenario & 1;
	/* One kind of step in sixteen is an ICMP error instead of a socket
	 * call (the top bit: inputs written before ICMP keep their meaning
	 * unless they set it). */
	p.icmp = scenario & 128;
	p.rport = RPORT;
	p.lfd = p.fd = -1;
	p.now = 1000000;
	static struct fuzz_arena arena;
	arena_reset(&arena);
	struct synack_env env = { .emit = on_emit,
		                  .ctx = &p,
		                  .seed = fi_u32(&in),
		                  .alloc = arena_alloc,
		                  .free = arena_free,
		                  .alloc_ctx = &arena };
	p.st = synack_stack_new(&p.prof, &env);
	check(p.st != NULL, "stack_new");
	synack_add_address(p.st, &p.local);
	p.lport = p.passive ? LPORT : (uint16_t)fi_range(&in, 32768, 60999);
	open_connection(&p, &in, scenario);
	check(synack_check_invariants(p.st, why, sizeof why) == 0, why);

	for (int step = 0; step < MAX_STEPS && !fi_empty(&in); step++) {
		update_held(&p);
		p.emitted = p.emitted_data = 0;
		uint8_t op = fi_u8(&in);
		unsigned kind = op % 16;
		if (kind < 8)
			tracked_segment(&p, &in);
		else if (kind == 8)
			raw_segment(&p, &in);
		else if (kind < 12)
			advance(&p, &in);
		else if (kind == 15 && p.icmp)
			icmp_error(&p, &in);
		else
			socket_call(&p, &in);
		if (synack_check_invariants(p.st, why, sizeof why) != 0)
			check(0, why);
	}
	synack_stack_free(p.st);
	return 0;
}
