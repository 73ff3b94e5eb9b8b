/* Passive open like Linux: SYN queue and accept queue bounded by the
 * backlog, accept-queue overflow with tcp_abort_on_overflow=0, SYN-ACK
 * retransmission, wildcard and specific listeners. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "fixtures.h"
#include "tap.h"

/* A handshake from peer port `port`; returns the SYN-ACK's flags or 0. */
static uint8_t open_from(struct fx *f, uint16_t port, bool complete)
{
	struct synack_segment s;
	f->rport = port;
	fx_send_syn(f);
	if (!fx_pop(f, &s))
		return 0;
	if (complete)
		fx_send(f, F_A, 0, 0, NULL, 0);
	return s.flags;
}

static void accept_queue_overflow(void)
{
	struct fx f;
	struct synack_profile p;
	synack_profile_linux(&p);
	p.syncookies = 0;
	subtest("accept queue full (backlog 1): the final ACK is dropped, SYN-ACK resent");
	fx_init(&f, &p, 400);
	fx_listen(&f);
	synack_listen(f.st, f.lfd, 1);
	/* Linux: sk_acceptq_is_full is "> backlog": two fit with backlog 1. */
	is_hex(open_from(&f, 1001, true), F_SA, "1st");
	is_hex(open_from(&f, 1002, true), F_SA, "2nd");
	expect_none(&f);
	/* The third SYN: the accept queue is full → dropped. */
	f.rport = 1003;
	fx_send_syn(&f);
	expect_none(&f);
	is_uint(synack_stats(f.st)->listen_drops, 1, "listen_drops");
	fx_free(&f);
	subtest_end();

	subtest("backlog 0: one connection fits, the next SYN is dropped");
	fx_init(&f, &p, 401);
	fx_listen(&f);
	synack_listen(f.st, f.lfd, 0);
	is_hex(open_from(&f, 2001, true), F_SA, "1st completes (0 > 0 is false)");
	f.rport = 2002;
	fx_send_syn(&f);
	expect_none(&f);
	fx_free(&f);
	subtest_end();
}

/* The peer side of one of several connections. */
struct peer {
	uint16_t rport;
	uint32_t p_seq, p_ack, iss, s_tsval;
};

static void save(const struct fx *f, struct peer *p)
{
	p->rport = f->rport;
	p->p_seq = f->p_seq;
	p->p_ack = f->p_ack;
	p->iss = f->iss;
	p->s_tsval = f->s_tsval;
}

static void load(struct fx *f, const struct peer *p)
{
	f->rport = p->rport;
	f->p_seq = p->p_seq;
	f->p_ack = p->p_ack;
	f->iss = p->iss;
	f->s_tsval = p->s_tsval;
}

static void overflow_then_retransmit(void)
{
	struct fx f;
	struct peer p2;
	struct synack_profile p;
	synack_profile_linux(&p);
	p.syncookies = 0;
	subtest("overflow: ACK dropped, SYN-ACK retransmitted, accept frees room");
	fx_init(&f, &p, 402);
	fx_listen(&f);
	synack_listen(f.st, f.lfd, 1);
	is_hex(open_from(&f, 3001, true), F_SA, "1st established");
	is_hex(open_from(&f, 3002, false), F_SA, "2nd: SYN-ACK, ACK held back");
	save(&f, &p2);
	is_hex(open_from(&f, 3003, true), F_SA, "3rd established: accept queue 2 > 1");
	load(&f, &p2);
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_none(&f);
	is_uint(synack_stats(f.st)->accept_queue_overflows, 1, "the 2nd's ACK is dropped");
	fx_advance(&f, 1000000 - 0);
	expect_seg(&f, F_SA, 0, 1, 0, FX_ANY);
	ok(synack_accept(f.st, f.lfd, NULL, NULL) >= 0, "accept the 1st");
	ok(synack_accept(f.st, f.lfd, NULL, NULL) >= 0, "accept the 3rd");
	is_int(synack_accept(f.st, f.lfd, NULL, NULL), -EAGAIN, "the 2nd is not there yet");
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_none(&f);
	int fd = synack_accept(f.st, f.lfd, NULL, NULL);
	ok(fd >= 0, "the peer's next ACK completes the 2nd");
	is_int(fx_state(&f, fd), 1, "ESTABLISHED");
	fx_free(&f);
	subtest_end();
}

static void synack_retransmissions(void)
{
	struct fx f;
	subtest("SYN-ACK retransmitted at 1, 3, 7, 15, 31 s, then the request dies");
	fx_init(&f, NULL, 403);
	fx_syn_recv(&f);
	uint64_t t0 = f.now;
	static const int at[] = { 1, 3, 7, 15, 31 };
	for (int i = 0; i < 5; i++) {
		is_uint(synack_next_deadline(f.st) - t0, (uint64_t)at[i] * 1000000, "due at %d s",
		        at[i]);
		fx_advance(&f, synack_next_deadline(f.st) - f.now);
		expect_seg(&f, F_SA, 0, 1, 0, FX_ANY);
	}
	is_uint(synack_next_deadline(f.st) - t0, 63000000, "gives up at 63 s");
	fx_advance(&f, synack_next_deadline(f.st) - f.now);
	expect_none(&f);
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_seg(&f, F_R, 1, 0, 0, 0);
	fx_free(&f);
	subtest_end();
}

static void abort_on_overflow(void)
{
	struct fx f;
	struct peer p1;
	struct synack_profile p;
	synack_profile_linux(&p);
	p.syncookies = 0;
	p.abort_on_overflow = true;
	subtest("tcp_abort_on_overflow=1: the ACK that overflows gets an RST");
	fx_init(&f, &p, 405);
	fx_listen(&f);
	synack_listen(f.st, f.lfd, 1);
	is_hex(open_from(&f, 5001, false), F_SA, "1st SYN-ACK");
	save(&f, &p1);
	is_hex(open_from(&f, 5002, true), F_SA, "2nd established");
	is_hex(open_from(&f, 5003, true), F_SA, "3rd established, queue full");
	load(&f, &p1);
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_seg(&f, F_R, 1, 0, 0, 0);
	fx_free(&f);
	subtest_end();
}

static void listener_close_resets(void)
{
	struct fx f;
	subtest("closing a listener resets connections not yet accepted");
	fx_init(&f, NULL, 406);
	fx_listen(&f);
	is_hex(open_from(&f, 6001, true), F_SA, "established, not accepted");
	synack_close(f.st, f.lfd);
	expect_seg(&f, F_RA, 1, 1, 0, FX_ANY);
	fx_send_syn(&f);
	expect_seg(&f, F_RA, FX_ANY, 1, 0, 0);
	fx_free(&f);
	subtest_end();
}

static void reset_before_accept(void)
{
	struct fx f;
	char b[4];
	subtest("a connection reset in the accept queue is still accepted (Linux)");
	fx_init(&f, NULL, 409);
	fx_listen(&f);
	is_hex(open_from(&f, 6101, true), F_SA, "established, not accepted");
	fx_send(&f, F_R, 0, 0, NULL, 0);
	expect_none(&f);
	int fd = synack_accept(f.st, f.lfd, NULL, NULL);
	ok(fd >= 0, "accept returns it");
	is_int(fx_state(&f, fd), 7, "CLOSED");
	is_int(synack_recv(f.st, fd, b, sizeof(b), 0), -ECONNRESET, "recv: ECONNRESET");
	fx_free(&f);
	subtest_end();
}

static void defer_accept(void)
{
	struct fx f;
	subtest("TCP_DEFER_ACCEPT: a bare ACK waits for data");
	fx_init(&f, NULL, 410);
	fx_listen(&f);
	int v = 1;
	synack_setsockopt(f.st, f.lfd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &v, sizeof(v));
	fx_send_syn(&f);
	expect_seg(&f, F_SA, 0, 1, 0, FX_ANY);
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_none(&f);
	is_int(synack_accept(f.st, f.lfd, NULL, NULL), -EAGAIN, "not accepted yet");
	fx_send(&f, F_PA, 0, 0, "GET", 3);
	expect_seg(&f, F_A, 1, 4, 0, FX_ANY);
	int fd = synack_accept(f.st, f.lfd, NULL, NULL);
	ok(fd >= 0, "data completes it");
	char b[4];
	is_int(synack_recv(f.st, fd, b, sizeof(b), 0), 3, "with the data");
	fx_free(&f);
	subtest_end();
}

static void wildcard_and_specific(void)
{
	struct fx f;
	struct sockaddr_storage ss;
	subtest("a wildcard listener owns the port on every address");
	fx_init(&f, NULL, 407);
	struct synack_addr a2 = f.local;
	a2.bytes[3] = 7;
	synack_add_address(f.st, &a2);
	int w = synack_socket(f.st, AF_INET, SOCK_STREAM, 0);
	struct synack_addr any = { 4, { 0 } };
	int n = fx_sockaddr(&f, &any, 80, &ss);
	is_int(synack_bind(f.st, w, (struct sockaddr *)&ss, (socklen_t)n), 0, "bind 0.0.0.0:80");
	is_int(synack_listen(f.st, w, 10), 0, "listen");
	int sp = synack_socket(f.st, AF_INET, SOCK_STREAM, 0);
	n = fx_sockaddr(&f, &a2, 80, &ss);
	is_int(synack_bind(f.st, sp, (struct sockaddr *)&ss, (socklen_t)n), -EADDRINUSE,
	       "specific bind conflicts with the wildcard without SO_REUSEADDR");
	int one = 1;
	synack_setsockopt(f.st, w, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	synack_setsockopt(f.st, sp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	is_int(synack_bind(f.st, sp, (struct sockaddr *)&ss, (socklen_t)n), -EADDRINUSE,
	       "even with SO_REUSEADDR while the wildcard listens (Linux)");
	synack_close(f.st, sp);
	/* Both addresses reach the wildcard. */
	f.lport = 80;
	fx_send_syn(&f);
	expect_seg(&f, F_SA, 0, 1, 0, FX_ANY);
	f.local = a2;
	f.rport = 999;
	fx_send_syn(&f);
	expect_seg(&f, F_SA, 0, 1, 0, FX_ANY);
	fx_free(&f);
	subtest_end();
}

static void max_sockets(void)
{
	struct fx f;
	struct synack_profile p;
	synack_profile_linux(&p);
	p.max_sockets = 4;
	p.syncookies = 0;
	subtest("max_sockets bounds embryonic connections");
	fx_init(&f, &p, 408);
	fx_listen(&f);
	for (uint16_t i = 0; i < 3; i++)
		is_hex(open_from(&f, (uint16_t)(7000 + i), false), F_SA, "SYN %u answered", i);
	f.rport = 7010;
	fx_send_syn(&f);
	expect_none(&f);
	is_uint(synack_stats(f.st)->socket_limit_drops, 1, "socket_limit_drops");
	is_int(synack_socket(f.st, AF_INET, SOCK_STREAM, 0), -ENFILE, "socket(): ENFILE");
	fx_free(&f);
	subtest_end();
}

int main(void)
{
	accept_queue_overflow();
	overflow_then_retransmit();
	synack_retransmissions();
	abort_on_overflow();
	listener_close_resets();
	reset_before_accept();
	defer_accept();
	wildcard_and_specific();
	max_sockets();
	done_testing();
}
