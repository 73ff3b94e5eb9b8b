/* The executor's small parts on their own: tolerance windows, header
 * options, symbols, the %{ }% evaluator, packet printing and building. */
#include <string.h>

#include "run/build_packet.h"
#include "run/pkt_print.h"
#include "run/script.h"
#include "run/symbols.h"
#include "run/tcpinfo.h"
#include "run/tolerance.h"
#include "run_script_build.h"
#include "tap.h"

static void test_tolerance(void)
{
	struct run_config cfg;
	run_config_defaults(&cfg);
	is_int(run_tolerance(&cfg, 100000, -1), 4000, "first event: tolerance_usecs");
	is_int(run_tolerance(&cfg, 100000, 0), 12500, "12.5 %% of a 100 ms gap");
	is_int(run_tolerance(&cfg, 10000, 0), 4000, "at least tolerance_usecs");
	is_int(run_tolerance(&cfg, 60000000, 0), 7500000, "60 s gap: 7.5 s");
	struct run_window w = run_window_make(&cfg, 1000000, 1200000, 900000, false);
	is_int(w.lo, 1000000 - 12500, "range: from start - tolerance (12.5 %% of the 100 ms gap)");
	is_int(w.hi, 1200000 + 12500, "range: to end + tolerance");
	ok(run_window_contains(&w, 1212500) && !run_window_contains(&w, 1212501),
	   "inclusive at the edge");
	w = run_window_make(&cfg, 0, 0, -1, true);
	ok(run_window_contains(&w, 123456789), "`*` contains everything");
}

static void test_config(void)
{
	struct run_config cfg;
	char why[200];
	run_config_defaults(&cfg);
	is_int(cfg.bind_port, 8080, "default bind port");
	is_int(cfg.connect_port, 8080, "default connect port");
	is_int(run_config_set(&cfg, "tolerance_usecs", "10000", why, sizeof why), 0, "tolerance");
	is_int(cfg.tolerance_usecs, 10000, "tolerance set");
	is_int(run_config_set(&cfg, "ip_version", "ipv4-mapped-ipv6", why, sizeof why), 0, "ipv");
	is_int(cfg.ip_version, RUN_IPV4_MAPPED_IPV6, "ip version set");
	is_int(run_config_set(&cfg, "remote_ip", "192.0.2.1/24", why, sizeof why), 0, "remote ip");
	is_str(cfg.remote_ip, "192.0.2.1", "prefix length dropped");
	is_int(run_config_set(&cfg, "ip_version", "ipv5", why, sizeof why), -1, "bad value");
	is_str(why, "bad value for --ip_version: ipv5", "says which");
	is_int(run_config_set(&cfg, "gateway_ip", "192.168.0.1", why, sizeof why), 0,
	       "packetdrill's tun options are accepted and ignored");
	is_int(run_config_set(&cfg, "frobnicate", "1", why, sizeof why), -1, "unknown option");
	is_str(why, "unsupported: option --frobnicate", "is unsupported");
	ok(!cfg.strict_segments, "packets are joined by default (in the tso model)");
	is_int(run_config_set(&cfg, "strict_segments", NULL, why, sizeof why), 0,
	       "--strict_segments, packetdrill's flag");
	ok(cfg.strict_segments, "turns joining off");
	is_int(run_config_set(&cfg, "strict_segments", "x.pkt", why, sizeof why), -1,
	       "--strict_segments takes no value");
}

static void test_symbols(void)
{
	long long v;
	ok(run_symbol("SOL_SOCKET", &v) && v == 1, "SOL_SOCKET");
	ok(run_symbol("TCP_INFO", &v) && v == 11, "TCP_INFO");
	ok(run_symbol("SIOCINQ", &v) && v == 0x541B, "SIOCINQ");
	ok(run_symbol("ECONNREFUSED", &v) && v == 111, "errno names");
	ok(run_symbol("POLLRDHUP", &v) && v == 0x2000, "POLLRDHUP");
	ok(!run_symbol("NOT_A_SYMBOL", &v), "unknown names are unknown");
}

static void test_assert(void)
{
	struct synack_tcp_info ti;
	memset(&ti, 0, sizeof ti);
	ti.state = 1;
	ti.rto = 200000;
	ti.snd_cwnd = 10;
	char why[300];
	is_int(run_tcpinfo_assert("assert tcpi_state == TCP_ESTABLISHED", &ti, why, sizeof why), 0,
	       "==");
	is_int(run_tcpinfo_assert("assert tcpi_rto >= 200000 and tcpi_rto <= 2 * 100000 + 1\n"
	                          "assert not tcpi_retransmits, 'no retransmits'",
	                          &ti, why, sizeof why),
	       0, "and, arithmetic, not, messages, several lines");
	is_int(run_tcpinfo_assert("assert tcpi_snd_cwnd == 11 or tcpi_snd_cwnd < 10", &ti, why,
	                          sizeof why),
	       1, "a false assertion");
	is_str(why,
	       "assertion failed: assert tcpi_snd_cwnd == 11 or tcpi_snd_cwnd < 10 "
	       "(tcpi_snd_cwnd = 10, tcpi_snd_cwnd = 10)",
	       "names the values it read");
	ti.options = 1 | 32;
	ti.ca_state = 3;
	is_int(run_tcpinfo_assert("assert (tcpi_options & TCPI_OPT_SYN_DATA) != 0, tcpi_options\n"
	                          "assert tcpi_options & TCPI_OPT_SACK == 0\n"
	                          "assert tcpi_options | TCPI_OPT_WSCALE == 37\n"
	                          "assert tcpi_options ^ 1 == 32 and ~tcpi_options & 2 == 2\n"
	                          "assert tcpi_ca_state == TCP_CA_Recovery",
	                          &ti, why, sizeof why),
	       0, "&, |, ^, ~ below comparisons (Python precedence); TCPI_OPT_*, TCP_CA_*");
	is_int(run_tcpinfo_assert("assert tcpi_options & TCPI_OPT_SACK", &ti, why, sizeof why), 1,
	       "a masked-out bit is false");
	is_int(run_tcpinfo_assert("import os", &ti, why, sizeof why), -1, "not an assert");
	is_str(why, "unsupported: python block: import os", "is unsupported");
	is_int(run_tcpinfo_assert("assert tcpi_bogus == 1", &ti, why, sizeof why), -1,
	       "unknown field");
}

/* Issue 5 item 8: every tcp_info field a part-2 script asserts resolves by
 * its Linux name (struct tcp_info's tcpi_*) to the engine's field. */
static void test_tcpinfo_names(void)
{
	struct synack_tcp_info ti;
	memset(&ti, 0, sizeof ti);
	unsigned char *b = (unsigned char *)&ti;
	for (size_t i = 0; i < sizeof ti; i++)
		b[i] = (unsigned char)(i * 7 + 1);
#define NAMED(name, field)                         \
	{                                          \
		"tcpi_" #name, (long long)ti.field \
	}
	const struct {
		const char *name;
		long long want;
	} names[] = {
		NAMED(state, state),
		NAMED(ca_state, ca_state),
		NAMED(retransmits, retransmits),
		NAMED(probes, probes),
		NAMED(backoff, backoff),
		NAMED(options, options),
		NAMED(snd_wscale, snd_wscale),
		NAMED(rcv_wscale, rcv_wscale),
		NAMED(rto, rto),
		NAMED(ato, ato),
		NAMED(snd_mss, snd_mss),
		NAMED(rcv_mss, rcv_mss),
		NAMED(unacked, unacked),
		NAMED(sacked, sacked),
		NAMED(lost, lost),
		NAMED(retrans, retrans),
		NAMED(last_data_sent, last_data_sent),
		NAMED(last_data_recv, last_data_recv),
		NAMED(rtt, rtt),
		NAMED(rttvar, rttvar),
		NAMED(snd_ssthresh, snd_ssthresh),
		NAMED(snd_cwnd, snd_cwnd),
		NAMED(reordering, reordering),
		NAMED(total_retrans, total_retrans),
	};
#undef NAMED
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		long long v = -1;
		bool found = run_tcpinfo_field(&ti, names[i].name, &v);
		ok(found && v == names[i].want, "%s reads its field (%lld)", names[i].name, v);
	}
}

static void test_print_and_build(void)
{
	struct run_pkt p;
	memset(&p, 0, sizeof p);
	p.flags = SYNACK_TH_SYN | SYNACK_TH_ACK;
	p.has_ack = true;
	p.ack = 1;
	p.has_opts = true;
	p.n_opts = 3;
	p.opts[0] = (struct run_opt){ .kind = RUN_OPT_MSS, .v1 = 1460 };
	p.opts[1] = (struct run_opt){ .kind = RUN_OPT_SACK, .n_sack = 1, .sack = { { 1, 2 } } };
	p.opts[2] = (struct run_opt){ .kind = RUN_OPT_TS, .v1 = 5, .v2 = 6 };
	p.ecn = RUN_ECN_ECT0;
	char buf[300];
	run_pkt_format(&p, buf, sizeof buf);
	is_str(buf, "[ect0] S. 0:0(0) ack 1 <mss 1460,sack 1:2,TS val 5 ecr 6>", "printed");
	char fl[12];
	run_flags_format(SYNACK_TH_FIN | SYNACK_TH_PSH | SYNACK_TH_ACK, fl, sizeof fl);
	is_str(fl, "FP.", "packetdrill's flag order");
	run_flags_format(0, fl, sizeof fl);
	is_str(fl, "-", "no flags");

	/* Options go out in the script's order, padded; SACK relative to the ISN. */
	struct run_conn c;
	memset(&c, 0, sizeof c);
	c.local.family = c.remote.family = 4;
	c.local.bytes[0] = 10;
	c.remote.bytes[0] = 11;
	c.lport = 8080;
	c.rport = 5000;
	c.isn_known = true;
	c.local_isn = 1000;
	p.flags = SYNACK_TH_ACK;
	p.n_opts = 2;
	p.opts[0] = (struct run_opt){ .kind = RUN_OPT_NOP };
	p.opts[1] = (struct run_opt){ .kind = RUN_OPT_SACK, .n_sack = 1, .sack = { { 1, 2 } } };
	p.len = 3;
	uint8_t pkt[200];
	size_t n = run_build_inbound(&p, &c, pkt, sizeof pkt, buf, sizeof buf);
	is_int(n, 20 + 20 + 12 + 3, "IP + TCP + 12 option bytes (padded) + 3 payload");
	struct synack_segment seg;
	is_int(synack_seg_parse(pkt, n, true, &seg), SYNACK_SEG_OK, "parses, checksums valid");
	is_int(seg.opt.n_raw, 3, "nop, sack, eol padding");
	is_int(seg.opt.raw[0].kind, SYNACK_OPT_NOP, "nop first, as written");
	is_int(seg.opt.sack[0].left, 1001, "SACK block mapped onto the stack's ISN");
	is_int(seg.ack, 1001, "ack mapped onto the stack's ISN");
	is_int(seg.tos & 3, 2, "ECT(0) set");
	is_int(seg.payload_len, 3, "payload synthesised");

	/* FOEXP with a cookie: the cookie follows the ExID, or a server reads
	 * a cookie request (kernel experimental_option.pkt). */
	static const uint8_t cookie[8] = { 0x30, 0x21, 0xb9, 0xd8, 0x89, 0x01, 0x7e, 0xeb };
	p.len = 0;
	p.n_opts = 1;
	p.opts[0] = (struct run_opt){ .kind = RUN_OPT_FOEXP, .cookie_len = 8 };
	memcpy(p.opts[0].cookie, cookie, 8);
	n = run_build_inbound(&p, &c, pkt, sizeof pkt, buf, sizeof buf);
	is_int(synack_seg_parse(pkt, n, true, &seg), SYNACK_SEG_OK, "FOEXP packet parses");
	is_int(seg.opt.raw[0].kind, SYNACK_OPT_EXP, "FOEXP: kind 254");
	is_int(seg.opt.raw[0].len, 12, "FOEXP: 4 bytes and the 8-byte cookie");
	const uint8_t *o = seg.options_raw + seg.opt.raw[0].offset - 20;
	ok(o[2] == 0xf9 && o[3] == 0x89 && memcmp(o + 4, cookie, 8) == 0,
	   "FOEXP: TFO's ExID, then the cookie");
	run_pkt_format(&p, buf, sizeof buf);
	ok(strstr(buf, "<FOEXP 3021b9d889017eeb>") != NULL, "FOEXP cookie printed: %s", buf);
}

/* The runner starts the longest scripts first: their length as written. */
static void test_duration(void)
{
	struct run_script s;
	sb_init(&s);
	is_int(run_script_duration_us(&s), 0, "no events: 0");
	sb_event(&s, "0", RUN_EV_COMMAND, "0 `true`");
	sb_event(&s, "+0.5", RUN_EV_COMMAND, "+.5 `true`");
	sb_event(&s, "+1...3", RUN_EV_COMMAND, "+1...3 `true`");
	is_int(run_script_duration_us(&s), 3500000, "relative times add up; blocking at its end");
	sb_event(&s, "*", RUN_EV_COMMAND, "* `true`");
	sb_event(&s, "+60", RUN_EV_COMMAND, "+60 `true`");
	is_int(run_script_duration_us(&s), 63500000, "`*` at the previous event, then +60");
	sb_event(&s, "1~2", RUN_EV_COMMAND, "1~2 `true`");
	is_int(run_script_duration_us(&s), 63500000,
	       "an earlier absolute time does not shorten it");
	sb_event(&s, "+70~80", RUN_EV_COMMAND, "+70~80 `true`");
	is_int(run_script_duration_us(&s), 82000000, "a range counts at its end");
	run_script_free(&s);
}

int main(void)
{
	test_duration();
	test_tolerance();
	test_config();
	test_symbols();
	test_assert();
	test_tcpinfo_names();
	test_print_and_build();
	done_testing();
}
