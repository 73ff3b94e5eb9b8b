/* Hand-built observed traces for the compare tests (compare_support.h). */
#include <string.h>

#include "compare_support.h"
#include "synack/segment.h"

void cs_add_pkt(struct run_trace *t, const struct cs_pkt *p)
{
	struct synack_addr stack = { .family = 4, .bytes = { 192, 168, 0, 1 } };
	struct synack_addr peer = { .family = 4, .bytes = { 192, 0, 2, 1 } };
	struct synack_segment seg;
	memset(&seg, 0, sizeof seg);
	seg.src = p->outbound ? stack : peer;
	seg.dst = p->outbound ? peer : stack;
	uint16_t pp = p->peer_port ? p->peer_port : 40000;
	seg.sport = p->outbound ? 8080 : pp;
	seg.dport = p->outbound ? pp : 8080;
	seg.seq = p->seq;
	seg.ack = p->ack;
	seg.flags = p->flags;
	seg.window = p->win;
	seg.ttl = 64;
	static const uint8_t data[1500];
	seg.payload = data;
	seg.payload_len = p->len;
	if (p->mss) {
		seg.opt.has_mss = true;
		seg.opt.mss = p->mss;
	}
	if (p->ts_val) {
		seg.opt.has_ts = true;
		seg.opt.ts_val = p->ts_val;
		seg.opt.ts_ecr = p->ts_ecr;
	}
	uint8_t buf[2000];
	size_t n = synack_seg_build(&seg, buf, sizeof buf);
	run_trace_add(t, p->outbound ? RUN_OBS_OUTBOUND : RUN_OBS_INBOUND, p->t, p->line, buf, n,
	              "pkt");
}

void cs_add_text(struct run_trace *t, enum run_obs_kind k, uint64_t time, int line,
                 const char *text)
{
	run_trace_add(t, k, time, line, NULL, 0, "%s", text);
}
