/* The executable form of a script: what the executor runs.
 *
 * The parser's AST (conformance/lang/ast.h) is the script as written; this is
 * the script as the executor needs it: every symbol resolved to a number,
 * every time in microseconds, every packet field with a "given or not" flag.
 * from_ast.c translates one into the other. Keeping the executor on its own
 * model lets it be tested with hand-built scripts and a mock stack, and keeps
 * grammar changes from rippling into matching code.
 */
#ifndef SYNACK_RUN_SCRIPT_H
#define SYNACK_RUN_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "synack/segment.h"

enum run_time_kind {
	RUN_TIME_ABS, /* since the script started */
	RUN_TIME_REL, /* since the previous event */
	RUN_TIME_ANY, /* `*`: any time (outbound packets only) */
};

struct run_time {
	enum run_time_kind kind;
	int64_t start_us;
	/* `a~b`: the event may happen anywhere in [a, b]; `a...b`: a blocking
	 * call starting at a that returns at b. end_us has the same base as
	 * start_us (packetdrill adjusts both by the same offset). */
	bool range, blocking;
	int64_t end_us;
};

enum run_opt_kind {
	RUN_OPT_EOL,
	RUN_OPT_NOP,
	RUN_OPT_MSS,
	RUN_OPT_WSCALE,
	RUN_OPT_SACKOK,
	RUN_OPT_SACK,
	RUN_OPT_TS,
	RUN_OPT_FO,    /* fast open cookie (kind 34) */
	RUN_OPT_FOEXP, /* experimental fast open (kind 254, magic 0xf989) */
	RUN_OPT_MD5,
	RUN_OPT_EXP,
	RUN_OPT_GENERIC, /* `kind N len M` */
};

struct run_opt {
	enum run_opt_kind kind;
	uint32_t v1; /* mss, wscale, TS val, generic kind */
	uint32_t v2; /* TS ecr, generic len */
	uint8_t n_sack;
	struct synack_sack_block sack[SYNACK_MAX_SACK_BLOCKS];
	uint8_t cookie_len;
	uint8_t cookie[16];
};

enum run_ecn {
	RUN_ECN_UNSPEC, /* not given: not checked, not-ECT when built */
	RUN_ECN_NOECN,
	RUN_ECN_ECT0,
	RUN_ECN_ECT1,
	RUN_ECN_CE,
	RUN_ECN_ECT01, /* outbound only: ECT(0) or ECT(1) */
};

#define RUN_MAX_OPTS 40

enum run_proto {
	RUN_PROTO_TCP,
	RUN_PROTO_ICMP, /* inbound only: an ICMP error quoting the stack's TCP segment */
};

struct run_pkt {
	bool outbound;
	enum run_proto proto;
	/* `SPORT>DPORT` written: the connection by its ports (inbound: the
	 * peer's port > the stack's; outbound: the stack's > the peer's). */
	bool has_ports;
	uint16_t sport, dport;
	/* ICMP: ICMPv4 type and code (translated for IPv6 when built), the
	 * next-hop MTU, and the quoted segment in seq/len (relative). */
	uint8_t icmp_type, icmp_code;
	bool has_mtu;
	uint32_t mtu;
	uint8_t flags;     /* SYNACK_TH_* */
	uint32_t seq, len; /* SEQ:END(LEN): end = seq + len */
	bool has_ack;
	uint32_t ack;
	bool has_win;
	uint32_t win;
	bool has_urg;
	uint16_t urg;
	/* Options: none given (outbound: the packet must carry none), a list
	 * (checked in order), or `<...>` (anything). */
	bool has_opts, opts_any;
	int n_opts;
	struct run_opt opts[RUN_MAX_OPTS];
	/* IP-level extras, checked outbound only when given. */
	bool has_tos, has_flowlabel, has_ttl;
	bool bad_checksum;  /* inbound: send it with a wrong TCP checksum */
	uint8_t ip_options; /* inbound IPv4: this many bytes of IP NOP options */
	uint8_t tos, ttl;
	uint32_t flowlabel;
	enum run_ecn ecn;
};

enum run_arg_kind {
	RUN_ARG_INT,         /* 3, SOL_SOCKET, O_NONBLOCK|O_RDWR (resolved) */
	RUN_ARG_ELLIPSIS,    /* `...`: the runtime fills it */
	RUN_ARG_INTPTR,      /* `[N]` */
	RUN_ARG_STRUCT,      /* `{name=value, ...}` */
	RUN_ARG_LIST,        /* `[{...}, {...}]` (pollfds, iovecs) */
	RUN_ARG_STRING,      /* "..." */
	RUN_ARG_UNSUPPORTED, /* parsed, not runnable (msghdr ...): reason in str */
};

struct run_arg {
	enum run_arg_kind kind;
	long long ival;
	const char *str; /* STRING bytes (str_len), or UNSUPPORTED reason */
	size_t str_len;
	/* STRUCT: n fields named names[i] with values items[i]; LIST: n items. */
	int n;
	const char **names;
	struct run_arg *items;
};

#define RUN_MAX_ARGS 8

struct run_syscall {
	const char *name;
	int nargs;
	struct run_arg args[RUN_MAX_ARGS];
	bool ret_any; /* `= ...` */
	long long ret;
	int err;              /* expected errno when ret == -1 (0: none given) */
	const char *err_name; /* "ECONNREFUSED", for reports */
};

enum run_event_kind {
	RUN_EV_PACKET,
	RUN_EV_SYSCALL,
	RUN_EV_COMMAND,     /* `shell command` */
	RUN_EV_CODE,        /* %{ ... }% */
	RUN_EV_UNSUPPORTED, /* parsed, not runnable: the script fails with why */
};

struct run_event {
	enum run_event_kind kind;
	struct run_time time;
	int line, col;
	const char *text; /* the source line as written, for reports */
	/* The expected event in script syntax from the parser's printer
	 * (ast_format_packet); NULL: the executor prints its own model. */
	const char *expected_text;
	struct run_pkt pkt;
	struct run_syscall sys;
	const char *command;     /* COMMAND: shell text; CODE: the block's text */
	const char *unsupported; /* UNSUPPORTED: "syscall splice", "udp packets", ... */
};

enum run_ip_version {
	RUN_IPV4 = 4,
	RUN_IPV6 = 6,
	RUN_IPV4_MAPPED_IPV6 = 46,
};

/* The script header (--options) merged with the command line. Defaults are
 * packetdrill's (config.c): tolerance 4000 us or 12.5 % of the gap to the
 * previous event, whichever is larger; bind and connect port 8080;
 * local 192.168.0.1 / remote 192.0.2.1 (fd3d:fa7b:d17d::1 / 2001:db8::1). */
struct run_config {
	enum run_ip_version ip_version;
	int64_t tolerance_usecs;
	double tolerance_percent;
	uint16_t bind_port, connect_port;
	char local_ip[64], remote_ip[64]; /* empty: the defaults */
	uint16_t mss;                     /* 0: not given */
	uint16_t mtu;
	/* Outbound TS val check: packetdrill's --tcp_ts_tick_usecs. 0 (the
	 * default, as in packetdrill) disables it. */
	uint32_t tcp_ts_tick_usecs;
	double timeout_s; /* wall-clock limit per script: 60 */
	/* --segments=wire|tso: how the script is written. wire (synack's
	 * corpus): one line per wire segment. tso (packetdrill's corpus): one
	 * line per TSO/GSO skb, as packetdrill's tun device shows them; the
	 * linux stack turns segmentation offloads on (docs/linux-stack.md). */
	bool tso_segments;
	/* --strict_segments (packetdrill's flag): in the tso model, a `>` line
	 * is one captured packet. Without it, as packetdrill by default (and
	 * the kernel selftests' runner), consecutive outbound packets of one
	 * connection are joined until their payload reaches the line's length
	 * (docs/compatibility.md, K). */
	bool strict_segments;
	/* --outbound=strict|packetdrill: strict fails on an outbound packet no
	 * `>` line accounts for, when it is sent; packetdrill reads outbound
	 * packets only at `>` lines, in order, and never after the last one
	 * (docs/compatibility.md, X1). */
	bool outbound_packetdrill;
	uint64_t seed;
	bool verbose;
};

void run_config_defaults(struct run_config *cfg);
/* One `--name=value` (header or command line). Returns 0, or -1 with why:
 * a bad value, or "unsupported: option --name". */
int run_config_set(struct run_config *cfg, const char *name, const char *value, char *why,
                   size_t cap);

/* A whole script ready to run. Strings and arrays belong to the script's
 * arena and die with run_script_free. */
struct run_script {
	const char *path;
	struct run_config cfg;
	int n_commands; /* header commands (`sysctl ...`), run first */
	const char **commands;
	/* An untimed command after the last event: run at the end even when
	 * the script failed (packetdrill's cleanup command). NULL: none. */
	const char *cleanup;
	int n_events, cap_events;
	struct run_event *events;
	/* synack annotations (// @stacks: ..., // @divergence: STACK reason) */
	char stacks[128]; /* empty: all stacks */
	/* // @ip_versions: ipv4 ipv4-mapped-ipv6 ... — the address families the
	 * script is written for (an IPv4 literal, IP options, ICMPv4 codes);
	 * empty: all three. */
	char ip_versions[64];
	int n_divergences;
	struct {
		char stack[32];
		char reason[160];
	} divergences[8];
	char requirement[256];
	void *arena;
	/* What the script borrows strings from (the parse tree), released by
	 * run_script_free with owner_free. */
	void *owner;
	void (*owner_free)(void *owner);
};

/* Arena allocation for script contents: freed all at once. */
void *run_script_alloc(struct run_script *s, size_t n);
char *run_script_strdup(struct run_script *s, const char *str);
struct run_event *run_script_add_event(struct run_script *s);
void run_script_free(struct run_script *s);

/* How long the script runs as written, in script time (µs): the latest
 * time any event is due, relative times added up, ranges and blocking calls
 * at their ends (`*` counts as the previous event's time). A real-time stack
 * takes about that long, so a parallel runner starts the longest first. */
int64_t run_script_duration_us(const struct run_script *s);

/* Scans a script's comments for @stacks / @divergence / @requirement. */
void run_script_scan_annotations(struct run_script *s, const char *source);
/* true if `stack` (e.g. "engine:rfc" matches "engine") is in @stacks. */
bool run_script_for_stack(const struct run_script *s, const char *stack);
/* true if the script's @ip_versions (default: all) has `v`. */
bool run_script_for_ip_version(const struct run_script *s, enum run_ip_version v);
/* "ipv4", "ipv6", "ipv4-mapped-ipv6", and back (false: none of them). */
const char *run_ip_version_name(enum run_ip_version v);
bool run_ip_version_parse(const char *word, size_t n, enum run_ip_version *v);
/* The next word of an annotation's list (blanks and commas between): false
 * at the end. */
bool run_word_next(const char **p, const char **word, size_t *n);
/* The @divergence reason for `stack`, or NULL. */
const char *run_script_divergence(const struct run_script *s, const char *stack);

#endif
