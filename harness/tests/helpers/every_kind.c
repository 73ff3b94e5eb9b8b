/* Every kind of output the harness produces, each failing where it can;
 * test_tap.c compares this binary's output line by line. */
#include "tap.h"

int main(void)
{
	static const unsigned char a[] = { 1, 2, 3, 4, 5 }, b[] = { 1, 2, 9, 4 };
	ok(1, "plain ok");
	is_uint(7u, 8u, "unsigned");
	is_hex(0xfffffffful, 0x10ul, "seq");
	is_str("got\n", "exp\"", "strings");
	is_str(NULL, "x", "null string");
	is_mem(a, sizeof a, b, sizeof b, "memory");
	is_near(1000, 1500, 400, "times");
	is_near(1000, 1300, 400, "times within tolerance");
	tap_skip(2, "no %s here", "root");
	tap_todo_begin("not built yet");
	ok(0, "todo fails");
	tap_todo_end();
	subtest("inner %d", 1);
	ok(1, "inner ok");
	ok(0, "inner # fails");
	subtest_end();
	subtest("inner planned");
	tap_plan(1);
	ok(1, "only");
	subtest_end();
	tap_diag("two\nlines");
	return tap_done();
}
