/* Classic ECN (RFC 3168) as Linux 6.x does it (net/ipv4/tcp_input.c,
 * tcp_output.c, include/net/tcp_ecn.h): net.ipv4.tcp_ecn 1 asks for ECN on
 * active opens and accepts it, 2 (the default) only accepts it;
 * tcp_ecn_fallback drops ECE|CWR from a retransmitted SYN (RFC 3168
 * §6.1.1.1). AccECN (RFC 9768) is not modelled.
 */
#include "internal.h"

#define ECN_MASK 3u
#define ECN_ECT0 2u
#define ECN_CE   3u

/* RFC 3168 §6.1.1 / Linux tcp_ecn_send_syn: an ECN-setup SYN carries
 * ECE|CWR. The decision is made on the first transmission; with
 * tcp_ecn_fallback a retransmission goes without them (Linux:
 * tcp_retransmit_skb → tcp_ecn_clear_syn) but the connection keeps asking
 * (tp->ecn_flags stays until the SYN-ACK). The SYN itself is not-ECT. */
uint8_t sa_ecn_syn_flags(struct tcb *t)
{
	const struct synack_profile *p = &t->st->prof;
	if (!t->retransmits)
		t->ecn_flags = p->ecn == 1 ? SA_ECN_OK : 0;
	if (!(t->ecn_flags & SA_ECN_OK) || (t->retransmits && p->ecn_fallback))
		return 0;
	return SYNACK_TH_ECE | SYNACK_TH_CWR;
}

/* Linux: tcp_ecn_rcv_synack — ECN holds if the SYN-ACK has ECE without
 * CWR (RFC 3168 §6.1.1). */
void sa_ecn_rcv_synack(struct tcb *t, const struct synack_segment *seg)
{
	if ((t->ecn_flags & SA_ECN_OK) &&
	    (!(seg->flags & SYNACK_TH_ECE) || (seg->flags & SYNACK_TH_CWR)))
		t->ecn_flags = 0;
}

/* Linux: tcp_ecn_rcv_syn — simultaneous open: the peer's SYN must ask too. */
void sa_ecn_rcv_syn(struct tcb *t, const struct synack_segment *seg)
{
	if ((t->ecn_flags & SA_ECN_OK) &&
	    (seg->flags & (SYNACK_TH_ECE | SYNACK_TH_CWR)) != (SYNACK_TH_ECE | SYNACK_TH_CWR))
		t->ecn_flags = 0;
}

/* Linux: tcp_ecn_create_request — a passive open accepts ECN when the SYN
 * has ECE and CWR, tcp_ecn is not 0, and the SYN is not-ECT (an ECT SYN
 * means a middlebox or a broken peer) unless a reserved bit is set. */
bool sa_ecn_syn_ok(const struct synack_stack *st, const struct synack_segment *syn)
{
	bool th_ecn =
	    (syn->flags & (SYNACK_TH_ECE | SYNACK_TH_CWR)) == (SYNACK_TH_ECE | SYNACK_TH_CWR);
	bool ect = (syn->tos & ECN_MASK) != 0;
	return th_ecn && (!ect || syn->reserved) && st->prof.ecn;
}

void sa_ecn_create_request(struct tcb *c, const struct synack_segment *syn)
{
	c->ecn_flags = sa_ecn_syn_ok(c->st, syn) ? SA_ECN_OK : 0;
}

/* Linux: tcp_ecn_send (from __tcp_transmit_skb, every segment but a SYN):
 * new data goes out ECT(0) (RFC 3168 §6.1.2), the first one after a window
 * reduction with CWR (§6.1.2); pure ACKs and retransmissions are not-ECT
 * (§6.1.5, INET_ECN_dontxmit). ECE on everything while the peer owes us a
 * CWR (§6.1.3, TCP_ECN_DEMAND_CWR). */
void sa_ecn_send(struct tcb *t, struct synack_segment *s, bool new_data)
{
	if (!(t->ecn_flags & SA_ECN_OK) || t->state == SA_TIME_WAIT)
		return;
	s->tos &= (uint8_t)~ECN_MASK; /* INET_ECN_dontxmit */
	if (new_data) {
		s->tos |= ECN_ECT0; /* INET_ECN_xmit */
		if (t->ecn_flags & SA_ECN_QUEUE_CWR) {
			t->ecn_flags &= (uint8_t)~SA_ECN_QUEUE_CWR;
			s->flags |= SYNACK_TH_CWR;
		}
	}
	if (t->ecn_flags & SA_ECN_DEMAND_CWR)
		s->flags |= SYNACK_TH_ECE;
}

/* Linux: tcp_ecn_queue_cwr (tcp_init_cwnd_reduction, tcp_enter_loss). */
void sa_ecn_queue_cwr(struct tcb *t)
{
	if (t->ecn_flags & SA_ECN_OK)
		t->ecn_flags |= SA_ECN_QUEUE_CWR;
}

/* Linux: tcp_ecn_accept_cwr, called from tcp_ack for every acceptable ACK
 * (since 5.10 — "accept CWR on pure ACKs", a deviation from RFC 3168
 * §6.1.2, where CWR rides the first new data): CWR ends the echo (§6.1.3);
 * a CWR segment with sequence space is ACKed at once, the sender's cwnd
 * may be tiny. */
void sa_ecn_accept_cwr(struct tcb *t, const struct synack_segment *seg)
{
	if (!(seg->flags & SYNACK_TH_CWR))
		return;
	t->ecn_flags &= (uint8_t)~SA_ECN_DEMAND_CWR;
	if (sa_seg_len(seg))
		sa_delack_ack_now(t);
}

/* Linux: tcp_data_ecn_check (tcp_event_data_recv, tcp_data_queue_ofo): CE
 * starts the echo (RFC 3168 §6.1.3) with quick ACKs; a not-ECT segment
 * after ECT ones is probably a retransmission: quick ACKs too. */
void sa_ecn_check_ce(struct tcb *t, const struct synack_segment *seg)
{
	if (!(t->ecn_flags & SA_ECN_OK))
		return;
	switch (seg->tos & ECN_MASK) {
	case 0:
		if (t->ecn_flags & SA_ECN_SEEN)
			sa_delack_enter_quickack(t, 2);
		break;
	case ECN_CE:
		if (!(t->ecn_flags & SA_ECN_DEMAND_CWR)) {
			sa_delack_enter_quickack(t, 2);
			t->ecn_flags |= SA_ECN_DEMAND_CWR;
		}
		t->ecn_flags |= SA_ECN_SEEN;
		break;
	default:
		t->ecn_flags |= SA_ECN_SEEN;
		break;
	}
}

/* Linux 6.18: tcp_rcv_established → tcp_ecn_received_counters — on a
 * connection without classic ECN (AccECN's bookkeeping) any ECT or CE
 * segment, a pure ACK too, sets TCP_ECN_SEEN (tcpi_options). */
void sa_ecn_received(struct tcb *t, const struct synack_segment *seg)
{
	if (!(t->ecn_flags & SA_ECN_OK) && (seg->tos & ECN_MASK))
		t->ecn_flags |= SA_ECN_SEEN;
}

/* Linux: tcp_ecn_rcv_ecn_echo — an ACK's ECE counts once ECN is on. */
bool sa_ecn_echo(const struct tcb *t, const struct synack_segment *seg)
{
	return (seg->flags & SYNACK_TH_ECE) && !(seg->flags & SYNACK_TH_SYN) &&
	       (t->ecn_flags & SA_ECN_OK);
}
