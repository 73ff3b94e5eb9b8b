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

/* Each case: a sysctl on the linux profile (none: NULL), the handshake RTT,
 * and every how many segments of a 10-MSS write PSH comes. */
static const struct budget_case {
	const char *what, *sysctl, *value;
	uint64_t rtt_us;
	int every;
} budget_cases[] = {
	{ "100 ms RTT: pacing allows tcp_min_tso_segs (2) per skb", NULL, NULL, 100000, 2 },
	/* Under the half-cwnd cap (5): 3, 3, 3 and the last one alone. */
	{ "tcp_min_tso_segs 3 at 100 ms: skbs of 3", "net.ipv4.tcp_min_tso_segs", "3", 100000, 3 },
	{ "no RTT to speak of: the half-cwnd cap (5 of 10)", NULL, NULL, 0, 5 },
	/* 1000 % of 10 * 1448 B / 10 ms = 14.5 MB/s: 14140 bytes per 1/1024 s,
	 * 9 segments (2 at the default 200 %); min_rtt 10000 >> 9 = 19 adds
	 * nothing. */
	{ "tcp_pacing_ss_ratio 1000 at 10 ms: 9 MSS of budget, the cap again",
	  "net.ipv4.tcp_pacing_ss_ratio", "1000", 10000, 5 },
	/* 10000 >> 20 = 0: all of gso_max_size is added. */
	{ "tcp_tso_rtt_log 20 at 10 ms: the gso_max_size share fills the cap",
	  "net.ipv4.tcp_tso_rtt_log", "20", 10000, 5 },
};

static void pacing_budget(void)
{
	for (size_t k = 0; k < sizeof budget_cases / sizeof budget_cases[0]; k++) {
		const struct budget_case *c = &budget_cases[k];
		struct fx f;
		struct synack_profile p;
		subtest("%s", c->what);
		synack_profile_linux(&p);
		if (c->sysctl)
			is_int(synack_profile_sysctl(&p, c->sysctl, c->value), 0, "sysctl");
		ok(open_and_write(&f, &p, 700 + k, c->rtt_us, 10), "established, 10 MSS written");
		expect_flight(&f, 1, 10, c->every);
		fx_free(&f);
		subtest_end();
	}
}

static void rfc_profile(void)
{
	struct fx f;
	struct synack_profile p;
	subtest("RFC profile: PSH only where the write ends (RFC 9293 §3.9.1)");
	synack_profile_rfc(&p);
	ok(open_and_write(&f, &p, 710, 100000, 4), "established, 4 MSS written");
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
	ok(open_and_write(&f, NULL, 711, 100000, 4), "established, 4 MSS written");
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
