/* Classic ECN (RFC 3168) as Linux 6.x does it (ecn.c): negotiation on both
 * opens, ECT(0) on new data only, the receiver's ECE echo until CWR, the
 * sender's once-per-window reduction (CWR state) and CWR flag. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "fixtures.h"
#include "simnet.h"
#include "tap.h"

#define F_E    SYNACK_TH_ECE
#define F_W    SYNACK_TH_CWR
#define ECT0   2
#define CE     3
#define CA_CWR 2

static void prof(struct synack_profile *p, int ecn)
{
	synack_profile_linux(p);
	p->timestamps = false;
	p->ecn = (uint8_t)ecn;
}

/* A passive open whose SYN has syn_flags and IP ECN bits tos; returns the
 * SYN-ACK's flags, and leaves f->fd accepted. */
static uint8_t passive(struct fx *f, uint8_t syn_flags, uint8_t tos)
{
	struct synack_segment s;
	f->p_ts = false;
	if (fx_listen(f) < 0)
		return 0;
	f->p_seq = f->irs;
	fx_mkseg(f, &s, SYNACK_TH_SYN | syn_flags, 0, 0, NULL, 0);
	s.tos = tos;
	s.opt.has_mss = true;
	s.opt.mss = 1460;
	s.opt.sack_permitted = true;
	fx_inject(f, &s);
	f->p_seq = f->irs + 1;
	if (!fx_pop(f, &s))
		return 0;
	uint8_t fl = s.flags;
	fx_send(f, SYNACK_TH_ACK, 0, 0, NULL, 0);
	f->fd = synack_accept(f->st, f->lfd, NULL, NULL);
	fx_drain(f);
	return fl;
}

static uint8_t info_options(struct fx *f)
{
	struct synack_tcp_info i;
	synack_tcp_info(f->st, f->fd, &i);
	return i.options;
}

static void passive_negotiation(void)
{
	struct synack_profile p;
	struct fx f;
	subtest("passive open: tcp_ecn_create_request / tcp_ecn_make_synack");
	prof(&p, 2);
	fx_init(&f, &p, 1);
	is_int(passive(&f, F_E | F_W, 0), F_SA | F_E, "SYN ECE|CWR, tcp_ecn=2: SYN-ACK with ECE");
	ok(info_options(&f) & 8, "tcpi_options has TCPI_OPT_ECN");
	fx_free(&f);

	fx_init(&f, &p, 2);
	is_int(passive(&f, F_E, 0), F_SA, "ECE alone is no ECN-setup SYN");
	ok(!(info_options(&f) & 8), "no TCPI_OPT_ECN");
	fx_free(&f);

	fx_init(&f, &p, 3);
	is_int(passive(&f, F_E | F_W, ECT0), F_SA, "an ECT SYN is refused (RFC 3168 §6.1.1)");
	fx_free(&f);

	prof(&p, 0);
	fx_init(&f, &p, 4);
	is_int(passive(&f, F_E | F_W, 0), F_SA, "tcp_ecn=0: refused");
	fx_free(&f);
	subtest_end();
}

static uint8_t connect_syn(struct fx *f, struct synack_segment *syn)
{
	struct sockaddr_storage ss;
	int fd = synack_socket(f->st, AF_INET, SOCK_STREAM, 0);
	int n = fx_sockaddr(f, &f->remote, f->rport, &ss);
	synack_connect(f->st, fd, (struct sockaddr *)&ss, (socklen_t)n);
	f->fd = fd;
	if (!fx_pop(f, syn))
		return 0xff;
	f->lport = syn->sport;
	f->p_seq = f->irs;
	return syn->flags;
}

static void synack_in(struct fx *f, uint8_t flags)
{
	struct synack_segment s;
	fx_mkseg(f, &s, SYNACK_TH_SYN | SYNACK_TH_ACK | flags, 0, 0, NULL, 0);
	s.opt.has_mss = true;
	s.opt.mss = 1460;
	fx_inject(f, &s);
	f->p_seq = f->irs + 1;
	fx_drain(f);
}

static void active_negotiation(void)
{
	struct synack_profile p;
	struct synack_segment s;
	struct fx f;
	subtest("active open: tcp_ecn_send_syn, tcp_ecn_clear_syn, tcp_ecn_rcv_synack");
	prof(&p, 2);
	fx_init(&f, &p, 5);
	is_int(connect_syn(&f, &s), F_S, "tcp_ecn=2: no ECN-setup SYN");
	fx_free(&f);

	prof(&p, 1);
	fx_init(&f, &p, 6);
	is_int(connect_syn(&f, &s), F_S | F_E | F_W, "tcp_ecn=1: SYN with ECE|CWR");
	is_int(s.tos & 3, 0, "the SYN is not-ECT");
	fx_advance(&f, 1000000);
	ok(fx_pop(&f, &s), "SYN retransmitted");
	is_int(s.flags, F_S, "tcp_ecn_fallback: without ECE|CWR");
	synack_in(&f, F_E);
	ok(info_options(&f) & 8, "a SYN-ACK with ECE still enables ECN");
	synack_send(f.st, f.fd, "x", 1, 0);
	ok(fx_pop(&f, &s), "data");
	is_int(s.tos & 3, ECT0, "ECT(0)");
	is_int(s.flags & (F_E | F_W), F_W, "CWR queued by the SYN timeout (tcp_enter_loss)");
	fx_free(&f);

	p.ecn_fallback = false;
	fx_init(&f, &p, 7);
	connect_syn(&f, &s);
	fx_advance(&f, 1000000);
	ok(fx_pop(&f, &s), "SYN retransmitted");
	is_int(s.flags, F_S | F_E | F_W, "tcp_ecn_fallback=0: keeps ECE|CWR");
	synack_in(&f, F_E | F_W);
	ok(!(info_options(&f) & 8), "a SYN-ACK with ECE|CWR refuses ECN");
	synack_send(f.st, f.fd, "x", 1, 0);
	ok(fx_pop(&f, &s), "data");
	is_int(s.tos & 3, 0, "not-ECT");
	is_int(s.flags & (F_E | F_W), 0, "no ECN flags");
	fx_free(&f);
	subtest_end();
}

static void receiver_echo(void)
{
	struct synack_profile p;
	struct synack_segment s;
	struct fx f;
	char buf[100] = { 0 };
	subtest("receiver: tcp_data_ecn_check, tcp_ecn_accept_cwr");
	prof(&p, 2);
	fx_init(&f, &p, 8);
	passive(&f, F_E | F_W, 0);
	fx_mkseg(&f, &s, F_PA, 0, 0, buf, 100);
	s.tos = CE;
	fx_inject(&f, &s);
	f.p_seq += 100;
	ok(expect_seg_out(&f, F_A | F_E, 1, 101, 0, FX_ANY, &s), "CE: ACK with ECE, at once");
	is_int(s.tos & 3, 0, "a pure ACK is not-ECT");
	ok(info_options(&f) & 16, "TCPI_OPT_ECN_SEEN");
	fx_send(&f, F_A | F_W, 0, 0, NULL, 0); /* CWR on a pure ACK (Linux >= 5.10) */
	fx_send(&f, F_PA, 0, 0, buf, 100);
	ok(expect_seg(&f, F_A, 1, 201, 0, FX_ANY), "the echo ended");
	fx_free(&f);
	subtest_end();
}

static void sender_reduction(void)
{
	struct synack_profile p;
	struct synack_segment s;
	struct synack_tcp_info i;
	struct fx f;
	static char buf[14600];
	subtest("sender: tcp_enter_cwr, tcp_ecn_send");
	prof(&p, 2);
	p.cc = SYNACK_CC_RENO;
	fx_init(&f, &p, 9);
	passive(&f, F_E | F_W, 0);
	is_int(synack_send(f.st, f.fd, buf, sizeof(buf), 0), sizeof(buf), "write");
	int n = 0, ect = 0;
	while (fx_pop(&f, &s)) {
		n++;
		ect += (s.tos & 3) == ECT0;
	}
	ok(n > 1 && ect == n, "new data is ECT(0)");
	synack_send(f.st, f.fd, buf, 1000, 0);
	synack_tcp_info(f.st, f.fd, &i);
	uint32_t cwnd = i.snd_cwnd;
	fx_mkseg(&f, &s, F_A | F_E, 0, 0, NULL, 0);
	s.ack = f.iss + 1 + 1460;
	fx_inject(&f, &s);
	synack_tcp_info(f.st, f.fd, &i);
	is_int(i.ca_state, CA_CWR, "ECE: CWR state");
	is_uint(i.snd_ssthresh, cwnd / 2, "ssthresh halved");
	ok(fx_pop(&f, &s), "PRR sends one segment");
	is_int(s.flags & F_W, F_W, "with CWR");
	is_int(s.tos & 3, ECT0, "ECT(0)");
	fx_mkseg(&f, &s, F_A | F_E, 0, 0, NULL, 0);
	s.ack = f.iss + 1 + 2920;
	fx_inject(&f, &s);
	synack_tcp_info(f.st, f.fd, &i);
	is_uint(i.snd_ssthresh, cwnd / 2, "a second ECE in the window: no second reduction");
	fx_drain(&f);
	/* The RTO: a retransmission is not-ECT (RFC 3168 §6.1.5). */
	fx_advance(&f, fx_until_next_us(&f));
	ok(fx_pop(&f, &s), "retransmission");
	is_int(s.tos & 3, 0, "not-ECT");
	fx_free(&f);
	subtest_end();
}

/* Two engines through a network that marks ce_ppm of ECT packets CE:
 * 1 MB from side 0 to side 1. */
static void transfer(struct simnet *net, int ecn, uint32_t ce_ppm, uint32_t loss_ppm,
                     struct synack_tcp_info *snd, uint32_t *got_out)
{
	static uint8_t buf[65536];
	struct synack_profile p;
	struct simnet_config cfg = { .delay_us = 5000,
		                     .jitter_us = loss_ppm ? 2000 : 0,
		                     .seed = 7,
		                     .ce_ppm = ce_ppm,
		                     .loss_ppm = loss_ppm };
	int fds[2];
	prof(&p, ecn);
	p.cc = SYNACK_CC_RENO;
	uint32_t sent = 0, got = 0, total = 1u << 20;
	if (simnet_reinit(net, &cfg, &p) < 0 || simnet_connect(net, &fds[0], &fds[1]) < 0) {
		*got_out = 0;
		return;
	}
	uint64_t start = net->now;
	while (got < total && net->now < start + 60000000) {
		if (sent < total) {
			ssize_t r =
			    synack_send(net->st[0], fds[0], buf,
			                total - sent < sizeof(buf) ? total - sent : sizeof(buf), 0);
			if (r > 0)
				sent += (uint32_t)r;
		}
		ssize_t r = synack_recv(net->st[1], fds[1], buf, sizeof(buf), 0);
		if (r > 0)
			got += (uint32_t)r;
		simnet_run(net, net->now + 1000);
		char why[256];
		for (int k = 0; k < 2; k++)
			if (synack_check_invariants(net->st[k], why, sizeof(why)) != 0) {
				tap_diag("invariant: %s", why);
				*got_out = 0;
				return;
			}
	}
	synack_tcp_info(net->st[0], fds[0], snd);
	*got_out = got;
}

static void two_engines(void)
{
	static struct simnet net;
	struct synack_tcp_info i;
	uint32_t got;
	subtest("two engines, a marking network: RFC 3168 end to end");
	struct simnet_config c0 = { 0 };
	if (simnet_init(&net, &c0, NULL) < 0) {
		ok(0, "simnet");
		subtest_end();
		return;
	}
	transfer(&net, 1, 20000, 0, &i, &got);
	is_uint(got, 1u << 20, "1 MB through 2%% CE marking");
	ok(net.dir[0].ce_marked > 0, "the network marked %llu data segments",
	   (unsigned long long)net.dir[0].ce_marked);
	ok(i.options & 8, "ECN negotiated (tcp_ecn=1 on both)");
	is_uint(i.total_retrans, 0, "no retransmission: ECN slows the sender without loss");
	ok(i.snd_ssthresh < 0x7fffffffu, "ECE reduced the window (ssthresh %u)", i.snd_ssthresh);
	is_uint(net.dir[1].ce_marked, 0, "pure ACKs are not-ECT: never marked");

	transfer(&net, 0, 20000, 0, &i, &got);
	is_uint(got, 1u << 20, "tcp_ecn=0: 1 MB");
	is_uint(net.dir[0].ce_marked, 0, "not-ECT: nothing to mark");
	ok(!(i.options & 8), "no ECN");

	/* Marks with loss and reordering: CWR, Recovery and Loss meet. */
	transfer(&net, 1, 100000, 10000, &i, &got);
	is_uint(got, 1u << 20, "1 MB through 10%% CE, 1%% loss, jitter (invariants held)");
	ok(net.dir[0].ce_marked > 0 && i.total_retrans > 0, "marked %llu, retransmitted %u",
	   (unsigned long long)net.dir[0].ce_marked, i.total_retrans);
	simnet_free(&net);
	subtest_end();
}

int main(void)
{
	passive_negotiation();
	active_negotiation();
	receiver_echo();
	sender_reduction();
	two_engines();
	done_testing();
}
