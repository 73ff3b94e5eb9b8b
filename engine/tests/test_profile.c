/* Profiles (issue 3 item 10) and the ISN (item 5, RFC 6528). */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "fixtures.h"
#include "tap.h"

static void linux_defaults(void)
{
	struct synack_profile p;
	subtest("synack_profile_linux: LINUX-DEFAULTS.md");
	synack_profile_linux(&p);
	is_uint(p.keepalive_time_s, 7200, "tcp_keepalive_time");
	is_uint(p.keepalive_intvl_s, 75, "tcp_keepalive_intvl");
	is_uint(p.keepalive_probes, 9, "tcp_keepalive_probes");
	is_uint(p.syn_retries, 6, "tcp_syn_retries");
	is_uint(p.syn_linear_timeouts, 4, "tcp_syn_linear_timeouts");
	is_uint(p.synack_retries, 5, "tcp_synack_retries");
	is_uint(p.retries1, 3, "tcp_retries1");
	is_uint(p.retries2, 15, "tcp_retries2");
	is_uint(p.rto_min_us, 200000, "rto min");
	is_uint(p.rto_init_us, 1000000, "rto init");
	is_uint(p.rto_max_us, 120000000, "rto max");
	is_uint(p.rto_fallback_us, 3000000, "rto fallback");
	is_uint(p.fin_timeout_us, 60000000, "tcp_fin_timeout");
	is_uint(p.time_wait_us, 60000000, "TCP_TIMEWAIT_LEN");
	ok(!p.rfc1337, "tcp_rfc1337 0");
	ok(p.sack && p.dsack && p.timestamps && p.window_scaling, "sack dsack ts wscale");
	is_uint(p.rmem[2], 33554432, "tcp_rmem max");
	is_uint(p.wmem[1], 16384, "tcp_wmem default");
	is_int(p.syncookies, 1, "tcp_syncookies");
	is_uint(p.max_syn_backlog, 2048, "tcp_max_syn_backlog");
	is_uint(p.challenge_ack_limit, 0x7fffffff, "tcp_challenge_ack_limit");
	is_uint(p.invalid_ratelimit_ms, 500, "tcp_invalid_ratelimit");
	is_uint(p.min_snd_mss, 48, "tcp_min_snd_mss");
	is_uint(p.default_mss, 536, "TCP_MSS_DEFAULT");
	is_uint(p.port_lo, 32768, "ip_local_port_range lo");
	is_uint(p.port_hi, 60999, "ip_local_port_range hi");
	is_uint(p.delack_min_us, 40000, "TCP_DELACK_MIN");
	is_uint(p.delack_max_us, 200000, "TCP_DELACK_MAX");
	is_uint(p.initcwnd, 10, "TCP_INIT_CWND");
	is_int(p.cc, SYNACK_CC_CUBIC, "cubic (upstream default)");
	subtest_end();
}

static void by_name_and_sysctl(void)
{
	struct synack_profile p;
	subtest("synack_profile_by_name and synack_profile_sysctl");
	ok(synack_profile_by_name("linux", &p), "linux");
	ok(synack_profile_by_name("rfc", &p), "rfc");
	ok(p.rfc1337 && p.rto_min_us == 1000000, "rfc: RFC 1337 on, RFC 6298 RTO min 1 s");
	ok(!synack_profile_by_name("bsd", &p), "unknown name");
	synack_profile_linux(&p);
	is_int(synack_profile_sysctl(&p, "net.ipv4.tcp_rmem", "4096 131072 6291456"), 0,
	       "tcp_rmem");
	is_uint(p.rmem[2], 6291456, "set");
	is_int(synack_profile_sysctl(&p, "net.ipv4.tcp_rmem", "4096 131072"), -EINVAL,
	       "two values: EINVAL");
	is_int(synack_profile_sysctl(&p, "net.ipv4.tcp_rmem", "4096 2639 6291456"), 0,
	       "tcp_rmem: unordered values taken, as Linux does");
	is_uint(p.rmem[1], 2639, "set");
	is_int(synack_profile_sysctl(&p, "net.ipv4.tcp_rmem", "0 2639 6291456"), -EINVAL,
	       "tcp_rmem: zero is out of range");
	is_int(synack_profile_sysctl(&p, "net.ipv4.tcp_timestamps", "0"), 0, "tcp_timestamps");
	ok(!p.timestamps, "off");
	/* Found by the script fuzz target: 2 went into a bool (UBSan). */
	is_int(synack_profile_sysctl(&p, "net.ipv4.tcp_timestamps", "2"), 0, "tcp_timestamps=2");
	is_int(p.timestamps, 2, "on, without the random offset");
	is_int(synack_profile_sysctl(&p, "/proc/sys/net/ipv4/tcp_sack", "0"), 0, "slashed name");
	ok(!p.sack, "off");
	is_int(synack_profile_sysctl(&p, "net.ipv4.tcp_fin_timeout", "30"), 0, "tcp_fin_timeout");
	is_uint(p.fin_timeout_us, 30000000, "seconds to µs");
	is_int(synack_profile_sysctl(&p, "net.ipv4.tcp_rto_max_ms", "60000"), 0, "tcp_rto_max_ms");
	is_uint(p.rto_max_us, 60000000, "ms to µs");
	is_int(synack_profile_sysctl(&p, "net.ipv4.tcp_syncookies", "3"), -EINVAL, "out of range");
	is_int(synack_profile_sysctl(&p, "net.ipv4.tcp_syncookies", "x"), -EINVAL, "garbage");
	is_int(synack_profile_sysctl(&p, "net.ipv4.ip_local_port_range", "40000 40010"), 0,
	       "ip_local_port_range");
	is_uint(p.port_lo, 40000, "lo");
	is_int(synack_profile_sysctl(&p, "net.ipv4.tcp_congestion_control", "reno"), 0, "reno");
	is_int(p.cc, SYNACK_CC_RENO, "set");
	is_int(p.ecn, 2, "tcp_ecn defaults to 2 (Linux: accept only)");
	is_int(synack_profile_sysctl(&p, "net.ipv4.tcp_ecn", "1"), 0, "tcp_ecn");
	is_int(p.ecn, 1, "set");
	is_int(synack_profile_sysctl(&p, "net.ipv4.tcp_ecn", "3"), -EINVAL, "AccECN modes: EINVAL");
	is_int(synack_profile_sysctl(&p, "net.ipv4.tcp_ecn_fallback", "0"), 0, "tcp_ecn_fallback");
	is_int(p.ecn_fallback, 0, "set");
	is_int(synack_profile_sysctl(&p, "net.ipv4.tcp_dummy_unknown", "1"), -ENOENT,
	       "unmodelled: ENOENT");
	subtest_end();
}

static void sysctl_takes_effect(void)
{
	struct fx f;
	struct synack_segment s;
	struct synack_profile p;
	subtest("a pinned tcp_rmem changes the SYN's wscale (LINUX-DEFAULTS.md)");
	synack_profile_linux(&p);
	synack_profile_sysctl(&p, "net.ipv4.tcp_rmem", "4096 131072 6291456");
	fx_init(&f, &p, 1000);
	fx_listen(&f);
	fx_send_syn(&f);
	expect_seg_out(&f, F_SA, 0, 1, 0, FX_ANY, &s);
	is_int(s.opt.wscale, 7, "6 MiB: wscale 7");
	fx_free(&f);
	subtest_end();
}

/* The ISN the listener picks for a SYN from `rport` after `delay_us`. */
static uint32_t isn_for(uint64_t seed, uint16_t rport, uint64_t delay_us)
{
	struct fx f;
	struct synack_segment s;
	fx_init(&f, NULL, seed);
	fx_listen(&f);
	fx_advance(&f, delay_us);
	f.rport = rport;
	fx_send_syn(&f);
	fx_pop(&f, &s);
	fx_free(&f);
	return s.seq;
}

static void isn(void)
{
	subtest("RFC 6528: ISN = keyed hash of the 4-tuple + a clock");
	uint32_t a = isn_for(1001, 40000, 0);
	is_hex(isn_for(1001, 40000, 0), a, "deterministic");
	ok(isn_for(1001, 40001, 0) != a, "another 4-tuple, another ISN");
	is_hex(isn_for(1001, 40000, 500000) - a, 7812500,
	       "0.5 s later: +5e8/64 (64 ns ticks, as Linux)");
	ok(isn_for(1002, 40000, 0) != a, "another seed, another secret");
	subtest_end();
}

int main(void)
{
	linux_defaults();
	by_name_and_sysctl();
	sysctl_takes_effect();
	isn();
	done_testing();
}
