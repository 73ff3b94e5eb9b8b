/* Bounded memory (issue 3 item 11): every allocation goes through the env's
 * allocator and stays within the profile's limits. A flood of 1,000,000
 * SYNs leaves memory flat once SYN cookies take over. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fixtures.h"
#include "tap.h"

/* One SYN from a different source port (and address) each time, built once
 * and patched: the flood's cost is the engine's, not the builder's. */
static void flood(struct fx *f, uint32_t from, uint32_t count)
{
	struct synack_segment s;
	uint8_t pkt[128];
	for (uint32_t i = from; i < from + count; i++) {
		fx_mkseg(f, &s, F_S, 0, 0, NULL, 0);
		s.seq = i * 2654435761u;
		s.sport = (uint16_t)(1024 + i % 60000);
		s.src.bytes[2] = (uint8_t)(i / 60000);
		s.opt.has_mss = true;
		s.opt.mss = 1460;
		s.opt.has_ts = true;
		s.opt.ts_val = i;
		size_t n = synack_seg_build(&s, pkt, sizeof(pkt));
		synack_input(f->st, f->now, pkt, n);
	}
}

static void syn_flood(void)
{
	struct fx f;
	subtest("1,000,000 SYNs with syncookies=1: memory flat once cookies take over");
	fx_init(&f, NULL, 900);
	f.keep = false;
	fx_listen(&f);
	uint64_t base = f.live_bytes;
	flood(&f, 0, 10000);
	uint64_t after_10k = f.live_bytes;
	uint64_t allocs_10k = f.allocs;
	ok(after_10k > base, "the SYN queue filled: %llu bytes",
	   (unsigned long long)(after_10k - base));
	flood(&f, 10000, 990000);
	is_uint(f.live_bytes, after_10k, "1,000,000 SYNs later: the same");
	is_uint(f.allocs, allocs_10k, "no allocation since");
	is_uint(synack_stats(f.st)->syncookies_sent, 1000000 - 129,
	        "all but the SYN queue (backlog 128: 129 fit) got cookies");
	is_uint(f.emitted, 1000000, "every SYN answered");
	ok(f.peak_bytes < 4u << 20, "peak %llu bytes", (unsigned long long)f.peak_bytes);
	fx_free(&f);
	subtest_end();

	struct synack_profile p;
	synack_profile_linux(&p);
	p.syncookies = 0;
	subtest("without cookies the SYN queue is bounded by the backlog");
	fx_init(&f, &p, 901);
	f.keep = false;
	fx_listen(&f);
	flood(&f, 0, 1000);
	uint64_t m = f.live_bytes;
	flood(&f, 1000, 100000);
	is_uint(f.live_bytes, m, "flat");
	/* SYN-ACK timers expire the requests: back to the listener only. */
	fx_advance(&f, 120000000);
	fx_advance(&f, 120000000);
	ok(f.live_bytes < m, "the requests expired");
	fx_free(&f);
	subtest_end();
}

static void connections_return_memory(void)
{
	struct fx f;
	char d[1000];
	memset(d, 'm', sizeof(d));
	subtest("connections opened, used and closed give all memory back");
	fx_init(&f, NULL, 902);
	fx_listen(&f);
	uint64_t base = f.live_bytes;
	for (int k = 0; k < 200; k++) {
		f.rport = (uint16_t)(3000 + k);
		fx_send_syn(&f);
		fx_drain(&f);
		fx_send(&f, F_A, 0, 0, NULL, 0);
		int fd = synack_accept(f.st, f.lfd, NULL, NULL);
		fx_send(&f, F_PA, 0, 0, d, sizeof(d));
		synack_send(f.st, fd, d, sizeof(d), 0);
		fx_drain(&f);
		fx_send(&f, F_A, 0, 0, NULL, 0);
		synack_close(f.st, fd); /* unread data: RST */
		fx_drain(&f);
	}
	is_uint(f.live_bytes, base, "back to the listener's footprint");
	fx_free(&f);
	is_uint(f.live_bytes, 0, "stack_free releases everything");
	subtest_end();
}

struct failing {
	int left; /* allocations before the failure */
	int live;
};

static void *fail_alloc(void *ctx, size_t n)
{
	struct failing *fl = ctx;
	if (fl->left-- <= 0)
		return NULL;
	fl->live++;
	return malloc(n);
}

static void fail_free(void *ctx, void *p)
{
	struct failing *fl = ctx;
	if (p)
		fl->live--;
	free(p);
}

static void stack_alloc_failure(void)
{
	subtest("synack_stack_new returns NULL, leaking nothing, when memory runs out");
	for (int k = 0; k < 7; k++) {
		struct failing fl = { k, 0 };
		struct synack_env env;
		memset(&env, 0, sizeof(env));
		env.alloc = fail_alloc;
		env.free = fail_free;
		env.alloc_ctx = &fl;
		struct synack_stack *st = synack_stack_new(NULL, &env);
		if (st) {
			ok(k >= 6, "succeeds with %d allocations", k);
			synack_stack_free(st);
		} else {
			pass("allocation %d fails: NULL", k);
		}
		is_int(fl.live, 0, "nothing leaked");
	}
	subtest_end();
}

int main(void)
{
	syn_flood();
	connections_return_memory();
	stack_alloc_failure();
	done_testing();
}
