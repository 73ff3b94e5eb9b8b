/* Two engines over engine/tests/simnet.
 *
 * 1. A perfect network: the whole lifecycle end to end — handshake, 1 MB each
 *    way with flow control, both close orders, TIME_WAIT expiry — with no ACK
 *    storms and exact bytes.
 * 2. A faulty network, many seeds (issue 5): the wire drops, duplicates,
 *    reorders, delays and corrupts segments from a seeded PRNG; applications
 *    write and read random sizes at random moments and close in a random order
 *    (either side first, or both at once). Each seed must deliver every byte
 *    exactly, finish within a bounded virtual time, end with both sides in
 *    TIME_WAIT/CLOSED and no RST, keep synack_check_invariants after every
 *    event, and count every corrupted segment as a checksum drop. Across seeds
 *    the engines must really have retransmitted, seen duplicates and used the
 *    out-of-order queue, so the test cannot pass vacuously.
 *
 *    TWO_SEEDS=n runs seeds 1..n instead of the default (TWO_KB=k: of k KB);
 *    TWO_SEED=N runs seed N alone (add TWO_KB=n for its size in KB each way,
 *    as printed on failure), TWO_DEBUG=1 traces it. */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fixtures.h"
#include "simnet.h"
#include "tap.h"

#define TOTAL (1u << 20)

static uint8_t byte_at(uint32_t i, int dir)
{
	return (uint8_t)((i * 2654435761u) >> (24 - dir));
}

static void perfect_network(void)
{
	static struct simnet net;
	if (simnet_init(&net, NULL, NULL) < 0)
		tap_bail("simnet_init");
	struct sockaddr_in sa;
	simnet_sockaddr(1, 80, &sa);
	int l = synack_socket(net.st[1], AF_INET, SOCK_STREAM, 0);
	synack_bind(net.st[1], l, (struct sockaddr *)&sa, sizeof(sa));
	synack_listen(net.st[1], l, 16);
	int c = synack_socket(net.st[0], AF_INET, SOCK_STREAM, 0);
	is_int(synack_connect(net.st[0], c, (struct sockaddr *)&sa, sizeof(sa)), -EINPROGRESS,
	       "connect");
	simnet_run(&net, net.now + 10000);
	int s = synack_accept(net.st[1], l, NULL, NULL);
	ok(s >= 0, "accepted after one RTT");
	is_int(synack_connect(net.st[0], c, (struct sockaddr *)&sa, sizeof(sa)), 0, "connected");

	/* 1 MB each way, the applications reading and writing as they can. */
	static uint8_t buf[65536];
	uint32_t sent[2] = { 0, 0 }, got[2] = { 0, 0 };
	int fds[2] = { c, s };
	bool good = true;
	uint64_t start = net.now;
	while ((got[0] < TOTAL || got[1] < TOTAL) && net.now < start + 60000000) {
		for (int i = 0; i < 2; i++) {
			if (sent[i] < TOTAL && (synack_poll(net.st[i], fds[i]) & POLLOUT)) {
				uint32_t n = TOTAL - sent[i] < 32768u ? TOTAL - sent[i] : 32768u;
				for (uint32_t k = 0; k < n; k++)
					buf[k] = byte_at(sent[i] + k, i);
				ssize_t r = synack_send(net.st[i], fds[i], buf, n, 0);
				if (r > 0)
					sent[i] += (uint32_t)r;
			}
			ssize_t r = synack_recv(net.st[1 - i], fds[1 - i], buf, sizeof(buf), 0);
			for (ssize_t k = 0; k < r; k++)
				if (buf[k] != byte_at(got[i] + (uint32_t)k, i))
					good = false;
			if (r > 0)
				got[i] += (uint32_t)r;
		}
		simnet_run(&net, net.now + 1000);
		if (getenv("TWO_DEBUG"))
			fprintf(stderr, "t=%llu sent %u/%u got %u/%u q=%zu pk=%llu\n",
			        (unsigned long long)net.now, sent[0], sent[1], got[0], got[1],
			        net.len, (unsigned long long)(net.dir[0].pkts + net.dir[1].pkts));
	}
	is_uint(got[0], TOTAL, "A -> B: 1 MB");
	is_uint(got[1], TOTAL, "B -> A: 1 MB");
	ok(good, "every byte in order");
	ok(!net.overflow, "the wire never overflowed (no ACK storm)");
	uint64_t pkts = net.dir[0].pkts + net.dir[1].pkts;
	tap_note("%llu packets, %llu ms", (unsigned long long)pkts,
	         (unsigned long long)((net.now - start) / 1000));
	ok(pkts < 4 * (2 * TOTAL / 1448), "packets bounded: %llu", (unsigned long long)pkts);

	/* A closes first: A ends in TIME_WAIT, B in CLOSED. */
	synack_close(net.st[0], c);
	simnet_run(&net, net.now + 10000);
	char x;
	is_int(synack_recv(net.st[1], s, &x, 1, 0), 0, "B sees EOF");
	synack_close(net.st[1], s);
	simnet_run(&net, net.now + 10000);
	is_uint(synack_next_deadline(net.st[1]), SYNACK_NEVER, "B: nothing left");
	ok(synack_next_deadline(net.st[0]) != SYNACK_NEVER, "A: TIME_WAIT");
	simnet_run(&net, net.now + 61000000);
	is_uint(synack_next_deadline(net.st[0]), SYNACK_NEVER, "A: TIME_WAIT over");
	ok(synack_stats(net.st[0])->out_rsts == 0 && synack_stats(net.st[1])->out_rsts == 0,
	   "no RST anywhere");
	simnet_free(&net);
}

/* ---- the faulty network -------------------------------------------------- */

enum close_order { CLIENT_FIRST, SERVER_FIRST, SIMULTANEOUS, WHEN_DONE, N_ORDERS };
static const char *const order_name[N_ORDERS] = { "client first", "server first", "simultaneous",
	                                          "each when done" };

struct lossy {
	uint64_t seed;
	uint32_t total[2]; /* bytes side i sends */
	enum close_order order;
	int profile; /* 0 linux, 1 no SACK, 2 no timestamps, 3 RFC 6675 + Reno */
	struct simnet_config cfg;
	uint32_t app_p; /* out of 256: the chance the applications take a turn */
};

/* What all seeds together exercised. */
struct totals {
	uint64_t bytes, retrans, dropped, duplicated, reordered, corrupted, checksum_drops;
	uint64_t ooo_segs, tlp, stale_rsts, vtime_ms, events;
	uint64_t max_ms, max_seed; /* the slowest transfer, handshake to both closed */
	uint64_t crossed_fins;     /* seeds where a side was seen in CLOSING */
};

/* The byte streams: side i sends pat[i] over and over, a period that is
 * prime and longer than any window, so a misplaced segment cannot match. */
#define PAT_PERIOD 1048573u
static uint8_t pat[2][PAT_PERIOD + 65536];

static const uint8_t *pattern(int dir, uint32_t offset)
{
	return &pat[dir][offset % PAT_PERIOD];
}

static uint64_t mix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static const char *const profile_name[] = { "linux", "no SACK", "no timestamps",
	                                    "RFC 6675 + Reno" };

static void lossy_config(struct lossy *L, uint64_t seed, uint32_t kb)
{
	uint64_t r = seed * 0x2545f4914f6cdd1dull + 7;
	memset(L, 0, sizeof(*L));
	L->seed = seed;
	L->total[0] = kb * 1024 - (uint32_t)(mix(&r) % 4096);
	L->total[1] = mix(&r) % 4 == 0 ? (uint32_t)(mix(&r) % 3000) /* one way, mostly */
	                               : (uint32_t)(mix(&r) % (kb * 1024));
	if (mix(&r) & 1) { /* the server sends the bulk */
		uint32_t t = L->total[0];
		L->total[0] = L->total[1];
		L->total[1] = t;
	}
	L->order = (enum close_order)(seed % N_ORDERS);
	L->profile = (int)((seed / N_ORDERS) % 4);
	L->cfg.seed = seed;
	L->cfg.delay_us = 200 + (uint32_t)(mix(&r) % 20000);
	L->cfg.jitter_us = (uint32_t)(mix(&r) % (L->cfg.delay_us / 2 + 1));
	L->cfg.loss_ppm = (uint32_t)(mix(&r) % (seed % 5 ? 30001 : 100001)); /* some 10 % */
	L->cfg.dup_ppm = (uint32_t)(mix(&r) % 20001);
	L->cfg.reorder_ppm = (uint32_t)(mix(&r) % 50001);
	L->cfg.reorder_us = 1 + (uint32_t)(mix(&r) % (2 * L->cfg.delay_us));
	L->cfg.corrupt_ppm = (uint32_t)(mix(&r) % 10001);
	L->app_p = 16 + (uint32_t)(mix(&r) % 241);
}

static int tcp_state(struct synack_stack *st, int fd)
{
	struct synack_tcp_info ti;
	int r = synack_tcp_info(st, fd, &ti);
	return r < 0 ? r : ti.state;
}

/* One simnet for every seed: its packet buffers (13 MB) are reused. */
static struct simnet lnet;

#define FAIL(...) (snprintf(why, whylen, __VA_ARGS__), false)

/* Every event, then both stacks' invariants. */
static bool checked_step(struct simnet *net, uint64_t until, bool *stepped, char *why,
                         size_t whylen)
{
	*stepped = simnet_step(net, until);
	for (int i = 0; i < 2; i++) {
		char w[200];
		if (synack_check_invariants(net->st[i], w, sizeof(w)) < 0)
			return FAIL("invariant broken on side %d at t=%" PRIu64 " us: %s", i,
			            net->now, w);
	}
	return true;
}

/* Liveness in virtual time: the applications must move a byte (or see a
 * close step) at least every STALL_US — two RTOs at the 120 s maximum —
 * and a seed must end within VTIME_LIMIT_US. Heavy loss legitimately backs
 * the RTO off far: with timestamps, the duplicate ACK for a retransmission
 * below RCV.WUP echoes an old TS.Recent (Linux: tcp_sequence drops it before
 * tcp_replace_ts_recent), and that TSecr becomes an RTT sample of many
 * seconds for the sender (tcp_ack_update_rtt; Karn rules out the timing). */
#define STALL_US       ((uint64_t)250 * 1000000)
#define VTIME_LIMIT_US ((uint64_t)1800 * 1000000)

static bool lossy_run(const struct lossy *L, struct totals *tot, char *why, size_t whylen)
{
	static uint8_t buf[65536];
	struct synack_profile prof;
	synack_profile_linux(&prof);
	/* Two sockets a side: a small connection hash keeps the invariant check
	 * after every event (a walk of every bucket) cheap. */
	prof.max_sockets = 16;
	if (L->profile == 1)
		prof.sack = prof.dsack = false;
	if (L->profile == 2)
		prof.timestamps = false;
	if (L->profile == 3) {
		prof.recovery = 0;
		prof.cc = SYNACK_CC_RENO;
	}
	bool debug = getenv("TWO_DEBUG") != NULL;
	uint64_t app = L->seed ^ 0xa5a5a5a5a5a5a5a5ull;
	if ((lnet.slot ? simnet_reinit(&lnet, &L->cfg, &prof)
	               : simnet_init(&lnet, &L->cfg, &prof)) < 0)
		tap_bail("simnet_init");
	int fds[2];
	if (simnet_connect(&lnet, &fds[0], &fds[1]) < 0)
		return FAIL("no connection within a minute");
	uint32_t sent[2] = { 0, 0 }, got[2] = { 0, 0 }; /* got[i]: of what side i sent */
	bool shut[2] = { false, false }, eof[2] = { false, false }, done[2] = { false, false };
	uint64_t start = lnet.now, last_move = lnet.now;
	bool crossed = false; /* a side seen in CLOSING: the FINs crossed */
	bool good = true, progress = true;
	uint64_t rsts[2], nosock[2];
	for (int i = 0; i < 2; i++) {
		rsts[i] = synack_stats(lnet.st[i])->out_rsts;
		nosock[i] = synack_stats(lnet.st[i])->no_socket;
	}
	while (good && !(done[0] && done[1])) {
		if (lnet.now - start > VTIME_LIMIT_US || lnet.now - last_move > STALL_US) {
			good = FAIL("%s at t=%" PRIu64
			            " s virtual: sent %u/%u got %u/%u, states %d/%d",
			            lnet.now - last_move > STALL_US ? "no progress for 250 s"
			                                            : "not finished",
			            (lnet.now - start) / 1000000, sent[0], sent[1], got[0], got[1],
			            tcp_state(lnet.st[0], fds[0]), tcp_state(lnet.st[1], fds[1]));
			break;
		}
		/* The applications' turn: sometimes, or whenever the wire is idle. */
		if (!progress || mix(&app) % 256 < L->app_p) {
			bool moved = false;
			for (int i = 0; i < 2 && good; i++) {
				struct synack_stack *st = lnet.st[i];
				if (sent[i] < L->total[i]) {
					uint32_t n = 1 + (uint32_t)(mix(&app) % sizeof(buf));
					if (n > L->total[i] - sent[i])
						n = L->total[i] - sent[i];
					ssize_t w =
					    synack_send(st, fds[i], pattern(i, sent[i]), n, 0);
					if (w > 0) {
						sent[i] += (uint32_t)w;
						moved = true;
					} else if (w != -EAGAIN) {
						good =
						    FAIL("side %d: send: %zd at %u", i, w, sent[i]);
					}
				}
				/* Side i reads what side 1 - i sent. */
				int j = 1 - i;
				if (!eof[j]) {
					size_t n = 1 + (size_t)(mix(&app) % sizeof(buf));
					ssize_t r = synack_recv(st, fds[i], buf, n, 0);
					const uint8_t *exp = pattern(j, got[j]);
					if (r > 0 && memcmp(buf, exp, (size_t)r) != 0) {
						ssize_t k = 0;
						while (buf[k] == exp[k])
							k++;
						good = FAIL(
						    "side %d -> %d: first wrong byte at offset %u "
						    "of a "
						    "%zd-byte read: got 0x%02x, expected 0x%02x",
						    j, i, got[j] + (uint32_t)k, r, buf[k], exp[k]);
					}
					if (r > 0) {
						got[j] += (uint32_t)r;
						moved = true;
					} else if (r == 0) {
						eof[j] = moved = true;
						if (got[j] != L->total[j])
							good = FAIL(
							    "side %d: EOF after %u of %u bytes", i,
							    got[j], L->total[j]);
					} else if (r != -EAGAIN) {
						good = FAIL("side %d: recv: %zd after %u bytes", i,
						            r, got[j]);
					}
				}
			}
			/* Closing: shutdown(SHUT_WR) sends the FIN after the data. */
			bool all_sent[2] = { sent[0] == L->total[0], sent[1] == L->total[1] };
			for (int i = 0; i < 2 && good; i++) {
				bool now_shut = false;
				switch (L->order) {
				case CLIENT_FIRST:
					now_shut = all_sent[i] && (i == 0 || eof[0]);
					break;
				case SERVER_FIRST:
					now_shut = all_sent[i] && (i == 1 || eof[1]);
					break;
				case SIMULTANEOUS:
					now_shut = all_sent[0] && all_sent[1];
					break;
				default:
					now_shut = all_sent[i];
					break;
				}
				if (now_shut && !shut[i]) {
					int r = synack_shutdown(lnet.st[i], fds[i], SHUT_WR);
					if (r < 0)
						good = FAIL("side %d: shutdown: %d", i, r);
					shut[i] = moved = true;
				}
				/* Our FIN sent, theirs read: wait for TIME_WAIT or CLOSED. */
				int s = tcp_state(lnet.st[i], fds[i]);
				crossed |= s == TCP_CLOSING;
				if (shut[i] && eof[1 - i] && !done[i] &&
				    (s == TCP_TIME_WAIT || s == TCP_CLOSE))
					done[i] = moved = true;
			}
			progress = moved;
			if (moved)
				last_move = lnet.now;
			if (debug) {
				struct synack_tcp_info ti[2] = { 0 };
				synack_tcp_info(lnet.st[0], fds[0], &ti[0]);
				synack_tcp_info(lnet.st[1], fds[1], &ti[1]);
				fprintf(stderr,
				        "t=%" PRIu64
				        " sent %u/%u got %u/%u shut %d%d eof %d%d q=%zu"
				        " | state %u/%u ca %u/%u rto %u/%u backoff %u/%u cwnd %u/%u"
				        " unacked %u/%u lost %u/%u retrans %u/%u snd_wnd %u/%u\n",
				        lnet.now, sent[0], sent[1], got[0], got[1], shut[0],
				        shut[1], eof[0], eof[1], lnet.len, ti[0].state, ti[1].state,
				        ti[0].ca_state, ti[1].ca_state, ti[0].rto, ti[1].rto,
				        ti[0].backoff, ti[1].backoff, ti[0].snd_cwnd,
				        ti[1].snd_cwnd, ti[0].unacked, ti[1].unacked, ti[0].lost,
				        ti[1].lost, ti[0].total_retrans, ti[1].total_retrans,
				        ti[0].snd_wnd, ti[1].snd_wnd);
			}
		}
		if (!good)
			break;
		bool stepped;
		uint64_t next = simnet_next_event(&lnet);
		/* Idle wire and idle applications: jump to the next timer. */
		uint64_t until = progress ? lnet.now + 1000 : next;
		if (next == SYNACK_NEVER && !progress) {
			good = FAIL("stalled: nothing pending, sent %u/%u got %u/%u, states %d/%d",
			            sent[0], sent[1], got[0], got[1], tcp_state(lnet.st[0], fds[0]),
			            tcp_state(lnet.st[1], fds[1]));
			break;
		}
		if (!checked_step(&lnet, until, &stepped, why, whylen)) {
			good = false;
			break;
		}
		/* A RST only from a side whose connection is over, answering a
		 * late duplicate for no socket. */
		for (int i = 0; i < 2 && good; i++) {
			const struct synack_stats *st = synack_stats(lnet.st[i]);
			if (st->out_rsts == rsts[i])
				continue;
			int state = tcp_state(lnet.st[i], fds[i]);
			if (state != TCP_CLOSE ||
			    st->out_rsts - rsts[i] > st->no_socket - nosock[i])
				good = FAIL("side %d sent a RST at t=%" PRIu64 " us: state %d, "
				            "sent %u/%u got %u/%u, shut %d%d, eof %d%d",
				            i, lnet.now - start, state, sent[0], sent[1], got[0],
				            got[1], shut[0], shut[1], eof[0], eof[1]);
			tot->stale_rsts += st->out_rsts - rsts[i];
			rsts[i] = st->out_rsts;
			nosock[i] = st->no_socket;
		}
		if (!good)
			break;
		if (stepped) {
			progress = true;
			tot->events++;
		} else {
			simnet_run(&lnet, until);
		}
	}
	const struct synack_stats *s0 = synack_stats(lnet.st[0]), *s1 = synack_stats(lnet.st[1]);
	uint64_t ms = (lnet.now - start) / 1000;
	tot->vtime_ms += ms;
	if (ms > tot->max_ms) {
		tot->max_ms = ms;
		tot->max_seed = L->seed;
	}
	if (getenv("TWO_VT"))
		fprintf(stderr, "seed %" PRIu64 ": %" PRIu64 " ms\n", L->seed, ms);
	uint64_t aborts[2];
	for (int i = 0; i < 2; i++) {
		const struct synack_stats *s = synack_stats(lnet.st[i]);
		aborts[i] = s->aborts_on_timeout + s->aborts_on_close + s->aborts_on_data +
		            s->aborts_on_linger;
	}
	if (good && (aborts[0] || aborts[1]))
		good = FAIL("aborted connections: %" PRIu64 "/%" PRIu64, aborts[0], aborts[1]);
	/* The TCP_INFO counters, while the descriptors still exist. */
	for (int i = 0; i < 2; i++) {
		struct synack_tcp_info ti;
		if (synack_tcp_info(lnet.st[i], fds[i], &ti) == 0)
			tot->retrans += ti.total_retrans;
	}

	/* Close both and let TIME_WAIT run out. A duplicate still on the wire
	 * may reach the side that is CLOSED, which answers it with a RST for no
	 * socket: allowed, counted, and nothing else. */
	uint64_t rst0 = s0->out_rsts + s1->out_rsts, nosock0 = s0->no_socket + s1->no_socket;
	if (good) {
		synack_close(lnet.st[0], fds[0]);
		synack_close(lnet.st[1], fds[1]);
		uint64_t end = lnet.now + 120000000;
		bool stepped = true;
		while (good && lnet.now < end &&
		       (lnet.len || synack_next_deadline(lnet.st[0]) != SYNACK_NEVER ||
		        synack_next_deadline(lnet.st[1]) != SYNACK_NEVER))
			if (!checked_step(&lnet, end, &stepped, why, whylen))
				good = false;
		if (good && (lnet.len || synack_next_deadline(lnet.st[0]) != SYNACK_NEVER ||
		             synack_next_deadline(lnet.st[1]) != SYNACK_NEVER))
			good = FAIL("something still pending 120 s after both closed");
		uint64_t n_rst = s0->out_rsts + s1->out_rsts - rst0;
		uint64_t n_nosock = s0->no_socket + s1->no_socket - nosock0;
		if (good && n_rst > n_nosock)
			good = FAIL("%" PRIu64 " RSTs after close, only %" PRIu64 " for no socket",
			            n_rst, n_nosock);
		tot->stale_rsts += n_rst;
	}
	if (good && lnet.overflow)
		good = FAIL("the wire overflowed (an ACK storm?)");

	/* Every corrupted segment was caught by the checksum, nothing else was
	 * malformed. */
	uint64_t corrupted = lnet.dir[0].corrupted + lnet.dir[1].corrupted, bad = 0, other = 0;
	for (int i = 0; i < 2; i++)
		for (int e = 1; e < SYNACK_SEG_ERROR_COUNT; e++) {
			uint64_t n = synack_stats(lnet.st[i])->malformed[e];
			if (e == SYNACK_SEG_BAD_CHECKSUM)
				bad += n;
			else
				other += n;
		}
	if (good && (bad != corrupted || other))
		good = FAIL("%" PRIu64 " corrupted segments, %" PRIu64 " checksum drops, %" PRIu64
		            " other malformed",
		            corrupted, bad, other);

	tot->bytes += (uint64_t)got[0] + got[1];
	tot->dropped += lnet.dir[0].dropped + lnet.dir[1].dropped;
	tot->duplicated += lnet.dir[0].duplicated + lnet.dir[1].duplicated;
	tot->reordered += lnet.dir[0].reordered + lnet.dir[1].reordered;
	tot->corrupted += corrupted;
	tot->checksum_drops += bad;
	tot->tlp += s0->tlp_probes + s1->tlp_probes;
	tot->ooo_segs += s0->ofo_queued + s1->ofo_queued;
	tot->crossed_fins += crossed;
	return good;
}

static void lossy_seed(uint64_t seed, uint32_t kb, struct totals *tot)
{
	struct lossy L;
	char why[512] = "";
	lossy_config(&L, seed, kb);
	bool good = lossy_run(&L, tot, why, sizeof(why));
	if (!is_str(good ? "" : why, "", "seed %" PRIu64 ": %u + %u bytes, %s, %s profile", seed,
	            L.total[0], L.total[1], order_name[L.order], profile_name[L.profile])) {
		tap_diag("network: delay %u us, jitter %u us, loss %u ppm, dup %u ppm, reorder %u "
		         "ppm (up to %u us), corrupt %u ppm; applications take a turn at %u/256",
		         L.cfg.delay_us, L.cfg.jitter_us, L.cfg.loss_ppm, L.cfg.dup_ppm,
		         L.cfg.reorder_ppm, L.cfg.reorder_us, L.cfg.corrupt_ppm, L.app_p);
		tap_diag("replay: TWO_SEED=%" PRIu64 " TWO_KB=%u TWO_DEBUG=1 %s", seed, kb,
		         "build/plain/tests/engine/tests/test_two_engines");
	}
}

#define SEEDS    128 /* of SMALL_KB each way */
#define SMALL_KB 256
#define BIG_RUNS 3 /* of BIG_KB */
#define BIG_KB   (4 * 1024)

int main(void)
{
	const char *one = getenv("TWO_SEED");
	struct totals tot = { 0 };
	uint64_t x = 0x1234;
	for (int d = 0; d < 2; d++) {
		for (size_t k = 0; k < PAT_PERIOD; k++)
			pat[d][k] = (uint8_t)(mix(&x) >> 56);
		memcpy(&pat[d][PAT_PERIOD], pat[d], 65536); /* reads and writes wrap */
	}
	if (one) {
		const char *kb = getenv("TWO_KB");
		lossy_seed(strtoull(one, NULL, 0), kb ? (uint32_t)strtoul(kb, NULL, 0) : SMALL_KB,
		           &tot);
		simnet_free(&lnet);
		done_testing();
	}
	subtest("a perfect network");
	perfect_network();
	subtest_end();

	subtest("a faulty network: %d seeds of %d KB, %d of %d KB", SEEDS, SMALL_KB, BIG_RUNS,
	        BIG_KB);
	const char *many = getenv("TWO_SEEDS"); /* a longer hunt: TWO_SEEDS=n */
	uint64_t n_seeds = many ? strtoull(many, NULL, 0) : SEEDS;
	const char *kb = getenv("TWO_KB");
	for (uint64_t seed = 1; seed <= n_seeds; seed++)
		lossy_seed(seed, kb ? (uint32_t)strtoul(kb, NULL, 0) : SMALL_KB, &tot);
	for (uint64_t seed = 1001; seed < 1001 + BIG_RUNS; seed++)
		lossy_seed(seed, BIG_KB, &tot);
	tap_note("%" PRIu64 " bytes, %" PRIu64 " events, %" PRIu64
	         " s virtual (the slowest: seed %" PRIu64 ", %" PRIu64 " ms); dropped %" PRIu64
	         ", duplicated %" PRIu64 ", reordered %" PRIu64 ", corrupted %" PRIu64
	         " (checksum drops %" PRIu64 "); retransmitted %" PRIu64 ", TLP %" PRIu64
	         ", queued out of order %" PRIu64 ", RSTs for stale duplicates %" PRIu64
	         "; FINs crossed (CLOSING) in %" PRIu64 " seeds",
	         tot.bytes, tot.events, tot.vtime_ms / 1000, tot.max_seed, tot.max_ms, tot.dropped,
	         tot.duplicated, tot.reordered, tot.corrupted, tot.checksum_drops, tot.retrans,
	         tot.tlp, tot.ooo_segs, tot.stale_rsts, tot.crossed_fins);
	/* Not vacuous: the faults happened and the engines recovered from them. */
	ok(tot.dropped > 100 && tot.retrans >= tot.dropped / 4,
	   "losses repaired by retransmission");
	ok(tot.duplicated > 100 && tot.reordered > 100 && tot.corrupted > 10,
	   "duplicates, reordering and corruption on the wire");
	ok(tot.ooo_segs > 100, "the receivers' out-of-order queues held data");
	ok(tot.tlp > 0, "tail loss probes sent");
	ok(tot.crossed_fins > 0, "simultaneous closes crossed their FINs");
	subtest_end();
	done_testing();
}
