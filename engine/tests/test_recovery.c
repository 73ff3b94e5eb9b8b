/* Loss recovery without SACK: fast retransmit (RFC 5681 §3.2), limited
 * transmit (RFC 3042), NewReno partial ACKs (RFC 6582), PRR (RFC 6937), the
 * loss state after an RTO. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "fixtures.h"
#include "tap.h"

#define S(f) ((f)->st)

static char buf[65536];

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

/* Established without SACK or timestamps (the Reno path), 100 ms RTT,
 * Reno, then n full segments sent, one write each; the peer's SYN comes
 * `pre_us` after the fixture's start (which moves the ISS, RFC 6528). */
static void setup_at(struct fx *f, uint64_t seed, int n, const char *cc, uint64_t pre_us)
{
	fx_init(f, NULL, seed);
	fx_advance(f, pre_us);
	f->p_ts = false;
	f->p_sack = false;
	fx_listen(f);
	fx_send_syn(f);
	fx_drain(f);
	fx_advance(f, 100000);
	fx_send(f, F_A, 0, 0, NULL, 0);
	f->fd = synack_accept(S(f), f->lfd, NULL, NULL);
	synack_setsockopt(S(f), f->fd, IPPROTO_TCP, TCP_CONGESTION, cc, (socklen_t)strlen(cc));
	int sb = 200000;
	synack_setsockopt(S(f), f->fd, SOL_SOCKET, SO_SNDBUF, &sb, sizeof(sb));
	uint32_t mss = info(f).snd_mss;
	for (int k = 0; k < n; k++) {
		synack_send(S(f), f->fd, buf, mss, 0);
		if (k < 10)
			expect_seg(f, F_PA, 1 + (int64_t)k * mss, 1, mss, FX_ANY);
	}
	expect_none(f);
	fx_advance(f, 100000);
}

static void setup(struct fx *f, uint64_t seed, int n, const char *cc)
{
	setup_at(f, seed, n, cc, 0);
}

static void dupack(struct fx *f)
{
	ack_to(f, 1);
}

static void fast_retransmit(void)
{
	struct fx f;
	subtest("RFC 5681 §3.2: the third duplicate ACK retransmits, not the second");
	setup(&f, 601, 10, "reno");
	uint32_t mss = info(&f).snd_mss;
	dupack(&f);
	dupack(&f);
	expect_none(&f);
	is_uint(info(&f).ca_state, 1, "Disorder after two");
	dupack(&f);
	expect_seg(&f, F_PA, 1, 1, mss, FX_ANY);
	struct synack_tcp_info i = info(&f);
	is_uint(i.ca_state, 3, "Recovery");
	is_uint(i.snd_ssthresh, 5, "Reno: ssthresh = cwnd / 2");
	is_uint(i.retrans, 1, "one retransmission out");
	is_uint(i.total_retrans, 1, "total_retrans");
	fx_free(&f);
	subtest_end();

	subtest("an ACK that changes the window is not a duplicate (RFC 5681 §2)");
	setup(&f, 602, 10, "reno");
	dupack(&f);
	f.p_win++;
	dupack(&f);
	f.p_win++;
	dupack(&f);
	expect_none(&f);
	is_uint(info(&f).ca_state, 1, "Disorder from the one duplicate, never Recovery");
	fx_free(&f);
	subtest_end();
}

static void limited_transmit(void)
{
	struct fx f;
	subtest("RFC 3042: a duplicate ACK lets one new segment go, Linux's TSO deferral holds the "
	        "next; PRR paces the rest (RFC 6937)");
	setup(&f, 603, 14, "reno");
	uint32_t mss = info(&f).snd_mss;
	dupack(&f);
	expect_seg(&f, F_A, 1 + 10 * (int64_t)mss, 1, mss, FX_ANY);
	/* The second one opens a segment of cwnd again, but within 1 ms of the
	 * last send and with the head's ACK due: Linux's tcp_tso_should_defer
	 * waits for more room (tso.c; Linux 6.18 does the same here). */
	dupack(&f);
	expect_none(&f);
	dupack(&f);
	expect_seg(&f, F_PA, 1, 1, mss, FX_ANY);
	expect_none(&f);
	/* in flight 11 - 3 - 1 + 1 = 8 > ssthresh 5: PRR sends
	 * ceil(5 x delivered / 10) - prr_out. */
	dupack(&f);
	expect_none(&f);
	dupack(&f);
	expect_seg(&f, F_A, 1 + 11 * (int64_t)mss, 1, mss, FX_ANY);
	expect_none(&f);
	fx_free(&f);
	subtest_end();
}

/* The NewReno scenario: eight duplicate ACKs, a partial ACK, the ACK of
 * exactly `recover`, then new data. */
static void newreno_body(struct fx *f)
{
	uint32_t mss = info(f).snd_mss;
	for (int k = 0; k < 8; k++)
		dupack(f);
	expect_seg(f, F_PA, 1, 1, mss, FX_ANY);
	expect_none(f);
	ack_to(f, 1 + 2 * mss);
	expect_seg(f, F_PA, 1 + 2 * (int64_t)mss, 1, mss, FX_ANY);
	is_uint(info(f).ca_state, 3, "still Recovery");
	ack_to(f, 1 + 10 * mss);
	is_uint(info(f).ca_state, 3, "SND.UNA == recover: held (RFC 6582 §3.2 step 3)");
	synack_send(S(f), f->fd, buf, 100, 0);
	expect_seg(f, F_PA, 1 + 10 * (int64_t)mss, 1, 100, FX_ANY);
	ack_to(f, 101 + 10 * mss);
	struct synack_tcp_info i = info(f);
	is_uint(i.ca_state, 0, "Open once above recover");
	is_uint(i.snd_cwnd, 5, "cwnd = ssthresh");
}

static void newreno(void)
{
	struct fx f;
	subtest("RFC 6582: a partial ACK retransmits the next hole; Reno holds Recovery at exactly "
	        "recover");
	setup(&f, 604, 10, "reno");
	newreno_body(&f);
	fx_free(&f);
	subtest_end();
}

static void loss_state(void)
{
	struct fx f;
	subtest("RTO: all outstanding lost, cwnd 1, then slow start retransmits the rest");
	setup(&f, 605, 5, "reno");
	uint32_t mss = info(&f).snd_mss;
	fx_advance(&f, synack_next_deadline(S(&f)) - f.now);
	expect_seg(&f, F_PA, 1, 1, mss, FX_ANY);
	expect_none(&f);
	struct synack_tcp_info i = info(&f);
	is_uint(i.ca_state, 4, "Loss");
	is_uint(i.snd_cwnd, 1, "cwnd 1");
	is_uint(i.lost, 5, "five lost");
	ack_to(&f, 1 + mss);
	expect_seg(&f, F_PA, 1 + (int64_t)mss, 1, mss, FX_ANY);
	expect_seg(&f, F_PA, 1 + 2 * (int64_t)mss, 1, mss, FX_ANY);
	expect_none(&f);
	fx_free(&f);
	subtest_end();
}

static void seq_wrap(void)
{
	struct fx f;
	subtest("NewReno recovery across the sequence-number wrap");
	/* Put 2^32 in the middle of the second segment: RFC 6528's clock
	 * term M (one tick per 64 ns, Linux's seq_scale) moves the ISS by
	 * 1000 / 64 per microsecond, so the SYN's arrival time picks it. */
	fx_init(&f, NULL, 7);
	f.p_ts = false;
	f.p_sack = false;
	fx_listen(&f);
	fx_send_syn(&f);
	fx_drain(&f);
	uint32_t iss0 = f.iss;
	fx_free(&f);
	uint32_t want = 0xffffffffu - 1460u - 730u;
	setup_at(&f, 7, 10, "reno", (uint64_t)(want - iss0) * 64u / 1000u);
	ok(f.iss > want - 500 && f.iss < want + 500, "ISS %u: 2^32 falls in the second segment",
	   f.iss);
	/* The partial ACK, the retransmitted hole and recover all lie past
	 * the wrap while SND.UNA was before it. */
	newreno_body(&f);
	fx_free(&f);
	subtest_end();
}

int main(void)
{
	fast_retransmit();
	limited_transmit();
	newreno();
	loss_state();
	seq_wrap();
	done_testing();
}
