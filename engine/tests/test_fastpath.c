/* Linux's header prediction (fastpath.c): which in-order data segments skip
 * ACK processing. Observed through tcpi_last_ack_recv (Linux: rcv_tstamp,
 * set by tcp_ack only): 0 ms after a segment whose ACK field was processed,
 * the time since the last one after a segment the fast path took. The
 * conformance scripts window/persist-*-predicted/-restarted-* and
 * keepalive/data-on-fast-path-keeps-probe-count check the same against
 * Linux through the persist and keep-alive timers. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "fixtures.h"
#include "tap.h"

static uint8_t zeros[2000];

static struct synack_tcp_info info(struct fx *f)
{
	struct synack_tcp_info ti;
	memset(&ti, 0, sizeof ti);
	synack_tcp_info(f->st, f->fd, &ti);
	return ti;
}

static uint32_t ack_age(struct fx *f)
{
	return info(f).last_ack_recv;
}

/* One second later, a segment from the peer (fx_send's offsets): how long
 * ago (ms) the last ACK field was processed. */
static uint32_t seg_after_1s(struct fx *f, uint8_t flags, int32_t seq_off, int32_t ack_off,
                             size_t len)
{
	fx_advance(f, 1000000);
	fx_drain(f);
	fx_send(f, flags, seq_off, ack_off, zeros, len);
	fx_drain(f);
	return ack_age(f);
}

/* In-order data of len bytes acknowledging unacked bytes of ours (0: it
 * moves nothing). */
static uint32_t data_acking_after_1s(struct fx *f, size_t len, uint32_t unacked)
{
	return seg_after_1s(f, SYNACK_TH_ACK | SYNACK_TH_PSH, 0, -(int32_t)unacked, len);
}

static uint32_t data_after_1s(struct fx *f, size_t len)
{
	return data_acking_after_1s(f, len, 0);
}

static void invariants(struct fx *f)
{
	char why[256] = "";
	is_int(synack_check_invariants(f->st, why, sizeof why), 0, "invariants hold %s", why);
}

static void memory_decides(void)
{
	struct fx f;
	subtest("reserved memory decides: nothing reserved, the slow path; what is left, the fast");
	fx_init(&f, NULL, 1);
	ok(fx_established(&f), "established (passive open: prediction on)");
	/* No skb charged yet: sk_forward_alloc 0, the slow path reserves a
	 * page and charges the 100-byte segment's 832-byte skb. */
	is_uint(data_after_1s(&f, 100), 0, "first data: ACK field processed");
	/* 3264 left: the next 832-byte skb fits. */
	is_uint(data_after_1s(&f, 100), 1000, "second data: fast path, ACK field skipped");
	/* 2432 left: a 1000-byte segment's 2304-byte skb fits too. */
	is_uint(data_after_1s(&f, 1000), 2000, "1000 bytes: fast path again");
	/* 128 left: the next skb does not fit, the slow path takes it. */
	is_uint(data_after_1s(&f, 100), 0, "then 100 bytes: memory short, slow path");
	/* The read frees every skb: nothing charged, nothing left. */
	char buf[4000];
	is_int((int)synack_recv(f.st, f.fd, buf, sizeof buf, 0), 1300, "read all");
	fx_drain(&f);
	is_uint(data_after_1s(&f, 100), 0, "after the read: nothing reserved, slow path");
	invariants(&f);
	fx_free(&f);
	subtest_end();
}

static void moving_ack_processed(void)
{
	struct fx f;
	subtest("an ACK field that moves SND.UNA is processed on the fast path too");
	fx_init(&f, NULL, 2);
	fx_established(&f);
	is_uint(data_after_1s(&f, 100), 0, "first data reserves a page");
	is_int((int)synack_send(f.st, f.fd, zeros, 10, 0), 10, "write 10");
	fx_drain(&f);
	is_uint(data_acking_after_1s(&f, 100, 10), 1000, "data not acknowledging it: fast path");
	is_uint(data_after_1s(&f, 100), 0, "data acknowledging it: tcp_ack ran");
	invariants(&f);
	fx_free(&f);
	subtest_end();
}

static void rfc_profile(void)
{
	struct fx f;
	struct synack_profile p;
	subtest("the RFC profile processes every ACK field (RFC 9293 §3.10.7.4)");
	synack_profile_rfc(&p);
	fx_init(&f, &p, 3);
	fx_established(&f);
	is_uint(data_after_1s(&f, 100), 0, "first data");
	is_uint(data_after_1s(&f, 100), 0, "second data: processed too");
	fx_free(&f);
	subtest_end();
}

static void hole_stops_prediction(void)
{
	struct fx f;
	subtest("data held out of order stops prediction until the hole is filled");
	fx_init(&f, NULL, 4);
	fx_established(&f);
	is_uint(data_after_1s(&f, 100), 0, "first data reserves a page");
	is_uint(seg_after_1s(&f, SYNACK_TH_ACK | SYNACK_TH_PSH, 200, 0, 100), 0,
	        "out of order: slow path"); /* held */
	is_uint(data_after_1s(&f, 100), 0, "in order, the hole still open: slow path");
	is_uint(data_after_1s(&f, 100), 0, "filling the hole: slow path");
	f.p_seq += 100; /* the held segment is in order now */
	/* Free the receive memory and reserve some for unacked data of ours,
	 * so that memory is not what decides. */
	char buf[1000];
	is_int((int)synack_recv(f.st, f.fd, buf, sizeof buf, 0), 400, "read all");
	is_int((int)synack_send(f.st, f.fd, zeros, 10, 0), 10, "write 10");
	fx_drain(&f);
	is_uint(data_acking_after_1s(&f, 100, 10), 1000, "next in order: fast path again");
	invariants(&f);
	fx_free(&f);
	subtest_end();
}

static void header_must_match(void)
{
	struct fx f;
	subtest("only the predicted header word: ACK (PSH ignored), the window as last seen");
	fx_init(&f, NULL, 5);
	fx_established(&f);
	is_uint(data_after_1s(&f, 100), 0, "first data reserves a page");
	is_uint(seg_after_1s(&f, SYNACK_TH_ACK, 0, 0, 100), 1000, "no PSH: fast path");
	f.p_win = 1000;
	is_uint(data_after_1s(&f, 100), 0, "another window: slow path (the window is updated)");
	is_uint(data_after_1s(&f, 100), 1000, "that window again: predicted, fast path");
	is_uint(seg_after_1s(&f, SYNACK_TH_ACK | SYNACK_TH_ECE, 0, 0, 100), 0,
	        "ECE set: slow path");
	fx_advance(&f, 1000000);
	uint64_t before = info(&f).bytes_received;
	uint32_t tsval = f.p_tsval;
	f.p_tsval = tsval - 2000u; /* older than TS.Recent, a second ago */
	fx_send(&f, SYNACK_TH_ACK | SYNACK_TH_PSH, 0, 0, zeros, 100);
	fx_drain(&f);
	f.p_tsval = tsval;
	is_uint(info(&f).bytes_received, before,
	        "TSval older than TS.Recent: PAWS drops it on the slow path");
	invariants(&f);
	fx_free(&f);
	subtest_end();
}

static void active_open(void)
{
	struct fx f;
	subtest("active open: predicted at once without window scaling, not with it");
	for (int ws = 0; ws < 2; ws++) {
		fx_init(&f, NULL, 6 + (uint64_t)ws);
		f.p_ws = ws != 0;
		fx_established_active(&f);
		/* Unacknowledged data keeps memory reserved, so the first
		 * segment from the peer can fit (the memory is not the test). */
		is_int((int)synack_send(f.st, f.fd, zeros, 10, 0), 10, "write 10");
		fx_drain(&f);
		is_uint(data_acking_after_1s(&f, 100, 10), ws ? 0u : 1000u,
		        ws ? "with window scaling: slow path" : "without: fast path");
		fx_free(&f);
	}
	subtest_end();
}

int main(void)
{
	memory_decides();
	moving_ack_processed();
	rfc_profile();
	hole_stops_prediction();
	header_must_match();
	active_open();
	done_testing();
}
