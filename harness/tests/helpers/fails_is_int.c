/* A test binary whose only assertion fails: the harness must print `not ok`
 * with a YAML block and exit non-zero. */
#include "tap.h"

int main(void)
{
	tap_plan(1);
	is_int(41, 42, "the answer");
	return tap_done();
}
