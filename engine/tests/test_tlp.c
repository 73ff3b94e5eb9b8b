/* Tail loss probe (RFC 8985 §7) as Linux: the probe timeout, what the probe
 * sends, and what an ACK of it means (tcp_schedule_loss_probe,
 * tcp_send_loss_probe, tcp_process_tlp_ack). 100 ms RTT, SACK, no
 * timestamps, Reno. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "fixtures.h"
#include "tap.h"

#define S(f) ((f)->st)

static char buf[65536];

static struct synack_tcp_info info(struct fx *f)
{
	struct synack_tcp_info i;
	memset(&i, 0, sizeof(i));
	synack_tcp_info(S(f), f->fd, &i);
	return i;
}

/* Established (peer SACK as given), 100 ms handshake RTT; n segments
 * written, `sent` of them expected on the wire at once. */
static void setup(struct fx *f, const struct synack_profile *p, bool sack, int n, int sent)
{
	fx_init(f, p, 801);
	f->p_ts = false;
	f->p_sack = sack;
	fx_listen(f);
	fx_send_syn(f);
	fx_drain(f);
	fx_advance(f, 100000);
	fx_send(f, F_A, 0, 0, NULL, 0);
	f->fd = synack_accept(S(f), f->lfd, NULL, NULL);
	synack_setsockopt(S(f), f->fd, IPPROTO_TCP, TCP_CONGESTION, "reno", 4);
	uint32_t mss = info(f).snd_mss;
	for (int k = 0; k < n; k++) {
		synack_send(S(f), f->fd, buf, mss, 0);
		if (k < sent)
			expect_seg(f, F_PA, 1 + (int64_t)k * mss, 1, mss, FX_ANY);
	}
	expect_none(f);
}

static void new_data_probe(void)
{
	struct fx f;
	subtest("§7.2-7.3: PTO = 2 SRTT + 2 ms (4 ms ticks); the probe is new data past cwnd");
	setup(&f, NULL, true, 11, 10);
	uint32_t mss = info(&f).snd_mss;
	is_uint(fx_until_next_us(&f), 204000, "PTO 204 ms, before the 300 ms RTO");
	fx_advance(&f, 204000);
	expect_seg(&f, F_PA, 1 + 10 * (int64_t)mss, 1, mss, FX_ANY);
	expect_none(&f);
	struct synack_tcp_info i = info(&f);
	is_uint(i.ca_state, 0, "still Open");
	is_uint(i.total_retrans, 0, "new data is no retransmission");
	is_uint(fx_until_next_us(&f), i.rto, "the RTO restarts from the probe");
	fx_advance(&f, i.rto);
	expect_seg(&f, F_PA, 1, 1, mss, FX_ANY);
	is_uint(info(&f).ca_state, 4, "then the RTO: Loss");
	fx_free(&f);
	subtest_end();
}

static void last_segment_probe(void)
{
	struct fx f;
	subtest("one segment out: PTO 2 SRTT + RTO min, capped by the RTO; the probe re-sends it");
	setup(&f, NULL, true, 10, 10);
	uint32_t mss = info(&f).snd_mss;
	fx_advance(&f, 100000);
	fx_ack_sack(&f, 1 + 9 * mss, 0, NULL);
	uint32_t rto = info(&f).rto;
	is_uint(fx_until_next_us(&f), rto, "min(200 + 200 ms, RTO %u us)", rto);
	fx_advance(&f, rto);
	expect_seg(&f, F_PA, 1 + 9 * (int64_t)mss, 1, mss, FX_ANY);
	struct synack_tcp_info i = info(&f);
	is_uint(i.ca_state, 0, "Open, not Loss");
	is_uint(i.total_retrans, 1, "counted in total_retrans");
	is_uint(i.retrans, 0, "not in retrans_out (__tcp_retransmit_skb)");
	uint32_t cwnd = i.snd_cwnd;
	/* The probe repaired the loss: ACK of it, then new data ACKed. */
	fx_advance(&f, 100000);
	fx_ack_sack(&f, 1 + 10 * mss, 0, NULL);
	is_uint(info(&f).snd_ssthresh, 0x7fffffffu, "ACK == the probe's SND.NXT: nothing yet");
	synack_send(S(&f), f.fd, buf, 100, 0);
	expect_seg(&f, F_PA, 1 + 10 * (int64_t)mss, 1, 100, FX_ANY);
	fx_advance(&f, 100000);
	fx_ack_sack(&f, 101 + 10 * mss, 0, NULL);
	i = info(&f);
	is_uint(i.snd_ssthresh, (cwnd + 1) / 2, "beyond it: one reduction (CWR), Reno halves");
	is_uint(i.snd_cwnd, i.snd_ssthresh, "cwnd = ssthresh");
	is_uint(i.ca_state, 0, "back to Open");
	fx_free(&f);
	subtest_end();

	subtest("§7.4: a D-SACK for the probe means nothing was lost");
	setup(&f, NULL, true, 10, 10);
	fx_advance(&f, 100000);
	fx_ack_sack(&f, 1 + 9 * mss, 0, NULL);
	fx_advance(&f, info(&f).rto);
	expect_seg(&f, F_PA, 1 + 9 * (int64_t)mss, 1, mss, FX_ANY);
	fx_advance(&f, 100000);
	fx_ack_sack(&f, 1 + 10 * mss, 1, (uint32_t[]){ 1 + 9 * mss, 1 + 10 * mss });
	synack_send(S(&f), f.fd, buf, 100, 0);
	expect_seg(&f, F_PA, 1 + 10 * (int64_t)mss, 1, 100, FX_ANY);
	fx_ack_sack(&f, 101 + 10 * mss, 0, NULL);
	is_uint(info(&f).snd_ssthresh, 0x7fffffffu, "no reduction");
	fx_free(&f);
	subtest_end();
}

static void off(void)
{
	struct fx f;
	struct synack_profile p;
	synack_profile_linux(&p);
	p.early_retrans = 0;
	subtest("no probe with tcp_early_retrans=0 or without SACK: the RTO");
	setup(&f, &p, true, 11, 10);
	is_uint(fx_until_next_us(&f), info(&f).rto, "tcp_early_retrans=0: the RTO");
	fx_free(&f);
	setup(&f, NULL, false, 11, 10);
	is_uint(fx_until_next_us(&f), info(&f).rto, "no SACK: the RTO");
	fx_free(&f);
	subtest_end();
}

int main(void)
{
	new_data_probe();
	last_segment_probe();
	off();
	done_testing();
}
