/* Engine throughput (issue 5), as one table:
 *
 *   a bulk transfer of BENCH_MB (default 8) MB from a client engine to a
 *   server engine across engine/tests/simnet (1 ms each way, seeded drop in
 *   both directions) at 0 % and 1 % loss:
 *   - payload bytes per CPU second (CLOCK_PROCESS_CPUTIME_ID), best of
 *     REPS runs, next to a memcpy of the same bytes measured in the same run,
 *     interleaved with the transfers; the ratio is what to compare across
 *     machines and commits, not the absolute numbers;
 *   - instructions (callgrind's Ir) per data segment the client put on the
 *     wire, retransmissions included: the program runs itself under
 *     `valgrind --tool=callgrind --instr-atstart=no` and instruments only the
 *     transfer loop (CALLGRIND_START/STOP_INSTRUMENTATION). Ir covers the
 *     whole loop: both engines, the simulated wire and the application's
 *     send/recv calls.
 *   Virtual time is reported, never relied on: at 1 % loss it depends on
 *   the engine's loss recovery.
 *
 * Then the per-input cost of a fuzz target's setup (synack_stack_new +
 * synack_stack_free) in segments' worth of engine work.
 *
 * Usage: bench_engine [MB]    (BENCH_MB in the environment works too)
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "simnet.h"
#include "synack/engine.h"

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define HAVE_CALLGRIND 1
#endif
#endif
#ifndef HAVE_CALLGRIND
#define CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_STOP_INSTRUMENTATION
#endif

#define REPS        9
#define VTIME_LIMIT (3600ull * 1000000) /* virtual: give up after an hour */

static const uint32_t loss_ppm[] = { 0, 10000 };
#define NLOSS (sizeof(loss_ppm) / sizeof(loss_ppm[0]))

struct result {
	uint64_t bytes, segs, retrans, acks, vtime_us;
	double cpu_s, memcpy_s; /* best of REPS */
	double ir;              /* callgrind Ir of the transfer; < 0: not measured */
};

static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint8_t *src, *dst;

static void fill(uint64_t total)
{
	src = malloc(total);
	dst = malloc(total);
	if (!src || !dst) {
		fprintf(stderr, "bench_engine: out of memory\n");
		exit(1);
	}
	uint32_t x = 2463534242u;
	for (uint64_t i = 0; i < total; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		src[i] = (uint8_t)x;
	}
	memset(dst, 0, total); /* fault the pages in before any timing */
}

/* One transfer of total bytes; cpu_s is the CPU time of the transfer loop
 * (setup, handshake and teardown excluded). Exits on a stall or corruption. */
static void transfer(uint32_t loss, uint64_t total, struct result *r, double *cpu_s)
{
	static struct simnet net;
	struct simnet_config cfg = { .delay_us = 1000, .loss_ppm = loss, .seed = 42 };
	int c, s;
	if (simnet_init(&net, &cfg, NULL) < 0 || simnet_connect(&net, &c, &s) < 0) {
		fprintf(stderr, "bench_engine: no connection (loss %u ppm)\n", loss);
		exit(1);
	}
	struct synack_stack *a = net.st[0], *b = net.st[1];
	/* As a bulk sender would: a fixed, large send buffer
	 * (net.core.wmem_max, doubled), so results do not depend on how fast
	 * tcp_sndbuf_expand lets the default 16 KB grow. */
	int sndbuf = 212992;
	synack_setsockopt(a, c, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	struct simnet_dir_stats d0 = net.dir[0], d1 = net.dir[1];
	uint64_t rtx0 = synack_stats(a)->retrans_segs, v0 = net.now;
	uint64_t sent = 0, got = 0;
	memset(dst, 0, total);

	CALLGRIND_START_INSTRUMENTATION;
	double t0 = cpu_now();
	for (;;) {
		while (sent < total) {
			size_t n = total - sent < 65536 ? (size_t)(total - sent) : 65536;
			ssize_t w = synack_send(a, c, src + sent, n, 0);
			if (w <= 0)
				break;
			sent += (uint64_t)w;
		}
		for (;;) {
			size_t n = total - got < 65536 ? (size_t)(total - got) : 65536;
			ssize_t g = n ? synack_recv(b, s, dst + got, n, 0) : 0;
			if (g <= 0)
				break;
			got += (uint64_t)g;
		}
		if (got == total || net.now - v0 > VTIME_LIMIT || !simnet_step(&net, SYNACK_NEVER))
			break;
	}
	*cpu_s = cpu_now() - t0;
	CALLGRIND_STOP_INSTRUMENTATION;

	if (got != total || memcmp(src, dst, total) != 0) {
		fprintf(stderr,
		        "bench_engine: transfer at %u ppm loss %s at %llu of %llu bytes, "
		        "%.1f s virtual\n",
		        loss, got == total ? "corrupt" : "stalled", (unsigned long long)got,
		        (unsigned long long)total, (double)(net.now - v0) / 1e6);
		exit(1);
	}
	r->bytes = total;
	r->segs = net.dir[0].data_segs - d0.data_segs;
	r->acks = net.dir[1].pkts - d1.pkts;
	r->retrans = synack_stats(a)->retrans_segs - rtx0;
	r->vtime_us = net.now - v0;
	synack_close(a, c);
	synack_close(b, s);
	simnet_free(&net);
}

/* CPU time of one memcpy of total bytes: the mean of 8, warm. */
static double memcpy_once(uint64_t total)
{
	memcpy(dst, src, total);
	double t0 = cpu_now();
	for (int i = 0; i < 8; i++) {
		memcpy(dst, src, total);
		__asm__ volatile("" : : "r"(dst) : "memory");
	}
	return (cpu_now() - t0) / 8;
}

/* Runs this program under callgrind for one loss rate; returns the Ir of the
 * transfer, or -1 (with the reason in why). */
static double callgrind_ir(uint32_t loss, uint64_t mb, const struct result *native, char *why,
                           size_t whylen)
{
#ifndef HAVE_CALLGRIND
	(void)loss, (void)mb, (void)native;
	snprintf(why, whylen, "built without <valgrind/callgrind.h>");
	return -1;
#else
	char self[PATH_MAX], dir[] = "/tmp/bench_engine.XXXXXX", cmd[3 * PATH_MAX], line[256];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0 || !mkdtemp(dir)) {
		snprintf(why, whylen, "no /proc/self/exe or temporary directory");
		return -1;
	}
	self[n] = 0;
	snprintf(cmd, sizeof(cmd),
	         "valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=%s/cg.out "
	         "--log-file=%s/log '%s' --callgrind-child %u %llu",
	         dir, dir, self, loss, (unsigned long long)mb);
	FILE *p = popen(cmd, "r");
	unsigned long long segs = 0;
	while (p && fgets(line, sizeof(line), p))
		sscanf(line, "segments %llu", &segs);
	int rc = p ? pclose(p) : -1;
	double ir = -1;
	snprintf(line, sizeof(line), "%s/cg.out", dir);
	FILE *f = rc == 0 ? fopen(line, "r") : NULL;
	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long v;
		if (sscanf(line, "totals: %llu", &v) == 1 || sscanf(line, "summary: %llu", &v) == 1)
			ir = (double)v;
	}
	if (f)
		fclose(f);
	if (rc != 0)
		snprintf(why, whylen, "valgrind failed (exit %d); see %s/log", rc, dir);
	else if (ir < 0)
		snprintf(why, whylen, "no totals in %s/cg.out", dir);
	else if (segs != native->segs)
		snprintf(why, whylen, "%u ppm: %llu segments under callgrind, %llu native", loss,
		         segs, (unsigned long long)native->segs);
	if (rc == 0 && ir >= 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench_engine: could not remove %s\n", dir);
	}
	return ir;
#endif
}

static int valgrind_present(void)
{
	return system("valgrind --version >/dev/null 2>&1") == 0;
}

static void setup_cost(double per_seg)
{
	struct synack_profile prof;
	synack_profile_linux(&prof);
	struct synack_env env = { .emit = NULL, .seed = 1 };
	const int n = 2000;
	for (int k = 0; k < 2; k++) {
		if (k) {
			prof.max_sockets = 32;
			prof.max_syn_backlog = 16;
		}
		double t0 = cpu_now();
		for (int i = 0; i < n; i++)
			synack_stack_free(synack_stack_new(&prof, &env));
		double setup = (cpu_now() - t0) / n;
		printf("stack_new + stack_free (%s): %.1f us CPU, the work of %.1f segments of the "
		       "0 %% transfer\n",
		       k ? "max_sockets 32, as fuzz_segment" : "linux profile", setup * 1e6,
		       setup / per_seg);
	}
}

int main(int argc, char **argv)
{
	/* Under callgrind: one instrumented transfer. */
	if (argc == 4 && strcmp(argv[1], "--callgrind-child") == 0) {
		uint64_t total = strtoull(argv[3], NULL, 10) << 20;
		struct result r;
		double cpu;
		fill(total);
		transfer((uint32_t)strtoul(argv[2], NULL, 10), total, &r, &cpu);
		printf("segments %llu\n", (unsigned long long)r.segs);
		return 0;
	}
	const char *mbs = argc > 1 ? argv[1] : getenv("BENCH_MB");
	uint64_t mb = mbs && *mbs ? strtoull(mbs, NULL, 10) : 8;
	if (mb == 0 || mb > 1024) {
		fprintf(stderr, "usage: bench_engine [MB]   (1..1024, default 8)\n");
		return 2;
	}
	uint64_t total = mb << 20;
	fill(total);

	struct result res[NLOSS];
	for (size_t i = 0; i < NLOSS; i++) {
		res[i].cpu_s = res[i].memcpy_s = 1e300;
		res[i].ir = -1;
	}
	/* Side by side: each round does every transfer and its memcpy. */
	for (int rep = 0; rep < REPS; rep++) {
		for (size_t i = 0; i < NLOSS; i++) {
			double cpu, m;
			transfer(loss_ppm[i], total, &res[i], &cpu);
			m = memcpy_once(total);
			if (cpu < res[i].cpu_s)
				res[i].cpu_s = cpu;
			if (m < res[i].memcpy_s)
				res[i].memcpy_s = m;
		}
	}
	char why[PATH_MAX + 128] = "";
	if (!valgrind_present())
		snprintf(why, sizeof(why),
		         "valgrind not installed (`make bench` installs it as root; "
		         "harness/deps.sh bench prints the command)");
	else
		for (size_t i = 0; i < NLOSS && !*why; i++)
			res[i].ir = callgrind_ir(loss_ppm[i], mb, &res[i], why, sizeof(why));

	printf("two-engine bulk transfer, %llu MB client -> server, 1 ms each way, best of %d; "
	       "memcpy of the same bytes in the same run\n",
	       (unsigned long long)mb, REPS);
	printf("%6s %5s %9s %8s %8s %10s %12s %12s %9s %10s\n", "loss %", "MB", "segments",
	       "retrans", "acks", "virtual s", "MB/CPU-s", "memcpy MB/s", "x memcpy", "Ir/segment");
	for (size_t i = 0; i < NLOSS; i++) {
		const struct result *r = &res[i];
		double mbs_e = (double)r->bytes / 1048576.0 / r->cpu_s;
		double mbs_m = (double)r->bytes / 1048576.0 / r->memcpy_s;
		char ir[32] = "n/a";
		if (r->ir >= 0)
			snprintf(ir, sizeof(ir), "%.0f", r->ir / (double)r->segs);
		printf("%6.1f %5llu %9llu %8llu %8llu %10.3f %12.1f %12.1f %9.1f %10s\n",
		       loss_ppm[i] / 10000.0, (unsigned long long)mb, (unsigned long long)r->segs,
		       (unsigned long long)r->retrans, (unsigned long long)r->acks,
		       (double)r->vtime_us / 1e6, mbs_e, mbs_m, r->cpu_s / r->memcpy_s, ir);
	}
	printf("segments: data segments the client sent (retransmissions included); acks: "
	       "segments the server sent;\nx memcpy: CPU time of the transfer / CPU time of one "
	       "memcpy of its payload; Ir/segment: callgrind instructions of the\nwhole transfer "
	       "loop (both engines, wire, application calls) per segment\n");
	if (*why)
		printf("Ir/segment not measured: %s\n", why);
	setup_cost(res[0].cpu_s / (double)res[0].segs);
	free(src);
	free(dst);
	return 0;
}
