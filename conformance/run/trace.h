/* The observed trace: what actually happened during a run, in time order.
 *
 * DESIGN.md's one idea: a script is an expected trace, a run produces an
 * observed one. The executor appends here; the failure report shows its
 * tail, the pcap writer writes its packets, -v prints it.
 */
#ifndef SYNACK_RUN_TRACE_H
#define SYNACK_RUN_TRACE_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define RUN_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define RUN_PRINTF(f, a)
#endif

enum run_obs_kind {
	RUN_OBS_INBOUND,  /* a packet the script injected */
	RUN_OBS_OUTBOUND, /* a packet the stack sent */
	RUN_OBS_SYSCALL,  /* a call made, with its result (or "pending") */
	RUN_OBS_RETURN,   /* a blocking call returned */
	RUN_OBS_COMMAND,  /* a command or %{ }% block */
};

struct run_obs {
	enum run_obs_kind kind;
	uint64_t time_us;
	int line;     /* the script line it belongs to; 0: none (unexpected) */
	uint8_t *pkt; /* packets: the IP packet */
	size_t len;
	uint64_t timer_len_us; /* outbound: stack_event.timer_len_us */
	char text[256];        /* in script syntax, relative sequence numbers */
};

struct run_trace {
	struct run_obs *v;
	size_t n, cap;
};

void run_trace_init(struct run_trace *t);
void run_trace_free(struct run_trace *t);
struct run_obs *run_trace_add(struct run_trace *t, enum run_obs_kind kind, uint64_t time_us,
                              int line, const uint8_t *pkt, size_t len, const char *fmt, ...)
    RUN_PRINTF(7, 8);
/* "0.100 > S. 0:0(0) ack 1 <...>": one line per observation, no newline. */
void run_obs_format(const struct run_obs *o, char *buf, size_t cap);

#endif
