/* Differential fuzzing (compare.h): bytes -> a valid script -> two stacks
 * -> a classified diff; every divergence is minimised and saved as a
 * ready-to-read script.
 *
 * The generator (gen.c) writes scripts with no outbound line: the stacks
 * fill those in, and the diff is the oracle. Minimising removes whole
 * steps (STEP bytes each) while the first
 * difference (the root: what follows is mostly its consequence) stays the
 * same: the same classes, the same packets with the numbers left out. A
 * divergence is saved once (its signature, that first difference, is in the
 * file and looked for before saving another).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "compare/compare.h"
#include "run/run.h"

#define STEP CMP_GEN_STEP

/* ---- the driver ---------------------------------------------------------------- */

struct fuzz_run {
	const struct cmp_stack *st;
	const struct cmp_opts *o;
	const struct cmp_divs *divs;
	const char *tmp;
};

/* What one generated script did on the two stacks. */
struct verdict {
	unsigned all;   /* unexplained classes, every row (0: the same or known) */
	unsigned first; /* the classes of the first differing row: the root */
	char sig[400];  /* the first differing row, numbers left out */
	bool skipped;   /* not comparable: a stack skipped it or cannot run it */
	bool slack;     /* explained by the kernel's timer slack (late_matches) */
	bool zero_time; /* explained by zero-time steps (cmp_zero_time_explains) */
	/* A stack broke its own invariant (the engine's self-check): a bug in
	 * that stack whatever the other did; "" when none. */
	char fault[400];
};

static void row_signature(const struct cmp_trace *ta, const struct cmp_trace *tb,
                          const struct cmp_row *row, char *sig, size_t cap);
static bool root_absent(const struct cmp_trace *ta, const struct cmp_trace *tb,
                        const struct cmp_result *res, const char *sig);

/* The engine (Linux profile) against the kernel: which side is which, or
 * -1. Only then can engine:linux-late stand in for a kernel whose timers
 * came late. */
int cmp_engine_side(const struct cmp_stack st[2])
{
	for (int k = 0; k < 2; k++)
		if (cmp_stack_is_kernel(&st[1 - k]) && strcmp(st[k].name, "engine") == 0 &&
		    (!st[k].profile[0] || strcmp(st[k].profile, "linux") == 0))
			return k;
	return -1;
}

/* A difference the kernel's timer wheel explains: with every timer as late
 * as the wheel fires it on a busy machine (engine:linux-late, docs/
 * linux-stack.md "Timer slack") the engine no longer differs from the
 * kernel at the root `sig` — nowhere in the run. compare excuses a late
 * timer's own packet, but not what follows from it: a later timer a script
 * event then cancelled, events in another order, a reply no longer "within
 * ATO" of the data (seeds 24, 28, 32, 36). What the late run still differs
 * in is the kernel having been less late than the worst case (the real
 * lateness lies between the two engines'). */
bool cmp_late_explains(const struct cmp_stack st[2], int e, struct run_script *rs,
                       const struct cmp_trace *kernel, const struct cmp_opts *o, const char *sig)
{
	struct cmp_stack late = st[e];
	snprintf(late.profile, sizeof late.profile, "linux-late");
	struct run_result r;
	struct cmp_trace t;
	cmp_run(rs, &late, &r);
	bool same = false;
	if (cmp_normalise(&r.trace, &t) < 0) {
		run_result_free(&r);
		return false;
	}
	cmp_script_slack(&t, rs);
	struct cmp_result res;
	const struct cmp_trace *ta = e == 0 ? &t : kernel, *tb = e == 0 ? kernel : &t;
	if (r.status != RUN_SKIP && !cmp_unsupported(&r) && cmp_align(ta, tb, o, &res) == 0) {
		same = root_absent(ta, tb, &res, sig);
		cmp_result_free(&res);
	}
	cmp_trace_free(&t);
	run_result_free(&r);
	return same;
}

/* A difference zero-time steps explain: a generated script makes several
 * events at one instant, which the engine runs in no time and the kernel in
 * a hundred microseconds or so — long enough for an RTT sample or a RACK
 * reordering window (min_rtt / 4) to differ (seed 46: a SACK in the same
 * instant as the data it covers). With a millisecond before each inbound
 * packet that followed another event at once, the stacks no longer differ
 * at the root `sig`. */
bool cmp_zero_time_explains(const struct cmp_stack st[2], const struct cmp_opts *o,
                            const char *text, const char *sig, const char *tmp)
{
	static char spaced[1 << 16];
	size_t k = 0;
	bool changed = false;
	for (const char *p = text; *p;) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) + 1 : strlen(p);
		const char *q = p + 2;
		while (q < p + n && (*q == ' ' || *q == '\t'))
			q++;
		bool inbound_now = n > 3 && p[0] == '+' && p[1] == '0' &&
		                   (p[2] == ' ' || p[2] == '\t') && q < p + n && *q == '<';
		const char *head = inbound_now ? "+.001" : "";
		size_t hl = strlen(head), skip = inbound_now ? 2 : 0;
		if (k + hl + n - skip + 1 > sizeof spaced)
			return false;
		memcpy(spaced + k, head, hl);
		memcpy(spaced + k + hl, p + skip, n - skip);
		k += hl + n - skip;
		changed |= inbound_now;
		p += n;
	}
	spaced[k] = 0;
	return changed && cmp_root_gone(st, o, spaced, sig, tmp);
}

/* "> . 1:1(0) ack 101 win 502" -> "> . #:#(#) ack # win #": what a
 * divergence is, whatever numbers a generated script happened to use. */
static void shape(const char *text, char *out, size_t cap)
{
	size_t k = 0;
	for (const char *p = text; *p && k + 2 < cap; p++) {
		if (*p >= '0' && *p <= '9') {
			while (p[1] >= '0' && p[1] <= '9')
				p++;
			out[k++] = '#';
		} else {
			out[k++] = *p;
		}
	}
	out[k] = 0;
}

/* A differing row's classes and its two events, numbers left out. */
static void row_signature(const struct cmp_trace *ta, const struct cmp_trace *tb,
                          const struct cmp_row *row, char *sig, size_t cap)
{
	char names[160], a[300] = "-", b[300] = "-";
	cmp_class_list(row->diff, names, sizeof names);
	if (row->a >= 0)
		shape(ta->v[row->a].text, a, sizeof a);
	if (row->b >= 0)
		shape(tb->v[row->b].text, b, sizeof b);
	snprintf(sig, cap, "%s: %.180s | %.180s", names, a, b);
}

void cmp_fuzz_signature(const struct cmp_trace *ta, const struct cmp_trace *tb,
                        const struct cmp_result *res, unsigned *first, char *sig, size_t cap)
{
	*first = 0;
	if (cap)
		sig[0] = 0;
	for (size_t i = 0; i < res->n; i++) {
		const struct cmp_row *row = &res->rows[i];
		if (!row->diff)
			continue;
		*first = row->diff;
		row_signature(ta, tb, row, sig, cap);
		return;
	}
}

/* Writes `text` to the file `tmp` and loads it as a script. */
static int load_text(const char *text, const char *tmp, struct run_script *rs, char **msg)
{
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -1;
	fputs(text, f);
	fclose(f);
	struct script_load_opts lo = { 0 };
	return script_load(tmp, &lo, rs, msg);
}

/* Runs the script on both stacks, normalises the traces and fills the
 * comparison options the script's tolerances ask for. */
static void run_pair(const struct cmp_stack st[2], const struct cmp_opts *base,
                     const struct run_script *rs, struct run_result r[2], struct cmp_trace t[2],
                     struct cmp_opts *o)
{
	for (int k = 0; k < 2; k++) {
		cmp_run(rs, &st[k], &r[k]);
		cmp_normalise(&r[k].trace, &t[k]);
	}
	*o = *base;
	o->tolerance_us = rs->cfg.tolerance_usecs;
	o->tolerance_percent = rs->cfg.tolerance_percent;
	o->a_kernel = cmp_stack_is_kernel(&st[0]);
	o->b_kernel = cmp_stack_is_kernel(&st[1]);
}

/* No differing row of the comparison has the signature `sig`. */
static bool root_absent(const struct cmp_trace *ta, const struct cmp_trace *tb,
                        const struct cmp_result *res, const char *sig)
{
	for (size_t i = 0; i < res->n; i++) {
		char s[400];
		if (!res->rows[i].diff)
			continue;
		row_signature(ta, tb, &res->rows[i], s, sizeof s);
		if (strcmp(s, sig) == 0)
			return false;
	}
	return true;
}

bool cmp_root_gone(const struct cmp_stack st[2], const struct cmp_opts *base, const char *text,
                   const char *sig, const char *tmp)
{
	struct run_script rs;
	char *msg = NULL;
	int loaded = load_text(text, tmp, &rs, &msg);
	free(msg);
	if (loaded < 0)
		return false;
	struct run_result r[2];
	struct cmp_trace t[2];
	struct cmp_opts o;
	run_pair(st, base, &rs, r, t, &o);
	struct cmp_result res;
	bool gone = false;
	bool comparable = r[0].status != RUN_SKIP && r[1].status != RUN_SKIP &&
	                  !cmp_unsupported(&r[0]) && !cmp_unsupported(&r[1]) &&
	                  !r[0].fail.stack_fault && !r[1].fail.stack_fault;
	if (comparable && cmp_align(&t[0], &t[1], &o, &res) == 0) {
		gone = root_absent(&t[0], &t[1], &res, sig);
		cmp_result_free(&res);
	}
	for (int k = 0; k < 2; k++) {
		cmp_trace_free(&t[k]);
		run_result_free(&r[k]);
	}
	run_script_free(&rs);
	return gone;
}

/* Compares the script of `bytes` on both stacks into *v; the report and the
 * script in *report and *script when asked and there is a difference. */
static void try_bytes(const struct fuzz_run *fr, const uint8_t *bytes, size_t n, struct verdict *v,
                      char **report, char **script)
{
	static char text[1 << 16];
	memset(v, 0, sizeof *v);
	if (cmp_gen_script(bytes, n, text, sizeof text) < 0)
		return;
	struct run_script rs;
	char *msg = NULL;
	if (load_text(text, fr->tmp, &rs, &msg) < 0) {
		fprintf(stderr, "synack compare --fuzz: generated an invalid script:\n%s%s",
		        msg ? msg : "", text);
		free(msg);
		return;
	}
	free(msg);
	struct run_result r[2];
	struct cmp_trace t[2];
	struct cmp_opts o;
	run_pair(fr->st, fr->o, &rs, r, t, &o);
	struct cmp_result res;
	bool skip = r[0].status == RUN_SKIP || r[1].status == RUN_SKIP || cmp_unsupported(&r[0]) ||
	            cmp_unsupported(&r[1]);
	v->skipped = skip;
	for (int k = 0; k < 2 && !v->fault[0]; k++)
		if (r[k].fail.stack_fault) {
			snprintf(v->fault, sizeof v->fault, "%.60s, line %d: %.300s",
			         fr->st[k].spec, r[k].fail.line, r[k].fail.message);
			if (script)
				*script = strdup(text);
			skip = true;
		}
	if (!skip && cmp_align(&t[0], &t[1], &o, &res) == 0) {
		v->all = res.classes;
		if (v->all && cmp_div_find(fr->divs, "fuzz/generated.pkt", fr->st[0].spec,
		                           fr->st[1].spec, v->all))
			v->all = 0;
		if (v->all)
			cmp_fuzz_signature(&t[0], &t[1], &res, &v->first, v->sig, sizeof v->sig);
		int e = cmp_engine_side(fr->st);
		if (v->all && e >= 0 && cmp_late_explains(fr->st, e, &rs, &t[1 - e], &o, v->sig)) {
			v->all = v->first = 0;
			v->sig[0] = 0;
			v->slack = true;
		}
		if (v->all && e >= 0 &&
		    cmp_zero_time_explains(fr->st, fr->o, text, v->sig, fr->tmp)) {
			v->all = v->first = 0;
			v->sig[0] = 0;
			v->zero_time = true;
		}
		if (v->all && report) {
			size_t len = 0;
			FILE *m = open_memstream(report, &len);
			struct cmp_report rep = { .script = "generated",
				                  .stack_a = fr->st[0].spec,
				                  .stack_b = fr->st[1].spec,
				                  .ta = &t[0],
				                  .tb = &t[1],
				                  .res = &res };
			cmp_report_side_by_side(m, &rep, 150);
			fclose(m);
		}
		if (v->all && script)
			*script = strdup(text);
		cmp_result_free(&res);
	}
	for (int k = 0; k < 2; k++) {
		cmp_trace_free(&t[k]);
		run_result_free(&r[k]);
	}
	run_script_free(&rs);
}

static uint64_t rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint32_t fnv(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

#define SIG_PREFIX "// divergence: "

/* Is a divergence with this signature already saved in dir? */
static bool already_saved(const char *dir, const char *sig)
{
	DIR *d = opendir(dir);
	if (!d)
		return false;
	bool found = false;
	struct dirent *e;
	while (!found && (e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".pkt") != 0)
			continue;
		char path[4096], line[1024];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "r");
		while (f && !found && fgets(line, sizeof line, f)) {
			line[strcspn(line, "\n")] = 0;
			found = strncmp(line, SIG_PREFIX, strlen(SIG_PREFIX)) == 0 &&
			        strcmp(line + strlen(SIG_PREFIX), sig) == 0;
		}
		if (f)
			fclose(f);
	}
	closedir(d);
	return found;
}

/* A generated script on which a stack broke its own invariant: saved as
 * it is (the engine alone reproduces it: `synack run --stack engine`),
 * once per reason with its numbers left out. Returns whether it was new. */
static bool save_fault(const char *dir, const char *script, const char *why,
                       const struct cmp_stack st[2], uint64_t seed)
{
	char sig[420] = "fault: ";
	shape(why, sig + 7, sizeof sig - 7);
	if (!script || already_saved(dir, sig))
		return false;
	char path[4096];
	snprintf(path, sizeof path, "%s/fault-%08x.pkt", dir, fnv(script));
	FILE *f = fopen(path, "wx");
	if (!f)
		return false;
	fprintf(f, "%s\n// synack compare --stacks %s,%s --fuzz (seed %llu):\n" SIG_PREFIX "%s\n",
	        script, st[0].spec, st[1].spec, (unsigned long long)seed, sig);
	fprintf(f, "// %s\n", why);
	fclose(f);
	fprintf(stderr, "fault: %s: %s\n", path, why);
	return true;
}

int cmp_fuzz(const struct cmp_stack st[2], const struct cmp_opts *o, const struct cmp_divs *divs,
             double seconds, uint64_t seed, const char *out_dir)
{
	char tmp[] = "/tmp/synack-diff-fuzz-XXXXXX";
	int fd = mkstemp(tmp);
	if (fd < 0) {
		perror("synack compare --fuzz: mkstemp");
		return 2;
	}
	close(fd);
	if (mkdir(out_dir, 0777) < 0 && errno != EEXIST) {
		fprintf(stderr, "synack compare --fuzz: %s: %s\n", out_dir, strerror(errno));
		unlink(tmp);
		return 2;
	}
	struct fuzz_run fr = { st, o, divs, tmp };
	uint64_t s = seed ? seed : (uint64_t)time(NULL) | 1;
	uint64_t used_seed = s;
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int runs = 0, found = 0, again = 0, noise = 0, skipped = 0, slack = 0, faults = 0;
	int zero_time = 0;
	do {
		uint8_t bytes[1 + STEP * 24];
		size_t n = 1 + STEP * (1 + rng(&s) % 24);
		for (size_t i = 0; i < n; i++)
			bytes[i] = (uint8_t)rng(&s);
		runs++;
		struct verdict v;
		char *fault_script = NULL;
		try_bytes(&fr, bytes, n, &v, NULL, &fault_script);
		if (v.fault[0])
			faults += save_fault(out_dir, fault_script, v.fault, st, used_seed);
		free(fault_script);
		skipped += v.skipped && !v.fault[0];
		slack += v.slack;
		zero_time += v.zero_time;
		if (v.all && !v.fault[0]) {
			/* Minimise: drop whole steps while the first difference (the
			 * root; what follows it is mostly its consequence) keeps its
			 * classes and its shape. */
			for (size_t i = 1; i + STEP <= n;) {
				clock_gettime(CLOCK_MONOTONIC, &now);
				if ((double)(now.tv_sec - t0.tv_sec) > seconds + 60)
					break; /* out of time: save it as it is */
				uint8_t cand[sizeof bytes];
				memcpy(cand, bytes, i);
				memcpy(cand + i, bytes + i + STEP, n - i - STEP);
				struct verdict cv;
				try_bytes(&fr, cand, n - STEP, &cv, NULL, NULL);
				if (cv.first == v.first && strcmp(cv.sig, v.sig) == 0) {
					memcpy(bytes, cand, n - STEP);
					n -= STEP;
				} else {
					i += STEP;
				}
			}
			char *report = NULL, *script = NULL;
			struct verdict fv;
			try_bytes(&fr, bytes, n, &fv, &report, &script);
			/* A real-time stack's scheduling noise (an ACK 5 ms late on
			 * a loaded machine) is not a divergence: what is saved
			 * happens every time, a timing difference three times more. */
			bool again_ok = fv.all && strcmp(fv.sig, v.sig) == 0;
			for (int k = 0; again_ok && k < (fv.first == CMP_BIT(CMP_TIMING) ? 3 : 1);
			     k++) {
				struct verdict rv;
				try_bytes(&fr, bytes, n, &rv, NULL, NULL);
				again_ok = strcmp(rv.sig, fv.sig) == 0;
			}
			if (!again_ok || !script) {
				noise++;
			} else if (already_saved(out_dir, fv.sig)) {
				again++;
			} else {
				char names[160], path[4096];
				cmp_class_list(fv.first, names, sizeof names);
				for (char *p = names; *p; p++)
					if (*p == ' ' || *p == ',' || *p == '/')
						*p = '-';
				snprintf(path, sizeof path, "%s/%s-%08x.pkt", out_dir, names,
				         fnv(script));
				FILE *f = fopen(path, "wx");
				if (f) {
					fprintf(f, "%s", script);
					fprintf(f,
					        "\n// synack compare --stacks %s,%s --fuzz (seed "
					        "%llu):\n" SIG_PREFIX "%s\n",
					        st[0].spec, st[1].spec,
					        (unsigned long long)used_seed, fv.sig);
					for (char *line = strtok(report, "\n"); line;
					     line = strtok(NULL, "\n")) {
						size_t l = strlen(line);
						while (l && line[l - 1] == ' ')
							l--;
						fprintf(f, "// %.*s\n", (int)l, line);
					}
					fclose(f);
					found++;
					fprintf(stderr, "divergence: %s\n", path);
				}
			}
			free(report);
			free(script);
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9 <
	         seconds);
	unlink(tmp);
	printf("synack compare --fuzz: %d scripts (seed %llu), %d new divergence%s saved under %s"
	       " (%d found again, %d not reproduced)\n",
	       runs, (unsigned long long)used_seed, found, found == 1 ? "" : "s", out_dir, again,
	       noise);
	if (faults)
		printf("synack compare --fuzz: %d new way%s a stack broke its own invariant, saved "
		       "as fault-*.pkt (a bug in that stack)\n",
		       faults, faults == 1 ? "" : "s");
	if (slack)
		printf("synack compare --fuzz: %d of the %d scripts differed only as the kernel's "
		       "timer slack explains (engine:linux-late did what the kernel did)\n",
		       slack, runs);
	if (zero_time)
		printf(
		    "synack compare --fuzz: %d of the %d scripts differed only at zero-time steps "
		    "(a millisecond before each inbound packet that came at once, and the stacks "
		    "agree)\n",
		    zero_time, runs);
	if (skipped)
		printf(
		    "synack compare --fuzz: %d of the %d scripts not comparable (a stack skipped "
		    "them or could not run them: a so: library without the command extension "
		    "cannot take their sysctls)\n",
		    skipped, runs);
	return 0;
}
