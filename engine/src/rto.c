/* RTO estimation (RFC 6298 §2-5) with Linux's arithmetic.
 *
 * SRTT/RTTVAR follow tcp_rtt_estimator: SRTT is kept << 3, the variance
 * terms as 4 * RTTVAR (so RTO = SRTT + 4 * RTTVAR is srtt/8 + rttvar), K = 4,
 * alpha 1/8, beta 1/4. Linux floors the variance term at rto_min instead of
 * clamping the RTO (RFC 6298 §2.4 allows a smaller minimum), and the RTO is
 * kept in clock ticks (RFC 6298 §2 G: the profile's clock_granularity_us;
 * Linux: usecs_to_jiffies rounds up). Samples come from the ACK's timing of
 * a never-retransmitted segment (Karn's rule, RFC 6298 §3) or, when there is
 * none, from the echoed timestamp (RFC 7323 §4; Linux: tcp_ack_update_rtt).
 */
#include "internal.h"

static uint64_t granular(const struct tcb *t, uint64_t us)
{
	uint64_t g = t->st->prof.clock_granularity_us;
	return g > 1 ? (us + g - 1) / g * g : us;
}

/* Linux: __tcp_set_rto + tcp_bound_rto. */
static void set_rto(struct tcb *t)
{
	uint64_t rto = granular(t, (uint64_t)(t->srtt_us >> 3) + t->rttvar_us);
	t->rto_us = (uint32_t)SA_MIN(rto, t->st->prof.rto_max_us);
	t->rto_shift = 0; /* a fresh icsk_rto */
}

/* RFC 6298 §2.2 (first sample) and §2.3 (later ones); Linux:
 * tcp_rtt_estimator, including its "mdev_max" smoothing of RTTVAR once per
 * RTT (rtt_seq). */
void sa_rto_sample(struct tcb *t, int64_t rtt_us)
{
	uint32_t rto_min = (uint32_t)t->st->prof.rto_min_us;
	int64_t m = rtt_us < 1 ? 1 : rtt_us;
	uint32_t srtt = t->srtt_us;
	if (rtt_us >= 0 && (!t->min_rtt_us || (uint32_t)m < t->min_rtt_us))
		t->min_rtt_us = (uint32_t)m;
	if (srtt) {
		m -= (int64_t)(srtt >> 3);
		srtt = (uint32_t)((int64_t)srtt + m);
		if (m < 0) {
			m = -m;
			m -= (int64_t)(t->mdev_us >> 2);
			if (m > 0)
				m >>= 3;
		} else {
			m -= (int64_t)(t->mdev_us >> 2);
		}
		t->mdev_us = (uint32_t)((int64_t)t->mdev_us + m);
		if (t->mdev_us > t->mdev_max_us) {
			t->mdev_max_us = t->mdev_us;
			if (t->mdev_max_us > t->rttvar_us)
				t->rttvar_us = t->mdev_max_us;
		}
		if (synack_seq_gt(t->snd_una, t->rtt_seq)) {
			if (t->mdev_max_us < t->rttvar_us)
				t->rttvar_us -= (t->rttvar_us - t->mdev_max_us) >> 2;
			t->rtt_seq = t->snd_nxt;
			t->mdev_max_us = rto_min;
		}
	} else {
		srtt = (uint32_t)(m << 3);
		t->mdev_us = (uint32_t)(m << 1); /* RTO = 3 * RTT */
		t->rttvar_us = SA_MAX(t->mdev_us, rto_min);
		t->mdev_max_us = t->rttvar_us;
		t->rtt_seq = t->snd_nxt;
	}
	t->srtt_us = srtt ? srtt : 1;
	set_rto(t);
	const struct sa_cc_ops *ops = sa_cc_ops_of(t);
	if (ops->on_rtt)
		ops->on_rtt(t, (uint32_t)(rtt_us < 1 ? 1 : rtt_us));
}

/* RFC 6298 §5.5: the RTO doubles per expiry, up to the maximum (§2.5).
 * This is Linux's icsk_rto: zero-window probes back off icsk_backoff only
 * (tcp_send_probe0), so they do not count here. */
uint64_t sa_rto_backed_off(const struct tcb *t)
{
	uint64_t rto = t->rto_us;
	for (int i = 0; i < t->rto_shift && rto < t->st->prof.rto_max_us; i++)
		rto <<= 1;
	return SA_MIN(rto, t->st->prof.rto_max_us);
}

/* Linux: tcp_retransmit_timer — icsk_backoff++ and
 * icsk_rto = min(icsk_rto << 1, rto_max) together. */
void sa_rto_back_off(struct tcb *t)
{
	if (t->backoff < UINT8_MAX)
		t->backoff++;
	if (t->rto_shift < UINT8_MAX)
		t->rto_shift++;
}

/* Linux: tcp_model_timeout — the time `boundary` backed-off retransmissions
 * take from rto_base: with retries2 = 15 and 200 ms, 924.6 s. */
static uint64_t model_timeout(const struct tcb *t, uint32_t boundary, uint64_t rto_base)
{
	uint64_t max = t->st->prof.rto_max_us;
	uint32_t thresh = 0;
	while ((rto_base << (thresh + 1)) <= max)
		thresh++; /* ilog2(rto_max / rto_base) */
	if (boundary <= thresh)
		return ((2ull << boundary) - 1) * rto_base;
	return ((2ull << thresh) - 1) * rto_base + (uint64_t)(boundary - thresh) * max;
}

/* RFC 1122 §4.2.3.5 R2 as Linux measures it (retransmits_timed_out): the
 * time since the first retransmission against the model of `boundary`
 * retransmissions, or against TCP_USER_TIMEOUT (RFC 5482) if set. */
bool sa_rto_timed_out(const struct tcb *t, uint32_t boundary, uint32_t user_timeout_ms, bool syn)
{
	if (!t->retransmits || !t->retrans_stamped)
		return false;
	uint64_t timeout = (uint64_t)user_timeout_ms * 1000u;
	if (!timeout)
		timeout = model_timeout(t, boundary,
		                        syn ? t->st->prof.rto_init_us : t->st->prof.rto_min_us);
	/* Linux compares millisecond stamps. */
	uint64_t elapsed = t->st->now_us / 1000u - t->retrans_stamp_us / 1000u;
	return elapsed * 1000u >= timeout;
}

/* Linux: tcp_clamp_rto_to_user_timeout — never wait past the user timeout. */
uint64_t sa_rto_clamp_user_timeout(const struct tcb *t, uint64_t rto)
{
	if (!t->user_timeout_ms || !t->retrans_stamped)
		return rto;
	uint64_t elapsed = t->st->now_us / 1000u - t->retrans_stamp_us / 1000u;
	if (elapsed >= t->user_timeout_ms)
		return granular(t, 1);
	uint64_t remaining = granular(t, ((uint64_t)t->user_timeout_ms - elapsed) * 1000u);
	return SA_MIN(rto, remaining);
}
