/* Time windows: packetdrill's verify_time() (run.c), in one place. */
#include "run/tolerance.h"

#include <stdint.h>

int64_t run_tolerance(const struct run_config *cfg, int64_t script_us, int64_t last_script_us)
{
	int64_t tol = cfg->tolerance_usecs;
	if (last_script_us >= 0 && script_us > last_script_us) {
		int64_t dyn = (int64_t)(cfg->tolerance_percent / 100.0 *
		                        (double)(script_us - last_script_us));
		if (dyn > tol)
			tol = dyn;
	}
	return tol;
}

struct run_window run_window_make(const struct run_config *cfg, int64_t start, int64_t end,
                                  int64_t last_script_us, bool any)
{
	struct run_window w = { .expected = start, .expected_end = end, .any = any };
	if (any) {
		w.lo = INT64_MIN;
		w.hi = INT64_MAX;
		return w;
	}
	w.tolerance = run_tolerance(cfg, start, last_script_us);
	w.lo = start - w.tolerance;
	w.hi = end + w.tolerance;
	return w;
}
