/* The executor: runs a script against any stack (stacks/stack.h).
 *
 * Events run in time order. Inbound packets, calls and commands happen at
 * their script time exactly; outbound packets and blocking calls' returns
 * must happen inside their tolerance window (tolerance.h). Any outbound
 * packet the script does not expect fails the run. The executor never
 * knows which stack it drives: time moves only through stack_ops.advance.
 */
#ifndef SYNACK_RUN_RUN_H
#define SYNACK_RUN_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "run/script.h"
#include "run/trace.h"
#include "stacks/stack.h"

enum run_status {
	RUN_PASS,
	RUN_FAIL,
	RUN_SKIP, /* the stack cannot run here (stack_error.skip) or @stacks */
};

/* Why a run failed, with everything a reader needs not to rerun it. */
struct run_failure {
	char path[256];     /* a copy: reports outlive the script */
	int line, col;      /* 0: not tied to a line (stack start, timeout) */
	char source[256];   /* the script line as written */
	char message[320];  /* "outbound packet: seq: expected 1, got 101" */
	char expected[512]; /* the expected event in script syntax ("" if none) */
	char actual[512];   /* the actual event in script syntax ("" if none) */
	bool has_times;
	int64_t expected_us, actual_us, tolerance_us;
	/* The stack under test broke its own invariant (stack_ops.fault): a
	 * bug in that stack, not a difference from the script. */
	bool stack_fault;
};

/* One expectation's outcome, for `-v` subtests. */
struct run_step {
	int line;
	bool ok;
	char text[200];
};

struct run_result {
	enum run_status status;
	char skip_reason[256];
	struct run_failure fail;
	struct run_step *steps;
	int n_steps, cap_steps;
	struct run_trace trace;
	uint64_t end_us; /* the stack's clock when the run ended */
	char notes[512]; /* stack_ops.notes at the end of the run ("" when none) */
	double wall_s;
};

/* Runs s on ops (profile: the engine's profile name or NULL). The result
 * owns its trace and steps: release with run_result_free. */
void run_execute(const struct run_script *s, const struct stack_ops *ops, const char *profile,
                 struct run_result *res);
void run_result_free(struct run_result *res);

/* How to run (run_execute_opts; NULL or all-zero = run_execute). */
struct run_options {
	/* Observe: run the script to its end whatever the stack does, for
	 * compare and record. Outbound expectations take the next packet
	 * whatever it is (each packet still gets its line in the trace);
	 * packets no expectation takes stay in the trace with line 0 instead
	 * of failing the run; wrong results and times do not stop it. The
	 * first difference is still in res->fail (status RUN_FAIL), so a
	 * reader can tell "matched" from "observed". Only a stack that cannot
	 * start, advance failing and the wall-clock timeout end a run early. */
	bool observe;
};

void run_execute_opts(const struct run_script *s, const struct stack_ops *ops, const char *profile,
                      const struct run_options *opts, struct run_result *res);

/* The stack configuration a script's header and defaults describe. Returns
 * 0, or -1 with why filled (a bad address). */
int run_stack_config(const struct run_config *cfg, const char *profile, struct stack_config *out,
                     char *why, size_t cap);

#endif
