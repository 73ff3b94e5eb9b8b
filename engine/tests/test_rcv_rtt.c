/* The receiver's RTT estimate (rcv_rtt.c; Linux tcp_rcv_rtt_measure,
 * tcp_rcv_rtt_measure_ts, tcp_rcv_rtt_update) and the SACK-compression
 * delay it sets (delack.c; Linux __tcp_ack_snd_check). */
#include "fixtures.h"
#include "tap.h"

static const uint8_t z[1500];

static uint32_t rcv_rtt(struct fx *f)
{
	struct synack_tcp_info ti;
	synack_tcp_info(f->st, f->fd, &ti);
	return ti.rcv_rtt;
}

/* Our TSval now, from one we sent at a known time (RFC 7323 §5.4: a
 * millisecond clock). */
struct ts_clock {
	uint32_t ts;
	uint64_t us;
};

static uint32_t ts_now(const struct fx *f, struct ts_clock c)
{
	return c.ts + (uint32_t)(f->now / 1000 - c.us / 1000);
}

/* A passive open whose handshake takes rtt_us (the stack's SRTT). */
static void established_after(struct fx *f, const struct synack_profile *p, uint64_t seed,
                              uint64_t rtt_us, struct ts_clock *c)
{
	fx_init(f, p, seed);
	fx_syn_recv(f);
	*c = (struct ts_clock){ f->s_tsval, f->now };
	fx_advance(f, rtt_us);
	fx_send(f, F_A, 0, 0, NULL, 0);
	f->fd = synack_accept(f->st, f->lfd, NULL, NULL);
	fx_drain(f);
}

static void read_all(struct fx *f)
{
	uint8_t b[4096];
	while (synack_recv(f->st, f->fd, b, sizeof(b), 0) > 0)
		;
	fx_drain(f);
}

static void from_timestamps(void)
{
	struct fx f;
	struct ts_clock c;
	subtest("timestamps: a full-sized segment with a new TSecr times a round trip");
	established_after(&f, NULL, 1, 0, &c);
	is_uint(rcv_rtt(&f), 0, "no estimate after the handshake");

	fx_advance(&f, 50000);
	fx_send_ecr(&f, 500, c.ts); /* shorter than rcv_mss (536 before any data) */
	is_uint(rcv_rtt(&f), 0, "a segment shorter than rcv_mss gives no sample");
	fx_advance(&f, 50000);
	fx_send_ecr(&f, 1000, c.ts);
	is_uint(rcv_rtt(&f), 0, "nor does a TSecr already seen");

	fx_advance(&f, 50000);
	fx_send_ecr(&f, 1000, c.ts + 100);
	is_uint(rcv_rtt(&f), 50000, "150 ms - 100 ms: 50 ms");

	fx_advance(&f, 10000);
	fx_send_ecr(&f, 0, c.ts + 150);
	fx_advance(&f, 10000);
	fx_send_ecr(&f, 1448, c.ts + 150);
	is_uint(rcv_rtt(&f), 50000, "a pure ACK used up its TSecr");

	fx_advance(&f, 10000);
	fx_send_ecr(&f, 1448, ts_now(&f, c) + 1);
	is_uint(rcv_rtt(&f), 50000, "a TSecr ahead of our clock gives nothing");
	fx_send_ecr(&f, 1448, ts_now(&f, c));
	is_uint(rcv_rtt(&f), 50000, "nor does one of this very millisecond");

	fx_advance(&f, 200000);
	fx_send_ecr(&f, 1448, ts_now(&f, c) - 200);
	is_uint(rcv_rtt(&f), 50000, "a larger sample with data unread is not taken");
	read_all(&f);
	fx_advance(&f, 10000);
	fx_send_ecr(&f, 1448, ts_now(&f, c) - 100);
	is_uint(rcv_rtt(&f), (50000 * 8 - 50000 + 100000) >> 3,
	        "once all is read, 1/8 of a larger one is averaged in");
	fx_advance(&f, 10000);
	fx_send_ecr(&f, 1448, ts_now(&f, c) - 20);
	is_uint(rcv_rtt(&f), 20000, "a smaller one replaces it, data unread or not");
	fx_free(&f);
	subtest_end();

	subtest("timestamps: only in ESTABLISHED (Linux: tcp_rcv_established)");
	established_after(&f, NULL, 3, 0, &c);
	synack_shutdown(f.st, f.fd, SHUT_WR);
	fx_drain(&f);
	fx_advance(&f, 30000);
	fx_send_ecr(&f, 1448, c.ts);
	is_uint(rcv_rtt(&f), 0, "FIN-WAIT: no timestamp sample");
	fx_free(&f);
	subtest_end();
}

static void from_the_window(void)
{
	struct fx f;
	subtest("no timestamps: the time to fill the window offered");
	/* A fixed buffer: autotuning would widen the window being timed. */
	struct synack_profile p;
	synack_profile_linux(&p);
	p.moderate_rcvbuf = false;
	fx_init(&f, &p, 4);
	f.p_ts = false;
	fx_established(&f);
	struct synack_tcp_info ti;
	synack_tcp_info(f.st, f.fd, &ti);
	uint32_t wnd = ti.rcv_wnd;
	ok(wnd > 3000, "a window of %u", wnd);
	fx_advance(&f, 10000);
	fx_send(&f, F_A, 0, 0, z, 1000); /* starts a measurement: RCV.NXT + wnd */
	fx_drain(&f);
	is_uint(rcv_rtt(&f), 0, "the first data starts a measurement");
	fx_advance(&f, 70000);
	bool none = true;
	uint32_t left = wnd;
	for (; left > 1000; left -= 1000) {
		fx_send(&f, F_A, 0, 0, z, 1000);
		read_all(&f);
		none = none && rcv_rtt(&f) == 0;
	}
	ok(none, "no sample before the edge");
	fx_advance(&f, 50000);
	fx_send(&f, F_A, 0, 0, z, left);
	read_all(&f);
	is_uint(rcv_rtt(&f), 120000, "the edge reached 120 ms after the first data");

	/* Measurements go on back to back: one slower is not taken (a
	 * stalled sender says nothing about the path), one faster is. */
	uint32_t n = 4 * wnd / 1000 + 4;
	for (uint32_t i = 0; i < n; i++) {
		fx_advance(&f, 10000);
		fx_send(&f, F_A, 0, 0, z, 1000);
		read_all(&f);
	}
	is_uint(rcv_rtt(&f), 120000, "slower windows are not taken");
	for (uint32_t i = 0; i < n; i++) {
		fx_advance(&f, 100);
		fx_send(&f, F_A, 0, 0, z, 1000);
		read_all(&f);
	}
	uint32_t r = rcv_rtt(&f);
	ok(r > 0 && r < 120000 / 10, "a faster one is: %u us", r);
	fx_free(&f);
	subtest_end();
}

/* Sends n out-of-order segments of len bytes past a one-byte hole; returns
 * how many ACKs came at once. */
static int ooo_burst(struct fx *f, int n, size_t len, uint32_t *off)
{
	int acks = 0;
	for (int i = 0; i < n; i++) {
		fx_send(f, F_A, (int32_t)*off, 0, z, len);
		*off += (uint32_t)len;
		acks += (int)fx_pending(f);
		fx_drain(f);
	}
	return acks;
}

/* A held segment of 536 bytes (rcv_mss before any data) whose TSecr gives
 * the estimate. */
static void held_sample(struct fx *f, uint32_t *off, uint32_t ecr)
{
	struct synack_segment s;
	fx_mkseg(f, &s, F_A, (int32_t)*off, 0, z, 536);
	s.opt.ts_ecr = ecr;
	fx_inject(f, &s);
	*off += 536;
	fx_drain(f);
}

static void comp_sack_delay(void)
{
	struct fx f;
	struct ts_clock c;
	uint32_t off = 1;
	subtest("SACK compression: 100 us of slack with no receiver estimate");
	established_after(&f, NULL, 5, 0, &c);
	is_int(ooo_burst(&f, 4, 100, &off), 3, "three duplicate ACKs at once, the fourth held");
	is_uint(fx_until_next_us(&f), 100, "sent after the hrtimer's slack");
	fx_advance(&f, 100);
	is_uint(fx_pending(&f), 1, "then the ACK");
	fx_free(&f);
	subtest_end();

	subtest("SACK compression: 5%% of the receiver's RTT, plus the slack");
	established_after(&f, NULL, 6, 40000, &c); /* SRTT 40 ms */
	fx_advance(&f, 10000);
	off = 1;
	held_sample(&f, &off, ts_now(&f, c) - 10);
	is_uint(rcv_rtt(&f), 10000, "10 ms from the TSecr");
	is_int(ooo_burst(&f, 3, 100, &off), 2, "two more duplicate ACKs at once");
	is_uint(fx_until_next_us(&f), 500 + 100, "5%% of 10 ms, plus 100 us");
	fx_advance(&f, 599);
	expect_none(&f);
	fx_advance(&f, 1);
	is_uint(fx_pending(&f), 1, "then the ACK");
	fx_free(&f);
	subtest_end();

	subtest("SACK compression: SRTT when smaller; at most tcp_comp_sack_delay_ns");
	struct synack_profile p;
	synack_profile_linux(&p);
	p.comp_sack_delay_ns = 300000;
	p.comp_sack_slack_ns = 0;
	established_after(&f, &p, 7, 4000, &c); /* SRTT 4 ms */
	fx_advance(&f, 50000);
	off = 1;
	held_sample(&f, &off, ts_now(&f, c) - 50);
	is_uint(rcv_rtt(&f), 50000, "a 50 ms receiver estimate");
	ooo_burst(&f, 3, 100, &off);
	is_uint(fx_until_next_us(&f), 200, "5%% of SRTT (4 ms)");
	fx_free(&f);

	established_after(&f, &p, 8, 100000, &c); /* SRTT 100 ms */
	fx_advance(&f, 100000);
	off = 1;
	held_sample(&f, &off, ts_now(&f, c) - 100);
	ooo_burst(&f, 3, 100, &off);
	is_uint(fx_until_next_us(&f), 300, "5 ms capped at tcp_comp_sack_delay_ns");
	fx_free(&f);
	subtest_end();
}

int main(void)
{
	from_timestamps();
	from_the_window();
	comp_sack_delay();
	done_testing();
}
