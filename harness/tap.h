/* synack's TAP producer: every test binary links this.
 *
 * Output is TAP version 13 (Debian 12's prove rejects 14) with TAP 14-style
 * subtests ("# Subtest: name", 4-space indent, own plan), which prove 3.44
 * passes through as comments. Failures carry a YAML diagnostics block with
 * `at:`, `got:` and `expected:` so a reader never has to rerun to see why.
 *
 * Not thread-safe: a test binary is one thread of assertions.
 */
#ifndef SYNACK_HARNESS_TAP_H
#define SYNACK_HARNESS_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define TAP_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define TAP_NORETURN     __attribute__((noreturn))
#else
#define TAP_PRINTF(f, a)
#define TAP_NORETURN
#endif

/* Plans. Call tap_plan(n) before the first test point, or tap_done() after
 * the last one (done_testing style). A count that does not match the plan
 * makes the binary exit non-zero and prove report it failed. */
void tap_plan(int n);
void tap_plan_skip_all(const char *reason, ...) TAP_PRINTF(1, 2) TAP_NORETURN;
int tap_done(void); /* prints the trailing plan if needed; returns exit status */
int tap_exit_status(void);

/* Test points. Each returns cond, so callers can stop early on failure. */
bool tap_ok_at(bool cond, const char *file, int line, const char *fmt, ...) TAP_PRINTF(4, 5);
void tap_skip(int count, const char *reason, ...) TAP_PRINTF(2, 3);
void tap_todo_begin(const char *reason); /* points until tap_todo_end() are # TODO */
void tap_todo_end(void);

/* Free-form comment lines ("# ...") and a fatal stop ("Bail out!"). */
void tap_diag(const char *fmt, ...) TAP_PRINTF(1, 2);
void tap_note(const char *fmt, ...) TAP_PRINTF(1, 2);
void tap_bail(const char *fmt, ...) TAP_PRINTF(1, 2) TAP_NORETURN;

/* Subtests: a nested TAP stream with its own plan; its verdict becomes one
 * point in the parent. Nesting is allowed. */
void tap_subtest_begin(const char *name, ...) TAP_PRINTF(1, 2);
bool tap_subtest_end(void);

/* Assertion helpers: on failure they print both values in a YAML block. */
bool tap_is_int_at(long long got, long long exp, const char *file, int line, const char *fmt, ...)
    TAP_PRINTF(5, 6);
bool tap_is_uint_at(unsigned long long got, unsigned long long exp, const char *file, int line,
                    const char *fmt, ...) TAP_PRINTF(5, 6);
/* Sequence numbers and flags: shown in decimal and hex. */
bool tap_is_hex_at(unsigned long long got, unsigned long long exp, const char *file, int line,
                   const char *fmt, ...) TAP_PRINTF(5, 6);
bool tap_is_str_at(const char *got, const char *exp, const char *file, int line, const char *fmt,
                   ...) TAP_PRINTF(5, 6);
/* Memory: on failure a hex dump of both sides around the first differing byte. */
bool tap_is_mem_at(const void *got, size_t got_len, const void *exp, size_t exp_len,
                   const char *file, int line, const char *fmt, ...) TAP_PRINTF(7, 8);
/* Times: |got - exp| <= tolerance. */
bool tap_is_near_at(long long got, long long exp, long long tolerance, const char *file, int line,
                    const char *fmt, ...) TAP_PRINTF(6, 7);

#define ok(cond, ...) tap_ok_at(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define pass(...)     tap_ok_at(true, __FILE__, __LINE__, __VA_ARGS__)
#define fail(...)     tap_ok_at(false, __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, exp, ...) \
	tap_is_int_at((long long)(got), (long long)(exp), __FILE__, __LINE__, __VA_ARGS__)
#define is_uint(got, exp, ...)                                                                   \
	tap_is_uint_at((unsigned long long)(got), (unsigned long long)(exp), __FILE__, __LINE__, \
	               __VA_ARGS__)
#define is_hex(got, exp, ...)                                                                   \
	tap_is_hex_at((unsigned long long)(got), (unsigned long long)(exp), __FILE__, __LINE__, \
	              __VA_ARGS__)
#define is_str(got, exp, ...) tap_is_str_at((got), (exp), __FILE__, __LINE__, __VA_ARGS__)
#define is_mem(got, glen, exp, elen, ...) \
	tap_is_mem_at((got), (glen), (exp), (elen), __FILE__, __LINE__, __VA_ARGS__)
#define is_near(got, exp, tol, ...)                                                              \
	tap_is_near_at((long long)(got), (long long)(exp), (long long)(tol), __FILE__, __LINE__, \
	               __VA_ARGS__)
#define subtest(...)   tap_subtest_begin(__VA_ARGS__)
#define subtest_end()  tap_subtest_end()
#define done_testing() return tap_done()

#endif
