/* A mock stack for executor tests: replays canned outbound packets and call
 * results in virtual time, and records what the executor did to it.
 *
 * Reactions say when a canned packet goes out: at an absolute time, or a
 * delay after the N-th injected packet (built as a reply to it, so the
 * executor's choice of ports does not matter) or the N-th call.
 */
#ifndef SYNACK_TESTS_RUN_MOCK_STACK_H
#define SYNACK_TESTS_RUN_MOCK_STACK_H

#include <stdbool.h>
#include <stdint.h>

#include "stacks/stack.h"

#define MOCK_MAX 64

struct mock_tmpl {
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t win;
	uint32_t len;
	uint16_t mss; /* 0: no MSS option */
	bool ts;
	uint32_t ts_val, ts_ecr;
	uint8_t tos;
	/* For reactions not tied to an injected packet: the local port
	 * (remote is the config's remote address, port 8080). */
	uint16_t lport;
	uint16_t rport; /* and the remote port (0: 8080) */
	bool bad_csum;  /* the TCP checksum off by one */
};

struct mock_reaction {
	int on_inject; /* -1: not; else after the N-th (0-based) injected packet */
	int on_call;   /* -1: not; else after the N-th call */
	int64_t at;    /* -1: not; else at this absolute time */
	uint64_t delay;
	/* A real-time stack's capture lag: stamped at its time, handed over
	 * this much later. */
	uint64_t lag_us;
	struct mock_tmpl t;
	bool fired;
};

struct mock_call_result {
	bool set;
	long ret;
	int err;
	uint64_t pending_us; /* > 0: the call blocks this long */
	/* > 0: a real-time stack's call that returns at once but takes this
	 * long: the clock moves while it runs, packets it triggers are sent
	 * (stamped) `delay` after it started. */
	uint64_t takes_us;
	uint8_t tcpi_state;
};

struct mock_spec {
	struct mock_reaction r[MOCK_MAX];
	int nr;
	struct mock_call_result calls[MOCK_MAX];
	bool fail_start_skip;     /* start() fails with skip */
	bool hang;                /* advance() makes no progress (wall-clock timeout tests) */
	const char *notes;        /* what stack_ops.notes says (NULL: nothing) */
	uint64_t inject_takes_us; /* like takes_us, for every injection */
	int fault_after_inject;   /* > 0: stack_ops.fault reports a broken invariant
	                             once this many packets were injected */
};

/* What the mock saw. */
struct mock_record {
	int n_injected, n_calls, n_commands;
	enum stack_op ops[MOCK_MAX];
	int fds[MOCK_MAX];
	uint64_t call_times[MOCK_MAX]; /* the stack clock at each call */
	int families[MOCK_MAX];        /* bind/connect: the sockaddr's family */
	uint8_t injected[MOCK_MAX][128];
	size_t injected_len[MOCK_MAX];
	char commands[8][128];
	bool stopped;
};

/* The mock reads its spec and writes its record through these globals
 * (one test at a time: the executor creates the stack itself). */
extern struct mock_spec mock_spec;
extern struct mock_record mock_record;
extern const struct stack_ops mock_stack_ops;

void mock_reset(void);
struct mock_reaction *mock_on_inject(int n, uint64_t delay, struct mock_tmpl t);
struct mock_reaction *mock_on_call(int n, uint64_t delay, struct mock_tmpl t);
struct mock_reaction *mock_at(int64_t at, struct mock_tmpl t);
void mock_call(int n, long ret, int err, uint64_t pending_us);

#endif
