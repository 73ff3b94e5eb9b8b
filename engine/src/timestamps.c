/* Timestamps (RFC 7323 §3-5): TSval, TS.Recent, PAWS. */
#include "internal.h"

uint32_t sa_now_ms(const struct synack_stack *st)
{
	return (uint32_t)(st->now_us / 1000u);
}

/* RFC 7323 §5.4 / RFC 6528-style: a 1 ms clock plus a per-connection offset
 * (Linux: tcp_time_stamp_ts + tp->tsoffset). */
uint32_t sa_tsval(const struct tcb *t)
{
	return sa_now_ms(t->st) + t->ts_offset;
}

/* RFC 7323 §5.3 R1 / Linux tcp_paws_discard: a segment whose TSval is older
 * than TS.Recent is dropped, unless TS.Recent is older than 24 days
 * (§5.5). RSTs are never PAWS-rejected (Linux: tcp_paws_discard excludes
 * them via tcp_disordered_ack / the RST path; RFC 7323 §5.3 notes RSTs are
 * acceptable without a timestamp). */
bool sa_paws_reject(struct tcb *t, const struct synack_segment *seg)
{
	if (!t->ts_ok || !seg->opt.has_ts || (seg->flags & SYNACK_TH_RST))
		return false;
	if ((int32_t)(seg->opt.ts_val - t->ts_recent) >= 0)
		return false;
	/* TCP_PAWS_24DAYS: an idle connection's TS.Recent is no longer valid. */
	if (t->st->now_us - t->ts_recent_stamp_us > 24ull * 86400 * 1000000)
		return false;
	return true;
}

/* RFC 7323 §4.3 (2): TS.Recent takes SEG.TSval when SEG.SEQ <= Last.ACK.sent
 * (Linux: tcp_store_ts_recent when !after(seq, rcv_wup)) and the segment
 * passed PAWS. */
void sa_ts_update_recent(struct tcb *t, const struct synack_segment *seg)
{
	if (!t->ts_ok || !seg->opt.has_ts)
		return;
	if (synack_seq_leq(seg->seq, t->rcv_wup) &&
	    (int32_t)(seg->opt.ts_val - t->ts_recent) >= 0) {
		t->ts_recent = seg->opt.ts_val;
		t->ts_recent_stamp_us = t->st->now_us;
	}
}
