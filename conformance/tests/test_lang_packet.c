/* Packet lines: every flag, sequence forms, ack/win/urg, every TCP option,
 * `<...>`, IP extras, ports, ICMP and UDP lines, AccECN. */
#include "lang_support.h"
#include "tap.h"

#include <string.h>

static struct script *cur;

static const struct packet_spec *pkt(const char *line)
{
	script_free(cur);
	cur = lang_parse_ok(line, NULL, 0);
	return cur && cur->n_events && cur->events[0].kind == EVENT_PACKET ? cur->events[0].packet
	                                                                   : NULL;
}

static void test_flags(void)
{
	static const struct {
		const char *text;
		unsigned flags;
	} cases[] = {
		{ "S", TCPF_SYN },
		{ "S.", TCPF_SYN | TCPF_ACK },
		{ "F", TCPF_FIN },
		{ "F.", TCPF_FIN | TCPF_ACK },
		{ "R", TCPF_RST },
		{ "R.", TCPF_RST | TCPF_ACK },
		{ "P.", TCPF_PSH | TCPF_ACK },
		{ ".", TCPF_ACK },
		{ "U.", TCPF_URG | TCPF_ACK },
		{ "SEW", TCPF_SYN | TCPF_ECE | TCPF_CWR },
		{ "FP.", TCPF_FIN | TCPF_PSH | TCPF_ACK },
		{ "SFRP.EWU", 0xff },
		{ "-", 0 },
	};
	char line[64];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(line, sizeof line, "0 > %s 0:0(0)", cases[i].text);
		const struct packet_spec *p = pkt(line);
		if (!ok(p, "flags %s parse", cases[i].text))
			continue;
		is_hex(p->flags, cases[i].flags, "flags %s", cases[i].text);
		is_str(p->flags_text, cases[i].text, "flags %s kept as written", cases[i].text);
	}
	const struct packet_spec *p = pkt("0 < [ce] SEWA 0:0(0) win 32792");
	ok(p && p->flag_ae && p->flags == (TCPF_SYN | TCPF_ECE | TCPF_CWR), "AccECN SEWA");
	p = pkt("0 > SWA. 0:0(0) ack 1");
	ok(p && p->flag_ae && p->flags == (TCPF_SYN | TCPF_CWR | TCPF_ACK), "AccECN SWA.");
	is_str(lang_parse_err("0 > SS 0:0(0)"),
	       "t.pkt:1:6: error: TCP flag `S` given twice\n0 > SS 0:0(0)\n     ^\n", "repeat");
	is_str(lang_parse_err("0 > S . 0:0(0)"),
	       "t.pkt:1:7: error: expected a sequence range SEQ:END(LEN), got `.`\n"
	       "0 > S . 0:0(0)\n"
	       "      ^\n",
	       "flags are one word");
}

static void test_seq_ack_win_urg(void)
{
	const struct packet_spec *p = pkt("0 < P. 1:1001(1000) ack 4294967295 win 0 urg 65535");
	if (ok(p, "parses")) {
		is_int(p->seq, 1, "seq");
		is_int(p->end_seq, 1001, "end");
		is_int(p->len, 1000, "len");
		ok(p->has_ack && p->ack == 4294967295u, "ack at the top of the space");
		ok(p->has_win && p->win == 0, "zero window");
		ok(p->has_urg && p->urg == 65535, "urg");
		is_int(p->loc.col, 3, "packet at its direction");
		is_int(p->flags_loc.col, 5, "flags column");
		is_int(p->seq_loc.col, 8, "seq column");
		is_int(p->ack_loc.col, 21, "ack column");
		is_int(p->win_loc.col, 36, "win column");
		is_int(p->urg_loc.col, 42, "urg column");
		is_int(p->options_mode, OPTIONS_NONE, "no options");
	}
	p = pkt("0 < . 4294967000:4294967295(295) win 257 ack 1");
	ok(p && p->seq == 4294967000u && p->has_ack && p->has_win, "ack/win in any order");
	is_str(lang_parse_err("0 < . 1:1(0) ack 1 ack 2"),
	       "t.pkt:1:20: error: `ack` given twice\n0 < . 1:1(0) ack 1 ack 2\n"
	       "                   ^\n",
	       "duplicate ack");
	is_str(lang_parse_err("0 < . 1:1(70000)"),
	       "t.pkt:1:11: error: TCP payload size 70000 out of range (0..65535)\n"
	       "0 < . 1:1(70000)\n"
	       "          ^\n",
	       "payload too large");
	is_str(lang_parse_err("0 < . 4294967296:4294967296(0)"),
	       "t.pkt:1:7: error: TCP start sequence number 4294967296 out of range "
	       "(0..4294967295)\n0 < . 4294967296:4294967296(0)\n      ^\n",
	       "seq out of range");
	p = pkt("0 < 8080>80 S 0:0(0)");
	ok(p && p->has_ports && p->src_port == 8080 && p->dst_port == 80, "explicit ports");
}

static void test_options(void)
{
	const struct packet_spec *p =
	    pkt("0 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 4294967295 ecr 0,nop,wscale 14,"
	        "eol>");
	if (ok(p, "common options parse")) {
		is_int(p->n_options, 6, "six");
		is_int(p->options[0].wire_kind, 2, "mss kind 2");
		is_int(p->options[1].wire_len, 2, "sackOK 2 bytes");
		is_uint(p->options[2].ts_val, 4294967295u, "TS val");
		is_int(p->options[4].value, 14, "wscale");
		is_int(p->options[5].kind, OPT_EOL, "eol");
		is_int(p->options_loc.col, 21, "list column");
	}
	p = pkt("0 < . 1:1(0) ack 1 <nop,nop,sack 1001:2001 3001:4001 5001:6001 7001:8001>");
	if (ok(p, "four SACK blocks")) {
		const struct tcp_option *o = &p->options[2];
		is_int(o->kind, OPT_SACK, "sack");
		is_int(o->n_sack, 4, "4 blocks");
		ok(o->sack[0].left == 1001 && o->sack[0].right == 2001, "first block");
		ok(o->sack[3].left == 7001 && o->sack[3].right == 8001, "last block");
		is_int(o->wire_len, 34, "34 bytes");
	}
	p = pkt("0 > S. 0:0(0) <FO 0123456789abcdef,FOEXP,md5 000102030405060708090a0b0c0d0e0f>");
	if (ok(p, "FO, FOEXP, md5")) {
		is_int(p->options[0].data_len, 8, "FO cookie");
		is_str(p->options[0].data_text, "0123456789abcdef", "as written");
		is_int(p->options[0].data[7], 0xef, "decoded");
		is_int(p->options[1].data_len, 0, "FOEXP without cookie");
		is_int(p->options[1].wire_kind, 254, "experimental kind");
		is_int(p->options[2].data_len, 16, "md5 digest");
		is_int(p->options[2].wire_len, 18, "18 bytes");
	}
	p = pkt("0 > S 0:0(0) <md5,exp,kind 30 len 4 beef,kind 253 len 2>");
	if (ok(p, "md5 without digest, exp, generic kinds")) {
		is_int(p->options[0].data_len, 0, "md5 without digest");
		is_int(p->options[1].kind, OPT_EXP, "exp");
		is_int(p->options[2].kind, OPT_GENERIC, "kind 30");
		is_int(p->options[2].wire_kind, 30, "kind number");
		is_int(p->options[2].wire_len, 4, "len");
		is_int(p->options[2].data[1], 0xef, "data");
		is_int(p->options[3].data_len, 0, "no data");
	}
	p = pkt("0 > SWA. 0:0(0) ack 1 <mss 1460,ECN e1b 1 ceb 0 e0b 1,nop>");
	if (ok(p, "AccECN option")) {
		const struct tcp_option *o = &p->options[1];
		is_int(o->kind, OPT_ACCECN, "ECN");
		is_int(o->n_accecn, 3, "three counters");
		is_int(o->accecn_field[0], ACCECN_E1B, "e1b first");
		is_int(o->accecn_value[0], 1, "e1b 1");
		is_int(o->accecn_field[1], ACCECN_CEB, "ceb");
		is_int(o->wire_kind, 174, "AccECN1");
		is_int(o->wire_len, 11, "11 bytes");
	}
	p = pkt("0 > . 1:1(0) ack 1 <...>");
	ok(p && p->options_mode == OPTIONS_ANY, "<...>");
	p = pkt("0 > . 1:1(0) ack 1 <>");
	ok(p && p->options_mode == OPTIONS_LIST && p->n_options == 0, "<>: an empty list");
	p = pkt("0 > . 1:1(0) ack 1\n   <nop,\n    nop>");
	ok(p && p->n_options == 2, "options continued on the next lines");

	is_str(lang_parse_err("0 > S 0:0(0) <sack 1:2 3:4 5:6 7:8,nop,nop,nop,nop,nop,nop,nop>"),
	       "t.pkt:1:60: error: TCP option list too long (41 bytes; at most 40)\n"
	       "0 > S 0:0(0) <sack 1:2 3:4 5:6 7:8,nop,nop,nop,nop,nop,nop,nop>\n"
	       "                                                           ^\n",
	       "option space exceeded");
	is_str(lang_parse_err("0 > S 0:0(0) <FO 00112233445566778899aabbccddeeff00>"),
	       "t.pkt:1:18: error: TCP fast open cookie too long (17 bytes; at most 16)\n"
	       "0 > S 0:0(0) <FO 00112233445566778899aabbccddeeff00>\n"
	       "                 ^\n",
	       "cookie too long");
	is_str(lang_parse_err("0 > S. 0:0(0) <FO TFO_COOKIE>"),
	       "t.pkt:1:19: error: TCP fast open cookie `TFO_COOKIE` is not a hex string (a "
	       "missing -D define?)\n0 > S. 0:0(0) <FO TFO_COOKIE>\n                  ^\n",
	       "an undefined cookie define");
	is_str(lang_parse_err("0 > S 0:0(0) <kind 30 len 4 be>"),
	       "t.pkt:1:15: error: option data is 1 bytes but `len 4` leaves 2\n"
	       "0 > S 0:0(0) <kind 30 len 4 be>\n"
	       "              ^\n",
	       "generic length mismatch");
	is_str(lang_parse_err("0 > . 1:1(0) <kind 30 len 1>"),
	       "t.pkt:1:27: error: option length 1 is less than 2\n"
	       "0 > . 1:1(0) <kind 30 len 1>\n"
	       "                          ^\n",
	       "an illegal option length outbound");
	const struct packet_spec *il = pkt("0 < . 1:1(0) <nop, kind 30 len 0>");
	ok(il && il->n_options == 2 && il->options[1].wire_len == 0,
	   "an illegal option length inbound (MUST-7)");
	is_str(lang_parse_err("0 > S 0:0(0) <TS val 1>"),
	       "t.pkt:1:23: error: expected `ecr` after the TS value, got `>`\n"
	       "0 > S 0:0(0) <TS val 1>\n"
	       "                      ^\n",
	       "TS without ecr");
	is_str(lang_parse_err("0 > S 0:0(0) <mss 1460"),
	       "t.pkt:1:23: error: expected `,` or `>` in the TCP option list, got end of file\n"
	       "0 > S 0:0(0) <mss 1460\n"
	       "                      ^\n",
	       "unclosed list");
}

static void test_ip_info(void)
{
	const struct packet_spec *p = pkt("0 < [ect0] S 0:0(0)");
	ok(p && p->ip.ecn == ECN_ECT0 && p->ip.loc.col == 5, "[ect0]");
	p = pkt("0 > [ect1] . 1:1(0)");
	ok(p && p->ip.ecn == ECN_ECT1, "[ect1]");
	p = pkt("0 > [ce] . 1:1(0)");
	ok(p && p->ip.ecn == ECN_CE, "[ce]");
	p = pkt("0 > [noecn] . 1:1(0)");
	ok(p && p->ip.ecn == ECN_NOECN, "[noecn]");
	p = pkt("0 > [ect01] . 1:1(0)");
	ok(p && p->ip.ecn == ECN_ECT01, "[ect01] outbound");
	p = pkt("0 > (tos 0x2) . 1:1(0)");
	ok(p && p->ip.has_tos && p->ip.tos == 2, "(tos 0x2)");
	p = pkt("0 > (tos 0x10, flowlabel 0x12345) . 1:1(0)");
	ok(p && p->ip.tos == 0x10 && p->ip.has_flowlabel && p->ip.flowlabel == 0x12345,
	   "tos and flowlabel");
	p = pkt("0 < [ect0] (ttl 64) S 0:0(0)");
	ok(p && p->ip.ecn == ECN_ECT0 && p->ip.has_ttl && p->ip.ttl == 64, "ECN and ttl groups");
	is_str(lang_parse_err("0 > (flowlabel 0x100000) . 1:1(0)"),
	       "t.pkt:1:16: error: flowlabel 0x100000 out of range (0..1048575)\n"
	       "0 > (flowlabel 0x100000) . 1:1(0)\n"
	       "               ^\n",
	       "flowlabel is 20 bits");
	is_str(lang_parse_err("0 > [ect0, ce] . 1:1(0)"),
	       "t.pkt:1:12: error: more than one ECN mark\n0 > [ect0, ce] . 1:1(0)\n"
	       "           ^\n",
	       "two ECN marks");
	p = pkt("0 < (ttl 9, bad_checksum) P. 1:2(1)");
	ok(p && p->ip.bad_checksum && p->ip.ttl == 9, "bad_checksum inbound");
	p = pkt("0 < (ip_options 8) P. 1:2(1)");
	ok(p && p->ip.ip_options == 8, "ip_options inbound");
	is_str(lang_parse_err("0 < (ip_options 6) . 1:1(0)"),
	       "t.pkt:1:6: error: ip_options 6: a multiple of 4 from 4 to 40\n"
	       "0 < (ip_options 6) . 1:1(0)\n"
	       "     ^\n",
	       "ip_options length");
	is_str(lang_parse_err("0 > (bad_checksum) . 1:1(0)"),
	       "t.pkt:1:6: error: bad_checksum can only be used with inbound packets\n"
	       "0 > (bad_checksum) . 1:1(0)\n"
	       "     ^\n",
	       "bad_checksum outbound is refused");
	is_str(lang_parse_err("0 > [ect0) . 1:1(0)"),
	       "t.pkt:1:10: error: expected `]` closing the IP information, got `)`\n"
	       "0 > [ect0) . 1:1(0)\n"
	       "         ^\n",
	       "mismatched bracket");
}

static void test_icmp_udp(void)
{
	const struct packet_spec *p =
	    pkt("0 < icmp unreachable frag_needed mtu 1200 [1:1461(1460)]");
	if (ok(p, "ICMP frag needed")) {
		is_int(p->proto, PROTO_ICMP, "icmp");
		is_str(p->icmp_type, "unreachable", "type");
		is_str(p->icmp_code, "frag_needed", "code");
		ok(p->has_mtu && p->mtu == 1200, "mtu");
		is_int(p->quoted, ICMP_QUOTED_TCP, "quotes TCP");
		ok(p->seq == 1 && p->end_seq == 1461 && p->len == 1460, "quoted seq");
	}
	p = pkt("0 < icmp unreachable port_unreachable [udp (100)]");
	ok(p && p->quoted == ICMP_QUOTED_UDP && p->len == 100, "quotes UDP");
	p = pkt("0 > icmp echo_reply id 7");
	ok(p && !p->icmp_code && p->has_icmp_id && p->icmp_id == 7 && p->quoted == ICMP_QUOTED_NONE,
	   "echo reply with id");
	p = pkt("0 < [ect0] icmp time_exceeded [raw (20)]");
	ok(p && p->ip.ecn == ECN_ECT0 && p->quoted == ICMP_QUOTED_RAW, "ip info before icmp");
	p = pkt("0 < udp (1472)");
	ok(p && p->proto == PROTO_UDP && p->len == 1472 && !p->has_ports, "udp (1472)");
	p = pkt("0 > udp 53>1024 (100)");
	ok(p && p->has_ports && p->src_port == 53 && p->dst_port == 1024, "udp with ports");

	struct script *s = NULL;
	is_str(lang_parse_diags("0 < ipv4 1.2.3.4 > 5.6.7.8: S 0:0(0)\n+0 f() = 0\n", &s),
	       "t.pkt:1:5: unsupported: packet encapsulation `ipv4`\n"
	       "0 < ipv4 1.2.3.4 > 5.6.7.8: S 0:0(0)\n"
	       "    ^\n",
	       "encapsulation is unsupported, not an error");
	ok(s && s->n_events == 1, "and the rest of the script parses");
	script_free(s);
}

int main(void)
{
	test_flags();
	test_seq_ack_win_urg();
	test_options();
	test_ip_info();
	test_icmp_udp();
	script_free(cur);
	lang_round_trip("0 > SFRP.EWU 0:0(0)\n"
	                "+0 < - 1:1(0) ack 1 win 0 urg 3\n"
	                "+0 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7,eol>\n"
	                "+0 > . 1:1(0) <sack 1:2 3:4,FO 0011,FOEXP>\n"
	                "+0 > . 1:1(0) <md5,exp 01,kind 30 len 3 ff>\n"
	                "+0 > SWA. 0:0(0) <ECN e0b 1 ceb 2 e1b 3> \n"
	                "+0 > [ect0] (tos 0x10, flowlabel 0x1, ttl 3) . 1:1(0) <...>\n"
	                "+0 < icmp unreachable frag_needed mtu 1200 [1:1461(1460)]\n"
	                "+0 < icmp echo_request id 3 [udp (3)]\n"
	                "+0 < udp 1>2 (10)\n"
	                "+0 < 1>2 S 0:0(0) <>\n",
	                "packets");
	done_testing();
}
