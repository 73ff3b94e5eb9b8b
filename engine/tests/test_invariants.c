/* The self-check's oracles that need more than a look at one moment
 * (synack_check_invariants):
 * - state changes along RFC 9293's diagram (conn.c sa_set_state): every edge
 *   of Figure 5 and of the event processing text is allowed, backward and
 *   skipping moves are not, a move against the diagram fails the check
 *   naming both states, and the engine's own lifecycles — including the
 *   TIME_WAIT sock that carries on a connection whose descriptor is still
 *   open — pass it;
 * - the retransmission timer runs while anything is in flight (RFC 6298
 *   §5.1): cancelling it under a SYN or data in flight fails the check;
 * - data held back with nothing in flight has the persist timer (RFC 9293
 *   §3.8.6.1): cancelling it behind a zero window fails the check;
 * - bounded memory is bounded by what the profile allows, tcp_wmem[1] too
 *   (a script fuzz finding: the check knew only tcp_wmem[2]). */
#include <string.h>
#include <sys/socket.h>

#include "fixtures.h"
#include "internal.h"
#include "tap.h"

struct edge {
	uint8_t from, to;
};

/* RFC 9293 §3.3.2 Figure 5, edge by edge, and §3.10's additions. */
static const struct edge rfc_edges[] = {
	{ SA_CLOSED, SA_LISTEN },           /* passive OPEN */
	{ SA_CLOSED, SA_SYN_SENT },         /* active OPEN */
	{ SA_LISTEN, SA_SYN_SENT },         /* SEND */
	{ SA_LISTEN, SA_CLOSED },           /* CLOSE */
	{ SA_SYN_SENT, SA_SYN_RECV },       /* rcv SYN: simultaneous open */
	{ SA_SYN_SENT, SA_ESTABLISHED },    /* rcv SYN,ACK */
	{ SA_SYN_SENT, SA_CLOSED },         /* CLOSE */
	{ SA_SYN_RECV, SA_ESTABLISHED },    /* rcv ACK of SYN */
	{ SA_SYN_RECV, SA_FIN_WAIT1 },      /* CLOSE */
	{ SA_SYN_RECV, SA_CLOSE_WAIT },     /* §3.10.7.4 eighth: FIN */
	{ SA_ESTABLISHED, SA_FIN_WAIT1 },   /* CLOSE */
	{ SA_ESTABLISHED, SA_CLOSE_WAIT },  /* rcv FIN */
	{ SA_FIN_WAIT1, SA_FIN_WAIT2 },     /* rcv ACK of FIN */
	{ SA_FIN_WAIT1, SA_CLOSING },       /* rcv FIN */
	{ SA_FIN_WAIT1, SA_TIME_WAIT },     /* §3.10.7.4 eighth: FIN acking ours */
	{ SA_FIN_WAIT2, SA_TIME_WAIT },     /* rcv FIN */
	{ SA_CLOSE_WAIT, SA_LAST_ACK },     /* CLOSE */
	{ SA_CLOSING, SA_TIME_WAIT },       /* rcv ACK of FIN */
	{ SA_LAST_ACK, SA_CLOSED },         /* rcv ACK of FIN */
	{ SA_TIME_WAIT, SA_CLOSED },        /* 2 MSL timeout */
	{ SA_ESTABLISHED, SA_ESTABLISHED }, /* no change is no transition */
};

/* Moves backward or past a state the diagram requires. */
static const struct edge forbidden[] = {
	{ SA_ESTABLISHED, SA_SYN_RECV },
	{ SA_ESTABLISHED, SA_SYN_SENT },
	{ SA_ESTABLISHED, SA_LISTEN },
	{ SA_ESTABLISHED, SA_TIME_WAIT },
	{ SA_ESTABLISHED, SA_LAST_ACK },
	{ SA_ESTABLISHED, SA_FIN_WAIT2 },
	{ SA_CLOSE_WAIT, SA_ESTABLISHED },
	{ SA_CLOSE_WAIT, SA_FIN_WAIT1 },
	{ SA_CLOSE_WAIT, SA_TIME_WAIT },
	{ SA_FIN_WAIT1, SA_CLOSE_WAIT },
	{ SA_FIN_WAIT1, SA_LAST_ACK },
	{ SA_FIN_WAIT2, SA_FIN_WAIT1 },
	{ SA_FIN_WAIT2, SA_CLOSING },
	{ SA_FIN_WAIT2, SA_CLOSE_WAIT },
	{ SA_CLOSING, SA_FIN_WAIT2 },
	{ SA_LAST_ACK, SA_TIME_WAIT },
	{ SA_LAST_ACK, SA_CLOSE_WAIT },
	{ SA_TIME_WAIT, SA_ESTABLISHED },
	{ SA_TIME_WAIT, SA_SYN_RECV },
	{ SA_LISTEN, SA_ESTABLISHED },
	{ SA_LISTEN, SA_SYN_RECV },
	{ SA_CLOSED, SA_ESTABLISHED },
	{ SA_CLOSED, SA_TIME_WAIT },
	{ SA_SYN_SENT, SA_FIN_WAIT1 },
	{ SA_SYN_SENT, SA_CLOSE_WAIT },
	{ SA_SYN_RECV, SA_SYN_SENT },
	{ 0, SA_CLOSED },
	{ SA_ESTABLISHED, 12 },
};

static struct tcb *tcb_of(struct fx *f, int fd)
{
	return f->st->fds[fd - 3];
}

static bool self_check(struct fx *f, char *why, size_t len)
{
	return synack_check_invariants(f->st, why, len) == 0;
}

/* The descriptor's connection through close, step by step, with the
 * self-check after each (the fixtures check after segments and timers). */
static bool lifecycle(const char *name, bool (*reach)(struct fx *), bool shut_first)
{
	struct fx f;
	struct synack_profile p;
	synack_profile_linux(&p);
	fx_init(&f, &p, 5);
	char why[256] = "";
	bool ok = reach(&f) && self_check(&f, why, sizeof why);
	if (ok && shut_first) {
		/* Our FIN first, descriptor kept open: FIN_WAIT1 → FIN_WAIT2,
		 * then the peer's FIN makes a TIME_WAIT sock that carries the
		 * connection on while the descriptor shows CLOSED. */
		synack_shutdown(f.st, f.fd, SHUT_WR);
		ok = self_check(&f, why, sizeof why);
		struct synack_segment fin;
		ok = ok && fx_pop(&f, &fin) && (fin.flags & SYNACK_TH_FIN);
		fx_send(&f, SYNACK_TH_ACK, 0, 0, NULL, 0);
		ok = ok && fx_state(&f, f.fd) == SA_FIN_WAIT2;
		fx_send(&f, SYNACK_TH_FIN | SYNACK_TH_ACK, 0, 0, NULL, 0);
		fx_drain(&f);
		ok = ok && fx_state(&f, f.fd) == SA_CLOSED && self_check(&f, why, sizeof why);
	} else if (ok) {
		synack_close(f.st, f.fd);
		fx_drain(&f);
		ok = self_check(&f, why, sizeof why);
	}
	fx_advance(&f, 120 * 1000 * 1000ULL);
	fx_drain(&f);
	ok = ok && self_check(&f, why, sizeof why);
	ok(ok, "%s: every state change on the diagram%s%s", name, why[0] ? ": " : "", why);
	fx_free(&f);
	return ok;
}

int main(void)
{
	tap_plan(13);

	bool all = true;
	for (size_t i = 0; i < sizeof rfc_edges / sizeof rfc_edges[0]; i++)
		if (!sa_state_change_allowed(rfc_edges[i].from, rfc_edges[i].to)) {
			tap_diag("refused: %s → %s", sa_state_name(rfc_edges[i].from),
			         sa_state_name(rfc_edges[i].to));
			all = false;
		}
	for (uint8_t s = SA_ESTABLISHED; s <= SA_CLOSING; s++)
		all = all && sa_state_change_allowed(s, SA_CLOSED);
	ok(all, "every edge of RFC 9293 Figure 5 and §3.10 allowed; every state may close");

	bool none = true;
	for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++)
		if (sa_state_change_allowed(forbidden[i].from, forbidden[i].to)) {
			tap_diag("allowed: %s → %s", sa_state_name(forbidden[i].from),
			         sa_state_name(forbidden[i].to));
			none = false;
		}
	ok(none, "backward and skipping moves refused (%zu of them)",
	   sizeof forbidden / sizeof forbidden[0]);

	/* A move against the diagram fails the self-check; only the first is
	 * kept (the one a fuzz finding starts from). */
	struct fx f;
	struct synack_profile p;
	synack_profile_linux(&p);
	fx_init(&f, &p, 9);
	bool est = fx_established(&f);
	char why[256] = "";
	bool clean = est && self_check(&f, why, sizeof why);
	sa_set_state(tcb_of(&f, f.fd), SA_CLOSE_WAIT);
	bool still = self_check(&f, why, sizeof why);
	sa_set_state(tcb_of(&f, f.fd), SA_ESTABLISHED);
	sa_set_state(tcb_of(&f, f.fd), SA_SYN_RECV);
	bool caught = !self_check(&f, why, sizeof why);
	ok(clean && still && caught && strstr(why, "from CLOSE_WAIT to ESTABLISHED") &&
	       strstr(why, "RFC 9293 §3.3.2"),
	   "CLOSE_WAIT → ESTABLISHED fails the self-check, first move kept: %s", why);
	fx_free(&f);

	/* RFC 6298 §5.1: in flight, timer running; cancel it and the check
	 * fails. In SYN_SENT (the SYN) and ESTABLISHED (data). */
	for (int data = 0; data < 2; data++) {
		fx_init(&f, &p, 11);
		bool there = data ? fx_established_active(&f) : fx_syn_sent(&f);
		if (there && data) {
			synack_send(f.st, f.fd, "hello", 5, 0);
			fx_drain(&f);
		}
		bool before = there && self_check(&f, why, sizeof why);
		sa_timer_clear(tcb_of(&f, f.fd), SA_T_RTX);
		bool after = !self_check(&f, why, sizeof why);
		ok(before && after && strstr(why, "no retransmission timer"),
		   "%s in flight: timer running; cancelled, the check fails: %s",
		   data ? "data" : "a SYN", why);
		fx_free(&f);
	}

	/* RFC 9293 §3.8.6.1: data behind a zero window, nothing in flight:
	 * the persist timer runs; cancel it and the check fails. */
	fx_init(&f, &p, 13);
	bool zero = fx_established_active(&f);
	f.p_win = 0;
	fx_send(&f, SYNACK_TH_ACK, 0, 0, NULL, 0);
	zero = zero && synack_send(f.st, f.fd, "held", 4, 0) == 4 && fx_pending(&f) == 0;
	bool probing = zero && sa_timer_armed(tcb_of(&f, f.fd), SA_T_PERSIST) &&
	               self_check(&f, why, sizeof why);
	sa_timer_clear(tcb_of(&f, f.fd), SA_T_PERSIST);
	bool deadlock = !self_check(&f, why, sizeof why);
	ok(probing && deadlock && strstr(why, "4 bytes held with nothing in flight"),
	   "data behind a zero window: persist timer; cancelled, the check fails: %s", why);
	fx_free(&f);

	/* Bounded memory is bounded by what the profile allows: tcp_wmem[1]
	 * above tcp_wmem[2] is every new socket's buffer (Linux
	 * tcp_init_sock), so a send queue that size is within bounds. */
	struct synack_profile big;
	synack_profile_linux(&big);
	big.wmem[1] = 9u << 20;
	big.wmem[2] = 4u << 20;
	fx_init(&f, &big, 17);
	static uint8_t chunk[1 << 20];
	bool est2 = fx_established_active(&f);
	size_t queued = 0;
	for (int i = 0; est2 && i < 8; i++) {
		ssize_t r = synack_send(f.st, f.fd, chunk, sizeof chunk, 0);
		queued += r > 0 ? (size_t)r : 0;
	}
	fx_drain(&f);
	ok(est2 && queued > (6u << 20) && self_check(&f, why, sizeof why),
	   "tcp_wmem[1] above tcp_wmem[2]: %zu bytes queued, within bounds: %s", queued, why);
	fx_free(&f);

	lifecycle("active open, close", fx_established_active, false);
	lifecycle("passive open, close", fx_established, false);
	lifecycle("active open, shutdown, peer FIN: TIME_WAIT sock", fx_established_active, true);
	lifecycle("CLOSE_WAIT, close", fx_close_wait, false);
	lifecycle("CLOSING", fx_closing, false);
	lifecycle("SYN_SENT, close", fx_syn_sent, false);
	return tap_done();
}
