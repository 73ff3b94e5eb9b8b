/* Outbound packet matching (see match.h); packetdrill's run_packet.c
 * verify_outbound_live_packet(), with one message per field. */
#include "run/match.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/pkt_print.h"

static enum run_opt_kind live_kind(uint8_t kind)
{
	switch (kind) {
	case SYNACK_OPT_EOL:
		return RUN_OPT_EOL;
	case SYNACK_OPT_NOP:
		return RUN_OPT_NOP;
	case SYNACK_OPT_MSS:
		return RUN_OPT_MSS;
	case SYNACK_OPT_WSCALE:
		return RUN_OPT_WSCALE;
	case SYNACK_OPT_SACK_PERM:
		return RUN_OPT_SACKOK;
	case SYNACK_OPT_SACK:
		return RUN_OPT_SACK;
	case SYNACK_OPT_TS:
		return RUN_OPT_TS;
	case SYNACK_OPT_MD5:
		return RUN_OPT_MD5;
	case SYNACK_OPT_FASTOPEN:
		return RUN_OPT_FO;
	default:
		return RUN_OPT_GENERIC;
	}
}

uint32_t run_ts_val_expected(const struct run_conn *c, const struct run_config *cfg,
                             uint32_t script_val, const struct run_match_when *when,
                             long long *slack_ticks)
{
	int64_t tick = cfg->tcp_ts_tick_usecs ? (int64_t)cfg->tcp_ts_tick_usecs : 1000;
	int64_t nominal = when->nominal_us >= 0 ? when->nominal_us : when->observed_us;
	int64_t late =
	    (when->observed_us - nominal) - (c->ts_first_observed_us - c->ts_first_nominal_us);
	/* Rounded to the nearest tick, either sign. */
	int64_t ticks = late >= 0 ? (late + tick / 2) / tick : -((-late + tick / 2) / tick);
	int64_t tol = cfg->tolerance_usecs;
	int64_t dyn = (int64_t)(cfg->tolerance_percent / 100.0 *
	                        (double)(when->script_us > 0 ? when->script_us : 0));
	if (dyn > tol)
		tol = dyn;
	*slack_ticks = tol / tick + 1;
	return script_val + c->ts_offset + (uint32_t)(int32_t)ticks;
}

static bool match_opts(const struct run_pkt *exp, const struct synack_segment *seg,
                       struct run_conn *c, const struct run_config *cfg,
                       const struct run_match_when *when, char *why, size_t cap)
{
	const struct synack_tcp_options *t = &seg->opt;
	uint32_t sack_off = run_conn_remote_off(c, seg->flags & SYNACK_TH_SYN);
	if (exp->opts_any)
		return true;
	if (!exp->has_opts) {
		if (t->n_raw == 0)
			return true;
		snprintf(why, cap, "options: expected none, got %u bytes", seg->options_len);
		return false;
	}
	if (exp->n_opts != t->n_raw) {
		snprintf(why, cap, "options: expected %d, got %u", exp->n_opts, t->n_raw);
		return false;
	}
	for (int i = 0; i < exp->n_opts; i++) {
		const struct run_opt *e = &exp->opts[i];
		enum run_opt_kind k = live_kind(t->raw[i].kind);
		bool generic_ok = e->kind == RUN_OPT_GENERIC && e->v1 == t->raw[i].kind;
		bool exp_kind_ok =
		    e->kind == k || ((e->kind == RUN_OPT_FOEXP || e->kind == RUN_OPT_EXP) &&
		                     t->raw[i].kind == SYNACK_OPT_EXP);
		if (!exp_kind_ok && !generic_ok) {
			char got[16];
			if (k == RUN_OPT_GENERIC)
				snprintf(got, sizeof got, "kind %u", t->raw[i].kind);
			else
				snprintf(got, sizeof got, "%s", run_opt_name(k));
			snprintf(why, cap, "option %d: expected %s, got %s", i + 1,
			         run_opt_name(e->kind), got);
			return false;
		}
		switch (e->kind) {
		case RUN_OPT_MSS:
			if (e->v1 != t->mss) {
				snprintf(why, cap, "mss: expected %u, got %u", e->v1, t->mss);
				return false;
			}
			break;
		case RUN_OPT_WSCALE:
			if (e->v1 != t->wscale) {
				snprintf(why, cap, "wscale: expected %u, got %u", e->v1, t->wscale);
				return false;
			}
			break;
		case RUN_OPT_SACK:
			/* Outbound SACK blocks are in the peer's sequence space,
			 * mapped like the ack. */
			if (e->n_sack != t->n_sack) {
				snprintf(why, cap, "sack: expected %u blocks, got %u", e->n_sack,
				         t->n_sack);
				return false;
			}
			for (int b = 0; b < e->n_sack; b++) {
				uint32_t l = t->sack[b].left - sack_off;
				uint32_t r = t->sack[b].right - sack_off;
				if (e->sack[b].left != l || e->sack[b].right != r) {
					snprintf(why, cap,
					         "sack block %d: expected %u:%u, got %u:%u", b + 1,
					         e->sack[b].left, e->sack[b].right, l, r);
					return false;
				}
			}
			break;
		case RUN_OPT_TS:
			if (e->v2 != t->ts_ecr) {
				snprintf(why, cap, "TS ecr: expected %u, got %u", e->v2, t->ts_ecr);
				return false;
			}
			if (!c->ts_known) {
				c->ts_known = true;
				c->ts_offset = t->ts_val - e->v1;
				c->ts_first_observed_us = when ? when->observed_us : 0;
				c->ts_first_nominal_us = when && when->nominal_us >= 0
				                             ? when->nominal_us
				                             : c->ts_first_observed_us;
			} else if (cfg->tcp_ts_tick_usecs && when) {
				long long slack;
				uint32_t want = run_ts_val_expected(c, cfg, e->v1, when, &slack);
				long long dev = (long long)(int32_t)(t->ts_val - want);
				if (llabs(dev) > slack) {
					snprintf(
					    why, cap,
					    "TS val: expected %u (+/- %lld), got %u (script %u)",
					    want, slack, t->ts_val, e->v1);
					return false;
				}
			}
			break;
		case RUN_OPT_GENERIC:
			if (e->v2 != t->raw[i].len) {
				snprintf(why, cap, "option kind %u: expected len %u, got %u", e->v1,
				         e->v2, t->raw[i].len);
				return false;
			}
			break;
		case RUN_OPT_FO:
			if (e->cookie_len &&
			    (t->raw[i].len != e->cookie_len + 2 || !seg->options_raw ||
			     memcmp(seg->options_raw + t->raw[i].offset - 20 + 2, e->cookie,
			            e->cookie_len) != 0)) {
				snprintf(why, cap, "FO cookie differs");
				return false;
			}
			break;
		default:
			break;
		}
	}
	return true;
}

static bool match_ip(const struct run_pkt *exp, const struct synack_segment *seg, char *why,
                     size_t cap)
{
	static const uint8_t ecn_bits[] = { 0, 0, 2, 1, 3, 0 };
	if (exp->ecn == RUN_ECN_ECT01) {
		if ((seg->tos & 3) != 1 && (seg->tos & 3) != 2) {
			snprintf(why, cap, "ECN: expected ECT(0) or ECT(1), got 0x%x",
			         seg->tos & 3);
			return false;
		}
	} else if (exp->ecn != RUN_ECN_UNSPEC && (seg->tos & 3) != ecn_bits[exp->ecn]) {
		snprintf(why, cap, "ECN: expected 0x%x, got 0x%x", ecn_bits[exp->ecn],
		         seg->tos & 3);
		return false;
	}
	if (exp->has_tos && seg->tos != exp->tos) {
		snprintf(why, cap, "tos: expected 0x%02x, got 0x%02x", exp->tos, seg->tos);
		return false;
	}
	if (exp->has_ttl && seg->ttl != exp->ttl) {
		snprintf(why, cap, "ttl: expected %u, got %u", exp->ttl, seg->ttl);
		return false;
	}
	if (exp->has_flowlabel && seg->flowlabel != exp->flowlabel) {
		snprintf(why, cap, "flowlabel: expected 0x%x, got 0x%x", exp->flowlabel,
		         seg->flowlabel);
		return false;
	}
	return true;
}

bool run_match_outbound(const struct run_pkt *exp, const struct synack_segment *seg,
                        struct run_conn *c, const struct run_config *cfg,
                        const struct run_match_when *when, char *why, size_t whycap)
{
	if ((exp->flags & SYNACK_TH_SYN) && (seg->flags & SYNACK_TH_SYN) && !c->isn_known) {
		c->isn_known = true;
		c->local_isn = seg->seq;
		c->script_local_isn = exp->seq;
	}
	if (seg->flags != exp->flags) {
		char e[12], g[12];
		run_flags_format(exp->flags, e, sizeof e);
		run_flags_format(seg->flags, g, sizeof g);
		snprintf(why, whycap, "flags: expected %s, got %s", e, g);
		return false;
	}
	bool syn = seg->flags & SYNACK_TH_SYN;
	uint32_t seq = seg->seq - run_conn_local_off(c, syn);
	if (seq != exp->seq) {
		snprintf(why, whycap, "seq: expected %u, got %u", exp->seq, seq);
		return false;
	}
	uint32_t ack = seg->ack - run_conn_remote_off(c, syn);
	if (exp->has_ack && ack != exp->ack) {
		snprintf(why, whycap, "ack: expected %u, got %u", exp->ack, ack);
		return false;
	}
	if (seg->payload_len != exp->len) {
		snprintf(why, whycap, "payload length: expected %u, got %zu", exp->len,
		         seg->payload_len);
		return false;
	}
	if (exp->has_win && seg->window != exp->win) {
		snprintf(why, whycap, "window: expected %u, got %u", exp->win, seg->window);
		return false;
	}
	if (exp->has_urg && seg->urg_ptr != exp->urg) {
		snprintf(why, whycap, "urg: expected %u, got %u", exp->urg, seg->urg_ptr);
		return false;
	}
	return match_opts(exp, seg, c, cfg, when, why, whycap) && match_ip(exp, seg, why, whycap);
}
