/* Fuzz target: one whole IPv4/IPv6 packet, checksums verified.
 *
 * The one target that keeps checksum verification on for everything
 * (../shared/TOOLCHAIN.md): the input is the packet, bytes for bytes, so a
 * checksum-fixing custom mutator (LLVMFuzzerCustomMutator below for
 * libFuzzer; afl_post_checksum.c for AFL++) gets mutations past the
 * checksum; one input in eight keeps its mutated lengths and checksums, so
 * the checks themselves stay fuzzed.
 *
 * The packet arrives at a stack with a listener on 10.0.0.1:80 and an
 * established connection from 10.0.0.2:40000 (fixed seed, so its sequence
 * numbers are known: irs 1000, iss in PACKET_ISS below and in the seeds),
 * holding 100 unacknowledged bytes each way; then the clock moves to the
 * next deadline.
 *
 * Oracles: invariants after the packet and after the timer; every emitted
 * packet parses with checksums; at most 16 packets out per packet in; the
 * statistics count the packet exactly once (in_segs, icmp_in for an ICMP
 * error, or one malformed reason).
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz_arena.h"
#include "fuzz_input.h"
#include "packet_fix.h"
#include "synack/engine.h"
#include "synack/segment.h"

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size) __attribute__((weak));
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

static unsigned emitted;
static uint32_t captured_iss;

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz_packet: oracle failed: %s\n", what);
		abort();
	}
}

static void on_emit(void *ctx, const uint8_t *pkt, size_t len)
{
	struct synack_segment s;
	(void)ctx;
	emitted++;
	check(synack_seg_parse(pkt, len, true, &s) == SYNACK_SEG_OK, "emitted packet parses");
	if (s.flags & SYNACK_TH_SYN)
		captured_iss = s.seq;
}

static const uint8_t data100[100] = { 'x' };

static void inject(struct synack_stack *st, uint8_t flags, uint32_t seq, uint32_t ack, size_t len)
{
	uint8_t pkt[256];
	struct synack_segment s;
	memset(&s, 0, sizeof s);
	s.src = (struct synack_addr){ .family = 4, .bytes = { 10, 0, 0, 2 } };
	s.dst = (struct synack_addr){ .family = 4, .bytes = { 10, 0, 0, 1 } };
	s.ttl = 64;
	s.sport = 40000;
	s.dport = 80;
	s.flags = flags;
	s.seq = seq;
	s.ack = ack;
	s.window = 65535;
	if (flags & SYNACK_TH_SYN) {
		s.opt.has_mss = true;
		s.opt.mss = 1460;
		s.opt.sack_permitted = true;
	}
	s.payload = data100;
	s.payload_len = len;
	size_t n = synack_seg_build(&s, pkt, sizeof pkt);
	synack_input(st, synack_now(st), pkt, n);
}

static uint64_t stats_total(const struct synack_stats *x)
{
	/* not_for_us is a subset of in_segs + icmp_in */
	uint64_t n = x->in_segs + x->icmp_in;
	for (int i = 0; i < SYNACK_SEG_ERROR_COUNT; i++)
		n += x->malformed[i];
	return n;
}

static void invariants(struct synack_stack *st)
{
	char why[256];
	if (synack_check_invariants(st, why, sizeof why) != 0) {
		fprintf(stderr, "fuzz_packet: %s\n", why);
		check(0, "engine invariants");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct synack_profile prof;
	struct sockaddr_in sin;
	synack_profile_linux(&prof);
	prof.max_sockets = 8;
	prof.timestamps = false; /* fixed sequence numbers, no clock in the seeds */
	static struct fuzz_arena arena;
	arena_reset(&arena);
	struct synack_env env = { .emit = on_emit,
		                  .seed = 1,
		                  .alloc = arena_alloc,
		                  .free = arena_free,
		                  .alloc_ctx = &arena };
	struct synack_stack *st = synack_stack_new(&prof, &env);
	check(st != NULL, "stack_new");
	struct synack_addr a = { .family = 4, .bytes = { 10, 0, 0, 1 } };
	synack_add_address(st, &a);
	synack_advance(st, 1000000);
	int lfd = synack_socket(st, AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(80);
	synack_bind(st, lfd, (struct sockaddr *)&sin, sizeof sin);
	synack_listen(st, lfd, 8);
	inject(st, SYNACK_TH_SYN, 999, 0, 0);
	inject(st, SYNACK_TH_ACK, 1000, captured_iss + 1, 0);
	int fd = synack_accept(st, lfd, NULL, NULL);
	inject(st, SYNACK_TH_ACK | SYNACK_TH_PSH, 1000, captured_iss + 1, 100);
	synack_send(st, fd, data100, sizeof data100, 0);
	invariants(st);
#ifdef PACKET_PRINT_ISS
	printf("iss %u\n", captured_iss); /* for the seed generator */
#endif

	uint64_t before = stats_total(synack_stats(st));
	emitted = 0;
	synack_input(st, synack_now(st), data, size);
	check(stats_total(synack_stats(st)) == before + 1, "the packet counted exactly once");
	check(emitted <= 16, "bounded output per packet");
	invariants(st);
	uint64_t d = synack_next_deadline(st);
	if (d != SYNACK_NEVER) {
		emitted = 0;
		synack_advance(st, d);
		check(emitted <= 16, "bounded output per timer");
		invariants(st);
	}
	synack_stack_free(st);
	return 0;
}

/* libFuzzer: mutate, then fix lengths and checksums (packet_fix.h). */
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	if (LLVMFuzzerMutate)
		size = LLVMFuzzerMutate(data, size, max_size);
	packet_fix(data, size, seed);
	return size;
}
