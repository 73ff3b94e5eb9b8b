/* TCP_INFO fields by their script names (tcpi_state, tcpi_rto, ...), for
 * getsockopt(TCP_INFO) expectations and %{ assert tcpi_X == N }% blocks. */
#ifndef SYNACK_RUN_TCPINFO_H
#define SYNACK_RUN_TCPINFO_H

#include <stdbool.h>

#include "synack/engine.h"

/* name with or without the tcpi_ prefix; false if unknown. */
bool run_tcpinfo_field(const struct synack_tcp_info *ti, const char *name, long long *out);

/* Evaluates a %{ }% block: lines of `assert EXPR` over tcpi_* names with
 * == != < <= > >= and or not + - * / ( ). Returns 0 if every assertion
 * holds, 1 if one fails (why says which), -1 if the block is not of that
 * form (why: "unsupported: python block: ..."). */
int run_tcpinfo_assert(const char *code, const struct synack_tcp_info *ti, char *why, size_t cap);

#endif
