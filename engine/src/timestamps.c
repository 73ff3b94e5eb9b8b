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

/* RFC 7323 §5.3 leaves room for what Linux does with a segment PAWS
 * refused in a synchronized state (tcp_disordered_ack_check): a duplicate
 * ACK at RCV.NXT that changes no window and is older by less than the
 * replay window (1.2 x the backed-off RTO in TSval ticks: some peers' clocks
 * run at 1200 Hz, tcp_tsval_replay) is only reordered, and is processed —
 * dropping it would lose its SACK information. An older pure ACK (before
 * RCV.NXT) is dropped without the duplicate ACK others get (Linux 6.15+,
 * SKB_DROP_REASON_TCP_RFC7323_PAWS_ACK). */
enum sa_paws_verdict sa_paws_disordered(const struct tcb *t, const struct synack_segment *seg)
{
	uint32_t end = seg->seq + sa_seg_len(seg);
	if (!(seg->flags & SYNACK_TH_ACK) || seg->seq != end)
		return SA_PAWS_DROP_DUPACK;
	if (seg->seq != t->rcv_nxt)
		return synack_seq_lt(seg->seq, t->rcv_nxt) ? SA_PAWS_DROP_SILENT
		                                           : SA_PAWS_DROP_DUPACK;
	if (seg->ack != t->snd_una)
		return SA_PAWS_DROP_DUPACK;
	if (sa_may_update_window(t, seg->ack, seg->seq, (uint32_t)seg->window << t->snd_wscale))
		return SA_PAWS_DROP_DUPACK;
	uint64_t replay = sa_rto_backed_off(t) / 1000u * 12u / 10u; /* rto.c: icsk_rto */
	if ((int32_t)(t->ts_recent - seg->opt.ts_val) > (int64_t)replay)
		return SA_PAWS_DROP_DUPACK;
	return SA_PAWS_ACCEPT;
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
