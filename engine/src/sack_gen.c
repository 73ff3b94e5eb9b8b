/* SACK blocks we send (RFC 2018 §4) and D-SACK (RFC 2883), as Linux builds
 * them (tcp_sack_new_ofo_skb, tcp_sack_extend, tcp_sack_maybe_coalesce,
 * tcp_sack_remove, tcp_dsack_set/extend, tcp_established_options).
 *
 * - The first block is the one holding the most recently received segment;
 *   then the others, most recent first (RFC 2018 §4).
 * - At most 4 blocks are remembered; 3 fit beside the timestamp option,
 *   4 without (40 option bytes).
 * - A D-SACK block (a duplicate received) goes first, once (RFC 2883 §4).
 * - Blocks RCV.NXT has passed are dropped.
 */
#include <string.h>

#include "internal.h"

static bool extend(struct sa_sack_block *b, uint32_t seq, uint32_t end)
{
	/* Linux: tcp_sack_extend — overlapping or adjacent. */
	if (synack_seq_leq(seq, b->end) && synack_seq_leq(b->start, end)) {
		if (synack_seq_lt(seq, b->start))
			b->start = seq;
		if (synack_seq_gt(end, b->end))
			b->end = end;
		return true;
	}
	return false;
}

/* Linux: tcp_sack_maybe_coalesce — blocks the first one now touches merge in. */
static void coalesce(struct sa_rx *rx)
{
	for (int i = 1; i < rx->n_sack;) {
		if (extend(&rx->sack[0], rx->sack[i].start, rx->sack[i].end)) {
			for (int j = i; j + 1 < rx->n_sack; j++)
				rx->sack[j] = rx->sack[j + 1];
			rx->n_sack--;
		} else {
			i++;
		}
	}
}

/* Linux: tcp_sack_new_ofo_skb. */
void sa_sack_on_ooo(struct tcb *t, uint32_t seq, uint32_t end)
{
	struct sa_rx *rx = &t->rx;
	if (!t->sack_ok)
		return;
	for (int i = 0; i < rx->n_sack; i++) {
		if (extend(&rx->sack[i], seq, end)) {
			/* Rotate it to the front (most recent first). */
			struct sa_sack_block b = rx->sack[i];
			for (int j = i; j > 0; j--)
				rx->sack[j] = rx->sack[j - 1];
			rx->sack[0] = b;
			coalesce(rx);
			return;
		}
	}
	if (rx->n_sack >= SA_OOO_MAX_SACK)
		rx->n_sack = SA_OOO_MAX_SACK - 1; /* the oldest is forgotten */
	for (int j = rx->n_sack; j > 0; j--)
		rx->sack[j] = rx->sack[j - 1];
	rx->sack[0].start = seq;
	rx->sack[0].end = end;
	rx->n_sack++;
}

/* Linux: tcp_sack_remove — after RCV.NXT moved. */
void sa_sack_on_advance(struct tcb *t)
{
	struct sa_rx *rx = &t->rx;
	if (!rx->ooo) {
		rx->n_sack = 0;
		return;
	}
	for (int i = 0; i < rx->n_sack;) {
		if (synack_seq_leq(rx->sack[i].start, t->rcv_nxt)) {
			for (int j = i; j + 1 < rx->n_sack; j++)
				rx->sack[j] = rx->sack[j + 1];
			rx->n_sack--;
		} else {
			i++;
		}
	}
}

/* Linux: tcp_dsack_set — RFC 2883 §4: the first block reports the
 * duplicate. Only with SACK and the profile's dsack (tcp_dsack). */
void sa_dsack_set(struct tcb *t, uint32_t seq, uint32_t end)
{
	if (!t->sack_ok || !t->st->prof.dsack || seq == end)
		return;
	t->rx.dsack = true;
	t->rx.dsack_blk.start = seq;
	t->rx.dsack_blk.end = end;
}

/* Linux: tcp_dsack_extend. */
void sa_dsack_extend(struct tcb *t, uint32_t seq, uint32_t end)
{
	if (!t->rx.dsack)
		sa_dsack_set(t, seq, end);
	else
		extend(&t->rx.dsack_blk, seq, end);
}

/* Linux: tcp_established_options + tcp_options_write (D-SACK cleared once
 * written). */
/* The SACK option the next segment carries, in bytes (Linux:
 * tcp_established_options): two NOPs, kind and length, 8 per block. */
uint32_t sa_sack_opt_len(const struct tcb *t)
{
	const struct sa_rx *rx = &t->rx;
	if (!t->sack_ok || (!rx->dsack && !rx->n_sack))
		return 0;
	int max = t->ts_ok ? 3 : 4;
	int n = (rx->dsack ? 1 : 0) + rx->n_sack;
	return 4u + 8u * (uint32_t)(n < max ? n : max);
}

static void fill(struct tcb *t, struct synack_segment *s);

/* Linux: tcp_established_options / tcp_options_write, once per skb: a GSO
 * skb's later segments repeat its first one's blocks. */
void sa_sack_fill(struct tcb *t, struct synack_segment *s)
{
	struct sa_rx *rx = &t->rx;
	if (rx->gso_sack == 2) {
		memcpy(s->opt.sack, rx->gso_blk, sizeof(rx->gso_blk));
		s->opt.n_sack = rx->gso_n;
		return;
	}
	fill(t, s);
	if (rx->gso_sack == 1) {
		memcpy(rx->gso_blk, s->opt.sack, sizeof(rx->gso_blk));
		rx->gso_n = s->opt.n_sack;
		rx->gso_sack = 2;
	}
}

void sa_gso_sack_begin(struct tcb *t, bool many)
{
	t->rx.gso_sack = many ? 1 : 0;
}

static void fill(struct tcb *t, struct synack_segment *s)
{
	struct sa_rx *rx = &t->rx;
	if (!t->sack_ok || (!rx->dsack && !rx->n_sack))
		return;
	int max = t->ts_ok ? 3 : 4; /* (40 - 12 - 4) / 8, (40 - 4) / 8 */
	int n = 0;
	if (rx->dsack) {
		s->opt.sack[n].left = rx->dsack_blk.start;
		s->opt.sack[n].right = rx->dsack_blk.end;
		n++;
		rx->dsack = false;
	}
	for (int i = 0; i < rx->n_sack && n < max; i++, n++) {
		s->opt.sack[n].left = rx->sack[i].start;
		s->opt.sack[n].right = rx->sack[i].end;
	}
	s->opt.n_sack = (uint8_t)n;
}
