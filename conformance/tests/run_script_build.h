/* Building executable scripts by hand in tests, a line at a time, so
 * executor tests need no parser: ev_in(s, "+0", ...) reads like the script
 * line it stands for. */
#ifndef SYNACK_TESTS_RUN_SCRIPT_BUILD_H
#define SYNACK_TESTS_RUN_SCRIPT_BUILD_H

#include "run/script.h"

void sb_init(struct run_script *s);
/* time: "0.1", "+0.1", "*", "0.1~0.2", "+0...0.3" (blocking). */
struct run_event *sb_event(struct run_script *s, const char *time, enum run_event_kind kind,
                           const char *text);
struct run_pkt *sb_pkt(struct run_script *s, const char *time, bool outbound, uint8_t flags,
                       uint32_t seq, uint32_t len, const char *text);
/* args: a compact spec, one char per argument: 'i' int (from ivals), '.'
 * ellipsis, 'p' [int] (from ivals). */
struct run_syscall *sb_sys(struct run_script *s, const char *time, const char *name,
                           const char *argspec, const long long *ivals, long long ret, int err,
                           const char *text);
void sb_opt(struct run_pkt *p, enum run_opt_kind kind, uint32_t v1, uint32_t v2);

#endif
