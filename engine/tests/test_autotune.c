/* Receive-buffer autotuning (autotune.c; Linux tcp_rcv_space_adjust,
 * tcp_rcvbuf_grow): the figures are Linux 6.18's, measured by
 * conformance/scripts/window/receive-autotuning-*.pkt. */
#include <sys/socket.h>

#include "fixtures.h"
#include "tap.h"

static const uint8_t z[1500];

static uint32_t rcv_space(struct fx *f)
{
	struct synack_tcp_info ti;
	synack_tcp_info(f->st, f->fd, &ti);
	return ti.rcv_space;
}

static int rcvbuf(struct fx *f)
{
	int v = 0;
	socklen_t l = sizeof(v);
	synack_getsockopt(f->st, f->fd, SOL_SOCKET, SO_RCVBUF, &v, &l);
	return v;
}

static uint32_t read_n(struct fx *f, size_t n)
{
	static uint8_t b[65536];
	ssize_t r = synack_recv(f->st, f->fd, b, n < sizeof(b) ? n : sizeof(b), 0);
	fx_drain(f);
	return r > 0 ? (uint32_t)r : 0;
}

/* A passive open with timestamps whose handshake takes 100 ms, then the
 * first segment, read: a receiver RTT of 100 ms; returns the SYN-ACK's
 * TSval. */
static uint32_t setup(struct fx *f, const struct synack_profile *p, uint64_t seed)
{
	fx_init(f, p, seed);
	fx_syn_recv(f);
	uint32_t ts0 = f->s_tsval;
	fx_advance(f, 100000);
	fx_send(f, F_A, 0, 0, NULL, 0);
	f->fd = synack_accept(f->st, f->lfd, NULL, NULL);
	fx_drain(f);
	fx_send_ecr(f, 1448, ts0);
	read_n(f, 1448);
	return ts0;
}

/* 19 segments 50 ms in, read; one more 100 ms later, read: 30408 bytes in
 * an RTT of 100 ms against a measure of 14480. */
static void one_rtt_of_reads(struct fx *f, uint32_t ts0, size_t chunk)
{
	fx_advance(f, 50000);
	for (int i = 0; i < 19; i++)
		fx_send_ecr(f, 1448, ts0);
	for (uint32_t left = 19 * 1448; left;)
		left -= read_n(f, chunk < left ? chunk : left);
	fx_advance(f, 100000);
	fx_send_ecr(f, 1448, ts0);
	read_n(f, 1448);
}

static void drs(void)
{
	struct fx f;
	subtest("the buffer grows to twice the demand plus twice its growth");
	uint32_t ts0 = setup(&f, NULL, 1);
	is_uint(rcv_space(&f), 14480, "ten segments to start with");
	is_int(rcvbuf(&f), 131072, "tcp_rmem[1]");
	one_rtt_of_reads(&f, ts0, 65536);
	is_uint(rcv_space(&f), 30408, "30408 bytes read in the RTT");
	/* 2 * 30408 + 2 * (60816 * 15928 / 14480), at 160/256. */
	is_int(rcvbuf(&f), 311376, "the buffer, as Linux 6.18's");
	struct synack_tcp_info ti;
	synack_tcp_info(f.st, f.fd, &ti);
	fx_advance(&f, 150000);
	fx_send_ecr(&f, 1448, ts0);
	read_n(&f, 1448);
	is_uint(rcv_space(&f), 30408, "a slower RTT: the measure stays");
	is_int(rcvbuf(&f), 311376, "and the buffer");
	fx_free(&f);
	subtest_end();

	subtest("what is still unread is not demand (each skb read counts)");
	ts0 = setup(&f, NULL, 2);
	fx_advance(&f, 50000);
	for (int i = 0; i < 19; i++)
		fx_send_ecr(&f, 1448, ts0);
	read_n(&f, 11 * 1448); /* within the RTT: nothing measured */
	fx_advance(&f, 100000);
	fx_send_ecr(&f, 1448, ts0); /* also refreshes the connection's clock */
	/* One skb read: 18824 read since the measure began, but 11584 still
	 * wait: 7240 <= 14480, a new measure and no growth. */
	read_n(&f, 1448);
	is_uint(rcv_space(&f), 14480, "unchanged");
	is_int(rcvbuf(&f), 131072, "unchanged");
	read_n(&f, 65536);
	is_int(rcvbuf(&f), 131072, "the rest, read at once after it: nothing yet");
	fx_free(&f);
	subtest_end();
}

static void cached_clock(void)
{
	struct fx f;
	subtest("the clock is the read's, with no segment since the last");
	uint32_t ts0 = setup(&f, NULL, 9);
	fx_advance(&f, 50000);
	for (int i = 0; i < 19; i++)
		fx_send_ecr(&f, 1448, ts0);
	read_n(&f, 18 * 1448); /* 50 ms in: within the RTT */
	fx_advance(&f, 100000);
	read_n(&f, 1448);
	is_uint(rcv_space(&f), 28960, "150 ms in: 28960 read in the RTT");
	/* 2 * 28960 + 2 * 57920 at 160/256: Linux 6.18's figure. */
	is_int(rcvbuf(&f), 278016, "grown");
	fx_free(&f);
	subtest_end();
}

static void limits(void)
{
	struct fx f;
	struct synack_profile p;
	subtest("tcp_rmem[2] caps it; SO_RCVBUF and tcp_moderate_rcvbuf=0 stop it");
	synack_profile_linux(&p);
	p.rmem[2] = 200000;
	uint32_t ts0 = setup(&f, &p, 3);
	one_rtt_of_reads(&f, ts0, 65536);
	is_int(rcvbuf(&f), 200000, "capped at tcp_rmem[2]");
	fx_free(&f);

	ts0 = setup(&f, NULL, 4);
	int v = 65536;
	synack_setsockopt(f.st, f.fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	one_rtt_of_reads(&f, ts0, 65536);
	is_int(rcvbuf(&f), 131072, "SO_RCVBUF: fixed (twice the value asked)");
	is_uint(rcv_space(&f), 30408, "the measure is still taken");
	fx_free(&f);

	synack_profile_linux(&p);
	p.moderate_rcvbuf = false;
	ts0 = setup(&f, &p, 5);
	one_rtt_of_reads(&f, ts0, 65536);
	is_int(rcvbuf(&f), 131072, "tcp_moderate_rcvbuf=0: fixed");
	fx_free(&f);

	synack_profile_rfc(&p);
	p.timestamps = true;
	ts0 = setup(&f, &p, 6);
	one_rtt_of_reads(&f, ts0, 65536);
	is_int(rcvbuf(&f), (int)p.rmem[1], "rfc profile: no autotuning");
	fx_free(&f);
	subtest_end();
}

static void out_of_order(void)
{
	struct fx f;
	struct synack_profile p;
	subtest("held data grows the buffer: 2 * space + up to the highest byte held");
	synack_profile_linux(&p);
	p.rmem[1] = 16384;
	fx_init(&f, &p, 7);
	f.p_ts = false;
	fx_established(&f);
	is_uint(rcv_space(&f), 6732, "tcpi_rcv_space");
	fx_send(&f, F_A, 1460, 0, z, 1460);
	fx_drain(&f);
	is_int(rcvbuf(&f), 25890, "(2 * 6732 + 2920) * 256 / 162");
	fx_send(&f, F_A, 4380, 0, z, 1460);
	fx_drain(&f);
	is_int(rcvbuf(&f), 30505, "(2 * 6732 + 5840) * 256 / 162");
	fx_free(&f);
	subtest_end();

	subtest("not for a connection still in the accept queue");
	fx_init(&f, &p, 8);
	f.p_ts = false;
	fx_syn_recv(&f);
	fx_send(&f, F_A, 0, 0, NULL, 0);
	fx_send(&f, F_A, 1460, 0, z, 1460);
	fx_drain(&f);
	f.fd = synack_accept(f.st, f.lfd, NULL, NULL);
	is_int(rcvbuf(&f), 16384, "unchanged");
	fx_free(&f);
	subtest_end();
}

int main(void)
{
	drs();
	cached_clock();
	limits();
	out_of_order();
	done_testing();
}
