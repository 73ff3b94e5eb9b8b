/* CUBIC (RFC 9438) in Linux's integer form (tcp_cubic.c, bictcp_*): beta
 * 717/1024 (RFC 9438 §4.6 says 0.7), C = 0.4 (bic_scale 41), fast
 * convergence (§4.7), the Reno-friendly region (§4.3, tcp_friendliness), time
 * in 1/1024 s from the epoch start plus the minimum RTT. HyStart is not
 * modelled: slow start ends at ssthresh or on loss (// @divergence: engine
 * no HyStart++).
 */
#include "internal.h"

#define BETA           717u
#define BETA_SCALE     1024u
#define CUBE_HZ        10u
#define CUBE_RTT_SCALE (41u * 10u)
/* beta_scale = 8 * (1024 + 717) / 3 / (1024 - 717) */
#define FRIENDLY_SCALE (8u * (BETA_SCALE + BETA) / 3u / (BETA_SCALE - BETA))

struct cubic {
	uint32_t cnt, last_max_cwnd, last_cwnd, origin_point, k, ack_cnt, tcp_cwnd;
	uint64_t last_time_us, epoch_start_us;
	uint32_t delay_min_us;
};

_Static_assert(sizeof(struct cubic) <= sizeof(((struct tcb *)0)->cc_priv), "cc_priv");

static struct cubic *ca(struct tcb *t)
{
	return (struct cubic *)(void *)t->cc_priv;
}

static void reset(struct cubic *c)
{
	*c = (struct cubic){ 0 }; /* Linux: bictcp_reset */
}

static void cubic_init(struct tcb *t)
{
	*ca(t) = (struct cubic){ 0 };
}

/* The cube root, rounded down (Linux: cubic_root, table + Newton step). */
static uint32_t cbrt64(uint64_t a)
{
	uint64_t lo = 0, hi = 2097152; /* 2^21: (2^21)^3 = 2^63 */
	while (lo < hi) {
		uint64_t mid = (lo + hi + 1) / 2;
		if (mid * mid * mid <= a)
			lo = mid;
		else
			hi = mid - 1;
	}
	return (uint32_t)lo;
}

static uint64_t jiffies_of(const struct tcb *t, uint64_t us)
{
	uint64_t g = t->st->prof.clock_granularity_us ? t->st->prof.clock_granularity_us : 1;
	return us / g;
}

/* Linux: bictcp_update — RFC 9438 §4.2 W_cubic(t) = C (t - K)^3 + W_max. */
static void update(struct tcb *t, uint32_t cwnd, uint32_t acked)
{
	struct cubic *c = ca(t);
	uint64_t now = t->st->now_us;
	uint64_t g = t->st->prof.clock_granularity_us ? t->st->prof.clock_granularity_us : 1;
	uint64_t hz = 1000000u / g;
	c->ack_cnt += acked;
	if (c->last_cwnd == cwnd && jiffies_of(t, now) - jiffies_of(t, c->last_time_us) <= hz / 32)
		return;
	if (!(c->epoch_start_us && jiffies_of(t, now) == jiffies_of(t, c->last_time_us))) {
		c->last_cwnd = cwnd;
		c->last_time_us = now;
		if (!c->epoch_start_us) {
			c->epoch_start_us = now ? now : 1;
			c->ack_cnt = acked;
			c->tcp_cwnd = cwnd;
			if (c->last_max_cwnd <= cwnd) {
				c->k = 0;
				c->origin_point = cwnd;
			} else {
				/* K = cbrt(W_max (1 - beta) / C) in 1/1024 s. */
				uint64_t factor = (1ull << (10 + 3 * CUBE_HZ)) / CUBE_RTT_SCALE;
				c->k = cbrt64(factor * (c->last_max_cwnd - cwnd));
				c->origin_point = c->last_max_cwnd;
			}
		}
		uint64_t tj = jiffies_of(t, now) - jiffies_of(t, c->epoch_start_us) +
		              (c->delay_min_us + g - 1) / g;
		uint64_t tt = (tj << CUBE_HZ) / hz;
		uint64_t offs = tt < c->k ? c->k - tt : tt - c->k;
		uint64_t delta = (CUBE_RTT_SCALE * offs * offs * offs) >> (10 + 3 * CUBE_HZ);
		uint64_t target = tt < c->k ? c->origin_point - delta : c->origin_point + delta;
		if (target > cwnd)
			c->cnt = (uint32_t)(cwnd / (target - cwnd));
		else
			c->cnt = 100 * cwnd;
		if (c->last_max_cwnd == 0 && c->cnt > 20)
			c->cnt = 20;
	}
	/* RFC 9438 §4.3 the Reno-friendly region (Linux: tcp_friendliness). */
	uint32_t d = (cwnd * FRIENDLY_SCALE) >> 3;
	while (d && c->ack_cnt > d) {
		c->ack_cnt -= d;
		c->tcp_cwnd++;
	}
	if (c->tcp_cwnd > cwnd) {
		uint32_t max_cnt = cwnd / (c->tcp_cwnd - cwnd);
		if (c->cnt > max_cnt)
			c->cnt = max_cnt;
	}
	c->cnt = SA_MAX(c->cnt, 2u);
}

static void cubic_cong_avoid(struct tcb *t, uint32_t acked)
{
	if (t->snd_cwnd < t->snd_ssthresh) {
		acked = sa_cc_slow_start(t, acked);
		if (!acked)
			return;
	}
	update(t, t->snd_cwnd, acked);
	sa_cc_ai(t, ca(t)->cnt, acked);
}

/* RFC 9438 §4.6 multiplicative decrease, §4.7 fast convergence. */
static uint32_t cubic_ssthresh(struct tcb *t)
{
	struct cubic *c = ca(t);
	c->epoch_start_us = 0;
	if (t->snd_cwnd < c->last_max_cwnd)
		c->last_max_cwnd = (t->snd_cwnd * (BETA_SCALE + BETA)) / (2 * BETA_SCALE);
	else
		c->last_max_cwnd = t->snd_cwnd;
	return SA_MAX((t->snd_cwnd * BETA) / BETA_SCALE, 2u);
}

/* Linux: bictcp_state(TCP_CA_Loss) — an RTO starts over. */
static void cubic_on_loss(struct tcb *t)
{
	reset(ca(t));
}

static void cubic_on_rtt(struct tcb *t, uint32_t rtt_us)
{
	struct cubic *c = ca(t);
	if (!c->delay_min_us || rtt_us < c->delay_min_us)
		c->delay_min_us = rtt_us;
}

/* Linux: bictcp_cwnd_event(CA_EVENT_TX_START) — an idle period does not
 * count as time in the epoch (RFC 9438 §5.8 application-limited). */
static void cubic_tx_start(struct tcb *t, uint64_t idle_us)
{
	struct cubic *c = ca(t);
	if (c->epoch_start_us && idle_us) {
		c->epoch_start_us += idle_us;
		if (c->epoch_start_us > t->st->now_us)
			c->epoch_start_us = t->st->now_us;
	}
}

const struct sa_cc_ops sa_cc_cubic = {
	.name = "cubic",
	.init = cubic_init,
	.ssthresh = cubic_ssthresh,
	.cong_avoid = cubic_cong_avoid,
	.on_loss = cubic_on_loss,
	.on_rtt = cubic_on_rtt,
	.tx_start = cubic_tx_start,
};
