/* Urgent data: RFC 9293 §3.8.5 (MUST-30, MUST-31, MUST-62) and RFC 6093,
 * as Linux implements them.
 *
 * Sending (Linux: tcp_mark_urg, __tcp_transmit_skb): send(MSG_OOB) sets
 * SND.UP to the end of what the call wrote, one past the last urgent byte
 * (RFC 9293 MUST-62, RFC 6093 §4). While SND.UP is ahead of SND.UNA (urgent
 * mode) every segment starting below SND.UP carries URG and SND.UP - SEG.SEQ,
 * or 0xFFFF when SND.UP lies further than the 16-bit field reaches (RFC 6093
 * §4, Linux: the pointer keeps the receiver in urgent mode).
 *
 * Receiving (Linux: tcp_check_urg, tcp_urg, tcp_recvmsg_locked,
 * tcp_recv_urg): the pointer minus one (tcp_stdurg off: the BSD reading RFC
 * 6093 makes standard) is the last urgent byte, urg_seq; a newer pointer
 * replaces an older one (MUST-31: one urgent mark at a time, the latest).
 * The byte is taken from the segment that carries it. With SO_OOBINLINE off
 * it is read with recv(MSG_OOB) and skipped by ordinary reads; either way a
 * read stops at the mark.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"

void sa_urg_mark(struct tcb *t)
{
	/* Linux: tp->snd_up = tp->write_seq; the send queue starts at SND.UNA. */
	t->snd_up = t->snd_una + t->sndq.len;
	t->snd_urg = t->snd_up != t->snd_una;
}

void sa_urg_fill(const struct tcb *t, struct synack_segment *s)
{
	/* Linux: __tcp_transmit_skb — only while urgent mode lasts and the
	 * segment starts before SND.UP. */
	if (!t->snd_urg || !synack_seq_lt(s->seq, t->snd_up))
		return;
	if (synack_seq_lt(t->snd_up, s->seq + 0x10000u)) {
		s->urg_ptr = (uint16_t)(t->snd_up - s->seq);
		s->flags |= SYNACK_TH_URG;
	} else if (synack_seq_gt(s->seq + 0xFFFFu, t->snd_nxt)) {
		s->urg_ptr = 0xFFFF;
		s->flags |= SYNACK_TH_URG;
	}
}

void sa_urg_acked(struct tcb *t)
{
	/* Linux: tcp_clean_rtx_queue — SND.UNA reached SND.UP: urgent mode ends. */
	if (t->snd_urg && synack_seq_geq(t->snd_una, t->snd_up))
		t->snd_urg = false;
}

uint32_t sa_copied_seq(const struct tcb *t)
{
	/* rcvq holds the in-order bytes not read yet; RCV.NXT counts a FIN. */
	return t->rcv_nxt - t->rcvq.len - (t->rcv_fin ? 1u : 0u);
}

/* Linux: tcp_check_urg. */
static void check_urg(struct tcb *t, const struct synack_segment *seg)
{
	uint32_t ptr = seg->urg_ptr;
	if (ptr)
		ptr--; /* tcp_stdurg = 0: the pointer is one past the urgent byte */
	ptr += seg->seq;
	uint32_t copied = sa_copied_seq(t);
	if (synack_seq_gt(copied, ptr))
		return; /* seen and read already */
	if (synack_seq_lt(ptr, t->rcv_nxt))
		return; /* do not replay a pointer into data already queued */
	if (t->urg_data && !synack_seq_gt(ptr, t->urg_seq))
		return; /* a newer (or the same) mark is known */
	/* The previous urgent byte is the next to read: skip it now, or a
	 * normal read would return it once the mark has moved. */
	if (t->urg_seq == copied && t->urg_data && !t->oobinline && copied != t->rcv_nxt &&
	    t->rcvq.len) {
		sa_ring_drop(&t->rcvq, 1);
		sa_rmem_uncharge(t, 1); /* window.c */
	}
	t->urg_data = SA_URG_NOTYET;
	t->urg_seq = ptr;
	sa_hp_off(t); /* fastpath.c: "disable header prediction" */
}

/* RFC 9293 §3.10.7.4 "sixth, check the URG bit"; Linux: tcp_urg, called
 * for every segment that passed the sequence and ACK checks, before its
 * text is queued. */
void sa_urg_input(struct tcb *t, const struct synack_segment *seg)
{
	if (seg->flags & SYNACK_TH_URG)
		check_urg(t, seg);
	if (t->urg_data != SA_URG_NOTYET)
		return;
	/* Linux counts the offset from the TCP header (skb->data) and takes
	 * the byte wherever it falls, so a segment starting up to a header's
	 * length past urg_seq yields a header byte. Kept as Linux does it. */
	uint32_t hdr = 20u + seg->options_len;
	uint32_t syn = (seg->flags & SYNACK_TH_SYN) ? 1u : 0u;
	uint32_t ptr = t->urg_seq - seg->seq + hdr - syn;
	if (ptr >= hdr + (uint32_t)seg->payload_len)
		return;
	uint8_t b;
	if (ptr >= hdr)
		b = seg->payload[ptr - hdr];
	else if (seg->options_raw && ptr >= 20u)
		b = seg->options_raw[ptr - 20u];
	else if (seg->options_raw)
		b = (seg->options_raw - 20)[ptr]; /* parsed (stack.c): the header precedes */
	else
		return;
	t->urg_data = (uint16_t)(SA_URG_VALID | b);
	sa_wake(t);
}

/* Linux: tcp_recv_urg. */
int sa_urg_recv(struct tcb *t, void *buf, size_t len, int flags)
{
	if (t->oobinline || !t->urg_data || t->urg_data == SA_URG_READ)
		return -EINVAL; /* no urgent data to read ("Yes this is right!") */
	if (t->state == SA_CLOSED && !t->rcv_fin)
		return -ENOTCONN;
	if (t->urg_data & SA_URG_VALID) {
		uint8_t c = (uint8_t)t->urg_data;
		if (!(flags & MSG_PEEK))
			t->urg_data = SA_URG_READ;
		if (len == 0)
			return 0; /* MSG_TRUNC */
		if (!(flags & MSG_TRUNC)) {
			if (!buf)
				return -EFAULT;
			memcpy(buf, &c, 1);
		}
		return 1;
	}
	if (t->state == SA_CLOSED || t->shut_rd || t->rcv_fin)
		return 0;
	return -EAGAIN; /* announced, not arrived: never blocks */
}
