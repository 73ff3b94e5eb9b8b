/* Plans three points, runs one: prove must call this binary failed. */
#include "tap.h"

int main(void)
{
	tap_plan(3);
	ok(1, "only one");
	return tap_done();
}
