/* compare: normalisation, alignment and each difference class, on
 * hand-built observed traces (no stack runs here). */
#include <stdio.h>
#include <string.h>

#include "compare/compare.h"
#include "compare_support.h"
#include "synack/segment.h"
#include "tap.h"

#define S SYNACK_TH_SYN
#define A SYNACK_TH_ACK
#define P SYNACK_TH_PSH
#define R SYNACK_TH_RST
#define F SYNACK_TH_FIN

/* How one run differs from the reference passive open. */
struct tweak {
	uint32_t isn;
	uint16_t port;
	uint32_t ts0;
	uint16_t win;  /* SYN-ACK window */
	uint8_t flags; /* SYN-ACK flags */
	uint16_t mss;  /* SYN-ACK MSS */
	uint32_t seq;  /* data segment's relative seq */
	uint16_t len;  /* data length */
	uint64_t t_data;
	uint64_t drift; /* a real stack's latency on every event */
	bool no_data;   /* the data segment never comes */
	bool extra_rst; /* an RST nobody asked for at the end */
	const char *accept_text;
	int accept_fd;
};

static struct tweak ref(void)
{
	return (struct tweak){ .isn = 1000,
		               .port = 40000,
		               .ts0 = 7,
		               .win = 64240,
		               .flags = S | A,
		               .mss = 1460,
		               .seq = 1,
		               .len = 10,
		               .t_data = 100000,
		               .accept_fd = 4 };
}

static void build(struct run_trace *t, const struct tweak *w)
{
	run_trace_init(t);
	uint64_t d = w->drift;
	cs_add_text(t, RUN_OBS_SYSCALL, 0 + d, 4, "listen(3, 1) = 0");
	cs_add_pkt(t, &(struct cs_pkt){ .t = 0 + d,
	                                .line = 5,
	                                .flags = S,
	                                .seq = 0,
	                                .win = 65535,
	                                .mss = 1460,
	                                .peer_port = w->port });
	cs_add_pkt(t, &(struct cs_pkt){ .outbound = true,
	                                .t = 0 + d,
	                                .line = 6,
	                                .flags = w->flags,
	                                .seq = w->isn,
	                                .ack = 1,
	                                .win = w->win,
	                                .mss = w->mss,
	                                .ts_val = w->ts0,
	                                .ts_ecr = 0,
	                                .peer_port = w->port });
	cs_add_pkt(t, &(struct cs_pkt){ .t = 100000 + d,
	                                .line = 7,
	                                .flags = A,
	                                .seq = 1,
	                                .ack = w->isn + 1,
	                                .win = 257,
	                                .peer_port = w->port });
	char acc[64];
	snprintf(acc, sizeof acc, "accept(3, ..., ...) = %d", w->accept_fd);
	cs_add_text(t, RUN_OBS_SYSCALL, 100000 + d, 8, w->accept_text ? w->accept_text : acc);
	cs_add_text(t, RUN_OBS_SYSCALL, 100000 + d, 9, "write(4, ..., 10) = 10");
	if (!w->no_data)
		cs_add_pkt(t, &(struct cs_pkt){ .outbound = true,
		                                .t = w->t_data + d,
		                                .line = 10,
		                                .flags = P | A,
		                                .seq = w->isn + w->seq,
		                                .ack = 1,
		                                .win = 502,
		                                .len = w->len,
		                                .ts_val = w->ts0 + 100,
		                                .ts_ecr = 0,
		                                .peer_port = w->port });
	cs_add_pkt(t, &(struct cs_pkt){ .t = 200000 + d,
	                                .line = 11,
	                                .flags = A,
	                                .seq = 1,
	                                .ack = w->isn + 11,
	                                .win = 257,
	                                .peer_port = w->port });
	if (w->extra_rst)
		cs_add_pkt(t, &(struct cs_pkt){ .outbound = true,
		                                .t = 300000 + d,
		                                .line = 0,
		                                .flags = R,
		                                .seq = w->isn + 11,
		                                .win = 0,
		                                .peer_port = w->port });
}

/* Compares ref() with `b`; returns the classes, and the result in *out. */
static unsigned diff(const struct tweak *b, unsigned ignore, struct cmp_result *out)
{
	struct tweak a = ref();
	struct run_trace ra, rb;
	build(&ra, &a);
	build(&rb, b);
	struct cmp_trace ta, tb;
	cmp_normalise(&ra, &ta);
	cmp_normalise(&rb, &tb);
	struct cmp_opts o = { .ignore = ignore, .tolerance_us = 4000, .tolerance_percent = 12.5 };
	cmp_align(&ta, &tb, &o, out);
	unsigned c = out->classes;
	cmp_trace_free(&ta);
	cmp_trace_free(&tb);
	run_trace_free(&ra);
	run_trace_free(&rb);
	return c;
}

static void check(const char *what, struct tweak b, unsigned want)
{
	struct cmp_result r;
	unsigned got = diff(&b, 0, &r);
	char g[160], w[160];
	cmp_class_list(got, g, sizeof g);
	cmp_class_list(want, w, sizeof w);
	is_str(g, w, "%s", what);
	cmp_result_free(&r);
}

static void test_classes(void)
{
	struct tweak b = ref();
	b.isn = 0xfffffff0;
	b.port = 51234;
	b.ts0 = 123456789;
	check("another ISN, ephemeral port and TS clock: no difference", b, 0);

	b = ref();
	b.drift = 9000;
	check("a stack that runs 9 ms behind on every event: no timing difference", b, 0);

	b = ref();
	b.flags = R | A;
	/* No SYN to learn the ISN from: its first segment counts as seq 1. */
	check("RST instead of SYN-ACK: flags (and what an RST lacks)", b,
	      CMP_BIT(CMP_FLAGS) | CMP_BIT(CMP_SEQACK) | CMP_BIT(CMP_OPTIONS));

	b = ref();
	b.seq = 2;
	check("data one byte off: seq/ack", b, CMP_BIT(CMP_SEQACK));

	b = ref();
	b.len = 20;
	check("twenty bytes, not ten: payload", b, CMP_BIT(CMP_PAYLOAD));

	b = ref();
	b.win = 65535;
	check("another SYN-ACK window: window", b, CMP_BIT(CMP_WINDOW));

	b = ref();
	b.mss = 1400;
	check("another MSS: options", b, CMP_BIT(CMP_OPTIONS));

	b = ref();
	b.t_data = 150000;
	check("data 50 ms late: timing", b, CMP_BIT(CMP_TIMING));

	b = ref();
	b.t_data = 103000;
	check("data 3 ms late, inside 4 ms: no difference", b, 0);

	b = ref();
	b.no_data = true;
	check("no data segment: missing", b, CMP_BIT(CMP_MISSING));

	b = ref();
	b.extra_rst = true;
	check("an RST at the end: extra", b, CMP_BIT(CMP_EXTRA));

	b = ref();
	b.accept_text = "accept(3, ..., ...) = -1 EAGAIN (Resource temporarily unavailable)";
	check("accept fails: syscall", b, CMP_BIT(CMP_SYSCALL));

	b = ref();
	b.accept_fd = 7;
	check("accept returns another descriptor number: no difference", b, 0);
}

static void test_rows_and_ignore(void)
{
	struct tweak b = ref();
	b.win = 65535;
	b.t_data = 150000;
	struct cmp_result r;
	unsigned c = diff(&b, CMP_BIT(CMP_WINDOW), &r);
	is_int(c, CMP_BIT(CMP_TIMING), "--ignore window leaves timing only");
	is_int(r.counts[CMP_WINDOW], 0, "window not counted");
	is_int(r.n_diff_rows, 1, "one row differs");
	cmp_result_free(&r);

	b = ref();
	b.extra_rst = true;
	diff(&b, 0, &r);
	is_int((int)r.n, 9, "nine rows: eight paired, one extra");
	ok(r.rows[r.n - 1].a == -1 && r.rows[r.n - 1].b == 8, "the extra RST is B's last event");
	cmp_result_free(&r);

	b = ref();
	b.no_data = true;
	diff(&b, 0, &r);
	bool found = false;
	for (size_t i = 0; i < r.n; i++)
		if (r.rows[i].b == -1 && r.rows[i].a == 6)
			found = r.rows[i].diff == CMP_BIT(CMP_MISSING);
	ok(found, "the missing data segment is A's event 6, alone on its row");
	cmp_result_free(&r);
}

static void test_normalised_text(void)
{
	struct tweak a = ref();
	a.isn = 0xfffffffe; /* wraps */
	struct run_trace t;
	build(&t, &a);
	struct cmp_trace n;
	cmp_normalise(&t, &n);
	is_str(n.v[2].text, "> S. 0:0(0) ack 1 win 64240 <mss 1460,nop,nop,TS val +0 ecr 0>",
	       "SYN-ACK relative to its ISN, TS val relative");
	is_str(n.v[3].text, "< . 1:1(0) ack 1 win 257", "inbound ack relative to the stack's ISN");
	is_str(n.v[6].text, "> P. 1:11(10) ack 1 win 502 <nop,nop,TS val +100 ecr 0>",
	       "data across the sequence wrap");
	is_str(n.v[2].opts, "mss 1460,nop,nop,TS ecr 0", "TS val is not compared");
	cmp_trace_free(&n);
	run_trace_free(&t);
}

static void test_class_names(void)
{
	unsigned m;
	char why[200];
	is_int(cmp_class_parse("window,options,timing", &m, why, sizeof why), 0, "parse a list");
	is_int(m, CMP_BIT(CMP_WINDOW) | CMP_BIT(CMP_OPTIONS) | CMP_BIT(CMP_TIMING), "its bits");
	is_int(cmp_class_parse("seq,ack,length", &m, why, sizeof why), 0, "aliases");
	is_int(m, CMP_BIT(CMP_SEQACK) | CMP_BIT(CMP_PAYLOAD), "alias bits");
	is_int(cmp_class_parse("window,colour", &m, why, sizeof why), -1, "an unknown class");
	ok(strstr(why, "colour") != NULL, "names it: %s", why);
}

int main(void)
{
	test_classes();
	test_rows_and_ignore();
	test_normalised_text();
	test_class_names();
	return tap_done();
}
