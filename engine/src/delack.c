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
