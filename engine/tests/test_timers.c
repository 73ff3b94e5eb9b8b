/* The timer heap (timers.c): next_deadline exact, every due timer fired in
 * (deadline, arming order), re-arming and cancelling in any order. Uses the
 * engine's internal API with part-2 kinds whose handlers are still empty. */
#include <string.h>

#include "fixtures.h"
#include "internal.h"
#include "tap.h"

#define N 300

static uint32_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(*s >> 33);
}

int main(void)
{
	struct fx f;
	struct synack_profile p;
	synack_profile_linux(&p);
	p.max_sockets = N + 8;
	fx_init(&f, &p, 77);
	static struct tcb *t[N];
	static uint64_t when[N][2];
	uint64_t r = 1;
	for (int i = 0; i < N; i++) {
		t[i] = sa_tcb_new(f.st, 4);
		for (int k = 0; k < 2; k++) {
			/* Many equal deadlines on purpose. */
			when[i][k] = f.now + 1000 * (lcg(&r) % 50);
			sa_timer_set(t[i], k ? SA_T_KEEPALIVE : SA_T_PERSIST, when[i][k]);
		}
	}
	/* Cancel a third, re-arm a third later. */
	for (int i = 0; i < N; i += 3) {
		sa_timer_clear(t[i], SA_T_PERSIST);
		when[i][0] = SYNACK_NEVER;
	}
	for (int i = 1; i < N; i += 3) {
		when[i][1] += 7000;
		sa_timer_set(t[i], SA_T_KEEPALIVE, when[i][1]);
	}
	bool exact = true, fired_right = true;
	int steps = 0;
	for (;;) {
		uint64_t min = SYNACK_NEVER;
		for (int i = 0; i < N; i++)
			for (int k = 0; k < 2; k++)
				if (when[i][k] < min)
					min = when[i][k];
		if (synack_next_deadline(f.st) != min)
			exact = false;
		if (min == SYNACK_NEVER)
			break;
		synack_advance(f.st, min);
		steps++;
		for (int i = 0; i < N; i++)
			for (int k = 0; k < 2; k++) {
				int kind = k ? SA_T_KEEPALIVE : SA_T_PERSIST;
				if (when[i][k] == SYNACK_NEVER)
					continue;
				bool due = when[i][k] <= min;
				if (sa_timer_armed(t[i], kind) == due)
					fired_right = false;
				if (due)
					when[i][k] = SYNACK_NEVER;
			}
	}
	ok(exact, "next_deadline is the exact minimum at every step");
	ok(fired_right, "exactly the due timers fired at each step (%d steps)", steps);
	is_uint(synack_next_deadline(f.st), SYNACK_NEVER, "heap empty");
	for (int i = 0; i < N; i++)
		sa_tcb_free(t[i]);
	sa_reap(f.st);

	/* Ties go last armed first (Linux's timer wheel: a later-armed timer
	 * with the same expiry is no longer, so it sits in the same or a finer
	 * slot, and a slot's list runs newest first). */
	subtest("equal deadlines fire last armed first");
	fx_free(&f);
	fx_init(&f, &p, 78);
	fx_listen(&f);
	uint64_t d = f.now + 5000;
	for (int i = 0; i < 4; i++) {
		t[i] = sa_tcb_new(f.st, 4);
		sa_timer_set(t[i], SA_T_KEEPALIVE, d);
	}
	is_uint(f.st->heap[0].tcb == t[3], 1, "t3, armed last, first");
	sa_timer_set(t[0], SA_T_KEEPALIVE, d); /* re-armed: now the newest */
	is_uint(f.st->heap[0].tcb == t[0], 1, "t0 first after it was re-armed");
	synack_advance(f.st, d);
	ok(!sa_timer_armed(t[0], SA_T_KEEPALIVE) && !sa_timer_armed(t[3], SA_T_KEEPALIVE),
	   "all fired");
	subtest_end();
	for (int i = 0; i < 4; i++)
		sa_tcb_free(t[i]);
	sa_reap(f.st);

	/* A kernel's timer fires at a tick at or after its deadline: what
	 * happens at that very instant goes first (synack_settle; synack_input
	 * does the same for its packet). */
	subtest("synack_settle fires what is due before the instant, not at it");
	for (int i = 0; i < 2; i++)
		t[i] = sa_tcb_new(f.st, 4);
	d = f.now + 5000;
	sa_timer_set(t[0], SA_T_KEEPALIVE, d - 1);
	sa_timer_set(t[1], SA_T_KEEPALIVE, d);
	synack_settle(f.st, d);
	ok(!sa_timer_armed(t[0], SA_T_KEEPALIVE), "due 1 us before: fired");
	ok(sa_timer_armed(t[1], SA_T_KEEPALIVE), "due at the instant: still armed");
	is_uint(synack_now(f.st), d, "the clock is at the instant");
	synack_advance(f.st, d);
	ok(!sa_timer_armed(t[1], SA_T_KEEPALIVE), "synack_advance to it: fired");
	subtest_end();
	for (int i = 0; i < 2; i++)
		sa_tcb_free(t[i]);
	sa_reap(f.st);
	fx_free(&f);

	/* What a harness learns about a timer-sent packet (compare models a
	 * kernel's timer-wheel slack with it). */
	subtest("synack_firing_timer_len: the length of the timer that sent it");
	fx_init(&f, &p, 79);
	fx_connect(&f);
	is_int((int)f.last_timer_len_us, -1, "the SYN, sent by connect(): no timer");
	fx_advance(&f, 1000000);
	struct synack_segment syn;
	ok(fx_pop(&f, &syn) && (syn.flags & SYNACK_TH_SYN), "the SYN again at 1 s");
	is_int((int)f.last_timer_len_us, 1000000, "sent by the 1 s retransmission timer");
	is_int((int)synack_firing_timer_len(f.st), -1, "outside the expiry: -1");
	subtest_end();
	fx_free(&f);

	/* Profile linux-late: each timer at the latest tick Linux's wheel (HZ
	 * 250) fires it on a busy machine; the stack still reasons with the
	 * nominal deadline. */
	subtest("synack_timer_wheel_slack_us: the wheel's worst lateness at HZ 250");
	is_uint(synack_timer_wheel_slack_us(250, 40000), 4000, "40 ms (level 0): a jiffy");
	is_uint(synack_timer_wheel_slack_us(250, 1), 7999, "1 us: rounded up to a jiffy, + 1");
	is_uint(synack_timer_wheel_slack_us(250, 300000), 32000, "300 ms (level 1): 8 jiffies");
	is_uint(synack_timer_wheel_slack_us(250, 60000000), 2048000, "60 s (level 3): 512");
	is_uint(synack_timer_wheel_slack_us(0, 300000), 0, "no HZ: exact");
	is_uint(synack_timer_wheel_slack_us(1000, 300000), 8000, "HZ 1000: 300 jiffies, level 1");
	subtest_end();

	subtest("linux-late: a wheel slot of the timer's level late, plus two ticks");
	struct synack_profile late;
	ok(synack_profile_by_name("linux-late", &late), "the profile exists");
	is_uint(late.timer_wheel_hz, 250, "HZ 250");
	late.max_sockets = 8;
	fx_init(&f, &late, 80);
	for (int i = 0; i < 4; i++)
		t[i] = sa_tcb_new(f.st, 4);
	uint64_t now = synack_now(f.st);
	/* Level 0 (< 63 jiffies): one jiffy; 40 ms is 10 jiffies, +1 +2. */
	sa_timer_set(t[0], SA_T_DELACK, now + 40000);
	is_uint(f.st->heap[t[0]->t_heap[SA_T_DELACK] - 1].deadline, now + 52000,
	        "40 ms delayed ACK: fires at 52 ms");
	is_uint(t[0]->t_deadline[SA_T_DELACK], now + 40000, "its nominal deadline stays 40 ms");
	/* A delay that is not whole jiffies is rounded up first: 1 us -> 1. */
	sa_timer_set(t[1], SA_T_DELACK, now + 1);
	is_uint(synack_next_deadline(f.st), now + 16000, "1 us: 1 + 1 + 2 jiffies");
	sa_timer_set(t[1], SA_T_DELACK, now);
	is_uint(synack_next_deadline(f.st), now + 12000, "due now: the next tick, + 2");
	/* Level 1 (63..503 jiffies): 8; 300 ms is 75 jiffies. */
	sa_timer_set(t[2], SA_T_RTX, now + 300000);
	is_uint(f.st->heap[t[2]->t_heap[SA_T_RTX] - 1].deadline, now + 340000,
	        "300 ms RTO: 75 + 8 + 2 jiffies");
	/* Level 3 (4032..32255): 512; TIME_WAIT's 60 s is 15000 jiffies. */
	sa_timer_set(t[3], SA_T_TIME_WAIT, now + 60000000);
	is_uint(f.st->heap[t[3]->t_heap[SA_T_TIME_WAIT] - 1].deadline, now + 62056000,
	        "60 s TIME_WAIT: 15000 + 512 + 2 jiffies");
	/* The compressed-SACK timer is an hrtimer: exact. */
	sa_timer_set(t[3], SA_T_COMP_SACK, now + 1234);
	is_uint(synack_next_deadline(f.st), now + 1234, "compressed SACK (hrtimer): exact");
	synack_advance(f.st, now + 40000);
	ok(sa_timer_armed(t[0], SA_T_DELACK),
	   "at its nominal deadline the ACK timer has not fired");
	synack_advance(f.st, now + 52000);
	ok(!sa_timer_armed(t[0], SA_T_DELACK), "at 52 ms it has");
	subtest_end();
	for (int i = 0; i < 4; i++)
		sa_tcb_free(t[i]);
	sa_reap(f.st);
	fx_free(&f);
	done_testing();
}
