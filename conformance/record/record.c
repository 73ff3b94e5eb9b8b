/* synack record (record.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/compare.h"
#include "record/record.h"

struct line {
	const char *s;
	size_t n;
};

/* What the trace says about one script line. */
struct info {
	const struct run_event *ev;
	const struct run_obs *pkt;    /* the outbound packet it took */
	const struct run_obs *result; /* its call's final result */
	bool has_time;
	uint64_t time_us; /* when it ran (script-made) or was sent (outbound) */
	/* packets nobody expected, sent before this line ran */
	const struct run_obs **before;
	int n_before;
};

static void add_before(struct info *in, const struct run_obs *o)
{
	const struct run_obs **v = realloc(in->before, sizeof *v * (size_t)(in->n_before + 1));
	if (!v)
		return;
	in->before = v;
	in->before[in->n_before++] = o;
}

/* "+0", "+1.5", "+0.000250". A time is written no finer than the script's
 * tolerance makes useful: within it, 0; with a tolerance of 2 ms or more,
 * to the millisecond (a real stack's "+0.310822" is "+0.311"). */
static int64_t tol_us = 1;

static void fmt_rel(char *buf, size_t cap, int64_t us)
{
	if (us < 0 || us <= tol_us)
		us = 0;
	else if (tol_us >= 2000)
		us = (us + 500) / 1000 * 1000;
	snprintf(buf, cap, "+%lld.%06lld", (long long)(us / 1000000), (long long)(us % 1000000));
	char *p = buf + strlen(buf) - 1;
	while (*p == '0')
		*p-- = 0;
	if (*p == '.')
		*p = 0;
}

static void fmt_abs(char *buf, size_t cap, uint64_t us)
{
	fmt_rel(buf, cap, (int64_t)us);
	memmove(buf, buf + 1, strlen(buf));
}

/* The time token of a line: [tok, tok + tlen), then its whitespace up to
 * the event text at body. */
struct tok {
	size_t lead, tlen, width; /* leading blanks; token; token + blanks after */
	bool plain_rel, plain_abs;
	double value; /* seconds, plain forms only */
};

static struct tok time_token(const struct line *l)
{
	struct tok t = { 0 };
	size_t i = 0;
	while (i < l->n && (l->s[i] == ' ' || l->s[i] == '\t'))
		i++;
	t.lead = i;
	size_t j = i;
	while (j < l->n && l->s[j] != ' ' && l->s[j] != '\t')
		j++;
	t.tlen = j - i;
	size_t k = j;
	while (k < l->n && (l->s[k] == ' ' || l->s[k] == '\t'))
		k++;
	t.width = k - i;
	char tokbuf[64];
	snprintf(tokbuf, sizeof tokbuf, "%.*s", (int)(t.tlen < 63 ? t.tlen : 63), l->s + i);
	bool simple = t.tlen && !strstr(tokbuf, "...") && !strchr(tokbuf, '~') &&
	              strcspn(tokbuf, "0123456789.+") == 0;
	if (simple) {
		char *end;
		t.value = strtod(tokbuf + (tokbuf[0] == '+'), &end);
		simple = *end == 0;
	}
	t.plain_rel = simple && tokbuf[0] == '+';
	t.plain_abs = simple && tokbuf[0] != '+';
	return t;
}

/* "TOKEN" padded to `width` (at least one blank after). */
static void put_time(FILE *out, const char *lead, size_t nlead, const char *tok, size_t width)
{
	size_t n = strlen(tok);
	fprintf(out, "%.*s%s", (int)nlead, lead, tok);
	for (size_t k = n; k < width || k == n; k++)
		fputc(' ', out);
}

/* The body of a call line with its result replaced: "accept(3, ..., ...) = 4".
 * Keeps a trailing // comment. */
static void put_call(FILE *out, const struct line *l, size_t body, const char *result,
                     const char *observed)
{
	const char *s = l->s + body;
	size_t n = l->n - body;
	int depth = 0;
	size_t eq = n, comment = n;
	bool in_str = false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"')
			in_str = true;
		else if (c == '(' || c == '[' || c == '{')
			depth++;
		else if (c == ')' || c == ']' || c == '}')
			depth--;
		else if (c == '=' && depth == 0 && eq == n)
			eq = i;
		else if (c == '/' && i + 1 < n && s[i + 1] == '/' && depth == 0) {
			comment = i;
			break;
		}
	}
	if (eq == n) {
		fprintf(out, "%.*s\n", (int)n, s);
		return;
	}
	size_t keep = eq;
	while (keep && (s[keep - 1] == ' ' || s[keep - 1] == '\t'))
		keep--;
	/* The call as the stack answered it (a getsockopt value), when that
	 * differs from the call as written. */
	size_t call_end = 0;
	for (int d = 0; call_end < keep; call_end++) {
		if (s[call_end] == '(')
			d++;
		else if (s[call_end] == ')' && --d == 0) {
			call_end++;
			break;
		}
	}
	if (observed && (strlen(observed) != call_end || strncmp(observed, s, call_end) != 0))
		fprintf(out, "%s%.*s %s", observed, (int)(keep - call_end), s + call_end, result);
	else
		fprintf(out, "%.*s %s", (int)keep, s, result);
	if (comment < n)
		fprintf(out, "   %.*s", (int)(n - comment), s + comment);
	fputc('\n', out);
}

/* " = 4" / " = -1 EAGAIN (...)" at the end of a trace call text: the result. */
static const char *result_of(const struct run_obs *o)
{
	const char *eq = strstr(o->text, " = ");
	const char *last = NULL;
	while (eq) {
		last = eq;
		eq = strstr(eq + 1, " = ");
	}
	return last ? last + 1 : NULL;
}

/* A call whose result is a new descriptor. */
static bool returns_fd(const struct run_event *ev)
{
	static const char *const calls[] = { "socket", "accept", "accept4", "epoll_create",
		                             "epoll_create1" };
	if (ev->kind != RUN_EV_SYSCALL || !ev->sys.name)
		return false;
	for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++)
		if (strcmp(ev->sys.name, calls[i]) == 0)
			return true;
	return false;
}

int record_rewrite(const char *source, size_t len, const struct run_script *rs,
                   const struct run_result *res, FILE *out, struct record_stats *st)
{
	memset(st, 0, sizeof *st);
	/* Lines. */
	int nl = 0;
	for (size_t i = 0; i < len; i++)
		if (source[i] == '\n')
			nl++;
	nl++;
	struct line *lines = calloc((size_t)nl + 1, sizeof *lines);
	struct info *info = calloc((size_t)nl + 2, sizeof *info);
	if (!lines || !info) {
		free(lines);
		free(info);
		return -1;
	}
	int k = 1;
	const char *p = source, *end = source + len;
	while (p < end && k <= nl) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		size_t n = e ? (size_t)(e - p) : (size_t)(end - p);
		lines[k].s = p;
		lines[k].n = n;
		k++;
		p += n + (e ? 1 : 0);
	}
	nl = k - 1;
	for (int i = 0; i < rs->n_events; i++) {
		int l = rs->events[i].line;
		if (l >= 1 && l <= nl && !info[l].ev)
			info[l].ev = &rs->events[i];
	}
	/* What happened, line by line. */
	const struct run_trace *t = &res->trace;
	for (size_t i = 0; i < t->n; i++) {
		const struct run_obs *o = &t->v[i];
		int l = o->line;
		if (l >= 1 && l <= nl) {
			struct info *in = &info[l];
			if (o->kind == RUN_OBS_OUTBOUND && !in->pkt) {
				in->pkt = o;
				in->has_time = true;
				in->time_us = o->time_us;
			} else if (o->kind == RUN_OBS_SYSCALL || o->kind == RUN_OBS_RETURN) {
				if (o->kind == RUN_OBS_RETURN || !in->result)
					in->result = o;
			}
			if (o->kind != RUN_OBS_OUTBOUND && o->kind != RUN_OBS_RETURN &&
			    !in->has_time) {
				in->has_time = true;
				in->time_us = o->time_us;
			}
		} else if (o->kind == RUN_OBS_OUTBOUND) {
			/* Before the next line that ran; else at the end. */
			int next = nl + 1;
			for (size_t j = i + 1; j < t->n; j++)
				if (t->v[j].line >= 1 && t->v[j].line <= nl &&
				    t->v[j].kind != RUN_OBS_RETURN) {
					next = t->v[j].line;
					break;
				}
			add_before(&info[next], o);
		}
	}
	/* The script's descriptors: a call that returns one and has no number
	 * written gets the next after every number the script uses. */
	int next_fd = 3;
	for (int i = 0; i < rs->n_events; i++)
		if (returns_fd(&rs->events[i]) && !rs->events[i].sys.ret_any &&
		    rs->events[i].sys.ret >= next_fd)
			next_fd = (int)rs->events[i].sys.ret + 1;
	int64_t tolerance = rs->cfg.tolerance_usecs > 0 ? rs->cfg.tolerance_usecs : 1;
	tol_us = tolerance;
	/* Write. */
	bool changed = false;
	uint64_t prev = 0;
	struct tok style = { .width = 6 };
	for (int l = 1; l <= nl + 1; l++) {
		struct info *in = &info[l];
		const struct line *ln = l <= nl ? &lines[l] : NULL;
		if (in->ev)
			style = time_token(ln);
		for (int b = 0; b < in->n_before; b++) {
			const struct run_obs *o = in->before[b];
			char tok[40];
			fmt_rel(tok, sizeof tok, (int64_t)(o->time_us - prev));
			put_time(out, ln ? ln->s : "", ln && in->ev ? style.lead : 0, tok,
			         style.width);
			fprintf(out, "> %s\n", o->text);
			prev = o->time_us;
			changed = true;
			st->inserted++;
		}
		if (!ln)
			break;
		if (!in->ev) {
			fprintf(out, "%.*s\n", (int)ln->n, ln->s);
			continue;
		}
		struct tok tk = time_token(ln);
		size_t body = tk.lead + tk.width;
		bool outbound = in->ev->kind == RUN_EV_PACKET && in->ev->pkt.outbound;
		if (outbound && !in->pkt) {
			fprintf(out, "// record: not sent: %.*s\n", (int)(ln->n - tk.lead),
			        ln->s + tk.lead);
			changed = true;
			st->removed++;
			continue;
		}
		/* The time token. */
		char tok[64];
		snprintf(tok, sizeof tok, "%.*s", (int)(tk.tlen < 63 ? tk.tlen : 63),
		         ln->s + tk.lead);
		/* Within the tolerance (a real stack's few microseconds of latency)
		 * a time is kept as written: the script passes as it is. */
		int64_t slack = tolerance;
		if (in->has_time && (outbound || changed)) {
			int64_t delta = (int64_t)(in->time_us - prev);
			if (tk.plain_rel &&
			    llabs((long long)(tk.value * 1e6 + 0.5) - delta) > slack) {
				fmt_rel(tok, sizeof tok, delta);
				st->retimed++;
			} else if (tk.plain_abs && outbound &&
			           llabs((long long)(tk.value * 1e6 + 0.5) -
			                 (long long)in->time_us) > slack) {
				fmt_abs(tok, sizeof tok, in->time_us);
				st->retimed++;
			}
		}
		put_time(out, ln->s, tk.lead, tok, tk.width);
		if (outbound) {
			fprintf(out, "> %s\n", in->pkt->text);
			st->replaced++;
		} else if (in->ev->kind == RUN_EV_SYSCALL && in->result && result_of(in->result) &&
		           !strstr(in->result->text, "(blocked)")) {
			const char *r = result_of(in->result);
			const char *raw = r;
			char fdres[32];
			if (returns_fd(in->ev) && r[0] == '=' && r[1] == ' ' && r[2] >= '0' &&
			    r[2] <= '9') {
				/* The stack's own descriptor number (Linux: 6) is not the
				 * script's: the script's as written, else the next one. */
				int fd = !in->ev->sys.ret_any && in->ev->sys.ret >= 0
				             ? (int)in->ev->sys.ret
				             : next_fd++;
				snprintf(fdres, sizeof fdres, "= %d", fd);
				r = fdres;
			}
			struct line body_line = { ln->s, ln->n };
			size_t before = (size_t)ftell(out);
			char observed[256];
			snprintf(observed, sizeof observed, "%.*s",
			         (int)(raw - 1 - in->result->text), in->result->text);
			put_call(out, &body_line, body, r, observed);
			bool same_call = strncmp(observed, ln->s + body, strlen(observed)) == 0;
			(void)before;
			if (!same_call || !strstr(ln->s + body, r) ||
			    (size_t)(strstr(ln->s + body, r) - ln->s) > ln->n)
				st->results++;
		} else {
			fprintf(out, "%.*s\n", (int)(ln->n - body), ln->s + body);
		}
		if (in->has_time)
			prev = in->time_us;
		changed = false;
	}
	for (int l = 0; l <= nl + 1; l++)
		free(info[l].before);
	free(info);
	free(lines);
	return 0;
}

static const char usage[] =
    "usage: synack record --stack STACK [-o OUT | -i] [-D NAME=VALUE] [--OPTION=VALUE] SCRIPT\n"
    "\n"
    "Runs SCRIPT on STACK (as `synack compare` names stacks) to its end and\n"
    "writes it back with what the stack did: outbound lines become the packets\n"
    "the stack sent, packets no line expected are inserted where they happened,\n"
    "lines whose packet never came are commented out, and call results are the\n"
    "observed ones. Comments and layout are kept. Output: stdout, OUT, or the\n"
    "script itself (-i).\n";

int record_main(int argc, char **argv)
{
	const char *stack = "engine", *out_path = NULL;
	bool in_place = false;
	struct script_load_opts lo = { 0 };
	static char names[64][64];
	int i = 1;
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i];
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if (strcmp(a, "--stack") == 0 && next) {
			stack = argv[++i];
		} else if (strncmp(a, "--stack=", 8) == 0) {
			stack = a + 8;
		} else if (strcmp(a, "-o") == 0 && next) {
			out_path = argv[++i];
		} else if (strcmp(a, "-i") == 0 || strcmp(a, "--in-place") == 0) {
			in_place = true;
		} else if (strcmp(a, "-D") == 0 && next) {
			if (lo.n_defines < 64)
				lo.defines[lo.n_defines++] = argv[++i];
		} else if (strncmp(a, "-D", 2) == 0 && a[2]) {
			if (lo.n_defines < 64)
				lo.defines[lo.n_defines++] = a + 2;
		} else if (strncmp(a, "--", 2) == 0 && strchr(a, '=') && lo.n_overrides < 64) {
			const char *eq = strchr(a, '=');
			int n = lo.n_overrides++;
			snprintf(names[n], sizeof names[n], "%.*s", (int)(eq - a - 2), a + 2);
			lo.overrides[n][0] = names[n];
			lo.overrides[n][1] = eq + 1;
		} else {
			fprintf(stderr, "synack record: unknown option %s\n\n%s", a, usage);
			return 2;
		}
	}
	if (i != argc - 1) {
		fprintf(stderr, "synack record: one script\n\n%s", usage);
		return 2;
	}
	const char *path = argv[i];
	struct cmp_stack st;
	char why[300];
	if (cmp_stack_parse(stack, &st, why, sizeof why) < 0) {
		fprintf(stderr, "synack record: %s\n", why);
		return 2;
	}
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "synack record: %s: %s\n", path, strerror(errno));
		return 2;
	}
	char *src = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&src, &len);
	char buf[4096];
	size_t n;
	while (m && (n = fread(buf, 1, sizeof buf, f)) > 0)
		fwrite(buf, 1, n, m);
	fclose(f);
	if (!m)
		return 2;
	fclose(m);
	struct run_script rs;
	char *msg = NULL;
	if (script_load(path, &lo, &rs, &msg) < 0) {
		fprintf(stderr, "%s", msg ? msg : "synack record: cannot load\n");
		free(msg);
		free(src);
		return 2;
	}
	free(msg);
	struct run_result res;
	cmp_run(&rs, &st, &res);
	int rc = 0;
	if (res.status == RUN_SKIP) {
		fprintf(stderr, "synack record: %s: skipped: %s\n", path, res.skip_reason);
		rc = 1;
	} else if (!res.trace.n) {
		fprintf(stderr, "synack record: %s: %s\n", path, res.fail.message);
		rc = 1;
	} else {
		char *outbuf = NULL;
		size_t outlen = 0;
		FILE *o = open_memstream(&outbuf, &outlen);
		struct record_stats rst;
		if (!o || record_rewrite(src, len, &rs, &res, o, &rst) < 0) {
			rc = 2;
			if (o)
				fclose(o);
		} else {
			fclose(o);
			/* A source without a final newline keeps none. */
			if (len && src[len - 1] != '\n' && outlen && outbuf[outlen - 1] == '\n')
				outlen--;
			const char *dest = in_place ? path : out_path;
			FILE *w = dest ? fopen(dest, "w") : stdout;
			if (!w) {
				fprintf(stderr, "synack record: %s: %s\n", dest, strerror(errno));
				rc = 2;
			} else {
				fwrite(outbuf, 1, outlen, w);
				if (dest)
					fclose(w);
				fprintf(stderr,
				        "synack record: %s on %s: %d outbound line%s written, %d "
				        "inserted, %d commented out, %d result%s, %d time%s\n",
				        path, st.spec, rst.replaced, rst.replaced == 1 ? "" : "s",
				        rst.inserted, rst.removed, rst.results,
				        rst.results == 1 ? "" : "s", rst.retimed,
				        rst.retimed == 1 ? "" : "s");
			}
		}
		free(outbuf);
	}
	run_result_free(&res);
	run_script_free(&rs);
	free(src);
	return rc;
}
