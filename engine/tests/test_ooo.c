/* The out-of-order queue (RFC 9293 §3.10.7.4; Linux tcp_data_queue_ofo,
 * tcp_ofo_queue): reassembly, overlaps, FIN, sequence wrap, the memory
 * bound, purge on close. */
#include <errno.h>
#include <string.h>

#include "fixtures.h"
#include "tap.h"

static uint8_t buf[8192];

static void pattern(uint8_t *p, uint32_t off, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		p[i] = (uint8_t)((off + i) * 7 + 3);
}

/* Peer sends [off, off+n) of its byte stream (relative to RCV.NXT at start). */
static void seg(struct fx *f, uint32_t base, uint32_t off, uint32_t n, uint8_t flags)
{
	uint8_t d[1500];
	if (n > sizeof(d))
		n = sizeof(d);
	pattern(d, off, n);
	struct synack_segment s;
	fx_mkseg(f, &s, flags, (int32_t)(base + off - f->p_seq), 0, d, n);
	fx_inject(f, &s);
}

static bool stream_ok(struct fx *f, uint32_t n)
{
	uint8_t want[8192];
	pattern(want, 0, n);
	ssize_t got = synack_recv(f->st, f->fd, buf, sizeof(buf), 0);
	return got == (ssize_t)n && !memcmp(buf, want, n);
}

static void reassembly(void)
{
	struct fx f;
	subtest("reordered, overlapping segments reassemble exactly");
	fx_init(&f, NULL, 1);
	fx_established(&f);
	uint32_t base = f.p_seq;
	seg(&f, base, 2400, 1000, F_A);
	seg(&f, base, 1000, 1000, F_A);
	seg(&f, base, 1500, 1400, F_A); /* overlaps both held runs */
	seg(&f, base, 3000, 1500, F_A);
	fx_drain(&f);
	char b[4];
	is_int(synack_recv(f.st, f.fd, b, 4, MSG_DONTWAIT), -EAGAIN, "nothing in order yet");
	seg(&f, base, 0, 1200, F_A);
	struct synack_segment s;
	ok(expect_seg_out(&f, F_A, 1, 4501, 0, FX_ANY, &s), "one ACK for everything");
	is_int(s.opt.n_sack, 1, "only the D-SACK of the overlap");
	ok(stream_ok(&f, 4500), "4500 bytes in order, right contents");
	char why[200];
	is_int(synack_check_invariants(f.st, why, sizeof(why)), 0, "invariants");
	fx_free(&f);
	subtest_end();
}

static void fin_held(void)
{
	struct fx f;
	subtest("a FIN held out of order takes effect when the hole fills");
	fx_init(&f, NULL, 2);
	fx_established(&f);
	uint32_t base = f.p_seq;
	seg(&f, base, 500, 500, F_FA);
	fx_drain(&f);
	is_int(fx_state(&f, f.fd), 1, "still ESTABLISHED");
	seg(&f, base, 0, 500, F_A);
	expect_seg(&f, F_A, 1, 1002, 0, FX_ANY);
	is_int(fx_state(&f, f.fd), 8, "CLOSE_WAIT");
	ok(stream_ok(&f, 1000), "data before the FIN");
	fx_free(&f);
	subtest_end();
}

static void wrap(void)
{
	struct fx f;
	subtest("holes across the 2^32 sequence wrap");
	fx_init(&f, NULL, 3);
	f.irs = 0xffffffffu - 700; /* the peer's ISN: data wraps after 700 bytes */
	fx_established(&f);
	uint32_t base = f.p_seq;
	seg(&f, base, 1000, 500, F_A);
	struct synack_segment s;
	expect_seg_out(&f, F_A, 1, 1, 0, FX_ANY, &s);
	is_int(s.opt.n_sack, 1, "one SACK block");
	is_hex(s.opt.sack[0].left, base + 1000, "left edge past the wrap");
	seg(&f, base, 0, 1000, F_A);
	expect_seg(&f, F_A, 1, 1501, 0, FX_ANY);
	ok(stream_ok(&f, 1500), "in order across the wrap");
	fx_free(&f);
	subtest_end();
}

static void bounded(void)
{
	struct fx f;
	struct synack_profile p;
	synack_profile_linux(&p);
	p.rmem[1] = 8192; /* a small receive buffer */
	subtest("held data never exceeds the receive buffer; freed on close");
	fx_init(&f, &p, 4);
	fx_established(&f);
	uint32_t base = f.p_seq;
	uint64_t before = f.live_bytes;
	for (uint32_t off = 1000; off < 60000; off += 1000)
		seg(&f, base, off, 1000, F_A);
	fx_drain(&f);
	ok(f.live_bytes - before <= 8192, "held %llu bytes <= 8192",
	   (unsigned long long)(f.live_bytes - before));
	char why[200];
	is_int(synack_check_invariants(f.st, why, sizeof(why)), 0, "invariants");
	synack_close(f.st, f.fd);
	fx_drain(&f);
	fx_free(&f);
	is_uint(f.live_bytes, 0, "everything freed");
	subtest_end();
}

/* rmem.c, ooo.c: Linux's tcp_prune_queue on held data. */
static void memory_pressure(void)
{
	struct fx f;
	struct synack_profile p;
	char why[200];
	synack_profile_linux(&p);
	p.rmem[0] = p.rmem[1] = p.rmem[2] = 8192;
	subtest(
	    "memory pressure: held runs collapsed (a held FIN and data past it too), then pruned");
	fx_init(&f, &p, 5);
	fx_established(&f);
	uint32_t base = f.p_seq;
	/* 100-byte segments cost 1280 each: the seventh finds the buffer full. */
	for (uint32_t off = 100; off < 700; off += 100)
		seg(&f, base, off, 100, F_A);
	seg(&f, base, 700, 100, F_FA);
	seg(&f, base, 801, 100, F_A); /* past the FIN: kept, as Linux keeps it */
	for (uint32_t off = 901; off < 2001; off += 100)
		seg(&f, base, off, 100, F_A);
	fx_drain(&f);
	is_int(synack_check_invariants(f.st, why, sizeof(why)), 0, "invariants (%s)", why);
	ok(synack_stats(f.st)->ofo_queued >= 8, "collapsing made room: %llu held segments taken",
	   (unsigned long long)synack_stats(f.st)->ofo_queued);
	seg(&f, base, 0, 100, F_A);
	fx_drain(&f);
	ok(stream_ok(&f, 800), "the 800 bytes before the FIN, in order, right contents");
	is_int(synack_check_invariants(f.st, why, sizeof(why)), 0, "invariants (%s)", why);
	fx_free(&f);

	fx_init(&f, &p, 7);
	fx_established(&f);
	base = f.p_seq;
	seg(&f, base, 100, 100, F_FA); /* a range that starts with a held FIN */
	for (uint32_t off = 201; off < 1501; off += 100)
		seg(&f, base, off, 100, F_A);
	fx_drain(&f);
	is_int(synack_check_invariants(f.st, why, sizeof(why)), 0,
	       "collapsing after a held FIN: invariants (%s)", why);
	seg(&f, base, 0, 100, F_A);
	fx_drain(&f);
	ok(stream_ok(&f, 200), "the 200 bytes before the FIN");
	fx_free(&f);

	fx_init(&f, &p, 6);
	fx_established(&f);
	base = f.p_seq;
	for (uint32_t off = 100; off < 4000; off += 200) /* gaps: nothing to collapse */
		seg(&f, base, off, 10, F_A);
	fx_drain(&f);
	uint64_t dropped = synack_stats(f.st)->ofo_drops;
	ok(dropped > 0, "held segments beyond the buffer dropped (%llu)",
	   (unsigned long long)dropped);
	seg(&f, base, 0, 10, F_A); /* in order: the top of the held data goes */
	struct synack_segment s;
	ok(expect_seg_out(&f, F_A, 1, 11, 0, FX_ANY, &s), "the hole's first byte ACKed");
	is_int(s.opt.n_sack, 0, "pruned: the SACK blocks were reset");
	is_int(synack_check_invariants(f.st, why, sizeof(why)), 0, "invariants (%s)", why);
	fx_free(&f);
	subtest_end();
}

int main(void)
{
	reassembly();
	fin_held();
	wrap();
	bounded();
	memory_pressure();
	done_testing();
}
