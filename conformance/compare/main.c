/* `synack compare --stacks A,B [options] SCRIPT|DIR...` */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compare/compare.h"
#include "run/run.h"
#include "run/tap_writer.h"

static const char usage[] =
    "usage: synack compare --stacks A,B [--tap] [--all] [--any-stack] [--ignore CLASSES]\n"
    "                      [--divergences FILE] [--width N] [-D NAME=VALUE]\n"
    "                      [--OPTION=VALUE] SCRIPT|DIR...\n"
    "\n"
    "Runs each script on both stacks to its end (observing, not enforcing),\n"
    "normalises the two observed traces (ISNs, TS clocks, ephemeral ports) and\n"
    "prints them side by side, line-aligned, with each difference classified:\n"
    "missing, extra, flags, seq/ack, payload, window, options, timing, syscall.\n"
    "\n"
    "stacks:  engine, engine:PROFILE (engine:rfc), linux, linux:CC (linux:reno),\n"
    "         linux:SYSCTL=VALUE, so:/path/libstack.so (packetdrill's shared-object\n"
    "         interface); any of them +SYSCTL=VALUE (engine+tcp_sack=0).\n"
    "--ignore window,options,timing   classes not reported\n"
    "--divergences FILE  known differences (default conformance/divergences)\n"
    "--all    every row of the side by side, not only differences in context\n"
    "--any-stack  run scripts whatever their // @stacks: line says\n"
    "--tap    TAP version 13, one point per script; known divergences are TODO\n"
    "--fuzz SECONDS [--seed N] [--out DIR]  differential fuzzing: generated scripts\n"
    "         on both stacks; each divergence minimised and saved under DIR\n"
    "         (default corpora/divergences)\n"
    "\n"
    "exit status: 0 no unexplained difference, 1 a difference, 2 usage error.\n";

static int term_width(void)
{
	const char *c = getenv("COLUMNS");
	if (c && atoi(c) >= 80)
		return atoi(c);
	struct winsize ws;
	if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 80)
		return ws.ws_col;
	return 160;
}

static const char *default_divergences(void)
{
	static char path[4096];
	struct stat st;
	if (stat("conformance/divergences", &st) == 0)
		return "conformance/divergences";
#ifdef SYNACK_SOURCE_DIR
	snprintf(path, sizeof path, "%s/conformance/divergences", SYNACK_SOURCE_DIR);
	return path;
#else
	(void)path;
	return "conformance/divergences";
#endif
}

struct copts {
	const char *stacks;
	bool tap, all, any_stack;
	double fuzz_s;
	unsigned long long seed;
	const char *out_dir;
	unsigned ignore;
	const char *divs;
	int width;
	struct script_load_opts load;
};

static void fail_note(char *buf, size_t cap, const struct run_result *r)
{
	buf[0] = 0;
	if (r->status == RUN_FAIL && r->fail.message[0]) {
		if (r->fail.line)
			snprintf(buf, cap, "line %d: %.300s", r->fail.line, r->fail.message);
		else
			snprintf(buf, cap, "%.300s", r->fail.message);
	}
}

/* The two runs' traces normalised (with the script's time ranges as
 * slack) and aligned. */
static int diff_runs(const struct run_result r[2], const struct run_script *rs,
                     const struct cmp_stack st[2], unsigned ignore, struct cmp_trace t[2],
                     struct cmp_result *res)
{
	for (int k = 0; k < 2; k++) {
		if (cmp_normalise(&r[k].trace, &t[k]) < 0)
			return -1;
		cmp_script_slack(&t[k], rs);
	}
	struct cmp_opts o = { .ignore = ignore,
		              .tolerance_us = rs->cfg.tolerance_usecs,
		              .tolerance_percent = rs->cfg.tolerance_percent,
		              .a_kernel = cmp_stack_is_kernel(&st[0]),
		              .b_kernel = cmp_stack_is_kernel(&st[1]) };
	return cmp_align(&t[0], &t[1], &o, res);
}

/* One script on both stacks; returns 0 same/known/skip, 1 differs, 2 error. */
/* Does a millisecond before each inbound packet that came at once remove
 * the first difference (cmp_zero_time_explains, as --fuzz judges it)? */
static bool zero_time_hint(const struct cmp_stack st[2], const struct cmp_opts *co,
                           const char *path, const char *sig)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	static char text[1 << 16];
	size_t n = fread(text, 1, sizeof text - 1, f);
	bool whole = feof(f);
	fclose(f);
	text[n] = 0;
	char tmp[] = "/tmp/synack-compare-XXXXXX";
	int fd = mkstemp(tmp);
	if (!whole || fd < 0)
		return false;
	close(fd);
	bool explained = cmp_zero_time_explains(st, co, text, sig, tmp);
	unlink(tmp);
	return explained;
}

static int compare_one(const struct copts *o, const struct cmp_stack st[2],
                       const struct cmp_divs *divs, const char *path, int num)
{
	struct run_script rs;
	char *msg = NULL;
	if (script_load(path, &o->load, &rs, &msg) < 0) {
		struct cmp_report rep = { .script = path,
			                  .stack_a = st[0].spec,
			                  .stack_b = st[1].spec,
			                  .error = msg ? msg : "cannot load" };
		if (o->tap)
			cmp_report_tap(stdout, num, &rep);
		else
			cmp_report_side_by_side(stdout, &rep, o->width);
		free(msg);
		return 2;
	}
	free(msg);
	struct cmp_report rep = {
		.script = path, .stack_a = st[0].spec, .stack_b = st[1].spec, .all_rows = o->all
	};
	struct run_result r[2];
	memset(r, 0, sizeof r);
	bool ran[2] = { false, false };
	char skip[300] = "", err[400] = "", notes[2][400];
	for (int k = 0; k < 2 && !skip[0] && !err[0]; k++) {
		if (!o->any_stack && !run_script_for_stack(&rs, st[k].name)) {
			snprintf(skip, sizeof skip, "not for stack %.100s (@stacks: %.100s)",
			         st[k].spec, rs.stacks);
			break;
		}
		alarm((unsigned)rs.cfg.timeout_s + 10);
		cmp_run(&rs, &st[k], &r[k]);
		alarm(0);
		ran[k] = true;
		if (r[k].status == RUN_SKIP)
			snprintf(skip, sizeof skip, "%.40s: %.250s", st[k].spec, r[k].skip_reason);
		else if (cmp_unsupported(&r[k]))
			/* The stack cannot run what the script asks (a so: library
			 * without the command extension and a sysctl): the two
			 * runs are not comparable. */
			snprintf(skip, sizeof skip, "not comparable on %.100s: %.170s", st[k].spec,
			         r[k].fail.message);
		else if (r[k].status == RUN_FAIL && !r[k].fail.line && !r[k].trace.n)
			snprintf(err, sizeof err, "%.60s: %.330s", st[k].spec, r[k].fail.message);
		else if (r[k].fail.stack_fault)
			/* A bug in that stack, whatever the other did: no
			 * comparison means anything past it. */
			snprintf(err, sizeof err, "%.60s, line %d: %.320s", st[k].spec,
			         r[k].fail.line, r[k].fail.message);
		fail_note(notes[k], sizeof notes[k], &r[k]);
	}
	int rc = 0;
	struct cmp_trace t[2] = { { 0 }, { 0 } };
	struct cmp_result res = { 0 };
	struct cmp_div script_div = { 0 };
	if (skip[0]) {
		rep.skip = skip;
	} else if (err[0]) {
		rep.error = err;
		rc = 2;
	} else if (diff_runs(r, &rs, st, o->ignore, t, &res) < 0) {
		rep.error = "out of memory";
		rc = 2;
	} else {
		rep.ta = &t[0];
		rep.tb = &t[1];
		rep.res = &res;
		rep.note_a = notes[0];
		rep.note_b = notes[1];
		if (res.n_diff_rows) {
			rep.known = cmp_div_find(divs, path, st[0].spec, st[1].spec, res.classes);
			/* The script's own `// @divergence: STACK reason` for either
			 * stack explains its differences too. */
			for (int k = 0; k < 2 && !rep.known; k++) {
				const char *why = run_script_divergence(&rs, st[k].name);
				if (why) {
					snprintf(script_div.reason, sizeof script_div.reason,
					         "@divergence %.60s: %.180s", st[k].spec, why);
					rep.known = &script_div;
				}
			}
			if (!rep.known)
				rc = 1;
		}
	}
	/* Engine against the kernel: is it the kernel's timer slack? (As
	 * --fuzz judges it, cmp_late_explains; a hint, the verdict stands.) */
	bool slack = false, zero_time = false;
	int e = cmp_engine_side(st);
	if (rc == 1 && e >= 0) {
		struct cmp_opts co = { .ignore = o->ignore,
			               .tolerance_us = rs.cfg.tolerance_usecs,
			               .tolerance_percent = rs.cfg.tolerance_percent,
			               .a_kernel = cmp_stack_is_kernel(&st[0]),
			               .b_kernel = cmp_stack_is_kernel(&st[1]) };
		unsigned first;
		char sig[400];
		cmp_fuzz_signature(&t[0], &t[1], &res, &first, sig, sizeof sig);
		slack = cmp_late_explains(st, e, &rs, &t[1 - e], &co, sig);
		if (!slack)
			zero_time = zero_time_hint(st, &co, path, sig);
	}
	if (o->tap)
		cmp_report_tap(stdout, num, &rep);
	else
		cmp_report_side_by_side(stdout, &rep, o->width);
	if (slack)
		printf("%snote: on engine:linux-late (every timer as late as the kernel's timer "
		       "wheel fires it) this first difference is gone: likely the kernel's timer "
		       "slack, not a divergence (docs/compare.md)\n",
		       o->tap ? "# " : "");
	if (zero_time)
		printf("%snote: with a millisecond before each inbound packet that came at once "
		       "this first difference is gone: likely the engine's zero-time steps (the "
		       "kernel takes real time between them), not a divergence (docs/compare.md)\n",
		       o->tap ? "# " : "");
	fflush(stdout);
	cmp_result_free(&res);
	cmp_trace_free(&t[0]);
	cmp_trace_free(&t[1]);
	for (int k = 0; k < 2; k++)
		if (ran[k])
			run_result_free(&r[k]);
	run_script_free(&rs);
	return rc;
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char m[] =
	    "Bail out! synack compare: a script exceeded its wall-clock limit\n";
	if (write(STDOUT_FILENO, m, sizeof m - 1) < 0) {
		/* leaving anyway */
	}
	_exit(2);
}

int compare_main(int argc, char **argv)
{
	struct copts o = { .width = term_width() };
	const char *divs_path = NULL;
	static char names[64][64];
	int i = 1;
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i];
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;
		char why[300];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if (strcmp(a, "--tap") == 0) {
			o.tap = true;
		} else if (strcmp(a, "--fuzz") == 0 && next) {
			o.fuzz_s = atof(argv[++i]);
		} else if (strcmp(a, "--seed") == 0 && next) {
			o.seed = strtoull(argv[++i], NULL, 0);
		} else if (strcmp(a, "--out") == 0 && next) {
			o.out_dir = argv[++i];
		} else if (strcmp(a, "--any-stack") == 0) {
			o.any_stack = true;
		} else if (strcmp(a, "--all") == 0) {
			o.all = true;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			o.all = true;
		} else if ((strcmp(a, "--stacks") == 0 || strcmp(a, "--ignore") == 0 ||
		            strcmp(a, "--divergences") == 0 || strcmp(a, "--width") == 0 ||
		            strcmp(a, "-D") == 0) &&
		           next) {
			i++;
			if (a[2] == 's')
				o.stacks = next;
			else if (a[2] == 'd')
				divs_path = next;
			else if (a[2] == 'w')
				o.width = atoi(next);
			else if (a[1] == 'D' && o.load.n_defines < 64)
				o.load.defines[o.load.n_defines++] = next;
			else if (a[2] == 'i' &&
			         cmp_class_parse(next, &o.ignore, why, sizeof why) < 0) {
				fprintf(stderr, "synack compare: --ignore: %s\n", why);
				return 2;
			}
		} else if (strncmp(a, "--stacks=", 9) == 0) {
			o.stacks = a + 9;
		} else if (strncmp(a, "--ignore=", 9) == 0) {
			if (cmp_class_parse(a + 9, &o.ignore, why, sizeof why) < 0) {
				fprintf(stderr, "synack compare: --ignore: %s\n", why);
				return 2;
			}
		} else if (strncmp(a, "--divergences=", 14) == 0) {
			divs_path = a + 14;
		} else if (strncmp(a, "-D", 2) == 0 && a[2]) {
			if (o.load.n_defines < 64)
				o.load.defines[o.load.n_defines++] = a + 2;
		} else if (strncmp(a, "--", 2) == 0 && strchr(a, '=') && o.load.n_overrides < 64) {
			const char *eq = strchr(a, '=');
			int k = o.load.n_overrides++;
			snprintf(names[k], sizeof names[k], "%.*s", (int)(eq - a - 2), a + 2);
			o.load.overrides[k][0] = names[k];
			o.load.overrides[k][1] = eq + 1;
		} else {
			fprintf(stderr, "synack compare: unknown option %s\n\n%s", a, usage);
			return 2;
		}
	}
	if (!o.stacks || (i >= argc && !o.fuzz_s)) {
		fprintf(stderr, "synack compare: %s\n\n%s",
		        o.stacks ? "no scripts given" : "--stacks A,B is required", usage);
		return 2;
	}
	/* A,B: the comma before the second stack's name (so: paths may hold commas). */
	const char *comma = NULL;
	for (const char *p = o.stacks; (p = strchr(p, ',')); p++) {
		if (strncmp(p + 1, "engine", 6) == 0 || strncmp(p + 1, "linux", 5) == 0 ||
		    strncmp(p + 1, "so:", 3) == 0) {
			comma = p;
			break;
		}
	}
	if (!comma) {
		fprintf(stderr, "synack compare: --stacks %s: expected two stacks, A,B\n",
		        o.stacks);
		return 2;
	}
	struct cmp_stack st[2];
	char a[256], why[300];
	snprintf(a, sizeof a, "%.*s", (int)(comma - o.stacks), o.stacks);
	if (cmp_stack_parse(a, &st[0], why, sizeof why) < 0 ||
	    cmp_stack_parse(comma + 1, &st[1], why, sizeof why) < 0) {
		fprintf(stderr, "synack compare: %s\n", why);
		return 2;
	}
	struct cmp_divs divs;
	if (cmp_div_load(divs_path ? divs_path : default_divergences(), &divs, why, sizeof why) <
	    0) {
		fprintf(stderr, "synack compare: %s\n", why);
		return 2;
	}
	if (o.fuzz_s > 0) {
		struct cmp_opts co = { .ignore = o.ignore };
		int rc = cmp_fuzz(st, &co, &divs, o.fuzz_s, o.seed,
		                  o.out_dir ? o.out_dir : "corpora/divergences");
		cmp_div_free(&divs);
		return rc;
	}
	char **paths = NULL;
	int n = scripts_collect(argv + i, argc - i, &paths);
	if (n < 0) {
		cmp_div_free(&divs);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	if (o.tap) {
		run_tap_header(stdout);
		run_tap_plan(stdout, n);
	}
	int status = 0, n_same = 0, n_diff = 0, n_known = 0, n_other = 0;
	for (int k = 0; k < n; k++) {
		int rc = compare_one(&o, st, &divs, paths[k], k + 1);
		if (rc > status)
			status = rc;
		if (rc == 1)
			n_diff++;
		else if (rc)
			n_other++;
		else
			n_same++;
	}
	(void)n_known;
	if (!o.tap && n > 1)
		printf("%d script%s: %d same or known, %d differ, %d could not run\n", n,
		       n == 1 ? "" : "s", n_same, n_diff, n_other);
	scripts_free(paths, n);
	cmp_div_free(&divs);
	return status;
}
