/* Engine throughput, as ratios (absolute timings depend on the machine):
 *  1. segments per second through a client + server pair on a perfect
 *     in-memory network (bulk transfer one way, ACKs back), against a
 *     baseline that memcpy()s the same packets the same number of times;
 *  2. the per-input cost of a fuzz target's setup (synack_stack_new +
 *     synack_stack_free), in segments' worth of engine work.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "synack/engine.h"

#define QN 512

struct pq {
	uint8_t b[QN][1600];
	uint16_t len[QN];
	uint8_t to[QN];
	unsigned head, n;
	uint64_t segs, bytes;
};

static struct pq q;
static struct synack_stack *stk[2];

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void emit(int from, const uint8_t *p, size_t len)
{
	if (q.n == QN || len > 1600)
		return;
	unsigned i = (q.head + q.n++) % QN;
	memcpy(q.b[i], p, len);
	q.len[i] = (uint16_t)len;
	q.to[i] = (uint8_t)!from;
	q.segs++;
	q.bytes += len;
}

static void emit0(void *c, const uint8_t *p, size_t l)
{
	(void)c;
	emit(0, p, l);
}

static void emit1(void *c, const uint8_t *p, size_t l)
{
	(void)c;
	emit(1, p, l);
}

static uint64_t clock_us = 1000000;

static void drain(void)
{
	while (q.n) {
		unsigned i = q.head;
		q.head = (q.head + 1) % QN;
		q.n--;
		clock_us += 10;
		synack_input(stk[q.to[i]], clock_us, q.b[i], q.len[i]);
	}
}

static void sin_of(struct sockaddr_in *s, uint8_t last, uint16_t port)
{
	memset(s, 0, sizeof *s);
	s->sin_family = AF_INET;
	s->sin_port = htons(port);
	uint8_t a[4] = { 10, 0, 0, last };
	memcpy(&s->sin_addr, a, 4);
}

/* Transfers total bytes client -> server; returns seconds. */
static double transfer(uint64_t total)
{
	static uint8_t buf[1 << 16];
	struct synack_profile prof;
	struct sockaddr_in sin;
	synack_profile_linux(&prof);
	struct synack_env env[2] = { { .emit = emit0, .seed = 1 }, { .emit = emit1, .seed = 2 } };
	for (int i = 0; i < 2; i++) {
		stk[i] = synack_stack_new(&prof, &env[i]);
		struct synack_addr a = { .family = 4, .bytes = { 10, 0, 0, (uint8_t)(i + 1) } };
		synack_add_address(stk[i], &a);
		synack_advance(stk[i], clock_us);
	}
	int l = synack_socket(stk[1], AF_INET, SOCK_STREAM, 0);
	sin_of(&sin, 2, 80);
	synack_bind(stk[1], l, (struct sockaddr *)&sin, sizeof sin);
	synack_listen(stk[1], l, 8);
	int c = synack_socket(stk[0], AF_INET, SOCK_STREAM, 0);
	synack_connect(stk[0], c, (struct sockaddr *)&sin, sizeof sin);
	drain();
	int s = synack_accept(stk[1], l, NULL, NULL);
	if (s < 0) {
		fprintf(stderr, "bench_engine: no connection\n");
		exit(1);
	}
	q.segs = q.bytes = 0;
	double t0 = now_s();
	uint64_t sent = 0, got = 0;
	int idle = 0;
	while (got < total && idle < 1000) {
		ssize_t w = synack_send(stk[0], c, buf,
		                        total - sent < sizeof buf ? total - sent : sizeof buf, 0);
		if (w > 0)
			sent += (uint64_t)w;
		drain();
		ssize_t r;
		int progress = w > 0;
		while ((r = synack_recv(stk[1], s, buf, sizeof buf, 0)) > 0) {
			got += (uint64_t)r;
			progress = 1;
		}
		drain();
		if (!progress) {
			uint64_t d0 = synack_next_deadline(stk[0]),
			         d1 = synack_next_deadline(stk[1]);
			uint64_t d = d0 < d1 ? d0 : d1;
			if (d != SYNACK_NEVER && d > clock_us)
				clock_us = d;
			synack_advance(stk[0], clock_us);
			synack_advance(stk[1], clock_us);
			drain();
			idle++;
		}
	}
	double dt = now_s() - t0;
	synack_stack_free(stk[0]);
	synack_stack_free(stk[1]);
	if (got < total) {
		fprintf(stderr, "bench_engine: transfer stalled at %llu of %llu bytes\n",
		        (unsigned long long)got, (unsigned long long)total);
		exit(1);
	}
	return dt;
}

/* The baseline: the same packets, memcpy'd the same number of times
 * (into the queue and out to a receive buffer, as the pair does). */
static double memcpy_baseline(uint64_t segs, uint64_t bytes)
{
	static uint8_t src[1600], dst[2][1600];
	size_t avg = segs ? (size_t)(bytes / segs) : 0;
	double t0 = now_s();
	for (uint64_t i = 0; i < segs; i++) {
		src[i % 1600] = (uint8_t)i;
		memcpy(dst[i & 1], src, avg);
		memcpy(src, dst[i & 1], avg);
		__asm__ volatile("" : : "r"(dst) : "memory");
	}
	return now_s() - t0;
}

int main(void)
{
	const uint64_t total = 64ull << 20;
	double dt = transfer(total);
	uint64_t segs = q.segs, bytes = q.bytes;
	double base = memcpy_baseline(segs, bytes);
	printf("engine pair: %llu segments (%llu MB) in %.3f s: %.0f segments/s\n",
	       (unsigned long long)segs, (unsigned long long)(bytes >> 20), dt, segs / dt);
	printf("memcpy baseline of the same packets: %.4f s; engine / memcpy time ratio: %.1f\n",
	       base, base > 0 ? dt / base : 0);

	struct synack_profile prof;
	synack_profile_linux(&prof);
	struct synack_env env = { .emit = emit0, .seed = 1 };
	const int n = 2000;
	double t0 = now_s();
	for (int i = 0; i < n; i++)
		synack_stack_free(synack_stack_new(&prof, &env));
	double setup = (now_s() - t0) / n;
	printf("stack_new + stack_free (linux profile): %.1f us, the work of %.1f segments "
	       "through the pair\n",
	       setup * 1e6, setup / (dt / (double)segs));
	prof.max_sockets = 32;
	prof.max_syn_backlog = 16;
	t0 = now_s();
	for (int i = 0; i < n; i++)
		synack_stack_free(synack_stack_new(&prof, &env));
	setup = (now_s() - t0) / n;
	printf("stack_new + stack_free (max_sockets 32, as fuzz_segment): %.1f us, %.1f segments\n",
	       setup * 1e6, setup / (dt / (double)segs));
	return 0;
}
