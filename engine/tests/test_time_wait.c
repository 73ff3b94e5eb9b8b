/* TIME_WAIT (RFC 9293 §3.10.7.4, RFC 1337, RFC 6191; Linux
 * tcp_timewait_state_process). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "fixtures.h"
#include "tap.h"

static void lasts_time_wait_us(void)
{
	struct fx f;
	subtest("TIME_WAIT lasts time_wait_us, then the TCB is freed");
	fx_init(&f, NULL, 30);
	ok(fx_time_wait(&f), "in TIME_WAIT");
	uint64_t t0 = f.now;
	is_uint(synack_next_deadline(f.st) - t0, 60000000, "60 s");
	fx_advance(&f, 59999999);
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_none(&f); /* an in-window bare ACK is absorbed (restarts the timer) */
	is_uint(synack_next_deadline(f.st) - f.now, 60000000, "restarted by the ACK");
	fx_advance(&f, 60000000);
	is_uint(synack_next_deadline(f.st), SYNACK_NEVER, "no timers: freed");
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_seg(&f, F_R, 2, 0, 0, 0);
	fx_free(&f);
	subtest_end();

	struct synack_profile p;
	synack_profile_linux(&p);
	p.time_wait_us = 1000;
	subtest("a profile's time_wait_us is honoured");
	fx_init(&f, &p, 31);
	fx_time_wait(&f);
	is_uint(synack_next_deadline(f.st) - f.now, 1000, "1 ms");
	fx_free(&f);
	subtest_end();
}

static void fin_retransmitted(void)
{
	struct fx f;
	subtest("a retransmitted FIN is ACKed again and restarts the timer");
	fx_init(&f, NULL, 32);
	fx_time_wait(&f);
	fx_advance(&f, 30000000);
	fx_send(&f, F_FA, -1, 0, NULL, 0);
	expect_seg(&f, F_A, 2, 2, 0, FX_ANY);
	is_uint(synack_next_deadline(f.st) - f.now, 60000000, "timer restarted");
	/* A FIN occupies sequence space, so tcp_oow_rate_limited never limits
	 * its ACK; a bare out-of-window ACK is limited. */
	fx_advance(&f, 100000);
	fx_send(&f, F_FA, -1, 0, NULL, 0);
	expect_seg(&f, F_A, 2, 2, 0, FX_ANY);
	fx_send(&f, F_A, 0x40000000, 0, NULL, 0);
	expect_seg(&f, F_A, 2, 2, 0, FX_ANY);
	fx_send(&f, F_A, 0x40000000, 0, NULL, 0);
	expect_none(&f);
	fx_advance(&f, 500000);
	fx_send(&f, F_A, 0x40000000, 0, NULL, 0);
	expect_seg(&f, F_A, 2, 2, 0, FX_ANY);
	fx_free(&f);
	subtest_end();
}

static void rst_kills(void)
{
	struct fx f;
	subtest("an RST in TIME_WAIT kills it (tcp_rfc1337=0)");
	fx_init(&f, NULL, 33);
	fx_time_wait(&f);
	fx_send(&f, F_R, 0, 0, NULL, 0);
	expect_none(&f);
	is_uint(synack_next_deadline(f.st), SYNACK_NEVER, "gone");
	is_uint(synack_stats(f.st)->time_wait_killed, 1, "counted");
	fx_free(&f);
	subtest_end();

	struct synack_profile p;
	synack_profile_linux(&p);
	p.rfc1337 = true;
	subtest("rfc1337: the RST is ignored");
	fx_init(&f, &p, 34);
	fx_time_wait(&f);
	uint64_t d = synack_next_deadline(f.st);
	fx_send(&f, F_R, 0, 0, NULL, 0);
	expect_none(&f);
	is_uint(synack_next_deadline(f.st), d, "still in TIME_WAIT");
	fx_free(&f);
	subtest_end();

	subtest("an RST with the wrong sequence number is ignored");
	fx_init(&f, NULL, 35);
	fx_time_wait(&f);
	fx_send(&f, F_R, 10, 0, NULL, 0);
	expect_none(&f);
	ok(synack_next_deadline(f.st) != SYNACK_NEVER, "still in TIME_WAIT");
	fx_free(&f);
	subtest_end();
}

static void syn_reopens(void)
{
	struct fx f;
	struct synack_segment s;
	subtest("a new SYN with a higher sequence number reopens (RFC 6191)");
	fx_init(&f, NULL, 36);
	fx_time_wait(&f);
	uint32_t tw_snd_nxt = f.p_ack;
	f.irs = f.p_seq + 100000;
	fx_send_syn(&f);
	expect_seg_out(&f, F_SA, 0, 1, 0, FX_ANY, &s);
	is_hex(s.seq, tw_snd_nxt + 65537, "ISN = tw_snd_nxt + 65537 (Linux)");
	is_uint(synack_stats(f.st)->time_wait_recycled, 1, "counted");
	fx_send(&f, F_A, 0, 0, NULL, 0);
	ok(synack_accept(f.st, f.lfd, NULL, NULL) >= 0, "accepted");
	fx_free(&f);
	subtest_end();

	subtest("a SYN with a lower sequence number but a newer timestamp reopens");
	fx_init(&f, NULL, 37);
	fx_time_wait(&f);
	f.irs = f.p_seq - 100000;
	f.p_tsval += 10;
	fx_send_syn(&f);
	expect_seg(&f, F_SA, 0, 1, 0, FX_ANY);
	fx_free(&f);
	subtest_end();

	subtest("an old SYN (lower seq, older timestamp) gets an ACK");
	fx_init(&f, NULL, 38);
	fx_time_wait(&f);
	uint32_t rcv_nxt = f.p_seq;
	f.irs = f.p_seq - 100000;
	f.p_tsval -= 10;
	fx_send_syn(&f);
	expect_seg_out(&f, F_A, FX_ANY, FX_ANY, 0, FX_ANY, &s);
	is_hex(s.ack, rcv_nxt, "the ACK carries RCV.NXT");
	ok(synack_next_deadline(f.st) != SYNACK_NEVER, "TIME_WAIT stays");
	fx_free(&f);
	subtest_end();
}

static void bind_conflict(void)
{
	struct fx f;
	subtest("TIME_WAIT holds the port against bind without SO_REUSEADDR");
	fx_init(&f, NULL, 39);
	fx_established_active(&f);
	uint16_t port = f.lport;
	synack_close(f.st, f.fd);
	fx_drain(&f);
	fx_send(&f, F_A, 0, 0, NULL, 0);
	fx_send(&f, F_FA, 0, 0, NULL, 0);
	fx_drain(&f);
	int fd = synack_socket(f.st, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_storage ss;
	int n = fx_sockaddr(&f, &f.local, port, &ss);
	is_int(synack_bind(f.st, fd, (struct sockaddr *)&ss, (socklen_t)n), -EADDRINUSE,
	       "EADDRINUSE");
	int one = 1;
	synack_setsockopt(f.st, fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	is_int(synack_bind(f.st, fd, (struct sockaddr *)&ss, (socklen_t)n), 0,
	       "SO_REUSEADDR: bound");
	fx_free(&f);
	subtest_end();
}

int main(void)
{
	lasts_time_wait_us();
	fin_retransmitted();
	rst_kills();
	syn_reopens();
	bind_conflict();
	done_testing();
}
