/* Linux's header prediction (tcp_rcv_established's fast path, after Van
 * Jacobson's "30 instruction TCP receive"), modelled for what it changes.
 *
 * The fast path is an optimisation, invisible but for one shortcut: an
 * in-order data segment whose ACK field does not move SND.UNA is queued
 * without tcp_ack running at all (only snd_wl1 follows it, tcp_update_wl).
 * So it neither clears the probe count (icsk_probes_out) nor restarts the
 * zero-window persist timer (tcp_ack_probe), nor takes the recovery
 * machinery's look at the ACK. The slow path does all three (RFC 9293
 * §3.10.7.4 treats every acceptable ACK alike). Whether a segment takes the
 * fast path depends on state Linux keeps for the purpose:
 *
 * - tp->pred_flags: the header word expected (header length, the ACK flag
 *   alone, PSH ignored, the peer's window field as last seen), or 0 when
 *   prediction is off. On when the connection is established (a passive
 *   open always; an active one only without window scaling,
 *   tcp_finish_connect), re-checked when the peer's window changes
 *   (tcp_ack_update_window) and after in-order data is queued
 *   (tcp_data_queue), off while data is held out of order, urgent data is
 *   pending or we advertise a zero window (tcp_select_window). The check
 *   (tcp_fast_path_check) also wants receive memory below the buffer.
 * - sk_forward_alloc: memory reserved in page quanta and not yet charged.
 *   Data on the fast path may only use what is reserved (a segment whose
 *   skb truesize exceeds it takes the slow path, which reserves more).
 *   Reservations round charges up to a page and every uncharge gives back
 *   all whole pages, so it always is what the charges leave of their last
 *   page: -(sk_wmem_queued + sk_rmem_alloc) mod 4096.
 *
 * Only the Linux profile predicts (profile header_prediction, which needs
 * the skb accounting of snd_truesize and rcv_truesize).
 */
#include "internal.h"

#define HP_PAGE 4096u /* PAGE_SIZE on x86-64 */

static bool predicting(const struct tcb *t)
{
	const struct synack_profile *p = &t->st->prof;
	return p->header_prediction && p->snd_truesize && p->rcv_truesize;
}

/* Linux: __tcp_fast_path_on — the peer's window field as it must recur. */
void sa_hp_on(struct tcb *t, uint16_t wnd_field)
{
	t->hp_on = true;
	t->hp_wnd = wnd_field;
}

void sa_hp_off(struct tcb *t)
{
	t->hp_on = false;
}

/* Linux: tcp_fast_path_check (tcp_fast_path_on: the window as now known). */
void sa_hp_check(struct tcb *t)
{
	if (sa_ooo_empty(t) && t->rcv_wnd && t->rmem_alloc + t->rx.ooo_truesize < t->rcvbuf &&
	    !t->urg_data)
		sa_hp_on(t, (uint16_t)(t->snd_wnd >> t->snd_wscale));
}

/* Linux: sk_forward_alloc (see above). */
uint32_t sa_forward_alloc(const struct tcb *t)
{
	uint32_t charged = sa_wmem_queued(t) + t->rmem_alloc + t->rx.ooo_truesize;
	return (HP_PAGE - charged % HP_PAGE) % HP_PAGE;
}

/* The header length Linux predicts (tp->tcp_header_len), and whether the
 * options are the one layout it parses on the fast path: none, or NOP NOP
 * TS alone when timestamps were negotiated (tcp_parse_aligned_timestamp). */
static bool predicted_options(const struct tcb *t, const struct synack_segment *seg)
{
	if (!t->ts_ok)
		return seg->options_raw
		           ? seg->options_len == 0
		           : !seg->opt.has_ts && !seg->opt.n_sack && !seg->opt.has_mss &&
		                 !seg->opt.has_wscale && !seg->opt.sack_permitted;
	if (!seg->options_raw)
		return seg->opt.has_ts && !seg->opt.n_sack && !seg->opt.has_mss &&
		       !seg->opt.has_wscale && !seg->opt.sack_permitted;
	const uint8_t *o = seg->options_raw;
	return seg->options_len == 12 && o[0] == SYNACK_OPT_NOP && o[1] == SYNACK_OPT_NOP &&
	       o[2] == SYNACK_OPT_TS && o[3] == 10;
}

/* Linux: the fast path's data branch with an ACK that does not move
 * SND.UNA — the segment is queued and tcp_ack is skipped. Called once the
 * segment passed the sequence, RST and SYN checks (which the fast path's
 * own tests imply). */
bool sa_hp_skips_ack(const struct tcb *t, const struct synack_segment *seg, uint32_t rcv_wnd)
{
	if (!predicting(t) || !t->hp_on || t->state != SA_ESTABLISHED || !seg->payload_len)
		return false;
	/* (tcp_flag_word(th) & TCP_HP_BITS) == pred_flags */
	if ((seg->flags & (uint8_t)~SYNACK_TH_PSH) != SYNACK_TH_ACK || seg->window != t->hp_wnd ||
	    !predicted_options(t, seg))
		return false;
	if (seg->seq != t->rcv_nxt || seg->ack != t->snd_una)
		return false;
	/* PAWS passed outright (a failure goes the slow way to be judged). */
	if (t->ts_ok && (int32_t)(seg->opt.ts_val - t->ts_recent) < 0)
		return false;
	/* Past the window: tcp_validate_incoming decides (goto validate). */
	if (synack_seq_gt(seg->seq + (uint32_t)seg->payload_len, t->rcv_nxt + rcv_wnd))
		return false;
	uint32_t hdr = (t->family == 6 ? 40u : 20u) + 20u + (t->ts_ok ? 12u : 0u);
	uint32_t tailroom;
	return sa_skb_truesize(t, (uint32_t)seg->payload_len, hdr, &tailroom) <=
	       sa_forward_alloc(t);
}
