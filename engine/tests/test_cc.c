/* Congestion control (RFC 5681 Reno, RFC 9438 CUBIC): selection per socket
 * with TCP_CONGESTION, slow start with ABC (RFC 3465), congestion
 * avoidance, the decrease on loss, application-limited and idle rules
 * (RFC 7661). */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "fixtures.h"
#include "tap.h"

#define S(f) ((f)->st)

static char buf[1 << 20];

static void ack_to(struct fx *f, uint32_t rel)
{
	fx_send(f, F_A, 0, (int32_t)(f->iss + rel - f->p_ack), NULL, 0);
}

static struct synack_tcp_info info(struct fx *f)
{
	struct synack_tcp_info i;
	memset(&i, 0, sizeof(i));
	synack_tcp_info(S(f), f->fd, &i);
	return i;
}

static void setup(struct fx *f, uint64_t seed, const char *cc)
{
	fx_init(f, NULL, seed);
	f->p_ts = false;
	f->p_sack = false;
	f->p_win = 65535;
	fx_listen(f);
	fx_send_syn(f);
	fx_drain(f);
	fx_advance(f, 100000);
	fx_send(f, F_A, 0, 0, NULL, 0);
	f->fd = synack_accept(S(f), f->lfd, NULL, NULL);
	if (cc)
		synack_setsockopt(S(f), f->fd, IPPROTO_TCP, TCP_CONGESTION, cc,
		                  (socklen_t)strlen(cc));
	int sb = 4 << 20;
	synack_setsockopt(S(f), f->fd, SOL_SOCKET, SO_SNDBUF, &sb, sizeof(sb));
}

/* Sends everything the window allows, waits an RTT, ACKs it all at once;
 * returns the segments that went. */
static uint32_t round_trip(struct fx *f)
{
	uint32_t n = 0, end = 0;
	struct synack_segment s;
	while (fx_pop(f, &s)) {
		n++;
		end = s.seq + (uint32_t)s.payload_len - f->iss;
	}
	fx_advance(f, 100000);
	if (n)
		ack_to(f, end);
	return n;
}

static void selection(void)
{
	struct fx f;
	char name[16];
	socklen_t l = sizeof(name);
	subtest("TCP_CONGESTION selects per socket; the profile gives the default");
	setup(&f, 701, NULL);
	is_int(synack_getsockopt(S(&f), f.fd, IPPROTO_TCP, TCP_CONGESTION, name, &l), 0, "get");
	is_str(name, "cubic", "linux profile: cubic");
	is_int(synack_setsockopt(S(&f), f.fd, IPPROTO_TCP, TCP_CONGESTION, "reno", 4), 0, "set");
	l = sizeof(name);
	synack_getsockopt(S(&f), f.fd, IPPROTO_TCP, TCP_CONGESTION, name, &l);
	is_str(name, "reno", "reno");
	fx_free(&f);
	subtest_end();
}

static void slow_start(void)
{
	struct fx f;
	subtest("slow start doubles per RTT from the initial window (RFC 5681 §3.1, RFC 6928)");
	setup(&f, 702, "reno");
	synack_send(S(&f), f.fd, buf, 100 * 1448, 0);
	is_uint(round_trip(&f), 10, "initcwnd 10");
	is_uint(info(&f).snd_cwnd, 20, "20");
	is_uint(round_trip(&f), 20, "20 go");
	is_uint(info(&f).snd_cwnd, 40, "40");
	fx_free(&f);
	subtest_end();

	subtest("RFC 7661: an application-limited sender does not grow cwnd past twice its use");
	setup(&f, 703, "reno");
	for (int k = 0; k < 5; k++) {
		synack_send(S(&f), f.fd, buf, 2 * 1448, 0);
		round_trip(&f);
	}
	ok(info(&f).snd_cwnd <= 10, "cwnd %u stays at the initial window", info(&f).snd_cwnd);
	fx_free(&f);
	subtest_end();
}

static void decrease(void)
{
	struct fx f;
	subtest("multiplicative decrease: Reno halves (RFC 5681 §3.2), CUBIC keeps 0.7 (RFC 9438 "
	        "§4.6)");
	setup(&f, 704, "reno");
	synack_send(S(&f), f.fd, buf, 100 * 1448, 0);
	round_trip(&f); /* cwnd 20, 20 in flight */
	struct synack_segment s;
	uint32_t first = 0;
	int n = 0;
	while (fx_pop(&f, &s)) {
		if (!n++)
			first = s.seq - f.iss;
	}
	is_int(n, 20, "20 in flight");
	for (int k = 0; k < 3; k++)
		ack_to(&f, first);
	is_uint(info(&f).snd_ssthresh, 10, "Reno: 20 / 2");
	fx_free(&f);

	setup(&f, 704, "cubic");
	synack_send(S(&f), f.fd, buf, 100 * 1448, 0);
	round_trip(&f);
	n = 0;
	while (fx_pop(&f, &s)) {
		if (!n++)
			first = s.seq - f.iss;
	}
	for (int k = 0; k < 3; k++)
		ack_to(&f, first);
	is_uint(info(&f).snd_ssthresh, 14, "CUBIC: 20 x 717 / 1024");
	fx_free(&f);
	subtest_end();
}

static void congestion_avoidance(void)
{
	struct fx f;
	subtest("congestion avoidance: Reno adds one segment per window (RFC 5681 §3.1)");
	setup(&f, 705, "reno");
	synack_send(S(&f), f.fd, buf, 600 * 1448, 0);
	round_trip(&f); /* cwnd 20 */
	struct synack_segment s;
	uint32_t first = 0;
	int n = 0;
	while (fx_pop(&f, &s))
		if (!n++)
			first = s.seq - f.iss;
	for (int k = 0; k < 3; k++)
		ack_to(&f, first);
	fx_drain(&f);
	/* Recovery: ACK everything sent so far, then a clean round trip. */
	fx_advance(&f, 100000);
	ack_to(&f, f.p_ack - f.iss);
	uint32_t c0 = info(&f).snd_cwnd;
	is_uint(c0, 10, "cwnd = ssthresh after recovery");
	round_trip(&f);
	uint32_t c1 = info(&f).snd_cwnd;
	ok(c1 == c0 + 1, "one more per RTT: %u -> %u", c0, c1);
	fx_free(&f);
	subtest_end();

	subtest("CUBIC grows back towards W_max after a loss (RFC 9438 §4.2)");
	setup(&f, 706, "cubic");
	synack_send(S(&f), f.fd, buf, 900 * 1448, 0);
	round_trip(&f); /* cwnd 20 */
	n = 0;
	while (fx_pop(&f, &s))
		if (!n++)
			first = s.seq - f.iss;
	for (int k = 0; k < 3; k++)
		ack_to(&f, first);
	fx_drain(&f);
	fx_advance(&f, 100000);
	ack_to(&f, f.p_ack - f.iss);
	c0 = info(&f).snd_cwnd;
	is_uint(c0, 14, "cwnd = 0.7 W_max");
	uint32_t c = c0;
	for (int k = 0; k < 30; k++)
		round_trip(&f);
	c = info(&f).snd_cwnd;
	ok(c > c0 && c <= 40, "grew from %u to %u in 3 s", c0, c);
	fx_free(&f);
	subtest_end();
}

static void idle_restart(void)
{
	struct fx f;
	subtest("RFC 5681 §4.1 / RFC 7661: after an idle RTO, restart from the initial window");
	setup(&f, 707, "reno");
	synack_send(S(&f), f.fd, buf, 10 * 1448, 0);
	round_trip(&f);
	is_uint(info(&f).snd_cwnd, 20, "20");
	fx_advance(&f, 2000000);
	synack_send(S(&f), f.fd, buf, 1448, 0);
	is_uint(info(&f).snd_cwnd, 10, "back to 10 after 2 s idle");
	fx_free(&f);
	subtest_end();

	struct synack_profile p;
	synack_profile_linux(&p);
	p.slow_start_after_idle = false;
	subtest("tcp_slow_start_after_idle = 0 keeps the window");
	fx_init(&f, &p, 708);
	f.p_ts = false;
	f.p_sack = false;
	f.p_win = 65535;
	fx_listen(&f);
	fx_send_syn(&f);
	fx_drain(&f);
	fx_advance(&f, 100000);
	fx_send(&f, F_A, 0, 0, NULL, 0);
	f.fd = synack_accept(S(&f), f.lfd, NULL, NULL);
	synack_send(S(&f), f.fd, buf, 10 * 1448, 0);
	round_trip(&f);
	fx_advance(&f, 2000000);
	synack_send(S(&f), f.fd, buf, 1448, 0);
	is_uint(info(&f).snd_cwnd, 20, "still 20");
	fx_free(&f);
	subtest_end();
}

int main(void)
{
	selection();
	slow_start();
	decrease();
	congestion_avoidance();
	idle_restart();
	done_testing();
}
