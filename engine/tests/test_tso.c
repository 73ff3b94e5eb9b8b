/* Linux's TSO sizing (tso.c): which segments of a flight leave in one skb,
 * seen as the PSH the kernel sets on the last segment of each skb of more
 * than one. The conformance scripts data/tso-*.pkt and
 * sack/rtx-gso-skb-psh.pkt hold the same on both stacks; these cover the
 * profile knobs the scripts cannot reach. */
#include <string.h>

#include "fixtures.h"
#include "tap.h"

/* Passive open with the handshake's ACK rtt_us after the SYN-ACK, then a
 * write of n MSS (1448 bytes: the fixture's peer uses timestamps). */
static bool open_and_write(struct fx *f, const struct synack_profile *p, uint64_t seed,
                           uint64_t rtt_us, int n)
{
	static char d[16 * 1448];
	fx_init(f, p, seed);
	if (!fx_syn_recv(f))
		return false;
	fx_advance(f, rtt_us);
	fx_send(f, F_A, 0, 0, NULL, 0);
	f->fd = synack_accept(f->st, f->lfd, NULL, NULL);
	if (f->fd < 0)
		return false;
	fx_drain(f);
	memset(d, 'x', sizeof(d));
	return synack_send(f->st, f->fd, d, (size_t)n * 1448, 0) == n * 1448;
}

/* Expects n full segments from segment `first` on, PSH on those whose
 * number (from 1) is a multiple of `every` and on the last. */
static void expect_flight(struct fx *f, int first, int n, int every)
{
	for (int k = first; k < first + n; k++) {
		bool psh = k % every == 0 || k == first + n - 1;
		expect_seg(f, psh ? F_PA : F_A, 1 + (k - 1) * 1448, 1, 1448, FX_ANY);
	}
	expect_none(f);
}

static void pacing_budget(void)
{
	struct fx f;
	subtest("100 ms RTT: pacing allows tcp_min_tso_segs (2) per skb");
	ok(open_and_write(&f, NULL, 700, 100000, 10), "established, 10 MSS written");
	expect_flight(&f, 1, 10, 2);
	fx_free(&f);
	subtest_end();

	struct synack_profile p;
	subtest("tcp_min_tso_segs 3 at 100 ms: skbs of 3");
	synack_profile_linux(&p);
	is_int(synack_profile_sysctl(&p, "net.ipv4.tcp_min_tso_segs", "3"), 0, "sysctl");
	ok(open_and_write(&f, &p, 701, 100000, 10), "established, 10 MSS written");
	/* Under the half-cwnd cap (5): 3, 3, 3 and the last one alone. */
	expect_flight(&f, 1, 10, 3);
	fx_free(&f);
	subtest_end();

	subtest("no RTT to speak of: the half-cwnd cap (5 of 10)");
	ok(open_and_write(&f, NULL, 702, 0, 10), "established, 10 MSS written");
	expect_flight(&f, 1, 10, 5);
	fx_free(&f);
	subtest_end();

	subtest("tcp_pacing_ss_ratio 1000 at 10 ms: 5 MSS of budget, the cap again");
	synack_profile_linux(&p);
	/* 1000 % of 10 * 1448 B / 10 ms = 14.5 MB/s: 14140 bytes per 1/1024 s,
	 * 9 segments; min_rtt 10000 >> 9 = 19 adds nothing. */
	is_int(synack_profile_sysctl(&p, "net.ipv4.tcp_pacing_ss_ratio", "1000"), 0, "sysctl");
	ok(open_and_write(&f, &p, 703, 10000, 10), "established, 10 MSS written");
	expect_flight(&f, 1, 10, 5);
	fx_free(&f);
	subtest_end();

	subtest("tcp_tso_rtt_log 20 at 10 ms: the gso_max_size share fills the cap");
	synack_profile_linux(&p);
	is_int(synack_profile_sysctl(&p, "net.ipv4.tcp_tso_rtt_log", "20"), 0, "sysctl");
	ok(open_and_write(&f, &p, 704, 10000, 10), "established, 10 MSS written");
	expect_flight(&f, 1, 10, 5);
	fx_free(&f);
	subtest_end();
}

static void rfc_profile(void)
{
	struct fx f;
	struct synack_profile p;
	subtest("RFC profile: PSH only where the write ends (RFC 9293 §3.9.1)");
	synack_profile_rfc(&p);
	ok(open_and_write(&f, &p, 705, 100000, 4), "established, 4 MSS written");
	expect_flight(&f, 1, 4, 1000);
	fx_free(&f);
	subtest_end();
}

/* The kernel's PSH belongs to the transmission: a segment resent alone after
 * an RTO has only the PSH of its own skb. */
static void rto_resends_alone(void)
{
	struct fx f;
	subtest("after an RTO, segments resent alone have no PSH of their old skbs");
	ok(open_and_write(&f, NULL, 706, 100000, 4), "established, 4 MSS written");
	expect_flight(&f, 1, 4, 2);
	/* The loss probe: the last MSS, with the PSH of the write's end. */
	fx_advance(&f, fx_until_next_us(&f));
	expect_seg(&f, F_PA, 1 + 3 * 1448, 1, 1448, FX_ANY);
	fx_advance(&f, fx_until_next_us(&f));
	expect_seg(&f, F_A, 1, 1, 1448, FX_ANY);
	expect_none(&f);
	/* Acked: cwnd 2 in Loss. The second segment ended its skb and goes
	 * alone; the third is cut from the fourth (one segment of cwnd left):
	 * neither has PSH (Linux 6.18: the same). */
	fx_ack_sack(&f, 1 + 1448, 0, NULL);
	expect_seg(&f, F_A, 1 + 1448, 1, 1448, FX_ANY);
	expect_seg(&f, F_A, 1 + 2 * 1448, 1, 1448, FX_ANY);
	expect_none(&f);
	fx_free(&f);
	subtest_end();
}

int main(void)
{
	pacing_budget();
	rfc_profile();
	rto_resends_alone();
	done_testing();
}
