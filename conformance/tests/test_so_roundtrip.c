/* The so: stack loading libsynack-packetdrill.so is the engine: over the
 * whole script corpus, `compare engine,so:libsynack-packetdrill.so` finds
 * no difference, with the synack extensions and (for what needs no sysctl)
 * through packetdrill's interface alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/compare.h"
#include "run/run.h"
#include "tap.h"

static int compare(const char *path, const struct cmp_stack st[2], char *why, size_t cap)
{
	struct script_load_opts lo = { 0 };
	struct run_script rs;
	char *msg = NULL;
	if (script_load(path, &lo, &rs, &msg) < 0) {
		snprintf(why, cap, "%s", msg ? msg : "load");
		free(msg);
		return -1;
	}
	free(msg);
	struct run_result r[2];
	struct cmp_trace t[2];
	for (int k = 0; k < 2; k++) {
		cmp_run(&rs, &st[k], &r[k]);
		cmp_normalise(&r[k].trace, &t[k]);
	}
	struct cmp_opts o = { .tolerance_us = rs.cfg.tolerance_usecs,
		              .tolerance_percent = rs.cfg.tolerance_percent };
	struct cmp_result res;
	cmp_align(&t[0], &t[1], &o, &res);
	int n = res.n_diff_rows;
	why[0] = 0;
	for (size_t i = 0; i < res.n && !why[0]; i++)
		if (res.rows[i].diff) {
			char cls[100];
			cmp_class_list(res.rows[i].diff, cls, sizeof cls);
			snprintf(why, cap, "%.90s: engine '%.200s' vs so '%.200s'", cls,
			         res.rows[i].a >= 0 ? t[0].v[res.rows[i].a].text : "",
			         res.rows[i].b >= 0 ? t[1].v[res.rows[i].b].text : "");
		}
	cmp_result_free(&res);
	for (int k = 0; k < 2; k++) {
		cmp_trace_free(&t[k]);
		run_result_free(&r[k]);
	}
	run_script_free(&rs);
	return n;
}

int main(void)
{
	char dir[512], spec[600], why[600];
	snprintf(dir, sizeof dir, "%s/conformance/scripts", SYNACK_SOURCE_DIR);
	snprintf(spec, sizeof spec, "so:%s", SYNACK_PACKETDRILL_SO);
	FILE *f = fopen(SYNACK_PACKETDRILL_SO, "r");
	if (!f)
		tap_plan_skip_all("%s not built", SYNACK_PACKETDRILL_SO);
	fclose(f);
	struct cmp_stack st[2];
	ok(cmp_stack_parse("engine", &st[0], why, sizeof why) == 0 &&
	       cmp_stack_parse(spec, &st[1], why, sizeof why) == 0,
	   "stacks: engine and %s", spec);
	char *args[] = { dir };
	char **paths = NULL;
	int n = scripts_collect(args, 1, &paths);
	ok(n > 10, "the corpus: %d scripts", n);
	int same = 0;
	for (int i = 0; i < n; i++) {
		const char *rel = strstr(paths[i], "conformance/scripts/");
		int d = compare(paths[i], st, why, sizeof why);
		if (ok(d == 0, "engine = so: %s", rel ? rel + 20 : paths[i]))
			same++;
		else
			tap_diag("%d differences; first %s", d, why);
	}
	is_int(same, n, "every script the same");

	/* packetdrill's interface alone: no advance or command extension.
	 * Time moves in usleep steps; scripts without header commands must
	 * still come out the same. */
	setenv("SYNACK_SO_PLAIN", "1", 1);
	int plain = 0, tried = 0;
	for (int i = 0; i < n; i++) {
		FILE *s = fopen(paths[i], "r");
		char line[512];
		bool cmd = false;
		while (s && fgets(line, sizeof line, s))
			if (line[0] == '`')
				cmd = true;
		if (s)
			fclose(s);
		if (cmd)
			continue;
		tried++;
		if (compare(paths[i], st, why, sizeof why) == 0)
			plain++;
		else
			tap_diag("plain: %s: %s", paths[i], why);
	}
	is_int(plain, tried, "plain interface: %d scripts without commands the same", tried);
	unsetenv("SYNACK_SO_PLAIN");
	scripts_free(paths, n);
	return tap_done();
}
