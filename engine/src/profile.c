/* Profiles: every tunable, with Linux 6.x defaults (../shared/LINUX-DEFAULTS.md)
 * and the RFCs' own values, and a mapping from Linux sysctl names. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void synack_profile_linux(struct synack_profile *p)
{
	memset(p, 0, sizeof(*p));
	p->max_sockets = 4096;
	p->max_syn_backlog = 2048; /* tcp_max_syn_backlog */
	p->somaxconn = 4096;       /* net.core.somaxconn (Linux >= 5.4) */
	p->rmem[0] = 4096;
	p->rmem[1] = 131072;
	p->rmem[2] = 33554432; /* tcp_rmem: max 32 MiB gives wscale 10 */
	p->rmem_max = 212992;  /* net.core.rmem_max: SK_RMEM_MAX */
	p->wmem[0] = 4096;
	p->wmem[1] = 16384;
	p->wmem[2] = 4194304;
	p->tcp_adv_win_scale = 1;
	p->rcv_truesize = true;      /* Linux >= 6.5: tp->scaling_ratio */
	p->scaling_ratio_init = 128; /* TCP_DEFAULT_SCALING_RATIO: 50% */
	p->tcp_app_win = 31;         /* tcp_app_win */
	p->sndbuf_expand = true;     /* tcp_sndbuf_expand */
	p->snd_truesize = true;      /* sk_wmem_queued, skbs of size_goal */
	p->notsent_lowat = UINT32_MAX;
	p->header_prediction = true; /* tcp_rcv_established's fast path */
	p->moderate_rcvbuf = true;
	p->sack = true;
	p->dsack = true;
	p->timestamps = 1;
	p->window_scaling = true;
	p->default_mss = 536; /* TCP_MSS_DEFAULT, RFC 9293 §3.7.1 */
	p->min_snd_mss = 48;  /* tcp_min_snd_mss */
	p->base_mss = 1024;
	p->mtu = 1500;
	p->syncookies = 1;
	p->abort_on_overflow = false;
	p->rto_min_us = 200000;
	p->rto_init_us = 1000000; /* TCP_TIMEOUT_INIT */
	p->rto_max_us = 120000000;
	p->rto_fallback_us = 3000000; /* TCP_TIMEOUT_FALLBACK */
	p->time_wait_us = 60000000;   /* TCP_TIMEWAIT_LEN */
	p->fin_timeout_us = 60000000; /* tcp_fin_timeout */
	p->delack_min_us = 40000;
	p->delack_max_us = 200000;
	p->fin_time_linux = true;
	p->bad_option_keeps_segment = true; /* tcp_parse_options: "silly options" */
	p->fin_pingpong = true;             /* tcp_fin: inet_csk_enter_pingpong_mode */
	p->rcv_past_window_if_empty = true; /* tcp_sequence, tcp_data_queue */
	p->ack_seq_in_window = true;        /* tcp_acceptable_seq */
	p->keepalive_time_s = 7200;
	p->keepalive_intvl_s = 75;
	p->keepalive_probes = 9;
	p->syn_retries = 6;
	p->synack_retries = 5;
	p->retries1 = 3;
	p->retries2 = 15;
	p->orphan_retries = 0;
	p->syn_linear_timeouts = 4;
	p->rfc1337 = false;
	p->invalid_ratelimit_ms = 500;
	p->challenge_ack_limit = 0x7fffffff;
	p->verify_checksums = true;
	p->cc = SYNACK_CC_CUBIC;
	p->initcwnd = 10;
	p->slow_start_after_idle = true;
	p->early_retrans = 3;
	p->recovery = 1;
	p->frto = 2;
	p->clock_granularity_us = 4000; /* HZ=250 */
	p->reordering = 3;
	p->retrans_collapse = 1;
	p->min_tso_segs = 2;
	p->tso_rtt_log = 9;
	p->pacing_ss_ratio = 200;
	p->pacing_ca_ratio = 120;
	p->tso = true;
	p->tso_win_divisor = 3;
	p->ecn = 2;             /* tcp_ecn: accept ECN when the peer asks */
	p->ecn_fallback = true; /* tcp_ecn_fallback */
	p->comp_sack_nr = 44;
	p->comp_sack_delay_ns = 1000000; /* NSEC_PER_MSEC */
	p->comp_sack_slack_ns = 100000;  /* 100 us */
	p->port_lo = 32768;
	p->port_hi = 60999;
}

/* The RFCs' values where they differ from Linux: RFC 6298 §2.4 RTO min 1 s,
 * RFC 9293 §3.4.2 MSL 2 min (TIME_WAIT 4 min), RFC 1337 TIME_WAIT protection,
 * RFC 5681 Reno, RFC 6928 initcwnd 10 kept, RFC 6335 dynamic ports. */
void synack_profile_rfc(struct synack_profile *p)
{
	synack_profile_linux(p);
	p->rto_min_us = 1000000;
	p->rto_max_us = 60000000; /* RFC 6298 §2.5: at least 60 s */
	p->time_wait_us = 240000000;
	p->fin_timeout_us = 600000000;
	p->syn_linear_timeouts = 0;
	p->fin_pingpong = false;             /* RFC 9293 §3.10.7.4: ACK the FIN */
	p->fin_time_linux = false;           /* RFC 9293 has no FIN-WAIT-2 timeout */
	p->bad_option_keeps_segment = false; /* RFC 9293 §3.1: drop it */
	p->rcv_past_window_if_empty = false; /* RFC 9293 §3.10.7.4: trim */
	p->ack_seq_in_window = false;        /* RFC 9293 §3.10.7.4: <SEQ=SND.NXT> */
	p->rcv_truesize = false;             /* the buffer counts payload bytes */
	p->tcp_app_win = 0;
	p->sndbuf_expand = false;     /* SO_SNDBUF stays tcp_wmem[1] */
	p->snd_truesize = false;      /* the buffer counts payload bytes */
	p->header_prediction = false; /* every ACK field is processed */
	p->moderate_rcvbuf = false;   /* SO_RCVBUF stays tcp_rmem[1] (no autotuning) */
	p->rfc1337 = true;
	p->cc = SYNACK_CC_RENO;
	p->recovery = 0;
	p->early_retrans = 0;
	p->frto = 0;
	p->tso = false; /* RFC 9293 §3.9.1: PSH where the user pushed */
	p->clock_granularity_us = 1000;
	p->port_lo = 49152;
	p->port_hi = 65535;
}

bool synack_profile_by_name(const char *name, struct synack_profile *p)
{
	if (!name || !strcmp(name, "linux")) {
		synack_profile_linux(p);
		return true;
	}
	if (!strcmp(name, "rfc")) {
		synack_profile_rfc(p);
		return true;
	}
	if (!strcmp(name, "linux-late")) {
		synack_profile_linux(p);
		p->timer_wheel_hz = 250; /* CONFIG_HZ of Debian's and our CI's kernels */
		/* The compressed-SACK hrtimer at the start of its slack: a
		 * segment of "the same instant" that a busy kernel takes in
		 * 100 us late no longer shares its ACK. */
		p->comp_sack_slack_ns = 0;
		return true;
	}
	return false;
}

/* Parses up to max unsigned integers separated by blanks; returns the count or
 * -1 on garbage. */
static int parse_uints(const char *s, unsigned long long *v, int max)
{
	int n = 0;
	while (*s) {
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (!*s)
			break;
		if (n == max || *s < '0' || *s > '9')
			return -1;
		char *end;
		errno = 0;
		v[n++] = strtoull(s, &end, 10);
		if (errno || end == s)
			return -1;
		s = end;
		if (*s && *s != ' ' && *s != '\t' && *s != '\n')
			return -1;
	}
	return n;
}

struct sysctl_u {
	const char *name;
	size_t off;
	uint8_t size;   /* 1, 2, 4, 8 bytes */
	bool is_bool;   /* stored as 0 or 1, whatever the value (a bool holds no 2) */
	uint64_t scale; /* value * scale is stored */
	uint64_t max;
};

#define F(field)                                                                             \
	offsetof(struct synack_profile, field), sizeof(((struct synack_profile *)0)->field), \
	    _Generic(((struct synack_profile *)0)->field, bool                               \
	             : true, default                                                         \
	             : false)

static const struct sysctl_u sysctls[] = {
	{ "net.ipv4.tcp_max_syn_backlog", F(max_syn_backlog), 1, UINT32_MAX },
	{ "net.core.somaxconn", F(somaxconn), 1, UINT32_MAX },
	{ "net.core.rmem_max", F(rmem_max), 1, INT32_MAX },
	{ "net.ipv4.tcp_moderate_rcvbuf", F(moderate_rcvbuf), 1, 1 },
	{ "net.ipv4.tcp_sack", F(sack), 1, 1 },
	{ "net.ipv4.tcp_dsack", F(dsack), 1, 1 },
	{ "net.ipv4.tcp_timestamps", F(timestamps), 1, 2 },
	{ "net.ipv4.tcp_window_scaling", F(window_scaling), 1, 1 },
	{ "net.ipv4.tcp_min_snd_mss", F(min_snd_mss), 1, 65535 },
	{ "net.ipv4.tcp_base_mss", F(base_mss), 1, 65535 },
	{ "net.ipv4.tcp_syncookies", F(syncookies), 1, 2 },
	{ "net.ipv4.tcp_abort_on_overflow", F(abort_on_overflow), 1, 1 },
	{ "net.ipv4.tcp_rto_min_us", F(rto_min_us), 1, UINT32_MAX },
	{ "net.ipv4.tcp_rto_max_ms", F(rto_max_us), 1000, 120000 },
	{ "net.ipv4.tcp_fin_timeout", F(fin_timeout_us), 1000000, 86400 },
	{ "net.ipv4.tcp_keepalive_time", F(keepalive_time_s), 1, 32767 },
	{ "net.ipv4.tcp_keepalive_intvl", F(keepalive_intvl_s), 1, 32767 },
	{ "net.ipv4.tcp_keepalive_probes", F(keepalive_probes), 1, 127 },
	{ "net.ipv4.tcp_syn_retries", F(syn_retries), 1, 127 },
	{ "net.ipv4.tcp_synack_retries", F(synack_retries), 1, 255 },
	{ "net.ipv4.tcp_retries1", F(retries1), 1, 255 },
	{ "net.ipv4.tcp_retries2", F(retries2), 1, 255 },
	{ "net.ipv4.tcp_orphan_retries", F(orphan_retries), 1, 255 },
	{ "net.ipv4.tcp_syn_linear_timeouts", F(syn_linear_timeouts), 1, 255 },
	{ "net.ipv4.tcp_rfc1337", F(rfc1337), 1, 1 },
	{ "net.ipv4.tcp_invalid_ratelimit", F(invalid_ratelimit_ms), 1, UINT32_MAX },
	{ "net.ipv4.tcp_challenge_ack_limit", F(challenge_ack_limit), 1, UINT32_MAX },
	{ "net.ipv4.tcp_slow_start_after_idle", F(slow_start_after_idle), 1, 1 },
	{ "net.ipv4.tcp_early_retrans", F(early_retrans), 1, 4 },
	{ "net.ipv4.tcp_recovery", F(recovery), 1, 255 },
	{ "net.ipv4.tcp_frto", F(frto), 1, 2 },
	{ "net.ipv4.tcp_reordering", F(reordering), 1, 255 },
	{ "net.ipv4.tcp_retrans_collapse", F(retrans_collapse), 1, 255 },
	{ "net.ipv4.tcp_min_tso_segs", F(min_tso_segs), 1, 255 },
	{ "net.ipv4.tcp_tso_win_divisor", F(tso_win_divisor), 1, 255 },
	{ "net.ipv4.tcp_tso_rtt_log", F(tso_rtt_log), 1, 255 },
	{ "net.ipv4.tcp_pacing_ss_ratio", F(pacing_ss_ratio), 1, 1000 },
	{ "net.ipv4.tcp_pacing_ca_ratio", F(pacing_ca_ratio), 1, 1000 },
	{ "net.ipv4.tcp_comp_sack_nr", F(comp_sack_nr), 1, 255 },
	{ "net.ipv4.tcp_comp_sack_delay_ns", F(comp_sack_delay_ns), 1, UINT64_MAX },
	{ "net.ipv4.tcp_comp_sack_slack_ns", F(comp_sack_slack_ns), 1, UINT64_MAX },
	{ "net.ipv4.tcp_ecn", F(ecn), 1, 2 }, /* 3-5 (AccECN) are not modelled */
	{ "net.ipv4.tcp_ecn_fallback", F(ecn_fallback), 1, 1 },
	{ "net.ipv4.tcp_adv_win_scale", F(tcp_adv_win_scale), 1, 31 },
	{ "net.ipv4.tcp_app_win", F(tcp_app_win), 1, 31 },
	{ "net.ipv4.tcp_notsent_lowat", F(notsent_lowat), 1, UINT32_MAX },
};

static void store(struct synack_profile *p, const struct sysctl_u *s, uint64_t v)
{
	uint8_t *at = (uint8_t *)p + s->off;
	if (s->is_bool)
		v = v != 0;
	if (s->size == 1) {
		uint8_t x = (uint8_t)v;
		memcpy(at, &x, 1);
	} else if (s->size == 2) {
		uint16_t x = (uint16_t)v;
		memcpy(at, &x, 2);
	} else if (s->size == 4) {
		uint32_t x = (uint32_t)v;
		memcpy(at, &x, 4);
	} else {
		memcpy(at, &v, 8);
	}
}

int synack_profile_sysctl(struct synack_profile *p, const char *name, const char *value)
{
	unsigned long long v[3];
	if (!p || !name || !value)
		return -EINVAL;
	/* Accept both dotted and slashed spellings (/proc/sys/net/ipv4/...). */
	char norm[96];
	const char *n = name;
	if (!strncmp(n, "/proc/sys/", 10))
		n += 10;
	size_t i;
	for (i = 0; n[i] && i + 1 < sizeof(norm); i++)
		norm[i] = n[i] == '/' ? '.' : n[i];
	norm[i] = 0;

	if (!strcmp(norm, "net.ipv4.tcp_rmem") || !strcmp(norm, "net.ipv4.tcp_wmem")) {
		/* Linux: proc_dointvec_minmax with extra1 = 1 — each value in
		 * [1, INT_MAX], in any order ("4096 2639 6291456" is taken). */
		if (parse_uints(value, v, 3) != 3)
			return -EINVAL;
		for (int k = 0; k < 3; k++)
			if (v[k] < 1 || v[k] > INT32_MAX)
				return -EINVAL;
		uint32_t *m = norm[13] == 'r' ? p->rmem : p->wmem;
		for (int k = 0; k < 3; k++)
			m[k] = (uint32_t)v[k];
		return 0;
	}
	if (!strcmp(norm, "net.ipv4.ip_local_port_range")) {
		if (parse_uints(value, v, 2) != 2 || v[0] > v[1] || v[1] > 65535 || v[0] == 0)
			return -EINVAL;
		p->port_lo = (uint16_t)v[0];
		p->port_hi = (uint16_t)v[1];
		return 0;
	}
	if (!strcmp(norm, "net.ipv4.tcp_congestion_control")) {
		if (!strcmp(value, "reno"))
			p->cc = SYNACK_CC_RENO;
		else if (!strcmp(value, "cubic"))
			p->cc = SYNACK_CC_CUBIC;
		else
			return -EINVAL; /* Linux: ENOENT for an unknown module; -EINVAL here */
		return 0;
	}
	for (i = 0; i < sizeof(sysctls) / sizeof(sysctls[0]); i++) {
		const struct sysctl_u *s = &sysctls[i];
		if (strcmp(norm, s->name))
			continue;
		if (parse_uints(value, v, 1) != 1 || v[0] > s->max)
			return -EINVAL;
		store(p, s, v[0] * s->scale);
		return 0;
	}
	return -ENOENT;
}
