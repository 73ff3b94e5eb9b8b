/* Packet lines: `< S 0:0(0) win 65535 <mss 1460,...>`, IP extras, UDP, ICMP.
 *
 * Ranges and messages follow packetdrill's parser.y so an existing script
 * gets the same verdict: u32 sequence numbers, u16 payload length, window
 * and urgent pointer, at most 40 bytes of options. */
#include "lang/lang_internal.h"

#include <string.h>

static bool word_in(const struct token *t, const char *const *words)
{
	for (; *words; words++)
		if (lp_is_word(t, *words))
			return true;
	return false;
}

/* ---- IP extras: (tos 0x..), [ect0], (flowlabel 0x..), (ttl N) -------------- */

static void parse_ip_group(struct parser *p, struct ip_info *ip, enum direction dir)
{
	struct token open = lp_next(p);
	int close = open.ch == '(' ? ')' : ']';
	if (!ip->loc.line)
		ip->loc = open.loc;
	do {
		struct token *t = lp_peek(p);
		static const struct {
			const char *name;
			enum ecn_mark ecn;
		} marks[] = { { "noecn", ECN_NOECN },
			      { "ect0", ECN_ECT0 },
			      { "ect1", ECN_ECT1 },
			      { "ce", ECN_CE },
			      { "ect01", ECN_ECT01 } };
		bool done = false;
		for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
			if (!lp_is_word(t, marks[i].name))
				continue;
			if (ip->ecn != ECN_UNSPEC)
				lp_fail(p, t->loc, "more than one ECN mark");
			if (marks[i].ecn == ECN_ECT01 && dir != DIR_OUTBOUND)
				lp_fail(p, t->loc,
				        "[ect01] can only be used with outbound packets");
			ip->ecn = marks[i].ecn;
			lp_next(p);
			done = true;
		}
		if (done)
			continue;
		if (lp_is_word(t, "tos")) {
			lp_next(p);
			ip->has_tos = true;
			ip->tos = (uint8_t)lp_expect_uint(p, 0xff, "tos");
		} else if (lp_is_word(t, "flowlabel")) {
			lp_next(p);
			ip->has_flowlabel = true;
			ip->flowlabel = (uint32_t)lp_expect_uint(p, 0xfffff, "flowlabel");
		} else if (lp_is_word(t, "ttl")) {
			lp_next(p);
			ip->has_ttl = true;
			ip->ttl = (uint8_t)lp_expect_uint(p, 0xff, "ttl");
		} else if (lp_is_word(t, "ip_options")) {
			struct src_loc l = t->loc;
			if (dir != DIR_INBOUND)
				lp_fail(p, l, "ip_options can only be used with inbound packets");
			lp_next(p);
			uint64_t n = lp_expect_uint(p, 40, "ip_options length");
			if (n == 0 || n % 4)
				lp_fail(p, l, "ip_options %u: a multiple of 4 from 4 to 40",
				        (unsigned)n);
			ip->ip_options = (uint8_t)n;
		} else if (lp_is_word(t, "bad_checksum")) {
			if (dir != DIR_INBOUND)
				lp_fail(p, t->loc,
				        "bad_checksum can only be used with inbound packets");
			lp_next(p);
			ip->bad_checksum = true;
		} else {
			lp_fail_expected(
			    p, "`tos`, `flowlabel`, `ttl`, `bad_checksum`, `ip_options` or an "
			       "ECN mark (ect0 ect1 ce noecn ect01)");
		}
	} while (lp_accept_punct(p, ','));
	if (close == ')')
		lp_expect_punct(p, ')', "`)` closing the IP information");
	else
		lp_expect_punct(p, ']', "`]` closing the IP information");
}

/* ---- TCP options ---------------------------------------------------------------- */

static int hexdig(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/* An optional hex blob (packetdrill's hex_blob: a word or an integer). */
static void parse_hex_blob(struct parser *p, struct tcp_option *o, size_t max, const char *what)
{
	struct token *t = lp_peek(p);
	if ((t->kind != TOK_WORD && t->kind != TOK_INT) || t->is_hex)
		return;
	for (size_t i = 0; i < t->len; i++)
		if (hexdig(t->text[i]) < 0) /* most likely a kernel selftest run without its -D */
			lp_fail(p, t->loc, "%s `%.*s` is not a hex string (a missing -D define?)",
			        what, (int)(t->len > 40 ? 40 : t->len), t->text);
	if (t->len % 2)
		lp_fail(p, t->loc, "%s is not a valid hex string (odd number of digits)", what);
	if (t->len / 2 > max)
		lp_fail(p, t->loc, "%s too long (%zu bytes; at most %zu)", what, t->len / 2, max);
	uint8_t *d = lp_alloc(p, t->len / 2 + 1);
	for (size_t i = 0; i < t->len; i += 2) {
		int hi = hexdig(t->text[i]), lo = hexdig(t->text[i + 1]);
		if (hi < 0 || lo < 0)
			lp_fail(p, t->loc, "%s is not a valid hex string", what);
		d[i / 2] = (uint8_t)(hi * 16 + lo);
	}
	o->data = d;
	o->data_len = t->len / 2;
	o->data_text = lp_strndup(p, t->text, t->len);
	lp_next(p);
}

/* AccECN (draft-ietf-tcpm-accurate-ecn, the option section):
 * `ECN e0b N ceb N e1b N`, counters in wire order;
 * e1b first makes it AccECN1 (kind 174). Fewer counters make a shorter option. */
static void parse_accecn(struct parser *p, struct tcp_option *o)
{
	static const char *const names[] = {
		[ACCECN_E0B] = "e0b", [ACCECN_CEB] = "ceb", [ACCECN_E1B] = "e1b"
	};
	o->kind = OPT_ACCECN;
	while (o->n_accecn < 3) {
		struct token *t = lp_peek(p);
		int f = -1;
		for (int i = 0; i < 3; i++)
			if (lp_is_word(t, names[i]))
				f = i;
		if (f < 0)
			break;
		for (size_t i = 0; i < o->n_accecn; i++)
			if (o->accecn_field[i] == (enum accecn_field)f)
				lp_fail(p, t->loc, "AccECN counter `%s` given twice", names[f]);
		lp_next(p);
		o->accecn_field[o->n_accecn] = (enum accecn_field)f;
		o->accecn_value[o->n_accecn++] =
		    (uint32_t)lp_expect_uint(p, 0xffffff, "AccECN byte counter");
	}
	o->wire_kind = o->n_accecn && o->accecn_field[0] == ACCECN_E1B ? 174 : 172;
	o->wire_len = (uint8_t)(2 + 3 * o->n_accecn);
}

static void parse_tcp_option(struct parser *p, struct tcp_option *o, enum direction pk_dir)
{
	struct token t = lp_next(p);
	char buf[80];
	o->loc = t.loc;
	if (t.kind == TOK_ERROR) /* already reported */
		longjmp(p->line_jmp, 1);
	if (t.kind != TOK_WORD)
		lp_fail(p, t.loc, "expected a TCP option, got %s",
		        lp_tok_desc(&t, buf, sizeof buf));
	if (lp_is_word(&t, "nop")) {
		o->kind = OPT_NOP;
		o->wire_kind = 1;
		o->wire_len = 1;
	} else if (lp_is_word(&t, "eol")) {
		o->kind = OPT_EOL;
		o->wire_kind = 0;
		o->wire_len = 1;
	} else if (lp_is_word(&t, "mss")) {
		o->kind = OPT_MSS;
		o->wire_kind = 2;
		o->wire_len = 4;
		o->value = (uint32_t)lp_expect_uint(p, 0xffff, "mss value");
	} else if (lp_is_word(&t, "wscale")) {
		o->kind = OPT_WSCALE;
		o->wire_kind = 3;
		o->wire_len = 3;
		o->value = (uint32_t)lp_expect_uint(p, 0xff, "window scale shift count");
	} else if (lp_is_word(&t, "sackOK")) {
		o->kind = OPT_SACK_PERM;
		o->wire_kind = 4;
		o->wire_len = 2;
	} else if (lp_is_word(&t, "sack")) {
		o->kind = OPT_SACK;
		o->wire_kind = 5;
		size_t cap = 0;
		do {
			struct token *b = lp_peek(p);
			if (o->n_sack == 4)
				lp_fail(p, b->loc, "too many SACK blocks (at most 4 fit)");
			o->sack = lp_grow(p, o->sack, o->n_sack, &cap, sizeof *o->sack);
			struct sack_block *sb = &o->sack[o->n_sack++];
			sb->left = (uint32_t)lp_expect_uint(p, 0xffffffffu, "SACK left edge");
			lp_expect_punct(p, ':', "`:` in a SACK block");
			sb->right = (uint32_t)lp_expect_uint(p, 0xffffffffu, "SACK right edge");
		} while (lp_peek(p)->kind == TOK_INT);
		o->wire_len = (uint8_t)(2 + 8 * o->n_sack);
	} else if (lp_is_word(&t, "TS")) {
		o->kind = OPT_TS;
		o->wire_kind = 8;
		o->wire_len = 10;
		if (!lp_is_word(lp_peek(p), "val"))
			lp_fail_expected(p, "`val` after `TS`");
		lp_next(p);
		o->ts_val = (uint32_t)lp_expect_uint(p, 0xffffffffu, "TS val");
		if (!lp_is_word(lp_peek(p), "ecr"))
			lp_fail_expected(p, "`ecr` after the TS value");
		lp_next(p);
		o->ts_ecr = (uint32_t)lp_expect_uint(p, 0xffffffffu, "TS ecr");
	} else if (lp_is_word(&t, "FO") || lp_is_word(&t, "FOEXP")) {
		bool exp = lp_is_word(&t, "FOEXP");
		o->kind = exp ? OPT_FOEXP : OPT_FO;
		o->wire_kind = exp ? 254 : 34;
		parse_hex_blob(p, o, 16, "TCP fast open cookie");
		o->wire_len = (uint8_t)((exp ? 4 : 2) + o->data_len);
	} else if (lp_is_word(&t, "md5")) {
		o->kind = OPT_MD5;
		o->wire_kind = 19;
		o->wire_len = 18;
		parse_hex_blob(p, o, 16, "TCP MD5 digest");
	} else if (lp_is_word(&t, "exp")) {
		o->kind = OPT_EXP;
		o->wire_kind = 254;
		parse_hex_blob(p, o, 38, "experimental option data");
		o->wire_len = (uint8_t)(2 + o->data_len);
	} else if (lp_is_word(&t, "ECN")) {
		parse_accecn(p, o);
	} else if (lp_is_word(&t, "kind")) {
		o->kind = OPT_GENERIC;
		o->wire_kind = (uint8_t)lp_expect_uint(p, 255, "option kind");
		if (!lp_is_word(lp_peek(p), "len"))
			lp_fail_expected(p, "`len` after `kind N`");
		lp_next(p);
		struct token *l = lp_peek(p);
		struct src_loc lloc = l->loc;
		o->wire_len = (uint8_t)lp_expect_uint(p, LANG_MAX_OPTION_BYTES, "option length");
		/* A length below 2 is illegal (RFC 9293 MUST-7): written as is,
		 * the kind and that length byte, to see the receiver cope. */
		if (o->wire_len < 2) {
			if (pk_dir != DIR_INBOUND)
				lp_fail(p, lloc, "option length %u is less than 2", o->wire_len);
			return;
		}
		parse_hex_blob(p, o, 38, "option data");
		if (o->data && o->data_len != (size_t)o->wire_len - 2)
			lp_fail(p, o->loc, "option data is %zu bytes but `len %u` leaves %u",
			        o->data_len, o->wire_len, o->wire_len - 2);
	} else {
		lp_fail(p, t.loc, "unknown TCP option %s", lp_tok_desc(&t, buf, sizeof buf));
	}
}

static void parse_tcp_options(struct parser *p, struct packet_spec *pk)
{
	struct token open = lp_next(p);
	pk->options_loc = open.loc;
	if (lp_peek(p)->kind == TOK_ELLIPSIS) {
		lp_next(p);
		lp_expect_punct(p, '>', "`>` after `<...`");
		if (pk->dir != DIR_OUTBOUND)
			lp_fail(p, open.loc,
			        "<...> for TCP options can only be used with outbound packets");
		pk->options_mode = OPTIONS_ANY;
		return;
	}
	pk->options_mode = OPTIONS_LIST;
	if (lp_accept_punct(p, '>'))
		return;
	size_t cap = 0, bytes = 0;
	do {
		pk->options = lp_grow(p, pk->options, pk->n_options, &cap, sizeof *pk->options);
		struct tcp_option *o = &pk->options[pk->n_options++];
		parse_tcp_option(p, o, pk->dir);
		/* An illegal `kind N len 0|1` still takes its two bytes. */
		bytes += o->kind == OPT_GENERIC && o->wire_len < 2 ? 2u : o->wire_len;
		if (bytes > LANG_MAX_OPTION_BYTES)
			lp_fail(p, o->loc, "TCP option list too long (%zu bytes; at most %d)",
			        bytes, LANG_MAX_OPTION_BYTES);
	} while (lp_accept_punct(p, ','));
	lp_expect_punct(p, '>', "`,` or `>` in the TCP option list");
}

/* ---- TCP header fields -------------------------------------------------------- */

static uint8_t flag_bit(char c)
{
	switch (c) {
	case 'F':
		return TCPF_FIN;
	case 'S':
		return TCPF_SYN;
	case 'R':
		return TCPF_RST;
	case 'P':
		return TCPF_PSH;
	case '.':
		return TCPF_ACK;
	case 'U':
		return TCPF_URG;
	case 'E':
		return TCPF_ECE;
	case 'W':
		return TCPF_CWR;
	}
	return 0;
}

static void parse_flags(struct parser *p, struct packet_spec *pk)
{
	struct token first = *lp_peek(p);
	pk->flags_loc = first.loc;
	if (lp_is_punct(&first, '-')) {
		lp_next(p);
		pk->flags_text = "-";
		return;
	}
	const char *expect = "TCP flags (S F R P . E W U A, or - for none)";
	if (first.kind != TOK_WORD && !lp_is_punct(&first, '.'))
		lp_fail_expected(p, expect);
	char text[16];
	size_t n = 0;
	bool started = false;
	for (;;) {
		struct token *t = lp_peek(p);
		if (started && (t->space_before || !(t->kind == TOK_WORD || lp_is_punct(t, '.'))))
			break;
		bool first_tok = !started;
		started = true;
		for (size_t i = 0; i < t->len; i++) {
			uint8_t bit = flag_bit(t->text[i]);
			struct src_loc at = t->loc;
			at.col += (int)i;
			if (t->text[i] == 'A') { /* AccECN's AE: outside the flags byte */
				if (pk->flag_ae)
					lp_fail(p, at, "TCP flag `A` given twice");
				pk->flag_ae = true;
				text[n++] = 'A';
				continue;
			}
			if (!bit && first_tok && i == 0)
				lp_fail_expected(p, expect);
			if (!bit)
				lp_fail(p, at, "unknown TCP flag `%c`", t->text[i]);
			if (pk->flags & bit)
				lp_fail(p, at, "TCP flag `%c` given twice", t->text[i]);
			pk->flags |= bit;
			text[n++] = t->text[i];
		}
		lp_next(p);
	}
	pk->flags_text = lp_strndup(p, text, n);
}

/* SEQ:END(LEN), also inside an ICMP quote. */
static void parse_seq(struct parser *p, struct packet_spec *pk)
{
	struct token *t = lp_peek(p);
	struct src_loc loc = t->loc;
	if (t->kind != TOK_INT)
		lp_fail_expected(p, "a sequence range SEQ:END(LEN)");
	pk->seq_loc = loc;
	pk->seq = (uint32_t)lp_expect_uint(p, 0xffffffffu, "TCP start sequence number");
	lp_expect_punct(p, ':', "`:` in SEQ:END(LEN)");
	pk->end_seq = (uint32_t)lp_expect_uint(p, 0xffffffffu, "TCP end sequence number");
	lp_expect_punct(p, '(', "`(` in SEQ:END(LEN)");
	pk->len = (uint32_t)lp_expect_uint(p, 0xffff, "TCP payload size");
	lp_expect_punct(p, ')', "`)` in SEQ:END(LEN)");
	if ((uint64_t)pk->end_seq != (uint64_t)pk->seq + pk->len)
		lp_fail(p, loc, "inconsistent TCP sequence numbers and payload size");
}

static void parse_ports(struct parser *p, struct packet_spec *pk)
{
	if (lp_peek(p)->kind != TOK_INT)
		return;
	pk->has_ports = true;
	pk->src_port = (uint16_t)lp_expect_uint(p, 0xffff, "source port");
	lp_expect_punct(p, '>', "`>` between the ports");
	pk->dst_port = (uint16_t)lp_expect_uint(p, 0xffff, "destination port");
}

static void parse_tcp(struct parser *p, struct packet_spec *pk)
{
	pk->proto = PROTO_TCP;
	parse_ports(p, pk);
	parse_flags(p, pk);
	parse_seq(p, pk);
	for (;;) {
		struct token *t = lp_peek(p);
		struct src_loc loc = t->loc;
		if (lp_is_word(t, "ack")) {
			if (pk->has_ack)
				lp_fail(p, loc, "`ack` given twice");
			lp_next(p);
			pk->has_ack = true;
			pk->ack_loc = loc;
			pk->ack =
			    (uint32_t)lp_expect_uint(p, 0xffffffffu, "TCP ack sequence number");
		} else if (lp_is_word(t, "win")) {
			if (pk->has_win)
				lp_fail(p, loc, "`win` given twice");
			lp_next(p);
			pk->has_win = true;
			pk->win_loc = loc;
			pk->win = (uint32_t)lp_expect_uint(p, 0xffff, "TCP window value");
		} else if (lp_is_word(t, "urg")) {
			if (pk->has_urg)
				lp_fail(p, loc, "`urg` given twice");
			lp_next(p);
			pk->has_urg = true;
			pk->urg_loc = loc;
			pk->urg = (uint16_t)lp_expect_uint(p, 0xffff, "urg_ptr value");
		} else {
			break;
		}
	}
	if (lp_is_punct(lp_peek(p), '<'))
		parse_tcp_options(p, pk);
	else
		p->tail_hint = "`ack`, `win`, `urg`, `<options>` or the end of the event";
	if (lp_is_punct(lp_peek(p), '{')) {
		lp_diag(p, DIAG_UNSUPPORTED, lp_peek(p)->loc, "packetdrill fuzz options `{...}`");
		longjmp(p->line_jmp, 1);
	}
}

/* ---- UDP and ICMP ------------------------------------------------------------------ */

static void parse_udp(struct parser *p, struct packet_spec *pk)
{
	lp_next(p);
	pk->proto = PROTO_UDP;
	parse_ports(p, pk);
	lp_expect_punct(p, '(', "`(LEN)` after `udp`");
	pk->len = (uint32_t)lp_expect_uint(p, 0xffff, "UDP payload size");
	lp_expect_punct(p, ')', "`)` after the UDP payload size");
}

static void parse_icmp(struct parser *p, struct packet_spec *pk)
{
	lp_next(p);
	pk->proto = PROTO_ICMP;
	if (lp_peek(p)->kind != TOK_WORD)
		lp_fail_expected(p, "an ICMP type (`unreachable`, `echo_request`, ...)");
	struct token t = lp_next(p);
	pk->icmp_type = lp_strndup(p, t.text, t.len);
	static const char *const kw[] = { "mtu", "id", NULL };
	if (lp_peek(p)->kind == TOK_WORD && !word_in(lp_peek(p), kw)) {
		t = lp_next(p);
		pk->icmp_code = lp_strndup(p, t.text, t.len);
	}
	if (lp_is_word(lp_peek(p), "mtu")) {
		lp_next(p);
		pk->has_mtu = true;
		pk->mtu = (uint32_t)lp_expect_uint(p, 0xffffffffu, "ICMP mtu");
	}
	if (lp_is_word(lp_peek(p), "id")) {
		lp_next(p);
		pk->has_icmp_id = true;
		pk->icmp_id = (uint32_t)lp_expect_uint(p, 0xffff, "ICMP echo id");
	}
	if (!lp_accept_punct(p, '['))
		return;
	if (lp_is_word(lp_peek(p), "udp") || lp_is_word(lp_peek(p), "raw")) {
		pk->quoted = lp_is_word(lp_peek(p), "udp") ? ICMP_QUOTED_UDP : ICMP_QUOTED_RAW;
		lp_next(p);
		lp_expect_punct(p, '(', "`(LEN)`");
		pk->len = (uint32_t)lp_expect_uint(p, 0xffff, "payload size");
		lp_expect_punct(p, ')', "`)`");
	} else {
		pk->quoted = ICMP_QUOTED_TCP;
		parse_seq(p, pk);
	}
	lp_expect_punct(p, ']', "`]` closing the quoted packet");
}

struct packet_spec *lp_parse_packet(struct parser *p)
{
	struct packet_spec *pk = lp_alloc(p, sizeof *pk);
	struct token d = lp_next(p);
	pk->dir = d.ch == '<' ? DIR_INBOUND : DIR_OUTBOUND;
	pk->loc = d.loc;
	while (lp_is_punct(lp_peek(p), '(') || lp_is_punct(lp_peek(p), '['))
		parse_ip_group(p, &pk->ip, pk->dir);
	struct token *t = lp_peek(p);
	static const char *const encaps[] = { "ipv4", "ipv6", "gre", "GREv0", "mpls", NULL };
	if (word_in(t, encaps)) {
		lp_diag(p, DIAG_UNSUPPORTED, t->loc, "packet encapsulation `%.*s`", (int)t->len,
		        t->text);
		longjmp(p->line_jmp, 1);
	}
	if (lp_is_word(t, "udp"))
		parse_udp(p, pk);
	else if (lp_is_word(t, "icmp"))
		parse_icmp(p, pk);
	else
		parse_tcp(p, pk);
	return pk;
}
