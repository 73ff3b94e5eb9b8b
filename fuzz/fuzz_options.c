/* Fuzz target: TCP option and segment parsing/building.
 *
 * Oracles:
 * - parsing never reads outside the input (the input is an exact-size heap
 *   buffer under ASan) and always terminates;
 * - parse(build(x)) == x: options decoded from fuzz bytes, rebuilt in Linux's
 *   layout, decode to the same values (for the options that layout carries);
 * - a whole segment parsed without checksum verification, rebuilt, parses
 *   again (with verification: the builder computes checksums) to the same
 *   header fields and payload.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"
#include "synack/segment.h"

static void check(int cond)
{
	if (!cond)
		abort(); /* libFuzzer/AFL++ report it with the input that caused it */
}

static void same_options(const struct synack_tcp_options *a, const struct synack_tcp_options *b,
                         int syn)
{
	check(a->has_ts == b->has_ts);
	if (a->has_ts)
		check(a->ts_val == b->ts_val && a->ts_ecr == b->ts_ecr);
	if (syn) {
		check(a->has_mss == b->has_mss && (!a->has_mss || a->mss == b->mss));
		check(a->has_wscale == b->has_wscale && (!a->has_wscale || a->wscale == b->wscale));
		check(a->sack_permitted == b->sack_permitted);
	} else {
		check(a->n_sack == b->n_sack);
		for (unsigned i = 0; i < a->n_sack; i++)
			check(a->sack[i].left == b->sack[i].left &&
			      a->sack[i].right == b->sack[i].right);
	}
}

static void options_round_trip(const uint8_t *p, size_t n)
{
	struct synack_tcp_options opt, again;
	uint8_t buf[40];
	if (synack_opts_parse(p, n, &opt) != SYNACK_SEG_OK)
		return;
	check(opt.n_raw <= SYNACK_MAX_OPTIONS && opt.n_sack <= SYNACK_MAX_SACK_BLOCKS);
	for (unsigned i = 0; i < opt.n_raw; i++)
		check(opt.raw[i].offset >= 20 &&
		      (size_t)opt.raw[i].offset - 20 + opt.raw[i].len <= n);
	for (int syn = 0; syn <= 1; syn++) {
		struct synack_tcp_options want = opt;
		if (syn)
			want.n_sack = 0; /* SYNs carry no SACK blocks */
		else
			want.has_mss = want.has_wscale = want.sack_permitted = false;
		/* SACK blocks that do not fit beside TS are dropped by the builder,
		 * as Linux does; only compare what fits. */
		if (want.has_ts && want.n_sack > 3)
			want.n_sack = 3;
		int len = synack_opts_build(&want, syn, buf, sizeof buf);
		if (len < 0)
			continue;
		check(len % 4 == 0 && len <= 40);
		check(synack_opts_parse(buf, (size_t)len, &again) == SYNACK_SEG_OK);
		same_options(&want, &again, syn);
	}
}

static void segment_round_trip(const uint8_t *p, size_t n)
{
	struct synack_segment seg, again;
	static uint8_t buf[65536 + 120];
	if (synack_seg_parse(p, n, false, &seg) != SYNACK_SEG_OK)
		return;
	check(seg.payload_len <= n && (seg.payload_len == 0 || seg.payload >= p));
	check(seg.payload_len == 0 || seg.payload + seg.payload_len <= p + n);
	seg.options_raw = NULL; /* rebuild from the decoded options */
	seg.options_len = 0;
	size_t len = synack_seg_build(&seg, buf, sizeof buf);
	if (len == 0)
		return; /* e.g. options that Linux's layout cannot hold */
	check(synack_seg_parse(buf, len, true, &again) == SYNACK_SEG_OK);
	check(again.sport == seg.sport && again.dport == seg.dport);
	check(again.seq == seg.seq && again.ack == seg.ack && again.flags == seg.flags);
	check(again.window == seg.window && again.urg_ptr == seg.urg_ptr);
	check(again.payload_len == seg.payload_len);
	check(memcmp(again.payload, seg.payload, seg.payload_len) == 0);
	check(memcmp(&again.src, &seg.src, sizeof seg.src) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = fi_init(data, size);
	uint8_t mode = fi_u8(&in);
	size_t n;
	const uint8_t *rest = fi_take(&in, in.left, &n);
	if (mode & 1)
		segment_round_trip(rest, n);
	else
		options_round_trip(rest, n > 40 ? 40 : n);
	return 0;
}
