/* SYN cookies (RFC 4987 §3.6) as Linux implements them: modes 0/1/2, the
 * MSS tables, wscale and SACK carried in the TSval, bad cookies reset. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "fixtures.h"
#include "tap.h"

static struct synack_profile cookies(int mode)
{
	struct synack_profile p;
	synack_profile_linux(&p);
	p.syncookies = mode;
	return p;
}

static void always(void)
{
	struct fx f;
	struct synack_segment s;
	struct synack_profile p = cookies(2);
	subtest("syncookies=2: stateless SYN-ACK, the ACK creates the connection");
	fx_init(&f, &p, 500);
	fx_listen(&f);
	fx_send_syn(&f);
	expect_seg_out(&f, F_SA, 0, 1, 0, FX_ANY, &s);
	ok(s.opt.has_wscale && s.opt.wscale == 10 && s.opt.sack_permitted && s.opt.has_ts,
	   "with timestamps, wscale and SACK are offered");
	is_int(s.opt.mss, 1460, "MSS from the table: 1460");
	is_uint(synack_next_deadline(f.st), SYNACK_NEVER, "nothing stored, no timer");
	is_uint(synack_stats(f.st)->syncookies_sent, 1, "syncookies_sent");
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_none(&f);
	int fd = synack_accept(f.st, f.lfd, NULL, NULL);
	ok(fd >= 0, "accepted");
	is_uint(synack_stats(f.st)->syncookies_recv, 1, "syncookies_recv");
	struct synack_tcp_info ti;
	synack_tcp_info(f.st, fd, &ti);
	is_int(ti.state, 1, "ESTABLISHED");
	is_int(ti.snd_wscale, 7, "the peer's wscale came back from the TSecr");
	is_int(ti.rcv_wscale, 10, "our wscale");
	ok(ti.options & 2, "SACK came back from the TSecr");
	is_int(ti.snd_mss, 1448, "mss 1460 - 12");
	/* The connection works. */
	f.fd = fd;
	fx_send(&f, F_PA, 0, 0, "cookie", 6);
	expect_seg(&f, F_A, 1, 7, 0, FX_ANY);
	fx_free(&f);
	subtest_end();
}

static void mss_tables(void)
{
	struct fx f;
	struct synack_segment s;
	struct synack_profile p = cookies(2);
	static const struct {
		uint16_t peer, got;
	} v4[] = { { 1460, 1460 }, { 1459, 1440 }, { 1400, 1300 }, { 1000, 536 }, { 100, 536 } },
	  v6[] = { { 9000, 8940 }, { 1500, 1440 }, { 1430, 1420 }, { 1280, 1220 } };
	subtest("MSS tables: IPv4 536/1300/1440/1460, IPv6 1220/1420/1440/8940");
	for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++) {
		fx_init(&f, &p, 501);
		fx_listen(&f);
		f.p_mss = v4[i].peer;
		fx_send_syn(&f);
		fx_pop(&f, &s);
		fx_send(&f, F_A, 0, 0, NULL, 0);
		int fd = synack_accept(f.st, f.lfd, NULL, NULL);
		struct synack_tcp_info ti;
		synack_tcp_info(f.st, fd, &ti);
		is_int(ti.snd_mss + 12, v4[i].got, "IPv4 peer %u -> %u", v4[i].peer, v4[i].got);
		fx_free(&f);
	}
	for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
		struct synack_profile q = p;
		q.mtu = 9000;
		fx_init6(&f, &q, 502);
		fx_listen(&f);
		f.p_mss = v6[i].peer;
		fx_send_syn(&f);
		fx_pop(&f, &s);
		fx_send(&f, F_A, 0, 0, NULL, 0);
		int fd = synack_accept(f.st, f.lfd, NULL, NULL);
		struct synack_tcp_info ti;
		synack_tcp_info(f.st, fd, &ti);
		is_int(ti.snd_mss + 12, v6[i].got, "IPv6 peer %u -> %u", v6[i].peer, v6[i].got);
		fx_free(&f);
	}
	subtest_end();
}

static void no_timestamps(void)
{
	struct fx f;
	struct synack_segment s;
	struct synack_profile p = cookies(2);
	subtest("without timestamps the cookie cannot carry wscale or SACK");
	fx_init(&f, &p, 503);
	f.p_ts = false;
	fx_listen(&f);
	fx_send_syn(&f);
	expect_seg_out(&f, F_SA, 0, 1, 0, 64240, &s);
	ok(!s.opt.has_wscale && !s.opt.sack_permitted && !s.opt.has_ts, "only MSS offered");
	fx_send(&f, F_A, 0, 0, NULL, 0);
	int fd = synack_accept(f.st, f.lfd, NULL, NULL);
	struct synack_tcp_info ti;
	synack_tcp_info(f.st, fd, &ti);
	is_int(ti.options, 0, "no options");
	is_int(ti.snd_mss, 1460, "mss 1460");
	fx_free(&f);
	subtest_end();
}

static void bad_cookie(void)
{
	struct fx f;
	struct synack_profile p = cookies(2);
	subtest("a bad cookie ACK gets an RST");
	fx_init(&f, &p, 504);
	fx_listen(&f);
	fx_send_syn(&f);
	fx_drain(&f);
	fx_send(&f, F_A, 0, 1, NULL, 0);
	expect_seg(&f, F_R, 2, 0, 0, 0);
	is_uint(synack_stats(f.st)->syncookies_failed, 1, "syncookies_failed");
	is_int(synack_accept(f.st, f.lfd, NULL, NULL), -EAGAIN, "nothing to accept");
	fx_free(&f);
	subtest_end();

	subtest("a cookie older than two minutes is refused");
	fx_init(&f, &p, 505);
	fx_listen(&f);
	fx_send_syn(&f);
	fx_drain(&f);
	fx_advance(&f, 59000000);
	f.p_ts = false;
	fx_send(&f, F_A, 0, 0, NULL, 0);
	ok(synack_accept(f.st, f.lfd, NULL, NULL) >= 0, "59 s later (the next minute): still good");
	fx_free(&f);
	fx_init(&f, &p, 505);
	fx_listen(&f);
	fx_send_syn(&f);
	fx_drain(&f);
	fx_advance(&f, 180000000);
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_seg(&f, F_R, 1, 0, 0, 0);
	fx_free(&f);
	subtest_end();
}

static void on_overflow(void)
{
	struct fx f;
	struct synack_profile p = cookies(1);
	subtest("syncookies=1: cookies only when the SYN queue overflows");
	fx_init(&f, &p, 506);
	fx_listen(&f);
	synack_listen(f.st, f.lfd, 1);
	for (int i = 0; i < 3; i++) {
		f.rport = (uint16_t)(100 + i);
		fx_send_syn(&f);
		expect_seg(&f, F_SA, 0, 1, 0, FX_ANY);
	}
	is_uint(synack_stats(f.st)->syncookies_sent, 1, "the 3rd SYN got a cookie (2 > 1)");
	is_uint(synack_stats(f.st)->syn_queue_overflows, 1, "overflow counted");
	fx_send(&f, F_A, 0, 0, NULL, 0);
	ok(synack_accept(f.st, f.lfd, NULL, NULL) >= 0, "the cookie connection is accepted");
	/* Without a recent overflow an ACK is not taken as a cookie. */
	fx_free(&f);

	fx_init(&f, &p, 507);
	fx_listen(&f);
	f.p_ack = 12345;
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_seg(&f, F_R, FX_ANY, 0, 0, 0);
	is_uint(synack_stats(f.st)->syncookies_failed, 0, "not even checked");
	fx_free(&f);
	subtest_end();

	p = cookies(0);
	subtest("syncookies=0: SYN-queue overflow drops the SYN");
	fx_init(&f, &p, 508);
	fx_listen(&f);
	synack_listen(f.st, f.lfd, 1);
	for (int i = 0; i < 3; i++) {
		f.rport = (uint16_t)(100 + i);
		fx_send_syn(&f);
	}
	is_int((int)fx_pending(&f), 2, "two SYN-ACKs");
	is_uint(synack_stats(f.st)->listen_drops, 1, "listen_drops");
	fx_free(&f);
	subtest_end();
}

int main(void)
{
	always();
	mss_tables();
	no_timestamps();
	bad_cookie();
	on_overflow();
	done_testing();
}
