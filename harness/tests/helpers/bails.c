/* Stops the whole run with "Bail out!". */
#include "tap.h"

int main(void)
{
	tap_plan(2);
	ok(1, "before");
	tap_bail("the fixture could not be built");
}
