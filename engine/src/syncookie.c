/* SYN cookies (RFC 4987 §3.6), laid out as Linux's syncookies.c does:
 *
 *   ISN = H(k, tuple, 0) + SEG.SEQ + (count << 24)
 *         + ((H(k, tuple, count) + mss_index) mod 2^24)
 *
 * count is the minute (Linux: tcp_cookie_time), a cookie is good for two
 * minutes (MAX_SYNCOOKIE_AGE). The MSS index points into Linux's tables.
 * With timestamps, the TSval's low 6 bits carry wscale, SACK and ECN
 * (Linux: cookie_init_timestamp); without them those options are lost.
 */
#include "internal.h"

#define COOKIEBITS 24
#define COOKIEMASK ((1u << COOKIEBITS) - 1)
#define MAX_AGE    2
#define TSBITS     6
#define TS_WS_MASK 0xfu
#define TS_SACK    (1u << 4)
#define TS_ECN     (1u << 5)

static const uint16_t msstab4[] = { 536, 1300, 1440, 1460 };
static const uint16_t msstab6[] = { 1220, 1420, 1440, 8940 };

static uint32_t cookie_count(const struct synack_stack *st)
{
	return (uint32_t)(st->now_us / 60000000u);
}

/* The segment's tuple from the listener's side (local = dst). */
static uint32_t chash(struct synack_stack *st, const struct synack_segment *s, uint32_t count,
                      uint32_t c)
{
	return sa_tuple_hash(st->k_cookie, &s->dst, s->dport, &s->src, s->sport, count * 2u + c);
}

uint32_t sa_cookie_make(struct synack_stack *st, const struct synack_segment *syn,
                        uint16_t *mss_out)
{
	const uint16_t *tab = syn->dst.family == 6 ? msstab6 : msstab4;
	uint16_t mss =
	    (syn->opt.has_mss && syn->opt.mss) ? syn->opt.mss : sa_default_mss(st, syn->dst.family);
	uint32_t idx = 3;
	/* Linux: the largest table entry not above the peer's MSS. */
	while (idx > 0 && tab[idx] > mss)
		idx--;
	*mss_out = tab[idx];
	uint32_t count = cookie_count(st);
	return chash(st, syn, 0, 0) + syn->seq + (count << COOKIEBITS) +
	       ((chash(st, syn, count, 1) + idx) & COOKIEMASK);
}

/* Linux: cookie_init_timestamp — the ms clock with its low 6 bits replaced
 * by the options, never ahead of the clock. The caller adds the offset. */
uint32_t sa_cookie_ts(struct synack_stack *st, const struct synack_segment *syn)
{
	const struct synack_profile *p = &st->prof;
	uint32_t now = sa_now_ms(st);
	uint32_t opts =
	    (p->window_scaling && syn->opt.has_wscale) ? SA_MIN(syn->opt.wscale, 14) : TS_WS_MASK;
	if (p->sack && syn->opt.sack_permitted)
		opts |= TS_SACK;
	if (sa_ecn_syn_ok(st, syn)) /* Linux: ireq->ecn_ok → TS_OPT_ECN */
		opts |= TS_ECN;
	uint32_t ts = ((now >> TSBITS) << TSBITS) | opts;
	if (ts > now)
		ts -= 1u << TSBITS;
	return ts;
}

/* Linux: cookie_timestamp_decode (tsecr already has the offset removed). */
void sa_cookie_ts_decode(uint32_t tsecr, bool *ws_ok, uint8_t *wscale, bool *sack_ok, bool *ecn_ok)
{
	uint32_t o = tsecr & ((1u << TSBITS) - 1);
	*sack_ok = (o & TS_SACK) != 0;
	*ecn_ok = (o & TS_ECN) != 0;
	if ((o & TS_WS_MASK) == TS_WS_MASK) {
		*ws_ok = false;
		*wscale = 0;
	} else {
		*ws_ok = true;
		*wscale = (uint8_t)(o & TS_WS_MASK);
	}
}

/* Linux: __cookie_v4_check — the MSS the cookie encodes, or 0. */
uint16_t sa_cookie_check(struct synack_stack *st, const struct synack_segment *ack)
{
	const uint16_t *tab = ack->dst.family == 6 ? msstab6 : msstab4;
	uint32_t cookie = ack->ack - 1;
	uint32_t sseq = ack->seq - 1;
	uint32_t count = cookie_count(st);
	cookie -= chash(st, ack, 0, 0) + sseq;
	uint32_t diff = (count - (cookie >> COOKIEBITS)) & (0xffffffffu >> COOKIEBITS);
	if (diff >= MAX_AGE)
		return 0;
	uint32_t idx = (cookie - chash(st, ack, count - diff, 1)) & COOKIEMASK;
	if (idx >= 4)
		return 0;
	return tab[idx];
}
