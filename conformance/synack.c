/* synack: run packetdrill-language scripts against a stack.
 *
 *   synack run [options] SCRIPT|DIR...   run scripts, print results (TAP with --tap)
 *   synack check SCRIPT...               parse only
 *   synack list DIR...                   scripts with their @requirement and @stacks
 *   synack list --requirements DIR...    the coverage document (docs/coverage.md)
 *
 * Exit status: 0 every script passed (or was skipped), 1 a script failed,
 * 2 usage error or a script that does not parse.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compare/compare.h"
#include "record/record.h"
#include "run/coverage.h"
#include "run/load.h"
#include "run/pcap_writer.h"
#include "run/report.h"
#include "run/run.h"
#include "run/tap_writer.h"
#include "stacks/stack.h"

#define EXIT_PASS  0
#define EXIT_FAILS 1
#define EXIT_USAGE 2

static const char usage[] =
    "usage: synack run [--stack STACK] [--tap] [-v] [-j N]\n"
    "                  [--pcap FILE|DIR] [--timeout SECONDS] [--tolerance_usecs N]\n"
    "                  [--unsupported=fail|skip]\n"
    "                  [-D NAME=VALUE] [--OPTION=VALUE] SCRIPT|DIR...\n"
    "       synack compare --stacks A,B [--tap] [--ignore CLASSES] SCRIPT|DIR...\n"
    "       synack compare --stacks A,B --fuzz SECONDS [--seed N] [--out DIR]\n"
    "       synack record --stack STACK [-o OUT | -i] SCRIPT\n"
    "       synack check SCRIPT|DIR...\n"
    "       synack list [--requirements [--table FILE]] DIR...\n"
    "       synack list --longest-first [--stack S] SCRIPT|DIR...\n"
    "       synack --help\n"
    "\n"
    "run     runs each script (directories are searched for *.pkt, recursively)\n"
    "        against the stack: engine (the synack engine in virtual time, Linux\n"
    "        profile), engine:rfc (RFC defaults), linux (the host kernel in a\n"
    "        private network namespace; needs root), linux:CC (linux:reno),\n"
    "        linux:SYSCTL=VALUE, so:/path/lib.so (packetdrill's shared-object\n"
    "        interface), any of them +SYSCTL=VALUE. Without --tap, a line per\n"
    "        script and a readable report for each failure; with --tap, TAP version\n"
    "        13, one test point per script (-v adds a subtest per event).\n"
    "        --pcap FILE writes the observed packets of a single script; --pcap DIR\n"
    "        writes DIR/NAME.pcap per script, NAME its path below the scripts'\n"
    "        common directory with / as __ (handshake__passive-open.pcap).\n"
    "        --timeout bounds each script's wall time (default 60 s). -j N runs N\n"
    "        scripts at once (default: the number of cores; separate processes,\n"
    "        longest script first; output stays in script order).\n"
    "        --unsupported=skip reports a script that uses something the stack\n"
    "        cannot run as a TAP SKIP instead of a failure.\n"
    "        Any other --OPTION=VALUE is a script header\n"
    "        option (--tolerance_usecs, --tolerance_percent, --ip_version, ...),\n"
    "        and wins over the script's own header. Two of them run packetdrill's\n"
    "        own corpus (kernel selftests, gtests) as packetdrill does:\n"
    "        --segments=tso (a line per TSO/GSO skb, not per wire segment; linux\n"
    "        stack only) and --outbound=packetdrill (outbound packets are read only\n"
    "        by > lines, in order, never after the last one; default strict: any\n"
    "        packet no line accounts for fails the script). With --segments=tso,\n"
    "        consecutive outbound packets are joined until they reach a > line's\n"
    "        payload, as packetdrill does; --strict_segments turns that off.\n"
    "compare runs each script on two stacks and prints the classified differences\n"
    "        side by side (`synack compare --help`; docs/compare.md)\n"
    "record  runs a script and writes it back with what the stack sent and\n"
    "        returned filled in (`synack record --help`; docs/record.md)\n"
    "check   parses only: diagnostics as file:line:col: error: ...\n"
    "list    prints each script with its // @requirement: and // @stacks: lines.\n"
    "        --requirements prints the coverage document instead (Markdown, as\n"
    "        docs/coverage.md): every RFC 9293 MUST/SHLD of the table (--table,\n"
    "        default conformance/requirements/rfc9293.txt in the source tree) with\n"
    "        the scripts citing it, then the other citations grouped. Exits 1\n"
    "        when a script has no purpose line, @requirement or @stacks, or cites\n"
    "        an RFC 9293 ID the table does not have (each problem on stderr).\n"
    "        --longest-first prints paths only, longest script time first (scripts\n"
    "        not for --stack last), the order run -j starts them in.\n"
    "\n"
    "exit status: 0 all scripts passed (skips count as passes), 1 a script failed,\n"
    "2 usage error or a script that does not parse.\n";

struct opts {
	const char *stack;
	bool tap, verbose;
	int jobs;              /* -j N: scripts run in N processes at once */
	bool unsupported_skip; /* --unsupported=skip: unsupported is a SKIP, not a failure */
	bool longest_first;    /* list --longest-first: paths only, longest script first */
	const char *pcap;
	bool requirements;            /* list --requirements */
	const char *table;            /* list --table FILE */
	struct script_load_opts load; /* -D, --name=value header options */
};

/* ---- scripts ------------------------------------------------------------------- */

struct paths {
	char **v;
	size_t n;
};

/* packetdrill's options that take no value (config.c there). */
static bool flag_option(const char *name)
{
	static const char *const flags[] = { "strict_segments", "dry_run",          "debug",
		                             "wire_client",     "wire_server",      "is_anyip",
		                             "send_omit_free",  "tcp_ts_ecr_scaled" };
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
		if (strcmp(name, flags[i]) == 0)
			return true;
	return false;
}

static int load(const char *path, const struct opts *o, struct run_script *rs, char **msg)
{
	return script_load(path, &o->load, rs, msg);
}

static void unload(struct run_script *rs)
{
	run_script_free(rs);
}

/* ---- run ---------------------------------------------------------------------------- */

static void on_alarm(int sig)
{
	(void)sig;
	static const char msg[] = "Bail out! synack: a script exceeded its wall-clock limit\n";
	if (write(STDOUT_FILENO, msg, sizeof msg - 1) < 0) {
		/* nothing more to do: we are leaving */
	}
	_exit(EXIT_FAILS);
}

static void human_result(FILE *f, const char *path, const struct run_result *r, const char *todo)
{
	/* One "note:" line per line of the stack's notes (the Linux stack's
	 * jitter line follows a sysctl fallback note, say). */
	for (const char *p = r->notes; *p;) {
		size_t n = strcspn(p, "\n");
		if (n)
			fprintf(f, "note: %s: %.*s\n", path, (int)n, p);
		p += n + (p[n] == '\n');
	}
	switch (r->status) {
	case RUN_PASS:
		fprintf(f, "PASS %s (%.3f s script time, %.3f ms wall)%s%s\n", path,
		        (double)r->end_us / 1e6, r->wall_s * 1e3, todo ? " TODO " : "",
		        todo ? todo : "");
		break;
	case RUN_SKIP:
		fprintf(f, "SKIP %s: %s\n", path, r->skip_reason);
		break;
	case RUN_FAIL:
		fprintf(f, "FAIL %s%s%s\n", path, todo ? " TODO " : "", todo ? todo : "");
		run_report_human(f, r);
		break;
	}
}

struct run_ctx {
	const struct opts *o;
	struct cmp_stack st; /* --stack, as compare and record name stacks */
	bool pcap_dir;
	char **pcap_names; /* --pcap DIR: one unique file name per script */
};

/* Runs one script and prints its result (TAP point number i + 1) on
 * stdout. Returns its exit status. */
static int run_one(const struct run_ctx *x, size_t i, const char *path)
{
	const struct opts *o = x->o;
	struct run_script rs;
	char *msg = NULL;
	if (load(path, o, &rs, &msg) < 0) {
		bool unsupported = strstr(msg, "unsupported: ") != NULL;
		if (unsupported && o->unsupported_skip) {
			/* The first line is file:line:col: unsupported: what. */
			char reason[256];
			snprintf(reason, sizeof reason, "%.*s", (int)strcspn(msg, "\n"), msg);
			if (o->tap)
				printf("ok %zu - %s # SKIP %s\n", i + 1, path, reason);
			else
				printf("SKIP %s: %s\n", path, reason);
			free(msg);
			return EXIT_PASS;
		}
		if (o->tap)
			run_tap_error_point(stdout, (int)i + 1, path, msg);
		else
			printf("ERROR %s\n%s", path, msg);
		free(msg);
		return unsupported ? EXIT_FAILS : EXIT_USAGE;
	}
	free(msg);
	struct run_result r;
	const char *todo = run_script_divergence(&rs, x->st.name);
	if (!run_script_for_stack(&rs, x->st.name)) {
		memset(&r, 0, sizeof r);
		r.status = RUN_SKIP;
		snprintf(r.skip_reason, sizeof r.skip_reason, "not for this stack");
	} else if (!run_script_for_ip_version(&rs, rs.cfg.ip_version)) {
		memset(&r, 0, sizeof r);
		r.status = RUN_SKIP;
		snprintf(r.skip_reason, sizeof r.skip_reason, "not for %s (@ip_versions: %s)",
		         run_ip_version_name(rs.cfg.ip_version), rs.ip_versions);
	} else {
		/* A watchdog over the executor's own wall-clock checks, for a
		 * stack call that never returns. */
		alarm((unsigned)rs.cfg.timeout_s + 10);
		cmp_run_opts(&rs, &x->st, NULL, &r);
		alarm(0);
	}
	if (r.status == RUN_FAIL && o->unsupported_skip &&
	    strncmp(r.fail.message, "unsupported:", 12) == 0) {
		char reason[sizeof r.skip_reason];
		if (r.fail.line)
			snprintf(reason, sizeof reason, "%d:%d: %.200s", r.fail.line, r.fail.col,
			         r.fail.message);
		else
			snprintf(reason, sizeof reason, "%.230s", r.fail.message);
		r.status = RUN_SKIP;
		snprintf(r.skip_reason, sizeof r.skip_reason, "%s", reason);
	}
	if (o->pcap && r.trace.n) {
		char file[4096], err[300];
		if (x->pcap_dir && x->pcap_names)
			snprintf(file, sizeof file, "%s/%s", o->pcap, x->pcap_names[i]);
		else if (x->pcap_dir)
			run_pcap_path_for(o->pcap, path, file, sizeof file);
		else
			snprintf(file, sizeof file, "%s", o->pcap);
		if (run_pcap_write(file, &r.trace, err, sizeof err) < 0)
			fprintf(stderr, "synack: %s\n", err);
	}
	if (o->tap) {
		run_tap_point(stdout, (int)i + 1, path, &r, todo, o->verbose);
		if (o->verbose && r.status != RUN_SKIP)
			printf("# %.6f s script time, %.3f ms wall\n", (double)r.end_us / 1e6,
			       r.wall_s * 1e3);
		/* prove shows a failure's YAML only with -v, but passes stderr
		 * through: a failing script's report there too, so a CI log
		 * says why without a rerun. */
		if (r.status == RUN_FAIL && !todo) {
			fflush(stdout);
			human_result(stderr, path, &r, todo);
		}
	} else {
		human_result(stdout, path, &r, todo);
	}
	int status = r.status == RUN_FAIL && !todo ? EXIT_FAILS : EXIT_PASS;
	run_result_free(&r);
	unload(&rs);
	fflush(stdout);
	return status;
}

static int worse(int a, int b)
{
	return a == EXIT_USAGE || b == EXIT_USAGE ? EXIT_USAGE : a > b ? a : b;
}

struct by_length {
	size_t i;
	int64_t us;
};

static int cmp_longest(const void *a, const void *b)
{
	const struct by_length *x = a, *y = b;
	if (x->us != y->us)
		return x->us > y->us ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* The order to start scripts in: longest first (script time as written), so
 * a 60 s TIME_WAIT script found last does not run alone at the end; equal
 * lengths in script order. Scripts that do not load or are not for this
 * stack count as 0. */
static size_t *longest_first(const struct opts *o, const struct paths *scripts)
{
	struct by_length *v = calloc(scripts->n, sizeof *v);
	size_t *order = calloc(scripts->n, sizeof *order);
	if (!v || !order)
		abort();
	for (size_t i = 0; i < scripts->n; i++) {
		struct run_script rs;
		char *msg = NULL;
		v[i].i = i;
		if (load(scripts->v[i], o, &rs, &msg) == 0) {
			if (run_script_for_stack(&rs, o->stack) &&
			    run_script_for_ip_version(&rs, rs.cfg.ip_version))
				v[i].us = run_script_duration_us(&rs);
			unload(&rs);
		}
		free(msg);
	}
	qsort(v, scripts->n, sizeof *v, cmp_longest);
	for (size_t i = 0; i < scripts->n; i++)
		order[i] = v[i].i;
	free(v);
	return order;
}

/* -j N: each script in a child process with stdout on a pipe, the longest
 * started first; results are printed in script order, so the TAP stream
 * reads the same as -j 1. */
static int run_parallel(const struct run_ctx *x, struct paths *scripts, int jobs)
{
	size_t n = scripts->n, started = 0, printed = 0;
	size_t *order = longest_first(x->o, scripts);
	struct child {
		pid_t pid;
		int fd;
		char *buf;
		size_t len, cap;
		bool done;
		int status;
	} *c = calloc(n, sizeof *c);
	int running = 0, status = EXIT_PASS;
	if (!c) {
		free(order);
		return EXIT_USAGE;
	}
	for (size_t k = 0; k < n; k++)
		c[k].fd = -1;
	while (printed < n) {
		while (running < jobs && started < n) {
			size_t next = order[started];
			int p[2];
			if (pipe(p) < 0) {
				perror("synack: pipe");
				free(c);
				free(order);
				return EXIT_USAGE;
			}
			fflush(stdout);
			pid_t pid = fork();
			if (pid == 0) {
				close(p[0]);
				dup2(p[1], STDOUT_FILENO);
				close(p[1]);
				_exit(run_one(x, next, scripts->v[next]));
			}
			close(p[1]);
			if (pid < 0) {
				perror("synack: fork");
				close(p[0]);
				c[next].done = true;
				c[next].status = EXIT_USAGE;
				started++;
				continue;
			}
			c[next].pid = pid;
			c[next].fd = p[0];
			running++;
			started++;
		}
		struct pollfd pf[256] = { { 0 } };
		size_t idx[256] = { 0 };
		int npf = 0;
		for (size_t k = printed; k < n && npf < 256; k++)
			if (c[k].fd >= 0 && !c[k].done) {
				pf[npf].fd = c[k].fd;
				pf[npf].events = POLLIN;
				idx[npf++] = k;
			}
		if (npf && poll(pf, (nfds_t)npf, -1) < 0 && errno != EINTR)
			break;
		for (int k = 0; k < npf; k++) {
			struct child *ch = &c[idx[k]];
			if (!(pf[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (ch->len + 4096 > ch->cap) {
				ch->cap = ch->cap ? ch->cap * 2 : 8192;
				ch->buf = realloc(ch->buf, ch->cap);
				if (!ch->buf)
					abort();
			}
			ssize_t r = read(ch->fd, ch->buf + ch->len, ch->cap - ch->len);
			if (r > 0) {
				ch->len += (size_t)r;
				continue;
			}
			int ws = 0;
			close(ch->fd);
			ch->fd = -1;
			waitpid(ch->pid, &ws, 0);
			ch->done = true;
			ch->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : EXIT_FAILS;
			running--;
		}
		while (printed < n && c[printed].done) {
			fwrite(c[printed].buf, 1, c[printed].len, stdout);
			free(c[printed].buf);
			status = worse(status, c[printed].status);
			printed++;
		}
		fflush(stdout);
	}
	free(c);
	free(order);
	return status;
}

static int cmd_run(const struct opts *o, struct paths *scripts)
{
	struct run_ctx x = { .o = o };
	char why[300];
	if (cmp_stack_parse(o->stack, &x.st, why, sizeof why) < 0) {
		fprintf(stderr, "synack: %s\n", why);
		return EXIT_USAGE;
	}
	if (o->pcap) {
		struct stat st;
		x.pcap_dir = scripts->n > 1 || (stat(o->pcap, &st) == 0 && S_ISDIR(st.st_mode));
		if (x.pcap_dir && mkdir(o->pcap, 0777) < 0 && errno != EEXIST) {
			fprintf(stderr, "synack: %s: %s\n", o->pcap, strerror(errno));
			return EXIT_USAGE;
		}
		if (x.pcap_dir)
			x.pcap_names = run_pcap_names(scripts->v, scripts->n);
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	if (o->tap) {
		run_tap_header(stdout);
		run_tap_plan(stdout, (int)scripts->n);
	}
	int status = EXIT_PASS;
	int jobs = o->jobs;
	if (jobs <= 0) {
		/* Default: one script per core. */
		long cores = sysconf(_SC_NPROCESSORS_ONLN);
		jobs = cores > 0 ? (int)(cores < 64 ? cores : 64) : 1;
	}
	if (jobs > 256)
		jobs = 256; /* run_parallel polls at most 256 pipes */
	if (jobs > 1 && scripts->n > 1) {
		status = run_parallel(&x, scripts, jobs);
	} else {
		for (size_t i = 0; i < scripts->n; i++)
			status = worse(status, run_one(&x, i, scripts->v[i]));
	}
	run_pcap_names_free(x.pcap_names, scripts->n);
	return status;
}

static int cmd_check(const struct opts *o, struct paths *scripts)
{
	int status = EXIT_PASS;
	for (size_t i = 0; i < scripts->n; i++) {
		struct run_script rs;
		char *msg = NULL;
		if (load(scripts->v[i], o, &rs, &msg) < 0) {
			fputs(msg, stderr);
			status = EXIT_USAGE;
		} else {
			unload(&rs);
		}
		free(msg);
	}
	return status;
}

#ifndef SYNACK_SOURCE_DIR
#define SYNACK_SOURCE_DIR "."
#endif

static int cmd_requirements(const struct opts *o, struct paths *scripts)
{
	const char *path =
	    o->table ? o->table : SYNACK_SOURCE_DIR "/conformance/requirements/rfc9293.txt";
	struct cov_table t;
	char *err = NULL;
	if (cov_table_load(path, &t, &err) < 0) {
		fprintf(stderr, "synack: %s\n", err);
		free(err);
		return EXIT_USAGE;
	}
	struct cov_script *s = calloc(scripts->n ? scripts->n : 1, sizeof *s);
	if (!s)
		abort();
	size_t n = 0;
	int problems = 0;
	for (size_t i = 0; i < scripts->n; i++) {
		if (cov_script_load(scripts->v[i], &s[n]) < 0) {
			fprintf(stderr, "%s: cannot read\n", scripts->v[i]);
			problems++;
			continue;
		}
		n++;
	}
	problems += cov_check(&t, s, n, stderr);
	cov_write_markdown(stdout, &t, s, n, "../");
	for (size_t i = 0; i < n; i++)
		cov_script_free(&s[i]);
	free(s);
	cov_table_free(&t);
	if (problems)
		fprintf(stderr, "synack: list --requirements: %d problem%s\n", problems,
		        problems == 1 ? "" : "s");
	return problems ? EXIT_FAILS : EXIT_PASS;
}

static int cmd_list(const struct opts *o, struct paths *scripts)
{
	if (o->longest_first) {
		/* Paths only, in the order run -j starts them (for a
		 * parallel runner such as prove -j). */
		size_t *order = longest_first(o, scripts);
		for (size_t i = 0; i < scripts->n; i++)
			printf("%s\n", scripts->v[order[i]]);
		free(order);
		return EXIT_PASS;
	}
	for (size_t i = 0; i < scripts->n; i++) {
		FILE *f = fopen(scripts->v[i], "r");
		if (!f)
			continue;
		printf("%s\n", scripts->v[i]);
		char line[1024];
		bool purpose = false;
		while (fgets(line, sizeof line, f)) {
			const char *p = line + strspn(line, " \t");
			if (strncmp(p, "//", 2) != 0)
				continue;
			p += 2;
			p += strspn(p, " \t");
			/* The first comment line says what the script is for. */
			if (!purpose && *p != '@') {
				purpose = true;
				printf("    %s", p);
				continue;
			}
			if (strncmp(p, "@requirement:", 13) == 0 ||
			    strncmp(p, "@stacks:", 8) == 0 || strncmp(p, "@divergence:", 12) == 0 ||
			    strncmp(p, "@ip_versions:", 13) == 0)
				printf("    %s", p);
		}
		fclose(f);
	}
	return EXIT_PASS;
}

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_PASS;
	}
	if (strcmp(argv[1], "compare") == 0)
		return compare_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "record") == 0)
		return record_main(argc - 1, argv + 1);
	const char *cmd = argv[1];
	struct opts o = { .stack = "engine" };
	int i = 2;
	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i];
		const char *next = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		} else if (strcmp(a, "--tap") == 0) {
			o.tap = true;
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			o.verbose = true;
		} else if (strcmp(a, "--unsupported=skip") == 0 ||
		           strcmp(a, "--unsupported=fail") == 0) {
			o.unsupported_skip = a[14] == 's';
		} else if (strcmp(a, "--longest-first") == 0) {
			o.longest_first = true;
		} else if (strcmp(a, "-j") == 0 && next) {
			o.jobs = atoi(next);
			i++;
		} else if (strncmp(a, "-j", 2) == 0 && a[2] >= '0' && a[2] <= '9') {
			o.jobs = atoi(a + 2);
		} else if (strcmp(a, "--requirements") == 0) {
			o.requirements = true;
		} else if (strcmp(a, "--table") == 0 && next) {
			o.table = next;
			i++;
		} else if (strncmp(a, "--table=", 8) == 0) {
			o.table = a + 8;
		} else if (strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			return EXIT_PASS;
		} else if ((strcmp(a, "--stack") == 0 || strcmp(a, "--pcap") == 0 ||
		            strcmp(a, "-D") == 0 || strcmp(a, "--define") == 0) &&
		           next) {
			if (a[2] == 's')
				o.stack = next;
			else if (a[2] == 'p')
				o.pcap = next;
			else if (o.load.n_defines < 64)
				o.load.defines[o.load.n_defines++] = next;
			i++;
		} else if (strncmp(a, "--stack=", 8) == 0) {
			o.stack = a + 8;
		} else if (strncmp(a, "--pcap=", 7) == 0) {
			o.pcap = a + 7;
		} else if (strncmp(a, "-D", 2) == 0 && a[2]) {
			if (o.load.n_defines < 64)
				o.load.defines[o.load.n_defines++] = a + 2;
		} else if (strncmp(a, "--define=", 9) == 0) {
			if (o.load.n_defines < 64)
				o.load.defines[o.load.n_defines++] = a + 9;
		} else if (strncmp(a, "--", 2) == 0 && o.load.n_overrides < 64) {
			/* --name=value or --name value: a header option. */
			static char names[64][64];
			const char *eq = strchr(a, '=');
			size_t n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
			snprintf(names[o.load.n_overrides], sizeof names[0], "%.*s", (int)n, a + 2);
			o.load.overrides[o.load.n_overrides][0] = names[o.load.n_overrides];
			if (eq) {
				o.load.overrides[o.load.n_overrides][1] = eq + 1;
			} else if (flag_option(names[o.load.n_overrides])) {
				/* packetdrill's value-less flags: the next argument is
				 * not theirs (it may be the script). */
			} else if (next) {
				o.load.overrides[o.load.n_overrides][1] = next;
				i++;
			}
			o.load.n_overrides++;
		} else {
			fprintf(stderr, "synack: unknown option %s\n\n%s", a, usage);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "synack: %s: no scripts given\n\n%s", cmd, usage);
		return EXIT_USAGE;
	}
	o.load.verbose = o.verbose;
	char **found = NULL;
	int n_found = scripts_collect(argv + i, argc - i, &found);
	if (n_found < 0)
		return EXIT_USAGE;
	struct paths scripts = { found, (size_t)n_found };
	int rc;
	if (strcmp(cmd, "run") == 0) {
		rc = cmd_run(&o, &scripts);
	} else if (strcmp(cmd, "check") == 0) {
		rc = cmd_check(&o, &scripts);
	} else if (strcmp(cmd, "list") == 0) {
		rc = o.requirements ? cmd_requirements(&o, &scripts) : cmd_list(&o, &scripts);
	} else {
		fprintf(stderr, "synack: unknown command %s\n\n%s", cmd, usage);
		rc = EXIT_USAGE;
	}
	scripts_free(scripts.v, (int)scripts.n);
	return rc;
}
