/* Delayed ACK (RFC 1122 §4.2.3.2, RFC 5681 §4.2), as Linux does it. */
#include "internal.h"

void sa_delack_fire(struct tcb *t)
{
	(void)t;
}

void sa_delack_established(struct tcb *t)
{
	t->rx.lrcv_us = t->st->now_us;
}

/* Out-of-order data: an immediate duplicate ACK (RFC 5681 §4.2). */
void sa_rx_ooo_ack(struct tcb *t)
{
	sa_send_ack_now(t);
}

void sa_rx_data_ack(struct tcb *t, uint32_t len, bool gap_filled)
{
	(void)len;
	(void)gap_filled;
	sa_ack_needed(t);
}
