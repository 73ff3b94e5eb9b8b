/* Reno (RFC 5681; Linux tcp_reno_cong_avoid, tcp_reno_ssthresh). */
#include "internal.h"

static void reno_init(struct tcb *t)
{
	(void)t;
}

/* RFC 5681 §3.1 eq. 4 with Linux's choice of cwnd for FlightSize. */
static uint32_t reno_ssthresh(struct tcb *t)
{
	return SA_MAX(t->snd_cwnd >> 1, 2u);
}

static void reno_cong_avoid(struct tcb *t, uint32_t acked)
{
	if (t->snd_cwnd < t->snd_ssthresh) {
		acked = sa_cc_slow_start(t, acked);
		if (!acked)
			return;
	}
	sa_cc_ai(t, t->snd_cwnd, acked);
}

const struct sa_cc_ops sa_cc_reno = {
	.name = "reno",
	.init = reno_init,
	.ssthresh = reno_ssthresh,
	.cong_avoid = reno_cong_avoid,
};
