/* When an expected event may happen: packetdrill's verify_time() rule.
 *
 * The tolerance is max(tolerance_usecs, tolerance_percent % of the gap
 * between this event's script time and the previous one's), so a 60 s
 * timer is allowed 7.5 s of slack while back-to-back packets get 4 ms.
 * A range `a~b` widens the window to [a - tol, b + tol]; `*` is any time.
 */
#ifndef SYNACK_RUN_TOLERANCE_H
#define SYNACK_RUN_TOLERANCE_H

#include <stdbool.h>
#include <stdint.h>

#include "run/script.h"

struct run_window {
	int64_t expected, expected_end; /* script times (us since start) */
	int64_t lo, hi;                 /* the acceptable interval, inclusive */
	int64_t tolerance;
	bool any;
};

int64_t run_tolerance(const struct run_config *cfg, int64_t script_us, int64_t last_script_us);

/* The window for an event expected at [start, end] (end == start unless a
 * range); last_script_us is the previous event's script time (-1: none). */
struct run_window run_window_make(const struct run_config *cfg, int64_t start, int64_t end,
                                  int64_t last_script_us, bool any);

static inline bool run_window_contains(const struct run_window *w, int64_t t)
{
	return w->any || (t >= w->lo && t <= w->hi);
}

#endif
