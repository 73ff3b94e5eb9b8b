/* Comparing two stacks: DESIGN.md's "compare = diffing observed traces".
 *
 * A script runs on both stacks in observe mode (run_options.observe), so
 * each run goes to the script's end and its trace holds everything the
 * stack did. Each trace is normalised (cmp_normalise): sequence numbers
 * relative to the stack's ISN, connections numbered by first appearance
 * (ephemeral ports gone), TS val left out of the options key (each stack's
 * clock is its own). The two normalised traces are aligned (cmp_align, a
 * global alignment with costs that prefer pairing the same script line) and
 * every aligned row gets its difference classes. Known, explained
 * differences come from the divergences file (cmp_div_*).
 */
#ifndef SYNACK_COMPARE_H
#define SYNACK_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "run/load.h"
#include "run/trace.h"

enum cmp_class {
	CMP_MISSING, /* in A's trace, not in B's */
	CMP_EXTRA,   /* in B's trace, not in A's */
	CMP_FLAGS,
	CMP_SEQACK,
	CMP_PAYLOAD, /* payload length */
	CMP_WINDOW,
	CMP_OPTIONS,
	CMP_TIMING,  /* times further apart than the tolerance */
	CMP_SYSCALL, /* a call's result or errno */
	CMP_N_CLASSES
};

#define CMP_BIT(c) (1u << (c))

const char *cmp_class_name(enum cmp_class c);
/* "window,options,timing" -> bits. Returns 0, or -1 with the bad name in why. */
int cmp_class_parse(const char *list, unsigned *mask, char *why, size_t cap);
/* "flags, window" for a mask. */
void cmp_class_list(unsigned mask, char *buf, size_t cap);

/* One observed event, normalised. */
struct cmp_event {
	enum run_obs_kind kind;
	int line; /* script line; 0: none (a packet no expectation took) */
	int64_t time_us;
	/* packets */
	bool is_pkt, parsed;
	int conn; /* connections numbered by first appearance */
	uint8_t flags;
	uint32_t seq, ack; /* relative: outbound seq and inbound ack to the stack's ISN */
	bool has_ack;
	uint32_t len;
	uint16_t win;
	char opts[160]; /* the options as compared ("mss 1460,sackOK,TS ecr 100,nop,wscale 7") */
	/* The width of the time range the script allows this event (`+0~+.05`
	 * on its line: 50000), added to the timing tolerance (cmp_script_slack). */
	int64_t slack_us;
	/* A virtual-time stack's packet sent by a timer: that timer's length,
	 * and how late Linux's timer wheel could fire the same timer — plus
	 * the lateness of the timer-sent packet that armed it, if one did (a
	 * kernel re-arms from its own late firing). 0: not from a timer. */
	int64_t timer_len_us, wheel_us;
	/* what a reader sees: "< S 0:0(0) win 65535 <mss 1460>", "accept(3, ...) = 4" */
	char text[280];
};

struct cmp_trace {
	struct cmp_event *v;
	size_t n;
};

int cmp_normalise(const struct run_trace *t, struct cmp_trace *out);
void cmp_trace_free(struct cmp_trace *t);

struct cmp_opts {
	unsigned ignore;      /* CMP_BIT()s not reported */
	int64_t tolerance_us; /* timing: |a - b| beyond max(this, percent of the gap) */
	double tolerance_percent;
	/* Which side runs in real time on a Linux kernel: its timers may fire
	 * later than the other side's by the other side's wheel_us. */
	bool a_kernel, b_kernel;
};

/* Linux's timer wheel at HZ=250 (kernel/time/timer.c: 64 slots a level,
 * each level 8 times coarser): how late a timer set for len_us may fire —
 * its level's granularity, plus a jiffy of rounding. */
int64_t cmp_wheel_lateness_us(int64_t len_us);

/* The classes in which two paired events differ (before ignore). prev_us:
 * the previous event's time in A's trace, for the percentage tolerance;
 * offset_us: how far B's clock runs behind A's at this point (B's time
 * minus A's at the last event the script made). Timing is judged only for
 * what the stack decides: outbound packets and blocked calls' returns. */
unsigned cmp_event_diff(const struct cmp_event *a, const struct cmp_event *b,
                        const struct cmp_opts *o, int64_t prev_us, int64_t offset_us);

struct cmp_row {
	int a, b;      /* indexes into the traces; -1: absent on that side */
	unsigned diff; /* difference classes, ignored ones removed */
};

struct cmp_result {
	struct cmp_row *rows;
	size_t n;
	unsigned classes; /* union of every row's diff */
	int counts[CMP_N_CLASSES];
	int n_diff_rows;
};

int cmp_align(const struct cmp_trace *a, const struct cmp_trace *b, const struct cmp_opts *o,
              struct cmp_result *out);
void cmp_result_free(struct cmp_result *r);

/* ---- the divergences file ------------------------------------------------ */
/* One line each: SCRIPT-PATTERN STACK-A,STACK-B [classes=C1,C2] REASON...
 * '#' starts a comment. The pattern is an fnmatch(3) glob matched against
 * the script's path or any '/'-suffix of it; each stack is a glob too
 * ("engine*", "linux:*"), the pair matches in either order. Without
 * classes= a line explains every difference; with it, only those classes. */
struct cmp_div {
	char pattern[256];
	char stack_a[64], stack_b[64];
	unsigned classes; /* 0: all */
	char reason[256];
	int line;
};

struct cmp_divs {
	struct cmp_div *v;
	size_t n;
};

/* Returns 0, or -1 with "file:line: why" in why. A missing file is empty. */
int cmp_div_load(const char *path, struct cmp_divs *out, char *why, size_t cap);
int cmp_div_parse(const char *name, const char *text, struct cmp_divs *out, char *why, size_t cap);
void cmp_div_free(struct cmp_divs *d);
/* The first line that explains every class in `classes` for this script
 * and pair, or NULL. */
const struct cmp_div *cmp_div_find(const struct cmp_divs *d, const char *script,
                                   const char *stack_a, const char *stack_b, unsigned classes);

/* ---- reports ---------------------------------------------------------------- */
struct cmp_report {
	const char *script;
	const char *stack_a, *stack_b;
	const struct cmp_trace *ta, *tb;
	const struct cmp_result *res;
	const struct cmp_div *known; /* non-NULL: the differences are explained */
	const char *skip;            /* non-NULL: not compared, why */
	const char *error;           /* non-NULL: a run could not happen, why */
	const char *note_a,
	    *note_b;   /* the script's own verdict on each stack ("" or NULL: passed) */
	bool all_rows; /* side by side: every row, not only differences with context */
};

/* Side by side, line-aligned, `width` columns in all. */
void cmp_report_side_by_side(FILE *f, const struct cmp_report *r, int width);
/* One TAP point (header and plan are the caller's). */
void cmp_report_tap(FILE *f, int num, const struct cmp_report *r);

/* ---- running -------------------------------------------------------------- */
struct run_script;
struct run_result;
struct stack_ops;

/* A stack as the command line names it:
 *   engine | engine:PROFILE | linux | linux:CC | so:PATH
 * each optionally followed by +SYSCTL=VALUE settings (+tcp_sack=0; a name
 * without a dot means net.ipv4.NAME). linux:CC (a name without '=') is
 * linux+net.ipv4.tcp_congestion_control=CC; linux:SYSCTL=VALUE is
 * linux+SYSCTL=VALUE. The settings run as sysctl commands before the
 * script's own header commands. */
struct cmp_stack {
	char spec[256];
	char name[256]; /* for // @stacks: and @divergence: ("engine:rfc", "linux", "so") */
	const struct stack_ops *ops;
	char profile[256]; /* engine profile / so path; "" = none */
	char sysctls[8][128];
	int n_sysctls;
};

int cmp_stack_parse(const char *spec, struct cmp_stack *out, char *why, size_t cap);
/* Does it run on a real kernel, in real time (linux)? */
bool cmp_stack_is_kernel(const struct cmp_stack *st);
/* Runs the script on the stack in observe mode, with the stack's sysctls. */
void cmp_run(const struct run_script *rs, const struct cmp_stack *st, struct run_result *res);
/* Did the run stop being comparable at a first failure "unsupported: ..."
 * (a sysctl a so: library cannot take, a call a stack lacks)? */
bool cmp_unsupported(const struct run_result *r);
/* Sets slack_us on the events whose script line allows a time range
 * (`a~b`; a blocking call's `a...b` return): when the script says the
 * exact moment does not matter, two stacks do not differ by it. */
void cmp_script_slack(struct cmp_trace *t, const struct run_script *rs);
/* The same with other options (NULL: enforcing, as `synack run`). */
struct run_options;
void cmp_run_opts(const struct run_script *rs, const struct cmp_stack *st,
                  const struct run_options *o, struct run_result *res);

/* ---- differential fuzzing (fuzz.c) -------------------------------------------- */
/* Bytes -> a valid script (gen.c: the first byte picks the connection, then
 * CMP_GEN_STEP bytes per step; outbound lines left to the stacks). Returns
 * its length, -1 if cap is short. */
#define CMP_GEN_STEP 4
int cmp_gen_script(const uint8_t *data, size_t n, char *out, size_t cap);
/* A divergence's root: the classes of the first differing row in *first,
 * and that row with its numbers left out in sig ("options: > . #:#(#) ack #
 * win # | > . #:#(#) ack # win # <nop,nop,sack #:#>"). */
void cmp_fuzz_signature(const struct cmp_trace *ta, const struct cmp_trace *tb,
                        const struct cmp_result *res, unsigned *first, char *sig, size_t cap);
/* The engine side (0 or 1) of an engine (Linux profile) / kernel pair, or -1. */
int cmp_engine_side(const struct cmp_stack st[2]);
/* Does the kernel's timer slack explain the difference whose root is `sig`
 * (cmp_fuzz_signature)? Reruns the script on engine:linux-late (st[e] with
 * that profile) and aligns it with the kernel's trace: true when the root
 * is nowhere in that comparison. */
/* Runs the script `text` on both stacks (through the file `tmp`): true
 * when they are comparable and no differing row has the signature `sig`
 * (cmp_fuzz_signature). */
bool cmp_root_gone(const struct cmp_stack st[2], const struct cmp_opts *o, const char *text,
                   const char *sig, const char *tmp);
/* Whether the difference whose first row has signature `sig` comes from
 * zero-time steps: the script `text` with a millisecond before each inbound
 * packet that followed another event at once, run on both stacks (through
 * the file `tmp`), no longer has it. */
bool cmp_zero_time_explains(const struct cmp_stack st[2], const struct cmp_opts *o,
                            const char *text, const char *sig, const char *tmp);
bool cmp_late_explains(const struct cmp_stack st[2], int e, struct run_script *rs,
                       const struct cmp_trace *kernel, const struct cmp_opts *o, const char *sig);
/* Generates, runs on both stacks and compares scripts for `seconds`; each
 * unexplained divergence is minimised and saved under out_dir. */
int cmp_fuzz(const struct cmp_stack st[2], const struct cmp_opts *o, const struct cmp_divs *divs,
             double seconds, uint64_t seed, const char *out_dir);

/* `synack compare ...` (argv[0] is "compare"). */
int compare_main(int argc, char **argv);

#endif
