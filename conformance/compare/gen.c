/* Differential fuzzing's script generator (compare.h: cmp_gen_script):
 * bytes -> a valid script with no outbound line, for two stacks to fill in.
 *
 * The first byte picks the connection: SACK on or off, the peer's MSS,
 * timestamps, a small receive buffer, the peer's window scaling, a passive
 * or an active open. Then steps of 4 bytes each: inbound data, ACKs, SACKs,
 * FIN, an out-of-order segment, old data again, a reset (mostly a
 * challenge-ACK one), urgent data either way, write, read, shutdown,
 * TCP_NODELAY / TCP_CORK, keep-alive, TCP_USER_TIMEOUT, buffer sizes,
 * TCP_QUICKACK, MSG_PEEK, time passing. Numbers follow the tracked state
 * (the peer's sequence number; acknowledgments never past what the
 * application wrote; the peer's TSval clock, its echoes of the stack's a
 * chosen lag behind script time), and every call's result is left open
 * (`= ...`): the diff is the oracle.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "compare/compare.h"

#define STEP CMP_GEN_STEP

struct gen {
	char *out;
	size_t cap, len;
	bool overflow;
	bool ts;          /* timestamps on: every inbound segment carries TS */
	uint32_t now_ms;  /* script time */
	uint32_t seq;     /* the peer's next sequence number */
	uint32_t written; /* bytes the application wrote (urgent ones too) */
	uint32_t acked;   /* of those, what the peer acknowledged */
	int fd;           /* the connection's descriptor */
	bool sack, peer_fin, shut;
};

static void emit(struct gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void emit(struct gen *g, const char *fmt, ...)
{
	if (g->overflow)
		return;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(g->out + g->len, g->cap > g->len ? g->cap - g->len : 0, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= g->cap - g->len) {
		g->overflow = true;
		return;
	}
	g->len += (size_t)k;
}

/* The option list of an inbound non-SYN segment: the timestamps (the
 * peer's clock, 1 ms per ms of script time from 100 at the SYN; its echo
 * `lag` ms behind the stack's clock, which counts from the stack's first
 * TSval; one in eight old, for PAWS) and SACK blocks. `sack` is "L:R" or
 * NULL. Empty when there is neither. */
static const char *opts(const struct gen *g, uint8_t b3, const char *sack, char *buf, size_t cap)
{
	static const uint32_t lag[] = { 0, 1, 40, 250 };
	char ts[64] = "";
	if (g->ts) {
		uint32_t val = 100 + g->now_ms - (((b3 >> 4) & 7) == 7 ? 1000u : 0u);
		uint32_t l = lag[(b3 >> 2) & 3];
		snprintf(ts, sizeof ts, "nop,nop,TS val %u ecr %u", val,
		         g->now_ms > l ? g->now_ms - l : 0u);
	}
	if (!*ts && !sack) {
		buf[0] = 0;
		return buf;
	}
	snprintf(buf, cap, " <%s%s%s%s>", ts, *ts && sack ? "," : "", sack ? "nop,nop,sack " : "",
	         sack ? sack : "");
	return buf;
}

static void segment(struct gen *g, const char *t, const char *flags, uint32_t seq, uint32_t len,
                    uint16_t win, uint8_t b3, const char *sack, const char *extra)
{
	char o[128];
	emit(g, "%-5s < %s %u:%u(%u) ack %u win %u%s%s\n", t, flags, seq, seq + len, len,
	     1 + g->acked, win, extra ? extra : "", opts(g, b3, sack, o, sizeof o));
}

/* The connection: socket, options, and the handshake up to ESTABLISHED. */
static void prefix(struct gen *g, uint8_t first)
{
	/* The MSS the peer offers: Linux's usual, the IPv4 minimum, and one
	 * that splits writes at odd places. */
	static const unsigned mss[] = { 1460, 1460, 536, 1200 };
	bool small_rcvbuf = first & 16, peer_ws = !(first & 32), active = first & 64;
	emit(g, "`sysctl -q net.ipv4.tcp_timestamps=%d`\n", g->ts ? 1 : 0);
	emit(g, "`sysctl -q net.ipv4.tcp_rmem=\"4096 131072 6291456\"`\n");
	if (!g->sack)
		emit(g, "`sysctl -q net.ipv4.tcp_sack=0`\n");
	char syn_opts[96];
	snprintf(syn_opts, sizeof syn_opts, "<mss %u,sackOK%s%s>", mss[(first >> 1) & 3],
	         g->ts ? ",TS val 100 ecr 0" : "",
	         peer_ws ? (g->ts ? ",nop,wscale 7" : ",nop,nop,nop,wscale 7") : "");
	emit(g, "\n0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n");
	if (small_rcvbuf)
		emit(g, "+0    setsockopt(3, SOL_SOCKET, SO_RCVBUF, [4096], 4) = 0\n");
	g->now_ms = 100;
	if (active) {
		g->fd = 3;
		emit(g,
		     "+0    fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
		     "+0    connect(3, ..., ...) = ...\n"
		     "+.1   < S. 0:0(0) ack 1 win 65535 %s\n\n",
		     syn_opts);
		return;
	}
	g->fd = 4;
	emit(g,
	     "+0    setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n"
	     "+0    bind(3, ..., ...) = 0\n"
	     "+0    listen(3, 1) = 0\n"
	     "+0    < S 0:0(0) win 65535 %s\n"
	     "+.1   < . 1:1(0) ack 1 win 257%s\n"
	     "+0    accept(3, ..., ...) = 4\n"
	     "+0    fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n\n",
	     syn_opts, g->ts ? " <nop,nop,TS val 200 ecr 0>" : "");
}

/* A socket option in the middle of the connection. */
static void sockopt_step(struct gen *g, const char *t, uint8_t v)
{
	switch (v & 3) {
	case 0: /* keep-alive after a second or two of silence, few probes */
		emit(g,
		     "%-5s setsockopt(%d, SOL_TCP, TCP_KEEPIDLE, [%d], 4) = 0\n"
		     "+0    setsockopt(%d, SOL_TCP, TCP_KEEPINTVL, [1], 4) = 0\n"
		     "+0    setsockopt(%d, SOL_TCP, TCP_KEEPCNT, [%d], 4) = 0\n"
		     "+0    setsockopt(%d, SOL_SOCKET, SO_KEEPALIVE, [%d], 4) = 0\n",
		     t, g->fd, 1 + ((v >> 2) & 1), g->fd, g->fd, 1 + ((v >> 3) & 3), g->fd,
		     !((v >> 5) & 1));
		break;
	case 1: /* RFC 5482 */
		emit(g, "%-5s setsockopt(%d, SOL_TCP, TCP_USER_TIMEOUT, [%u], 4) = 0\n", t, g->fd,
		     ((v >> 2) & 7) * 500u);
		break;
	case 2: /* a smaller buffer now */
		emit(g, "%-5s setsockopt(%d, SOL_SOCKET, %s, [%u], 4) = 0\n", t, g->fd,
		     v & 4 ? "SO_SNDBUF" : "SO_RCVBUF", 2048u << ((v >> 3) & 3));
		break;
	default:
		if (v & 4)
			emit(g, "%-5s setsockopt(%d, SOL_TCP, TCP_QUICKACK, [%d], 4) = 0\n", t,
			     g->fd, (v >> 3) & 1);
		else
			emit(g, "%-5s recv(%d, ..., %u, MSG_PEEK) = ...\n", t, g->fd,
			     1 + (v >> 3) * 64u);
		break;
	}
}

int cmp_gen_script(const uint8_t *d, size_t n, char *out, size_t cap)
{
	uint8_t first = n ? d[0] : 0;
	size_t steps = n > 1 ? (n - 1) / STEP : 0;
	struct gen g = { .out = out, .cap = cap, .seq = 1, .sack = !(first & 1), .ts = first & 8 };
	emit(&g, "// Generated by synack compare --fuzz: %s open, then %zu step%s.\n",
	     first & 64 ? "an active" : "a passive", steps, steps == 1 ? "" : "s");
	prefix(&g, first);
	static const char *const gaps[] = { "+0", "+0", "+.01", "+.05", "+.2", "+1", "+3", "+0" };
	static const uint32_t gap_ms[] = { 0, 0, 10, 50, 200, 1000, 3000, 0 };
	for (size_t i = 1; i + STEP <= n; i += STEP) {
		const uint8_t *b = d + i;
		unsigned gi = (b[1] >> 5) & 7;
		if (b[0] % 16 == 8)
			gi = 4 + (b[2] & 3); /* time passes: at least 200 ms */
		const char *t = gaps[gi];
		g.now_ms += gap_ms[gi];
		uint16_t win = (uint16_t)(b[3] & 1 ? 257 : (b[3] & 2 ? 0 : 64));
		switch (b[0] % 16) {
		case 0: /* data */
		case 1: {
			if (g.peer_fin)
				break;
			uint32_t l = 1 + (uint32_t)((b[1] & 31) << 6 | (b[2] & 63)) % 1448;
			segment(&g, t, "P.", g.seq, l, win, b[3], NULL, NULL);
			g.seq += l;
			break;
		}
		case 2: { /* an ACK of some of what was written */
			uint32_t more =
			    g.written > g.acked ? (g.written - g.acked) * (b[2] % 5) / 4 : 0;
			g.acked += more;
			segment(&g, t, ".", g.seq, 0, win, b[3], NULL, NULL);
			break;
		}
		case 3: /* write */
			if (g.shut)
				break;
			g.written += 1 + b[2] * 8u;
			emit(&g, "%-5s write(%d, ..., %u) = ...\n", t, g.fd, 1 + b[2] * 8u);
			break;
		case 4: /* read */
			emit(&g, "%-5s read(%d, ..., %u) = ...\n", t, g.fd, 1 + b[2] * 16u);
			break;
		case 5: /* FIN */
			if (g.peer_fin)
				break;
			segment(&g, t, "F.", g.seq, 0, win, b[3], NULL, NULL);
			g.seq++;
			g.peer_fin = true;
			break;
		case 6: /* an out-of-order segment past a hole */
			if (g.peer_fin)
				break;
			segment(&g, t, "P.", g.seq + 100, 100, win, b[3], NULL, NULL);
			break;
		case 7:
			if (g.shut)
				break;
			emit(&g, "%-5s shutdown(%d, SHUT_WR) = ...\n", t, g.fd);
			g.shut = true;
			break;
		case 8: /* time passes */
			emit(&g, "%-5s read(%d, ..., 1) = ...\n", t, g.fd);
			break;
		case 9: { /* a SACK of part of what is outstanding (RFC 2018) */
			uint32_t held = g.written - g.acked;
			if (!g.sack || held < 2) {
				segment(&g, t, ".", g.seq, 0, win, b[3], NULL, NULL);
				break;
			}
			uint32_t l = 1 + g.acked + 1 + (held - 1) * (b[2] & 3) / 4;
			uint32_t r = l + 1 + (1 + g.acked + held - l - 1) * ((b[2] >> 2) & 3) / 3;
			char blk[32];
			snprintf(blk, sizeof blk, "%u:%u", l, r);
			segment(&g, t, ".", g.seq, 0, win, b[3], blk, NULL);
			break;
		}
		case 10: { /* the peer sends old data again (a DSACK, RFC 2883) */
			if (g.seq <= 1 || g.peer_fin)
				break;
			uint32_t l = g.seq - 1 < 1 + b[2] * 4u ? g.seq - 1 : 1 + b[2] * 4u;
			segment(&g, t, "P.", g.seq - l, l, win, b[3], NULL, NULL);
			break;
		}
		case 11: /* Nagle off or on, cork on or off */
			emit(&g, "%-5s setsockopt(%d, SOL_TCP, %s, [%d], 4) = 0\n", t, g.fd,
			     b[2] & 1 ? "TCP_CORK" : "TCP_NODELAY", (b[2] >> 1) & 1);
			break;
		case 12: /* a reset: in the window but not exact (RFC 5961 §3:
			  * a challenge ACK) or, one time in four, exact */
			if (g.peer_fin)
				break;
			if (b[2] & 3) {
				segment(&g, t, "R.", g.seq + 1 + b[1] % 64, 0, win, b[3], NULL,
				        NULL);
				break;
			}
			segment(&g, t, "R.", g.seq, 0, win, b[3], NULL, NULL);
			g.peer_fin = g.shut = true; /* nothing more from the peer */
			break;
		case 13: /* urgent data (RFC 9293 §3.8.5, RFC 6093) */
			if (b[2] & 1) {
				if (g.peer_fin)
					break;
				uint32_t l = 1 + (b[2] >> 1) % 100;
				char urg[16];
				snprintf(urg, sizeof urg, " urg %u", 1 + b[1] % (l + 20));
				segment(&g, t, "UP.", g.seq, l, win, b[3], NULL, urg);
				g.seq += l;
			} else if (!g.shut) {
				uint32_t l = 1 + (b[2] >> 1) * 16u;
				g.written += l;
				emit(&g, "%-5s send(%d, ..., %u, MSG_OOB) = ...\n", t, g.fd, l);
			}
			break;
		case 14:
		case 15:
			sockopt_step(&g, t, b[2]);
			break;
		}
	}
	emit(&g, "+0    close(%d) = ...\n", g.fd);
	return g.overflow ? -1 : (int)g.len;
}
