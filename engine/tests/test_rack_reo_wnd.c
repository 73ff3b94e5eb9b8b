/* RACK's reordering window steps (rack.c, sa_rack_update_reo_wnd; RFC 8985
 * §6.2 step 4, Linux tcp_rack_update_reo_wnd): one step more per round trip
 * with a D-SACK, kept for 16 recoveries, then back to one. Drives the
 * function on a bare TCB through the engine's internal API; the behaviour
 * end to end is sack/rack-reo-wnd-grows-after-dsack.pkt. */
#include <string.h>

#include "fixtures.h"
#include "internal.h"
#include "tap.h"

static struct sa_ack sample(uint32_t prior_delivered)
{
	struct sa_ack a;
	memset(&a, 0, sizeof a);
	a.prior_delivered = prior_delivered;
	return a;
}

int main(void)
{
	struct fx f;
	fx_init(&f, NULL, 3);
	struct tcb *t = sa_tcb_new(f.st, 4);
	struct sa_ack a;

	is_int(t->rack_reo_wnd_steps, 1, "a new connection: one step (min_rtt / 4)");

	t->delivered = 10;
	t->rack_dsack_seen = true;
	a = sample(0);
	sa_rack_update_reo_wnd(t, &a);
	is_int(t->rack_reo_wnd_steps, 1, "no rate sample (nothing delivered): nothing changes");
	ok(t->rack_dsack_seen, "and the D-SACK is still pending");

	a = sample(8);
	sa_rack_update_reo_wnd(t, &a);
	is_int(t->rack_reo_wnd_steps, 2, "a D-SACK: two steps");
	is_int(t->rack_reo_wnd_persist, SA_RACK_RECOVERY_THRESH, "kept for 16 recoveries");
	is_uint(t->rack_last_delivered, 10, "the round starts at the delivered count");
	ok(!t->rack_dsack_seen, "the D-SACK is used up");

	t->delivered = 14;
	t->rack_dsack_seen = true;
	a = sample(9); /* sent before the step: the same round trip */
	sa_rack_update_reo_wnd(t, &a);
	is_int(t->rack_reo_wnd_steps, 2, "another D-SACK within the round trip: no second step");
	ok(!t->rack_dsack_seen, "and it is dropped");

	t->rack_dsack_seen = true;
	a = sample(12); /* sent after it: the next round */
	sa_rack_update_reo_wnd(t, &a);
	is_int(t->rack_reo_wnd_steps, 3, "a D-SACK a round trip later: three steps");

	a = sample(20);
	sa_rack_update_reo_wnd(t, &a);
	is_int(t->rack_reo_wnd_steps, 3, "no D-SACK while the recoveries last: kept");
	t->rack_reo_wnd_persist = 0;
	sa_rack_update_reo_wnd(t, &a);
	is_int(t->rack_reo_wnd_steps, 1, "after them: back to one step");

	t->rack_reo_wnd_steps = 0xff;
	t->rack_dsack_seen = true;
	t->rack_last_delivered = 0;
	sa_rack_update_reo_wnd(t, &a);
	is_int(t->rack_reo_wnd_steps, 0xff, "at most 255 steps");

	f.st->prof.recovery |= 2; /* TCP_RACK_STATIC_REO_WND */
	t->rack_reo_wnd_steps = 1;
	t->rack_dsack_seen = true;
	sa_rack_update_reo_wnd(t, &a);
	is_int(t->rack_reo_wnd_steps, 1, "tcp_recovery & 2 (static reo_wnd): no steps");

	sa_tcb_free(t);
	fx_free(&f);
	done_testing();
}
