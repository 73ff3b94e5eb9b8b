/* ICMP errors through synack_input (engine/src/icmp.c; Linux tcp_v4_err /
 * tcp_v6_err, RFC 9293 MUST-55/56, RFC 5927, RFC 1191, RFC 8201). */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "checksum.h"
#include "fixtures.h"
#include "tap.h"

static size_t put_quote(const struct synack_segment *q, uint8_t *out)
{
	size_t n = synack_seg_build(q, out, FX_PKTMAX - 100);
	if (!n)
		tap_bail("quote does not build");
	return n;
}

/* An ICMP(v6) error from the peer's address quoting q (a segment the stack
 * sent); quote_cut bytes of the quote kept (0: all). Returns the length. */
static size_t mk_icmp(struct fx *f, uint8_t *pkt, uint8_t type, uint8_t code, uint32_t info,
                      const struct synack_segment *q, size_t quote_cut)
{
	uint8_t qb[FX_PKTMAX];
	size_t qn = put_quote(q, qb);
	if (quote_cut && quote_cut < qn)
		qn = quote_cut;
	bool v6 = f->local.family == 6;
	size_t ih = v6 ? 40 : 20, len = ih + 8 + qn;
	memset(pkt, 0, ih + 8);
	uint8_t *ic = pkt + ih;
	ic[0] = type;
	ic[1] = code;
	ic[4] = (uint8_t)(info >> 24);
	ic[5] = (uint8_t)(info >> 16);
	ic[6] = (uint8_t)(info >> 8);
	ic[7] = (uint8_t)info;
	memcpy(ic + 8, qb, qn);
	if (v6) {
		pkt[0] = 0x60;
		pkt[4] = (uint8_t)((8 + qn) >> 8);
		pkt[5] = (uint8_t)(8 + qn);
		pkt[6] = 58;
		pkt[7] = 64;
		memcpy(pkt + 8, f->remote.bytes, 16);
		memcpy(pkt + 24, f->local.bytes, 16);
		uint16_t c = synack_csum_finish(synack_csum_add(
		    synack_csum_pseudo(&f->remote, &f->local, 58, (uint32_t)(8 + qn)), ic, 8 + qn));
		ic[2] = (uint8_t)(c >> 8);
		ic[3] = (uint8_t)c;
	} else {
		pkt[0] = 0x45;
		pkt[2] = (uint8_t)(len >> 8);
		pkt[3] = (uint8_t)len;
		pkt[8] = 64;
		pkt[9] = 1;
		memcpy(pkt + 12, f->remote.bytes, 4);
		memcpy(pkt + 16, f->local.bytes, 4);
		uint16_t c = synack_inet_checksum(pkt, 20);
		pkt[10] = (uint8_t)(c >> 8);
		pkt[11] = (uint8_t)c;
		c = synack_inet_checksum(ic, 8 + qn);
		ic[2] = (uint8_t)(c >> 8);
		ic[3] = (uint8_t)c;
	}
	return len;
}

static void icmp_in(struct fx *f, uint8_t type, uint8_t code, uint32_t info,
                    const struct synack_segment *q)
{
	uint8_t pkt[FX_PKTMAX];
	size_t n = mk_icmp(f, pkt, type, code, info, q, 0);
	synack_input(f->st, f->now, pkt, n);
}

static int so_error(struct fx *f)
{
	int v = -1;
	socklen_t l = sizeof v;
	synack_getsockopt(f->st, f->fd, SOL_SOCKET, SO_ERROR, &v, &l);
	return v;
}

static int state(struct fx *f)
{
	struct synack_tcp_info ti;
	if (synack_tcp_info(f->st, f->fd, &ti) < 0)
		return -1;
	return ti.state;
}

static void soft_errors(void)
{
	struct fx f;
	struct synack_segment s;
	struct synack_profile p;
	subtest("soft errors: no abort; a timeout reports the last one (MUST-56, tcp_write_err)");
	synack_profile_linux(&p);
	p.retries2 = 3;
	fx_init(&f, &p, 900);
	ok(fx_established(&f), "established");
	is_int((int)synack_send(f.st, f.fd, "0123456789", 10, 0), 10, "write");
	expect_seg_out(&f, F_PA, 1, 1, 10, FX_ANY, &s);
	icmp_in(&f, 3, 1, 0, &s); /* host unreachable */
	icmp_in(&f, 11, 0, 0, &s);
	icmp_in(&f, 12, 0, 0, &s);
	icmp_in(&f, 3, 3, 0, &s); /* port unreachable: soft once synchronized */
	icmp_in(&f, 4, 0, 0, &s); /* source quench: ignored (MUST-55) */
	expect_none(&f);
	/* Linux: sk_getsockopt SO_ERROR reports and clears sk_err_soft. */
	is_int(so_error(&f), ECONNREFUSED, "SO_ERROR: the last soft error");
	is_int(so_error(&f), 0, "cleared");
	is_int(state(&f), 1, "still ESTABLISHED");
	icmp_in(&f, 3, 3, 0, &s);
	is_uint(synack_stats(f.st)->icmp_in, 6, "icmp_in");
	is_uint(synack_stats(f.st)->icmp_ignored, 1, "source quench ignored");
	for (int i = 0; i < 100 && state(&f) == 1; i++)
		fx_advance(&f, fx_until_next_us(&f));
	is_int(so_error(&f), ECONNREFUSED, "timeout reports the soft error, not ETIMEDOUT");
	fx_free(&f);
	subtest_end();

	subtest("an ACK clears the soft error (tcp_ack)");
	fx_init(&f, &p, 901);
	ok(fx_established(&f), "established");
	synack_send(f.st, f.fd, "0123456789", 10, 0);
	expect_seg_out(&f, F_PA, 1, 1, 10, FX_ANY, &s);
	icmp_in(&f, 3, 0, 0, &s);
	fx_send(&f, F_A, 0, 0, NULL, 0);
	is_int(so_error(&f), 0, "cleared by the ACK");
	synack_send(f.st, f.fd, "0123456789", 10, 0);
	fx_drain(&f);
	for (int i = 0; i < 100 && state(&f) == 1; i++)
		fx_advance(&f, fx_until_next_us(&f));
	is_int(so_error(&f), ETIMEDOUT, "ETIMEDOUT");
	fx_free(&f);
	subtest_end();
}

static void syn_sent_hard(void)
{
	static const struct {
		uint8_t type, code;
		int err;
	} cases[] = {
		{ 3, 3, ECONNREFUSED },  { 3, 1, EHOSTUNREACH }, { 3, 0, ENETUNREACH },
		{ 11, 0, EHOSTUNREACH }, { 12, 0, EPROTO },      { 3, 13, EHOSTUNREACH },
	};
	subtest("SYN-SENT: an error aborts the connect (tcp_done_with_error)");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct fx f;
		fx_init(&f, NULL, 910 + i);
		ok(fx_syn_sent(&f), "SYN-SENT");
		struct sockaddr_in sa;
		socklen_t sl = sizeof sa;
		synack_getsockname(f.st, f.fd, (struct sockaddr *)&sa, &sl);
		struct synack_segment q;
		memset(&q, 0, sizeof q);
		q.src = f.local;
		q.dst = f.remote;
		q.sport = (uint16_t)(sa.sin_port >> 8 | sa.sin_port << 8);
		q.dport = f.rport;
		q.seq = f.iss;
		q.flags = F_S;
		q.ttl = 64;
		/* A quote outside [SND.UNA, SND.NXT] is ignored and counted. */
		q.seq = f.iss + 5;
		icmp_in(&f, cases[i].type, cases[i].code, 0, &q);
		is_int(state(&f), 2, "out-of-window quote: still SYN-SENT");
		is_uint(synack_stats(f.st)->icmp_out_of_window, 1, "counted");
		q.seq = f.iss;
		icmp_in(&f, cases[i].type, cases[i].code, 0, &q);
		is_int(so_error(&f), cases[i].err, "errno as Linux's icmp_err_convert");
		is_int(state(&f), 7, "CLOSED");
		expect_none(&f);
		fx_free(&f);
	}
	subtest_end();
}

static void syn_sent_v6(void)
{
	static const struct {
		uint8_t type, code;
		int err;
	} cases[] = {
		{ 1, 4, ECONNREFUSED }, { 1, 1, EACCES },       { 1, 0, ENETUNREACH },
		{ 1, 9, EPROTO },       { 3, 0, EHOSTUNREACH }, { 4, 0, EPROTO },
	};
	subtest("SYN-SENT over IPv6: icmpv6_err_convert's errno");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct fx f;
		fx_init6(&f, NULL, 960 + i);
		ok(fx_syn_sent(&f), "SYN-SENT");
		struct sockaddr_in6 sa;
		socklen_t sl = sizeof sa;
		synack_getsockname(f.st, f.fd, (struct sockaddr *)&sa, &sl);
		struct synack_segment q;
		memset(&q, 0, sizeof q);
		q.src = f.local;
		q.dst = f.remote;
		q.sport = (uint16_t)(sa.sin6_port >> 8 | sa.sin6_port << 8);
		q.dport = f.rport;
		q.seq = f.iss;
		q.flags = F_S;
		q.ttl = 64;
		icmp_in(&f, cases[i].type, cases[i].code, 0, &q);
		is_int(so_error(&f), cases[i].err, "errno");
		is_int(state(&f), 7, "CLOSED");
		fx_free(&f);
	}
	subtest_end();
}

static void request_sock(void)
{
	struct fx f;
	subtest("SYN-RECV request: hard errors drop it (tcp_req_err)");
	fx_init(&f, NULL, 920);
	ok(fx_listen(&f) >= 0, "listen");
	fx_send_syn(&f);
	struct synack_segment sa;
	expect_seg_out(&f, F_SA, 0, 1, 0, FX_ANY, &sa);
	icmp_in(&f, 3, 3, 0, &sa); /* port unreachable: not an abort for a request */
	uint64_t drops = synack_stats(f.st)->listen_drops;
	icmp_in(&f, 3, 1, 0, &sa); /* host unreachable: dropped */
	is_uint(synack_stats(f.st)->listen_drops, drops + 1, "request dropped");
	fx_send(&f, F_A, 0, 0, NULL, 0);
	expect_seg(&f, F_R, 1, FX_ANY, 0, FX_ANY); /* no request: RST */
	fx_free(&f);
	subtest_end();
}

static void malformed(void)
{
	struct fx f;
	struct synack_segment s;
	uint8_t pkt[FX_PKTMAX];
	subtest("malformed ICMP: dropped and counted");
	fx_init(&f, NULL, 930);
	ok(fx_established(&f), "established");
	synack_send(f.st, f.fd, "0123456789", 10, 0);
	expect_seg_out(&f, F_PA, 1, 1, 10, FX_ANY, &s);
	size_t n = mk_icmp(&f, pkt, 3, 3, 0, &s, 0);
	pkt[n - 1] ^= 1; /* bad ICMP checksum */
	synack_input(f.st, f.now, pkt, n);
	n = mk_icmp(&f, pkt, 3, 3, 0, &s, 27); /* quote: 20 + 7 bytes */
	synack_input(f.st, f.now, pkt, n);
	n = mk_icmp(&f, pkt, 3, 3, 0, &s, 0);
	for (size_t cut = 0; cut < n; cut++)
		synack_input(f.st, f.now, pkt, cut); /* truncated capture */
	pkt[2] = 0;
	pkt[3] = 27; /* total length: 7 bytes of ICMP header */
	pkt[10] = pkt[11] = 0;
	uint16_t c = synack_inet_checksum(pkt, 20);
	pkt[10] = (uint8_t)(c >> 8);
	pkt[11] = (uint8_t)c;
	synack_input(f.st, f.now, pkt, n);
	is_uint(synack_stats(f.st)->icmp_malformed, 3, "icmp_malformed");
	ok(synack_stats(f.st)->malformed[SYNACK_SEG_TRUNCATED] > 0, "truncated counted");
	is_int(state(&f), 1, "ESTABLISHED");
	expect_none(&f);
	fx_free(&f);
	subtest_end();
}

static void frag_needed(void)
{
	struct fx f;
	struct synack_segment s, s2;
	static uint8_t data[2920];
	subtest("frag needed: PMTU down, MSS down, resent smaller (tcp_v4_mtu_reduced)");
	fx_init(&f, NULL, 940);
	ok(fx_established(&f), "established");
	is_int((int)synack_send(f.st, f.fd, data, sizeof data, 0), 2920, "write");
	expect_seg_out(&f, F_A, 1, 1, 1448, FX_ANY, &s); /* timestamps on */
	expect_seg_out(&f, F_A, 1449, 1, 1448, FX_ANY, &s2);
	expect_seg(&f, F_PA, 2897, 1, 24, FX_ANY);
	icmp_in(&f, 3, 4, 1200, &s);
	expect_seg(&f, F_A, 1, 1, 1148, FX_ANY);
	/* The write is one burst (one Linux skb): resent in new-MSS pieces. */
	expect_seg(&f, F_A, 1149, 1, 1148, FX_ANY);
	struct synack_tcp_info ti;
	synack_tcp_info(f.st, f.fd, &ti);
	is_uint(ti.snd_mss, 1148, "snd_mss 1200 - 40 - 12");
	is_int(so_error(&f), 0, "no soft error");
	fx_drain(&f);
	icmp_in(&f, 3, 4, 100, &s); /* below 552: 552 (ip_rt_min_pmtu) */
	synack_tcp_info(f.st, f.fd, &ti);
	is_uint(ti.snd_mss, 500, "snd_mss 552 - 40 - 12");
	is_int(so_error(&f), EMSGSIZE, "below the minimum: EMSGSIZE kept as the soft error");
	fx_free(&f);
	subtest_end();

	subtest("packet too big (IPv6): at least 1280 (tcp_v6_err)");
	fx_init6(&f, NULL, 941);
	ok(fx_established(&f), "established");
	synack_send(f.st, f.fd, data, sizeof data, 0);
	expect_seg_out(&f, F_A, 1, 1, FX_ANY, FX_ANY, &s);
	fx_drain(&f);
	icmp_in(&f, 2, 0, 1000, &s);
	synack_tcp_info(f.st, f.fd, &ti);
	is_uint(ti.snd_mss, 1428, "below 1280: ignored");
	icmp_in(&f, 2, 0, 1280, &s);
	synack_tcp_info(f.st, f.fd, &ti);
	is_uint(ti.snd_mss, 1208, "1280 - 60 - 12");
	expect_seg(&f, F_A, 1, 1, 1208, FX_ANY);
	fx_free(&f);
	subtest_end();
}

static void rto_revert(void)
{
	struct fx f;
	struct synack_segment s;
	struct synack_tcp_info ti;
	subtest(
	    "RFC 6069: host unreachable for SND.UNA undoes one RTO backoff (tcp_ld_RTO_revert)");
	fx_init(&f, NULL, 950);
	ok(fx_established(&f), "established");
	synack_send(f.st, f.fd, "0123456789", 10, 0);
	expect_seg_out(&f, F_PA, 1, 1, 10, FX_ANY, &s);
	for (int i = 0; i < 3; i++) {
		fx_advance(&f, fx_until_next_us(&f));
		expect_seg(&f, F_PA, 1, 1, 10, FX_ANY);
	}
	synack_tcp_info(f.st, f.fd, &ti);
	is_int(ti.backoff, 2, "a TLP, then two RTOs");
	uint64_t rto = ti.rto, before = fx_until_next_us(&f);
	fx_advance(&f, 1000);
	icmp_in(&f, 3, 1, 0, &s);
	synack_tcp_info(f.st, f.fd, &ti);
	is_int(ti.backoff, 1, "one backoff undone");
	is_uint(ti.rto, rto / 2, "RTO halved");
	is_uint(fx_until_next_us(&f), rto / 2 - 1000, "timer from the last transmission");
	ok(fx_until_next_us(&f) < before, "earlier than before");
	icmp_in(&f, 3, 3, 0, &s); /* port unreachable: no revert */
	synack_tcp_info(f.st, f.fd, &ti);
	is_int(ti.backoff, 1, "port unreachable: unchanged");
	fx_advance(&f, 2 * rto / 8 - 1000); /* after the rest of rto/4 after a second revert */
	icmp_in(&f, 3, 0, 0, &s);
	expect_seg(&f, F_PA, 1, 1, 10, FX_ANY); /* clocked out: resent at once */
	fx_free(&f);
	subtest_end();
}

int main(void)
{
	soft_errors();
	syn_sent_hard();
	syn_sent_v6();
	request_sock();
	malformed();
	frag_needed();
	rto_revert();
	done_testing();
}
