/* TAP version 13 producer; see tap.h for the contract. */
#include "tap.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAP_MAX_DEPTH 8

struct level {
	char name[128];
	int planned; /* -1: no plan yet */
	int run;
	int failed;
};

static struct level levels[TAP_MAX_DEPTH];
static int depth;
static bool header_printed;
static const char *todo_reason;

static void header(void)
{
	if (!header_printed) {
		header_printed = true;
		levels[0].planned = levels[0].planned ? levels[0].planned : -1;
		printf("TAP version 13\n");
	}
}

static void indent(int extra)
{
	for (int i = 0; i < depth * 4 + extra; i++)
		putchar(' ');
}

static struct level *cur(void)
{
	header();
	return &levels[depth];
}

void tap_plan(int n)
{
	struct level *l = cur();
	l->planned = n;
	indent(0);
	printf("1..%d\n", n);
	fflush(stdout);
}

void tap_plan_skip_all(const char *reason, ...)
{
	va_list ap;
	header();
	printf("1..0 # SKIP ");
	va_start(ap, reason);
	vprintf(reason, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(0);
}

static void vline(const char *prefix, const char *fmt, va_list ap)
{
	char buf[4096];
	vsnprintf(buf, sizeof buf, fmt, ap);
	/* Multi-line messages stay comments on every line. */
	for (char *line = buf, *next; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		indent(0);
		printf("%s%s\n", prefix, line);
	}
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;
	cur();
	fflush(stdout);
	va_start(ap, fmt);
	vline("# ", fmt, ap);
	va_end(ap);
	fflush(stdout);
}

void tap_note(const char *fmt, ...)
{
	va_list ap;
	cur();
	va_start(ap, fmt);
	vline("# ", fmt, ap);
	va_end(ap);
}

void tap_bail(const char *fmt, ...)
{
	va_list ap;
	header();
	printf("Bail out! ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(255);
}

static bool point_str(bool cond, const char *directive, const char *desc)
{
	struct level *l = cur();
	/* '#' would start a directive in the description; TAP wants it escaped. */
	char esc[2048];
	size_t j = 0;
	for (size_t i = 0; desc[i] && j + 2 < sizeof esc; i++) {
		if (desc[i] == '#' || desc[i] == '\\')
			esc[j++] = '\\';
		esc[j++] = desc[i] == '\n' ? ' ' : desc[i];
	}
	esc[j] = '\0';
	l->run++;
	bool todo = todo_reason != NULL && directive == NULL;
	if (!cond && !todo)
		l->failed++;
	indent(0);
	printf("%s %d%s%s", cond ? "ok" : "not ok", l->run, esc[0] ? " - " : "", esc);
	if (directive)
		printf(" # %s", directive);
	else if (todo)
		printf(" # TODO %s", todo_reason);
	printf("\n");
	return cond;
}

static bool point(bool cond, const char *directive, const char *fmt, va_list ap)
{
	char desc[1024];
	vsnprintf(desc, sizeof desc, fmt, ap);
	return point_str(cond, directive, desc);
}

static void yaml_open(const char *file, int line)
{
	indent(2);
	printf("---\n");
	indent(2);
	printf("at: %s:%d\n", file, line);
}

static void yaml_close(void)
{
	indent(2);
	printf("...\n");
	fflush(stdout);
}

bool tap_ok_at(bool cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	point(cond, NULL, fmt, ap);
	va_end(ap);
	if (!cond) {
		yaml_open(file, line);
		yaml_close();
	}
	fflush(stdout);
	return cond;
}

void tap_skip(int count, const char *reason, ...)
{
	char why[512], directive[600];
	va_list ap;
	va_start(ap, reason);
	vsnprintf(why, sizeof why, reason, ap);
	va_end(ap);
	snprintf(directive, sizeof directive, "SKIP %s", why);
	for (int i = 0; i < count; i++)
		point_str(true, directive, "");
	fflush(stdout);
}

void tap_todo_begin(const char *reason)
{
	todo_reason = reason ? reason : "";
}

void tap_todo_end(void)
{
	todo_reason = NULL;
}

void tap_subtest_begin(const char *name, ...)
{
	va_list ap;
	cur();
	if (depth + 1 >= TAP_MAX_DEPTH)
		tap_bail("subtests nested deeper than %d", TAP_MAX_DEPTH);
	depth++;
	struct level *l = &levels[depth];
	memset(l, 0, sizeof *l);
	l->planned = -1;
	va_start(ap, name);
	vsnprintf(l->name, sizeof l->name, name, ap);
	va_end(ap);
	indent(0);
	printf("# Subtest: %s\n", l->name);
	fflush(stdout);
}

/* Closes the current level's plan; true when the level passed. */
static bool close_plan(struct level *l)
{
	if (l->planned < 0) {
		l->planned = l->run;
		indent(0);
		printf("1..%d\n", l->run);
	}
	if (l->planned != l->run) {
		indent(0);
		printf("# Looks like you planned %d test%s but ran %d.\n", l->planned,
		       l->planned == 1 ? "" : "s", l->run);
		return false;
	}
	if (l->failed) {
		indent(0);
		printf("# Looks like you failed %d test%s of %d.\n", l->failed,
		       l->failed == 1 ? "" : "s", l->run);
	}
	return l->failed == 0;
}

bool tap_subtest_end(void)
{
	if (depth == 0)
		tap_bail("tap_subtest_end without tap_subtest_begin");
	struct level *l = &levels[depth];
	bool passed = close_plan(l);
	char name[128];
	memcpy(name, l->name, sizeof name);
	depth--;
	point_str(passed, NULL, name);
	fflush(stdout);
	return passed;
}

int tap_exit_status(void)
{
	struct level *l = &levels[0];
	if (l->planned >= 0 && l->planned != l->run)
		return 255;
	return l->failed > 254 ? 254 : l->failed;
}

int tap_done(void)
{
	while (depth > 0)
		tap_subtest_end();
	struct level *l = cur();
	close_plan(l);
	fflush(stdout);
	return tap_exit_status();
}

/* ---- assertion helpers ---------------------------------------------- */

#define POINT_FROM_FMT(cond, fmt)            \
	do {                                 \
		va_list ap_;                 \
		va_start(ap_, fmt);          \
		point(cond, NULL, fmt, ap_); \
		va_end(ap_);                 \
	} while (0)

bool tap_is_int_at(long long got, long long exp, const char *file, int line, const char *fmt, ...)
{
	bool cond = got == exp;
	POINT_FROM_FMT(cond, fmt);
	if (!cond) {
		yaml_open(file, line);
		indent(2);
		printf("got: %lld\n", got);
		indent(2);
		printf("expected: %lld\n", exp);
		yaml_close();
	}
	fflush(stdout);
	return cond;
}

bool tap_is_uint_at(unsigned long long got, unsigned long long exp, const char *file, int line,
                    const char *fmt, ...)
{
	bool cond = got == exp;
	POINT_FROM_FMT(cond, fmt);
	if (!cond) {
		yaml_open(file, line);
		indent(2);
		printf("got: %llu\n", got);
		indent(2);
		printf("expected: %llu\n", exp);
		yaml_close();
	}
	fflush(stdout);
	return cond;
}

bool tap_is_hex_at(unsigned long long got, unsigned long long exp, const char *file, int line,
                   const char *fmt, ...)
{
	bool cond = got == exp;
	POINT_FROM_FMT(cond, fmt);
	if (!cond) {
		yaml_open(file, line);
		indent(2);
		printf("got: %llu # 0x%llx\n", got, got);
		indent(2);
		printf("expected: %llu # 0x%llx\n", exp, exp);
		yaml_close();
	}
	fflush(stdout);
	return cond;
}

static void yaml_string(const char *key, const char *s)
{
	indent(2);
	if (!s) {
		printf("%s: ~\n", key);
		return;
	}
	printf("%s: \"", key);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c == '\n')
			printf("\\n");
		else if (c < 0x20 || c >= 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	printf("\"\n");
}

bool tap_is_str_at(const char *got, const char *exp, const char *file, int line, const char *fmt,
                   ...)
{
	bool cond = (got == NULL && exp == NULL) || (got && exp && strcmp(got, exp) == 0);
	POINT_FROM_FMT(cond, fmt);
	if (!cond) {
		yaml_open(file, line);
		yaml_string("got", got);
		yaml_string("expected", exp);
		yaml_close();
	}
	fflush(stdout);
	return cond;
}

static void hex_window(const char *key, const uint8_t *p, size_t len, size_t from, size_t to)
{
	indent(2);
	printf("%s: \"", key);
	if (from > 0)
		printf("... ");
	for (size_t i = from; i < to && i < len; i++)
		printf("%02x%s", p[i], i + 1 < to && i + 1 < len ? " " : "");
	if (to < len)
		printf(" ...");
	printf("\"\n");
}

bool tap_is_mem_at(const void *got, size_t got_len, const void *exp, size_t exp_len,
                   const char *file, int line, const char *fmt, ...)
{
	const uint8_t *g = got, *e = exp;
	size_t n = got_len < exp_len ? got_len : exp_len, diff = 0;
	while (diff < n && g[diff] == e[diff])
		diff++;
	bool cond = got_len == exp_len && diff == n;
	POINT_FROM_FMT(cond, fmt);
	if (!cond) {
		size_t from = diff >= 8 ? diff - 8 : 0, to = diff + 8;
		yaml_open(file, line);
		indent(2);
		printf("first_difference: %zu\n", diff);
		if (got_len != exp_len) {
			indent(2);
			printf("got_length: %zu\n", got_len);
			indent(2);
			printf("expected_length: %zu\n", exp_len);
		}
		hex_window("got", g, got_len, from, to);
		hex_window("expected", e, exp_len, from, to);
		yaml_close();
	}
	fflush(stdout);
	return cond;
}

bool tap_is_near_at(long long got, long long exp, long long tolerance, const char *file, int line,
                    const char *fmt, ...)
{
	long long d = got > exp ? got - exp : exp - got;
	bool cond = d <= tolerance;
	POINT_FROM_FMT(cond, fmt);
	if (!cond) {
		yaml_open(file, line);
		indent(2);
		printf("got: %lld\n", got);
		indent(2);
		printf("expected: %lld\n", exp);
		indent(2);
		printf("tolerance: %lld\n", tolerance);
		indent(2);
		printf("difference: %lld\n", d);
		yaml_close();
	}
	fflush(stdout);
	return cond;
}
