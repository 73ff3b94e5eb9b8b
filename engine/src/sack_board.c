/* The SACK scoreboard: which sent segments the peer holds (RFC 2018 §3),
 * D-SACK reception (RFC 2883 §4), and RFC 6675's IsLost() as Linux computes
 * it without RACK (tcp_update_scoreboard / tcp_mark_head_lost, DupThresh =
 * tcp_reordering). The scoreboard is the sent-segment queue (rtx.c): a
 * segment is SACKed when a block covers it wholly (Linux: tcp_sacktag_one;
 * segments are never split here, a partly covered one stays a hole).
 */
#include "internal.h"

/* RFC 2883 §4 / Linux tcp_check_dsack: the first block is a D-SACK if it
 * lies below the cumulative ACK or inside the second block. */
static bool is_dsack(const struct synack_segment *seg, uint32_t prior_una)
{
	const struct synack_sack_block *b = seg->opt.sack;
	if (!seg->opt.n_sack)
		return false;
	if (synack_seq_lt(b[0].left, seg->ack) || synack_seq_lt(b[0].left, prior_una))
		return true;
	return seg->opt.n_sack > 1 && synack_seq_geq(b[0].left, b[1].left) &&
	       synack_seq_leq(b[0].right, b[1].right);
}

/* Linux: tcp_dsack_seen — a D-SACK within the window and for no more
 * duplicates than were retransmitted may have been RACK's spurious
 * retransmission after reordering (RFC 8985 §6.2 step 4): reo_wnd widens
 * at the next ACK (sa_rack_update_reo_wnd) — not for a loss probe's, which
 * a timer sent, nor before any reordering was seen. */
static void dsack_seen(struct tcb *t, uint32_t l, uint32_t r)
{
	uint32_t len = r - l, mss = t->snd_mss ? t->snd_mss : 536;
	if (!synack_seq_gt(r, l) || len > t->max_snd_wnd)
		return;
	uint32_t dups = len > mss ? (len + mss - 1) / mss : 1;
	bool tlp = len <= mss && t->tlp_out && t->tlp_high_seq == r;
	t->dsack_dups += dups;
	if (t->dsack_dups > t->total_retrans)
		return;
	if (t->reord_seen && !tlp)
		t->rack_dsack_seen = true;
}

/* Linux: tcp_sacktag_one's first_sackt / last_sackt — the send times of
 * the lowest and highest segments this ACK newly SACKs that were never
 * retransmitted (RFC 6298 §3, Karn: only those time a round trip). Read
 * before the cumulative part is cleaned, as Linux tags before
 * tcp_clean_rtx_queue (a block is judged against SND.UNA before the ACK). */
bool sa_sack_rtt_times(const struct tcb *t, const struct synack_segment *seg, uint64_t *first,
                       uint64_t *last)
{
	if (!t->sack_ok || !seg->opt.n_sack || !t->txq_len)
		return false;
	bool dsack = is_dsack(seg, t->snd_una), any = false;
	uint32_t lo = 0, hi = 0;
	for (uint32_t k = dsack ? 1 : 0; k < seg->opt.n_sack && k < SYNACK_MAX_SACK_BLOCKS; k++) {
		uint32_t l = seg->opt.sack[k].left, r = seg->opt.sack[k].right;
		if (!synack_seq_gt(r, l) || synack_seq_gt(r, t->snd_nxt) ||
		    synack_seq_leq(r, t->snd_una))
			continue;
		for (uint32_t i = 0; i < t->txq_len; i++) {
			const struct sa_txseg *s = sa_txq_at(t, i);
			if (synack_seq_geq(s->seq, r))
				break;
			if ((s->flags & (SA_TX_SACKED | SA_TX_EVER_RETRANS)) ||
			    synack_seq_lt(s->seq, l) || synack_seq_gt(s->end, r))
				continue;
			if (!any || synack_seq_lt(s->seq, lo)) {
				lo = s->seq;
				*first = s->xmit_us;
			}
			if (!any || synack_seq_gt(s->seq, hi)) {
				hi = s->seq;
				*last = s->xmit_us;
			}
			any = true;
		}
	}
	return any;
}

uint32_t sa_sack_tag(struct tcb *t, const struct synack_segment *seg, uint32_t prior_una,
                     struct sa_ack *a)
{
	if (!t->sack_ok || !seg->opt.n_sack)
		return 0;
	uint32_t newly = 0;
	bool dsack = is_dsack(seg, prior_una);
	/* Linux: tcp_highest_sack_seq before this ACK (SND.UNA if none). */
	uint32_t prior_fack = t->sacked_out ? t->fack : t->snd_una;
	/* The cumulative ACK has already emptied the queue (Linux tags
	 * before tcp_clean_rtx_queue): only a D-SACK is left to count. */
	uint32_t nblocks = t->txq_len ? seg->opt.n_sack : (dsack ? 1u : 0u);
	for (uint32_t k = 0; k < nblocks && k < SYNACK_MAX_SACK_BLOCKS; k++) {
		uint32_t l = seg->opt.sack[k].left, r = seg->opt.sack[k].right;
		if (!synack_seq_gt(r, l))
			continue;
		if (k == 0 && dsack) {
			dsack_seen(t, l, r);
			/* RFC 2883: a duplicate arrived. If it was one of our
			 * retransmissions, one fewer is unaccounted for
			 * (Linux: undo_retrans, tcp_sacktag_one dup_sack). */
			if (t->undo_marker && t->undo_retrans > 0 &&
			    synack_seq_gt(r, t->undo_marker))
				t->undo_retrans--;
			continue;
		}
		/* RFC 2018 §5: a block beyond SND.NXT is invalid; ignore. */
		if (synack_seq_gt(r, t->snd_nxt) || synack_seq_leq(r, t->snd_una))
			continue;
		for (uint32_t i = 0; i < t->txq_len; i++) {
			struct sa_txseg *s = sa_txq_at(t, i);
			if (synack_seq_geq(s->seq, r))
				break;
			if ((s->flags & SA_TX_SACKED) || synack_seq_lt(s->seq, l) ||
			    synack_seq_gt(s->end, r))
				continue;
			/* Linux: tcp_sacktag_one — a never-retransmitted
			 * segment sent before high_seq (FLAG_ORIG_SACK_ACKED). */
			if (!(s->flags & SA_TX_EVER_RETRANS) && synack_seq_leq(s->end, t->high_seq))
				a->orig_acked = true;
			if (s->flags & SA_TX_LOST) {
				s->flags &= (uint8_t)~SA_TX_LOST;
				t->lost_out--;
			}
			if (s->flags & SA_TX_RETRANS) {
				s->flags &= (uint8_t)~SA_TX_RETRANS;
				t->retrans_out--;
			}
			s->flags |= SA_TX_SACKED;
			t->sacked_out++;
			/* Linux: tcp_match_skb_to_sack fragments an skb at the
			 * block's edges (tso.c: what is resent together). */
			sa_txq_unjoin(t, i);
			if (i)
				sa_txq_unjoin(t, i - 1);
			newly++;
			sa_rack_delivered(t, s, prior_fack, a); /* rack.c */
			if (t->sacked_out == 1 || synack_seq_gt(s->end, t->fack))
				t->fack = s->end;
		}
	}
	/* Linux: tcp_sacktag_write_queue — a D-SACK counts one segment
	 * delivered ("a spurious retransmission is delivered"), which
	 * congestion control and PRR then see. */
	a->newly_sacked += newly;
	return newly + (dsack ? 1u : 0u);
}

uint32_t sa_sack_update_scoreboard(struct tcb *t, bool fast_rexmit)
{
	int64_t packets = (int64_t)t->sacked_out - t->reordering;
	bool mark_head = false;
	uint32_t newly = 0;
	if (packets < 0) {
		if (!fast_rexmit)
			return 0;
		packets = 1;
		mark_head = true;
	}
	int64_t cnt = 0;
	for (uint32_t i = 0; i < t->txq_len; i++) {
		struct sa_txseg *s = sa_txq_at(t, i);
		if (synack_seq_gt(s->end, t->snd_nxt))
			break;
		if (s->flags & SA_TX_SACKED)
			cnt++;
		if (cnt > packets)
			break;
		if (!(s->flags & (SA_TX_LOST | SA_TX_SACKED))) {
			s->flags |= SA_TX_LOST;
			t->lost_out++;
			newly++;
		}
		if (mark_head)
			break;
	}
	return newly;
}
