/* Hand-built observed traces for the compare tests. */
#ifndef SYNACK_TESTS_COMPARE_SUPPORT_H
#define SYNACK_TESTS_COMPARE_SUPPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "run/trace.h"

struct cs_pkt {
	bool outbound;
	uint64_t t;
	int line;
	uint8_t flags;
	uint32_t seq, ack; /* on the wire */
	uint16_t win;
	uint16_t len;
	uint16_t mss;    /* 0: none */
	uint32_t ts_val; /* 0: no timestamps */
	uint32_t ts_ecr;
	uint16_t peer_port; /* 0: 40000 */
};

/* Appends a packet between 192.168.0.1:8080 (the stack) and 192.0.2.1. */
void cs_add_pkt(struct run_trace *t, const struct cs_pkt *p);
void cs_add_text(struct run_trace *t, enum run_obs_kind k, uint64_t time, int line,
                 const char *text);

#endif
