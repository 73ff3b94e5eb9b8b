/* Keepalive (RFC 1122 §4.2.3.6; Linux tcp_keepalive_timer): timing from the
 * last segment heard, probe format, answers, abort, data in flight. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "fixtures.h"
#include "tap.h"

static void setint(struct fx *f, int level, int name, int v)
{
	synack_setsockopt(f->st, f->fd, level, name, &v, sizeof(v));
}

static void ka(struct fx *f, int idle, int intvl, int cnt)
{
	setint(f, IPPROTO_TCP, TCP_KEEPIDLE, idle);
	setint(f, IPPROTO_TCP, TCP_KEEPINTVL, intvl);
	setint(f, IPPROTO_TCP, TCP_KEEPCNT, cnt);
	setint(f, SOL_SOCKET, SO_KEEPALIVE, 1);
}

static void defaults_and_off(void)
{
	struct fx f;
	subtest("off by default; profile defaults 7200/75/9; first probe at 7200 s");
	fx_init(&f, NULL, 1);
	fx_established(&f);
	is_uint(synack_next_deadline(f.st), SYNACK_NEVER, "no timer without SO_KEEPALIVE");
	fx_advance(&f, 10000000000ull);
	expect_none(&f);
	int v = 0;
	socklen_t l = sizeof(v);
	synack_getsockopt(f.st, f.fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, &l);
	is_int(v, 7200, "KEEPIDLE 7200");
	synack_getsockopt(f.st, f.fd, IPPROTO_TCP, TCP_KEEPINTVL, &v, &l);
	is_int(v, 75, "KEEPINTVL 75");
	synack_getsockopt(f.st, f.fd, IPPROTO_TCP, TCP_KEEPCNT, &v, &l);
	is_int(v, 9, "KEEPCNT 9");
	setint(&f, SOL_SOCKET, SO_KEEPALIVE, 1);
	is_uint(synack_next_deadline(f.st) - f.now, 7200000000ull, "armed at KEEPIDLE");
	fx_advance(&f, 7200000000ull);
	expect_seg(&f, F_A, 0, 1, 0, FX_ANY);
	is_uint(synack_next_deadline(f.st) - f.now, 75000000, "next at KEEPINTVL");
	fx_free(&f);
	subtest_end();
}

static void abort_after_cnt(void)
{
	struct fx f;
	struct synack_tcp_info ti;
	subtest("KEEPCNT unanswered probes, then RST and ETIMEDOUT");
	fx_init(&f, NULL, 2);
	fx_established(&f);
	ka(&f, 10, 2, 3);
	for (int i = 0; i < 3; i++) {
		fx_advance(&f, i ? 2000000 : 10000000);
		expect_seg(&f, F_A, 0, 1, 0, FX_ANY);
		synack_tcp_info(f.st, f.fd, &ti);
		is_int(ti.probes, i + 1, "tcpi_probes %d", i + 1);
	}
	fx_advance(&f, 1999999);
	expect_none(&f);
	fx_advance(&f, 1);
	expect_seg(&f, F_RA, 1, 1, 0, FX_ANY);
	char b[4];
	is_int(synack_recv(f.st, f.fd, b, 4, 0), -ETIMEDOUT, "recv: ETIMEDOUT");
	is_int(fx_state(&f, f.fd), 7, "CLOSED");
	is_uint(synack_stats(f.st)->aborts_on_timeout, 1, "counted");
	fx_free(&f);
	subtest_end();
}

static void answer_resets(void)
{
	struct fx f;
	struct synack_tcp_info ti;
	subtest("an answer clears the count; the next probe is KEEPIDLE after it");
	fx_init(&f, NULL, 3);
	fx_established(&f);
	ka(&f, 10, 2, 2);
	fx_advance(&f, 10000000);
	expect_seg(&f, F_A, 0, 1, 0, FX_ANY);
	fx_advance(&f, 2000000);
	expect_seg(&f, F_A, 0, 1, 0, FX_ANY);
	fx_advance(&f, 500000);
	fx_send(&f, F_A, 0, 0, NULL, 0);
	synack_tcp_info(f.st, f.fd, &ti);
	is_int(ti.probes, 0, "probes cleared");
	fx_advance(&f, 9999999);
	expect_none(&f);
	fx_advance(&f, 1);
	expect_seg(&f, F_A, 0, 1, 0, FX_ANY);
	fx_free(&f);
	subtest_end();
}

static void data_postpones(void)
{
	struct fx f;
	subtest("inbound data restarts the idle time; data in flight means no probe");
	fx_init(&f, NULL, 4);
	fx_established(&f);
	ka(&f, 10, 2, 2);
	fx_advance(&f, 6000000);
	fx_send(&f, F_PA, 0, 0, "hello", 5);
	fx_drain(&f);
	fx_advance(&f, 9999999);
	expect_none(&f);
	fx_advance(&f, 1);
	expect_seg(&f, F_A, 0, 6, 0, FX_ANY);
	fx_send(&f, F_A, 0, 0, NULL, 0);
	/* Data in flight: the keepalive timer only waits. */
	synack_send(f.st, f.fd, "x", 1, 0);
	expect_seg(&f, F_PA, 1, 6, 1, FX_ANY);
	for (int i = 0; i < 60; i++) {
		uint64_t d = synack_next_deadline(f.st);
		fx_advance(&f, d - f.now);
		struct synack_segment s;
		while (fx_pop(&f, &s))
			ok(s.payload_len == 1, "only retransmissions at %llu",
			   (unsigned long long)f.now);
		if (fx_state(&f, f.fd) != 1)
			break;
	}
	fx_free(&f);
	subtest_end();
}

static void keepidle_rearm(void)
{
	struct fx f;
	subtest("TCP_KEEPIDLE on an idle connection re-arms for what is left");
	fx_init(&f, NULL, 5);
	fx_established(&f);
	setint(&f, SOL_SOCKET, SO_KEEPALIVE, 1);
	fx_advance(&f, 3000000);
	setint(&f, IPPROTO_TCP, TCP_KEEPIDLE, 5);
	is_uint(synack_next_deadline(f.st) - f.now, 2000000, "5 s - 3 s idle");
	setint(&f, IPPROTO_TCP, TCP_KEEPIDLE, 2);
	is_uint(synack_next_deadline(f.st) - f.now, 0, "already idle longer: now");
	fx_advance(&f, 0);
	expect_seg(&f, F_A, 0, 1, 0, FX_ANY);
	setint(&f, SOL_SOCKET, SO_KEEPALIVE, 0);
	is_uint(synack_next_deadline(f.st), SYNACK_NEVER, "off: no timer");
	fx_free(&f);
	subtest_end();
}

static void user_timeout(void)
{
	struct fx f;
	subtest("TCP_USER_TIMEOUT replaces KEEPCNT");
	fx_init(&f, NULL, 6);
	fx_established(&f);
	setint(&f, IPPROTO_TCP, TCP_USER_TIMEOUT, 3500);
	ka(&f, 2, 1, 9);
	fx_advance(&f, 2000000);
	expect_seg(&f, F_A, 0, 1, 0, FX_ANY);
	fx_advance(&f, 1000000);
	expect_seg(&f, F_A, 0, 1, 0, FX_ANY);
	fx_advance(&f, 1000000);
	expect_seg(&f, F_RA, 1, 1, 0, FX_ANY);
	is_int(fx_state(&f, f.fd), 7, "CLOSED");
	fx_free(&f);
	subtest_end();
}

static void syn_sent(void)
{
	struct fx f;
	subtest("set in SYN_SENT: no probe before ESTABLISHED");
	fx_init(&f, NULL, 7);
	fx_syn_sent(&f);
	ka(&f, 4, 1, 1);
	fx_advance(&f, 4000000);
	struct synack_segment s;
	while (fx_pop(&f, &s))
		ok(s.flags == F_S, "only SYN retransmissions");
	is_int(fx_state(&f, f.fd), 2, "still SYN_SENT");
	fx_free(&f);
	subtest_end();
}

int main(void)
{
	defaults_and_off();
	abort_after_cnt();
	answer_resets();
	data_postpones();
	keepidle_rearm();
	user_timeout();
	syn_sent();
	done_testing();
}
