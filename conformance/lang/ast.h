/* The parse tree of a packetdrill-language script (../shared/SCRIPT-LANGUAGE.md).
 *
 * The parser records exactly what the script wrote: relative versus absolute
 * times, symbolic names unresolved, sequence numbers as written (relative to
 * the ISNs). Meaning (ISN mapping, tolerance, name lookup) belongs to the
 * executor, which reads this tree and never modifies it.
 *
 * Memory: every node and string of a script lives in one arena owned by the
 * struct script; script_free() releases it all at once. Nodes are never
 * shared, so a subtree can be walked without cycles. Arrays are (pointer,
 * count) pairs; a count of 0 may come with a NULL pointer.
 *
 * Unsupported constructs: a line the parser recognises but synack cannot
 * represent (packetdrill's `ipv4 A > B:` encapsulation, `{...}` fuzz options)
 * yields a DIAG_UNSUPPORTED diagnostic and no event; a %{ }% block outside the
 * native subset is kept with code->supported false. A caller must not run a
 * script that has unsupported diagnostics as if it were complete.
 *
 * Threads: the parser has no global state; parse scripts in parallel freely.
 *
 * Stability: the executor codes against this header. Fields and enumerators
 * are only ever added, never renamed or renumbered.
 */
#ifndef SYNACK_LANG_AST_H
#define SYNACK_LANG_AST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lang/diag.h"

/* ---- times ---------------------------------------------------------------- */

/* One written time value. */
struct time_point {
	bool relative;      /* written with a leading '+' (relative to the previous event) */
	int64_t usecs;      /* the value in microseconds, >= 0 */
	struct src_loc loc; /* where the number (or its '+') starts */
};

enum time_form {
	TIME_POINT, /* `0.1` or `+0.1`: start only */
	TIME_RANGE, /* `0.1~0.2` or `+0~+0.2`: start and end */
	TIME_ANY,   /* `*`: any time; start and end unused */
};

/* An event's time as written. The blocking end of `a...b` is in syscall_spec
 * (packetdrill's grammar puts it there: `0.1 ...0.3 accept(...)`). */
struct event_time {
	enum time_form form;     /* which of the shapes above */
	struct time_point start; /* TIME_POINT, TIME_RANGE: the (first) time */
	struct time_point end;   /* TIME_RANGE only: the time after '~' */
	struct src_loc loc;      /* the first character of the time ('*', '+' or digit) */
};

/* ---- packets -------------------------------------------------------------- */

enum direction {
	DIR_INBOUND,  /* `<`: the script's peer sends to the stack */
	DIR_OUTBOUND, /* `>`: the stack sends, the script expects */
};

enum packet_proto {
	PROTO_TCP,  /* `FLAGS SEQ:END(LEN) ...` */
	PROTO_UDP,  /* `udp (LEN)` */
	PROTO_ICMP, /* `icmp TYPE [CODE] [mtu N] [id N] [[...]]` */
};

/* TCP header flag bits, in their wire positions (RFC 9293 3.1, RFC 3168). */
enum tcp_flag {
	TCPF_FIN = 0x01, /* F */
	TCPF_SYN = 0x02, /* S */
	TCPF_RST = 0x04, /* R */
	TCPF_PSH = 0x08, /* P */
	TCPF_ACK = 0x10, /* . */
	TCPF_URG = 0x20, /* U */
	TCPF_ECE = 0x40, /* E */
	TCPF_CWR = 0x80, /* W */
};

/* ECN codepoint checks written as `[noecn]` `[ect0]` `[ect1]` `[ce]` `[ect01]`. */
enum ecn_mark {
	ECN_UNSPEC, /* nothing written: not checked, inbound sends Not-ECT */
	ECN_NOECN,  /* [noecn]: Not-ECT (00) */
	ECN_ECT1,   /* [ect1]: ECT(1) (01) */
	ECN_ECT0,   /* [ect0]: ECT(0) (10) */
	ECN_CE,     /* [ce]: CE (11) */
	ECN_ECT01,  /* [ect01]: outbound only, either ECT(0) or ECT(1) */
};

/* IP-level extras: `(tos 0x..)`, `[ect0]`, `(flowlabel 0x..)`, `(ttl N)`,
 * written between the direction and the flags. */
struct ip_info {
	bool has_tos;       /* `tos 0xNN` given */
	uint8_t tos;        /* the whole TOS / traffic class byte */
	enum ecn_mark ecn;  /* an ECN mark, ECN_UNSPEC if none */
	bool has_flowlabel; /* `flowlabel 0xNNNNN` given (IPv6) */
	uint32_t flowlabel; /* 20 bits */
	bool has_ttl;       /* `ttl N` given */
	uint8_t ttl;        /* TTL / hop limit */
	bool bad_checksum;  /* `bad_checksum`: inbound, the TCP checksum made wrong */
	uint8_t ip_options; /* `ip_options N`: inbound IPv4, N bytes of IP NOP options */
	struct src_loc loc; /* the opening bracket; {0} when nothing was written */
};

/* TCP option kinds as written in `<...>`. OPT_* values are ours, not wire kinds
 * (see tcp_option.wire_kind for that). */
enum tcp_option_kind {
	OPT_EOL,       /* `eol` (kind 0) */
	OPT_NOP,       /* `nop` (kind 1) */
	OPT_MSS,       /* `mss N` (kind 2) */
	OPT_WSCALE,    /* `wscale N` (kind 3) */
	OPT_SACK_PERM, /* `sackOK` (kind 4) */
	OPT_SACK,      /* `sack A:B C:D ...` (kind 5) */
	OPT_TS,        /* `TS val N ecr N` (kind 8) */
	OPT_MD5,       /* `md5 [HEX]` (kind 19, RFC 2385) */
	OPT_FO,        /* `FO [COOKIE]` (kind 34, RFC 7413) */
	OPT_FOEXP,     /* `FOEXP [COOKIE]` (kind 254, magic 0xF989) */
	OPT_EXP,       /* `exp [HEX]`: experimental kind 254, raw data */
	OPT_GENERIC,   /* `kind N len M [HEX]`: any kind, by number */
	OPT_ACCECN,    /* `ECN e1b N ceb N e0b N`: AccECN option (kind 172 or 174, accurate-ecn) */
};

/* The AccECN option's byte counters, in the order written (the first one
 * decides between AccECN0, e0b first, and AccECN1, e1b first). */
enum accecn_field {
	ACCECN_E0B, /* `e0b N`: bytes received with ECT(0) */
	ACCECN_CEB, /* `ceb N`: bytes received with CE */
	ACCECN_E1B, /* `e1b N`: bytes received with ECT(1) */
};

struct sack_block {
	uint32_t left;  /* A of A:B, relative like every sequence number */
	uint32_t right; /* B of A:B */
};

#define LANG_MAX_OPTION_BYTES 40 /* TCP option space: 60-byte header - 20 */

struct tcp_option {
	enum tcp_option_kind kind;         /* which option */
	struct src_loc loc;                /* its first word */
	uint8_t wire_kind;                 /* the TCP option kind byte it becomes */
	uint8_t wire_len;                  /* its length byte as it would be sent (1 for eol/nop) */
	uint32_t value;                    /* OPT_MSS: the MSS; OPT_WSCALE: the shift count */
	uint32_t ts_val;                   /* OPT_TS: TSval as written */
	uint32_t ts_ecr;                   /* OPT_TS: TSecr as written */
	struct sack_block *sack;           /* OPT_SACK: the blocks, in order */
	size_t n_sack;                     /* OPT_SACK: how many (1..4) */
	uint8_t *data;                     /* OPT_FO/FOEXP cookie, OPT_MD5 digest, OPT_EXP and
				      OPT_GENERIC payload bytes (decoded from hex) */
	size_t data_len;                   /* bytes in data; 0 for an empty cookie `FO` */
	const char *data_text;             /* data as written (hex text), NULL when none */
	size_t n_accecn;                   /* OPT_ACCECN: counters written (0..3) */
	enum accecn_field accecn_field[3]; /* OPT_ACCECN: which counter, in order */
	uint32_t accecn_value[3];          /* OPT_ACCECN: its value (24 bits) */
};

/* What follows the TCP header fields. */
enum options_mode {
	OPTIONS_NONE, /* nothing written: inbound sends none; outbound expects none */
	OPTIONS_LIST, /* `<a,b,...>`: exactly these, in order */
	OPTIONS_ANY,  /* `<...>`: outbound only, any options accepted */
};

/* What an ICMP error quotes: `[seq:end(len)]`, `[udp (len)]`, `[raw (len)]`. */
enum icmp_quoted {
	ICMP_QUOTED_NONE, /* nothing written: packetdrill quotes a TCP header at seq 0 */
	ICMP_QUOTED_TCP,  /* `[S:E(L)]` */
	ICMP_QUOTED_UDP,  /* `[udp (L)]` */
	ICMP_QUOTED_RAW,  /* `[raw (L)]` */
};

/* A packet line, TCP, UDP or ICMP. Fields not used by the protocol are 0. */
struct packet_spec {
	enum direction dir;      /* `<` or `>` */
	struct src_loc loc;      /* the `<` or `>` */
	enum packet_proto proto; /* TCP unless `udp` / `icmp` follows the direction */
	struct ip_info ip;       /* IP extras; ip.loc is {0} when none written */
	bool has_ports;          /* `SPORT>DPORT` written before the flags */
	uint16_t src_port;       /* when has_ports */
	uint16_t dst_port;       /* when has_ports */

	/* TCP */
	uint8_t flags;          /* enum tcp_flag bits; 0 with `-` */
	bool flag_ae;           /* `A`: AccECN AE bit (header bit 8, accurate-ecn); not in flags */
	const char *flags_text; /* the flags as written (`S.`, `-`, `FP.`); NULL: the
				   printer spells flags from the bits */
	uint32_t seq;           /* SEQ of SEQ:END(LEN) */
	uint32_t end_seq;       /* END, == seq + len (checked by the parser) */
	uint32_t len;           /* LEN: payload bytes (also UDP and the ICMP quote) */
	bool has_ack;           /* `ack N` written */
	uint32_t ack;           /* the ack number, relative */
	bool has_win;           /* `win N` written */
	uint32_t win;           /* the window field as sent (unscaled), <= 65535 */
	bool has_urg;           /* `urg N` written */
	uint16_t urg;           /* the urgent pointer */
	enum options_mode options_mode; /* absent, a list, or `<...>` */
	struct tcp_option *options;     /* OPTIONS_LIST: the options in order */
	size_t n_options;               /* OPTIONS_LIST: how many (may be 0: `<>`) */
	struct src_loc options_loc;     /* the `<` of the option list */
	struct src_loc flags_loc;       /* TCP: where the flags start */
	struct src_loc seq_loc;         /* TCP: where SEQ:END(LEN) starts (also the ICMP quote) */
	struct src_loc ack_loc;         /* when has_ack: the `ack` word */
	struct src_loc win_loc;         /* when has_win: the `win` word */
	struct src_loc urg_loc;         /* when has_urg: the `urg` word */

	/* ICMP */
	const char *icmp_type;   /* name as written: `unreachable`, `echo_request`... */
	const char *icmp_code;   /* name as written (`frag_needed`, ...), NULL if none */
	bool has_mtu;            /* `mtu N` written */
	uint32_t mtu;            /* next-hop MTU */
	bool has_icmp_id;        /* `id N` written */
	uint32_t icmp_id;        /* echo identifier */
	enum icmp_quoted quoted; /* what the ICMP quotes; its seq/len are in seq/end_seq/len */
};

/* ---- syscall expressions ----------------------------------------------------- */

enum expr_kind {
	EXPR_INT,      /* 42, -1, 0x10: .num and .text */
	EXPR_NAME,     /* SOL_SOCKET, AF_INET: .name, left for the executor to resolve */
	EXPR_ELLIPSIS, /* `...`: the runtime fills it in / anything matches */
	EXPR_STRING,   /* "abc" (adjacent strings concatenated); .str, .str_len, .prefix */
	EXPR_BINARY,   /* A|B: .op, .lhs, .rhs (left-associative) */
	EXPR_LIST,     /* [a, b]: .items (a pointer to an int, an array, msg_iov's iovecs) */
	EXPR_STRUCT,   /* {a, b} or {f=x, g=y}: .items, each often EXPR_FIELD */
	EXPR_FIELD,    /* f=x or f(i)=x inside {}: .name, .index (NULL or the (i)), .value */
	EXPR_CALL,     /* name(args): htons(8080), inet_addr("1.2.3.4"), msg_name(...) */
};

enum expr_op {
	OP_OR, /* `|`: bitwise or of flags */
};

struct expr;

/* An ordered sequence of expressions. */
struct expr_list {
	struct expr **items; /* count pointers, none NULL */
	size_t count;        /* number of items */
};

/* A syscall argument or result, nested arbitrarily. */
struct expr {
	enum expr_kind kind; /* selects the fields below */
	struct src_loc loc;  /* first character of the expression */
	int64_t num;         /* EXPR_INT: the value (hex accepted up to 2^64-1, stored as bits) */
	const char *text;    /* EXPR_INT: the literal as written ("0x10", "-1") */
	const char *name;    /* EXPR_NAME, EXPR_FIELD, EXPR_CALL: the identifier */
	const char *str;     /* EXPR_STRING: the bytes, escapes decoded, NUL-terminated */
	size_t str_len;      /* EXPR_STRING: bytes in str (may contain NUL) */
	bool prefix;         /* EXPR_STRING: written `"abc"...` (matches a prefix) */
	enum expr_op op;     /* EXPR_BINARY: the operator */
	struct expr *lhs;    /* EXPR_BINARY: left operand */
	struct expr *rhs;    /* EXPR_BINARY: right operand */
	struct expr_list items; /* EXPR_LIST, EXPR_STRUCT: elements; EXPR_CALL: arguments */
	struct expr *index;     /* EXPR_FIELD: the `(N)` of `msg_iov(N)=`, else NULL */
	struct expr *value;     /* EXPR_FIELD: the right-hand side */
};

/* A syscall line: `NAME(ARGS) = RESULT [ERRNO] [(NOTE)]`. */
struct syscall_spec {
	const char *name;         /* the syscall name as written */
	struct src_loc name_loc;  /* where the name starts */
	struct expr_list args;    /* the arguments in order */
	struct expr *result;      /* the expected return: EXPR_INT, EXPR_ELLIPSIS or a name */
	const char *errno_name;   /* `ECONNREFUSED` etc., NULL if none */
	struct src_loc errno_loc; /* where the errno name starts */
	const char *note;         /* text inside the trailing parentheses, NULL if none */
	bool blocking;            /* written `START...END NAME(...)` */
	/* when blocking: the time the call must return by. As in packetdrill, END
	 * is on the same base as the event's START: `+0...0.200` returns 0.2 s
	 * after the previous event. end.relative only says a '+' was written. */
	struct time_point end;
};

/* ---- commands and code blocks ---------------------------------------------- */

/* A backquoted shell command, `` `...` ``. */
struct command_spec {
	const char *text;   /* between the backquotes, escapes kept as written */
	struct src_loc loc; /* the opening backquote */
};

/* Expressions of the native %{ }% subset (Python syntax). */
enum code_expr_kind {
	CODE_INT,    /* an integer literal: .num */
	CODE_NAME,   /* tcpi_rtt, TCP_CA_Open: .name */
	CODE_UNARY,  /* -x, not x: .op, .lhs */
	CODE_BINARY, /* x OP y: .op, .lhs, .rhs */
};

enum code_op {
	COP_ADD,  /* + */
	COP_SUB,  /* - */
	COP_MUL,  /* * */
	COP_DIV,  /* / (integer division on integers) */
	COP_EQ,   /* == */
	COP_NE,   /* != */
	COP_LT,   /* < */
	COP_LE,   /* <= */
	COP_GT,   /* > */
	COP_GE,   /* >= */
	COP_AND,  /* and */
	COP_OR,   /* or */
	COP_NOT,  /* not (unary) */
	COP_NEG,  /* - (unary) */
	COP_BAND, /* & */
	COP_BOR,  /* | */
	COP_MOD,  /* % */
};

struct code_expr {
	enum code_expr_kind kind; /* selects the fields below */
	struct src_loc loc;       /* first character */
	int64_t num;              /* CODE_INT */
	const char *name;         /* CODE_NAME */
	enum code_op op;          /* CODE_UNARY, CODE_BINARY */
	struct code_expr *lhs;    /* the operand / left operand */
	struct code_expr *rhs;    /* CODE_BINARY: right operand */
};

/* One `assert COND[, MSG]` statement. A Python chained comparison
 * `a <= b <= c` is stored as `a <= b and b <= c`. Also `NAME = EXPR`
 * (packetdrill's cubic tests: `TCP_INFINITE_SSTHRESH = 0x7fffffff`): then
 * assign is set, cond is EXPR, and the executor binds NAME for the asserts
 * that follow, in this block and later ones. */
struct code_assert {
	struct code_expr *cond; /* must be true (or, with assign, the value) */
	struct code_expr *msg;  /* the `, expr` after the condition, NULL if none */
	struct src_loc loc;     /* the `assert` keyword (or the assigned name) */
	const char *assign;     /* non-NULL: an assignment to this UPPER_CASE name */
};

/* A `%{ ... }%` block. */
struct code_spec {
	const char *text;            /* raw text between %{ and }%, blanks trimmed at both ends */
	struct src_loc text_loc;     /* where text starts */
	bool supported;              /* every statement is in the native subset */
	struct code_assert *asserts; /* when supported: the statements in order */
	size_t n_asserts;            /* when supported: how many */
	struct src_loc unsupported_loc; /* when !supported: the first construct we cannot run */
	const char *unsupported_what;   /* when !supported: a short description of it */
};

/* ---- events and the script ---------------------------------------------------- */

enum event_kind {
	EVENT_PACKET,  /* .packet */
	EVENT_SYSCALL, /* .syscall */
	EVENT_COMMAND, /* .command */
	EVENT_CODE,    /* .code */
};

struct event {
	enum event_kind kind;         /* which member below is set */
	struct event_time time;       /* when */
	struct src_loc loc;           /* the start of the line (== time.loc) */
	struct packet_spec *packet;   /* EVENT_PACKET */
	struct syscall_spec *syscall; /* EVENT_SYSCALL */
	struct command_spec *command; /* EVENT_COMMAND */
	struct code_spec *code;       /* EVENT_CODE */
};

/* `--name=value` (or `--name`) in the header. */
struct header_option {
	const char *name;         /* after the dashes: "tolerance_usecs" */
	const char *value;        /* after '=', surrounding double quotes removed; NULL if no '=' */
	struct src_loc loc;       /* the first dash */
	struct src_loc value_loc; /* the first character after '=' */
	const char *value_text;   /* the value exactly as written (quotes kept), NULL if no '=' */
};

/* A define in effect for the script: from lang_options (command line) or a
 * `--define=NAME=VALUE` header line. */
struct define {
	const char *name;       /* NAME */
	const char *value;      /* VALUE, as written */
	struct src_loc loc;     /* the header line; {NULL,0,0} from the command line */
	bool from_command_line; /* came through lang_options (these win) */
};

/* A synack annotation comment: `// @stacks: engine linux`. */
struct annotation {
	const char *key;    /* "stacks", "divergence", "requirement", ... */
	const char *value;  /* the rest of the line, trimmed */
	struct src_loc loc; /* the '@' */
};

struct lang_arena; /* private: owns every node and string */

struct script {
	const char *file; /* the file name diagnostics use */
	/* header options in order (--define lines included) */
	struct header_option *options;
	size_t n_options; /* entries in options */
	/* defines in effect: command line first, then header */
	struct define *defines;
	size_t n_defines; /* entries in defines */
	/* untimed backquoted commands before the first event, in order */
	struct command_spec *init_commands;
	size_t n_init_commands; /* entries in init_commands */
	/* an untimed backquoted command after the last event, or NULL */
	struct command_spec *cleanup_command;
	/* every event, in script order */
	struct event *events;
	size_t n_events; /* entries in events */
	/* `// @key: value` comments, in order */
	struct annotation *annotations;
	size_t n_annotations; /* entries in annotations */
	/* the whole source text (for diagnostics' line excerpts; see script_line) */
	const char *source;
	size_t source_len;        /* bytes in source */
	struct lang_arena *arena; /* owns every node and string above */
};

/* ---- parsing ---------------------------------------------------------------------- */

struct lang_options {
	const char *const *defines; /* "NAME=VALUE" strings (-D / --define); they win */
	size_t n_defines;           /* how many */
	int max_depth; /* nesting limit for expressions, 0: LANG_DEFAULT_MAX_DEPTH; at most 1000 */
	size_t max_diags; /* stop after this many diagnostics, 0: LANG_DEFAULT_MAX_DIAGS */
};

#define LANG_DEFAULT_MAX_DEPTH 64
#define LANG_DEFAULT_MAX_DIAGS 100

/* Parse a script. Returns 0 and sets *out when there was no error-severity
 * diagnostic; otherwise returns -1 and sets *out to NULL. Warnings and
 * `unsupported` diagnostics do not fail a parse. opts may be NULL. diags
 * must be initialised (diag_list_init); diagnostics are appended. Never
 * crashes or hangs, on any input. (lang_parse_buffer also takes NULL out
 * or diags, for callers that only want the verdict.) */
int lang_parse_file(const char *path, const struct lang_options *opts, struct script **out,
                    struct diag_list *diags);
/* The same from memory: name is used in locations, text need not be
 * NUL-terminated and may contain NUL bytes (an error). */
int lang_parse_buffer(const char *name, const char *text, size_t len,
                      const struct lang_options *opts, struct script **out,
                      struct diag_list *diags);
void script_free(struct script *script);

/* The source line `line` (1-based) of the script, without its newline:
 * sets *len and returns a pointer into script->source, or NULL. */
const char *script_line(const struct script *script, int line, size_t *len);
/* Append a diagnostic about this script (the executor's `unsupported: ...`),
 * with the source line excerpt filled in. */
void script_diag(struct diag_list *diags, const struct script *script, enum diag_severity sev,
                 struct src_loc loc, const char *fmt, ...) DIAG_PRINTF(5, 6);

/* ---- lookups for the executor ------------------------------------------------------ */

/* The value of the last header option `--name=...` (later lines override
 * earlier ones, as repeated packetdrill flags do); "" for a bare `--name`;
 * NULL when absent. */
const char *script_option(const struct script *script, const char *name);
/* In an EXPR_STRUCT, the first EXPR_FIELD item called name (`fd` in
 * `{fd=4, events=POLLIN}`), or NULL. */
const struct expr *expr_field(const struct expr *st, const char *name);

/* ---- printing: valid script syntax, for failure reports ------------------------ */

/* Each writes NUL-terminated text into buf (at most size bytes, truncated
 * safely) and returns the length the full text needs, like snprintf. */
size_t ast_format_time(char *buf, size_t size, const struct event_time *t);
size_t ast_format_packet(char *buf, size_t size, const struct packet_spec *p);
size_t ast_format_tcp_option(char *buf, size_t size, const struct tcp_option *o);
size_t ast_format_expr(char *buf, size_t size, const struct expr *e);
size_t ast_format_syscall(char *buf, size_t size, const struct syscall_spec *s);
size_t ast_format_code_expr(char *buf, size_t size, const struct code_expr *e);
/* A whole event line: time, then the packet / syscall / command / code. */
size_t ast_format_event(char *buf, size_t size, const struct event *ev);
/* One event as ast_format_event writes it, then a newline. */
void ast_print_event(FILE *out, const struct event *ev);
/* The whole script (header options, init commands, events, cleanup), one item
 * per line; comments and annotations are not printed. */
void ast_print_script(FILE *out, const struct script *script);

/* Names for printing. */
const char *tcp_flags_string(uint8_t flags, char buf[10]);   /* "S.", "-" for none */
const char *tcp_option_kind_name(enum tcp_option_kind kind); /* "mss", "TS", ... */
const char *code_op_string(enum code_op op);                 /* "==", "and", ... */

#endif
