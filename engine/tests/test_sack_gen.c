/* SACK generation (RFC 2018 §3-4) and D-SACK (RFC 2883 §4), as Linux
 * builds them (tcp_sack_new_ofo_skb, tcp_sack_remove, tcp_dsack_set). */
#include <string.h>

#include "fixtures.h"
#include "tap.h"

static void data(struct fx *f, uint32_t base, uint32_t off, uint32_t n)
{
	static const uint8_t z[1500];
	struct synack_segment s;
	fx_mkseg(f, &s, F_A, (int32_t)(base + off - f->p_seq), 0, z, n);
	fx_inject(f, &s);
}

/* Pops the ACK and checks its blocks (relative to base). The fourth and
 * later ACKs for one RCV.NXT are compressed (delack.c): with no receiver
 * RTT estimate the timer is due after its 100 us of slack. */
static bool blocks(struct fx *f, uint32_t base, int n, const uint32_t *lr)
{
	struct synack_segment s;
	if (!fx_pending(f))
		fx_advance(f, 100);
	if (!fx_pop(f, &s))
		return fail("no ACK");
	bool good = is_int(s.opt.n_sack, n, "%d blocks", n);
	for (int i = 0; good && i < n; i++) {
		good = is_uint(s.opt.sack[i].left - base, lr[2 * i], "block %d left", i) &&
		       is_uint(s.opt.sack[i].right - base, lr[2 * i + 1], "block %d right", i);
	}
	return good;
}

static void order_and_limit(bool ts)
{
	struct fx f;
	subtest("most recent first, at most %d blocks (%s timestamps)", ts ? 3 : 4,
	        ts ? "with" : "without");
	fx_init(&f, NULL, ts ? 1 : 2);
	f.p_ts = ts;
	fx_established(&f);
	uint32_t b = f.p_seq;
	data(&f, b, 1000, 100);
	blocks(&f, b, 1, (uint32_t[]){ 1000, 1100 });
	data(&f, b, 2000, 100);
	blocks(&f, b, 2, (uint32_t[]){ 2000, 2100, 1000, 1100 });
	data(&f, b, 3000, 100);
	blocks(&f, b, 3, (uint32_t[]){ 3000, 3100, 2000, 2100, 1000, 1100 });
	data(&f, b, 4000, 100);
	if (ts)
		blocks(&f, b, 3, (uint32_t[]){ 4000, 4100, 3000, 3100, 2000, 2100 });
	else
		blocks(&f, b, 4, (uint32_t[]){ 4000, 4100, 3000, 3100, 2000, 2100, 1000, 1100 });
	/* Extending an older block moves it to the front. */
	data(&f, b, 2100, 100);
	if (ts)
		blocks(&f, b, 3, (uint32_t[]){ 2000, 2200, 4000, 4100, 3000, 3100 });
	else
		blocks(&f, b, 4, (uint32_t[]){ 2000, 2200, 4000, 4100, 3000, 3100, 1000, 1100 });
	/* A segment bridging two blocks merges them. */
	data(&f, b, 2200, 800);
	if (ts)
		blocks(&f, b, 3, (uint32_t[]){ 2000, 3100, 4000, 4100, 1000, 1100 });
	else
		blocks(&f, b, 3, (uint32_t[]){ 2000, 3100, 4000, 4100, 1000, 1100 });
	/* RCV.NXT passing blocks drops them. */
	data(&f, b, 0, 1000);
	blocks(&f, b, 2, (uint32_t[]){ 2000, 3100, 4000, 4100 });
	data(&f, b, 1100, 900);
	blocks(&f, b, 1, (uint32_t[]){ 4000, 4100 });
	data(&f, b, 3100, 900);
	blocks(&f, b, 0, NULL);
	fx_free(&f);
	subtest_end();
}

static void dsack(void)
{
	struct fx f;
	subtest("D-SACK first and once; off with tcp_dsack=0 or without SACK");
	fx_init(&f, NULL, 3);
	fx_established(&f);
	uint32_t b = f.p_seq;
	data(&f, b, 0, 500);
	blocks(&f, b, 0, NULL);
	data(&f, b, 0, 500);
	blocks(&f, b, 1, (uint32_t[]){ 0, 500 });
	data(&f, b, 1000, 100);
	blocks(&f, b, 1, (uint32_t[]){ 1000, 1100 });
	data(&f, b, 1000, 100);
	blocks(&f, b, 2, (uint32_t[]){ 1000, 1100, 1000, 1100 });
	fx_free(&f);

	struct synack_profile p;
	synack_profile_linux(&p);
	p.dsack = false;
	fx_init(&f, &p, 4);
	fx_established(&f);
	b = f.p_seq;
	data(&f, b, 0, 500);
	fx_drain(&f);
	data(&f, b, 0, 500);
	blocks(&f, b, 0, NULL);
	fx_free(&f);

	fx_init(&f, NULL, 5);
	f.p_sack = false;
	fx_established(&f);
	b = f.p_seq;
	data(&f, b, 1000, 500);
	blocks(&f, b, 0, NULL);
	data(&f, b, 1000, 500);
	blocks(&f, b, 0, NULL);
	fx_free(&f);
	subtest_end();
}

int main(void)
{
	order_and_limit(true);
	order_and_limit(false);
	dsack();
	done_testing();
}
