/* docs/writing-scripts.md, run: the tutorial's script is put together from
 * its ```pkt blocks, every ```console block's synack command is run on the
 * version it names and its output compared with the one on the page, and the
 * last version must be the corpus script itself.
 *
 *   ```pkt A B ...   lines appended to versions A, B, ... in page order
 *   ```pkt A=B       A is a copy of B; each line replaces B's line for the same event
 *   ```console STACK VERSION
 *                    "$ build/plain/bin/synack ARGS" lines are run (with this
 *                    variant's CLI, in a scratch directory holding VERSION at the
 *                    script path the command names); the rest is the expected
 *                    output. STACK linux runs only as root; its times are not
 *                    compared. Wall-clock times are never compared.
 */
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CORPUS_SCRIPT "conformance/scripts/close/reply-then-close.pkt"

struct version {
	char name[32];
	char *text;
};

static struct version versions[16];
static int n_versions;

static struct version *version(const char *name, bool create)
{
	for (int i = 0; i < n_versions; i++)
		if (strcmp(versions[i].name, name) == 0)
			return &versions[i];
	if (!create || n_versions == 16)
		return NULL;
	struct version *v = &versions[n_versions++];
	snprintf(v->name, sizeof v->name, "%s", name);
	v->text = strdup("");
	return v;
}

static char *append(char *s, const char *add, size_t n)
{
	size_t len = strlen(s);
	s = realloc(s, len + n + 1);
	if (!s)
		abort();
	memcpy(s + len, add, n);
	s[len + n] = 0;
	return s;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *s = strdup("");
	char buf[4096];
	size_t r;
	while ((r = fread(buf, 1, sizeof buf, f)) > 0)
		s = append(s, buf, r);
	fclose(f);
	return s;
}

/* The event part of a script line: what follows the time column. */
static const char *event_of(const char *line)
{
	const char *p = line;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* "+0~+.05 > . 1:1(0) ack 12" replaces the line of v whose event is "> . 1:1(0) ack 12". */
static bool replace_line(struct version *v, const char *line)
{
	const char *ev = event_of(line);
	char *out = strdup("");
	int hits = 0;
	for (const char *p = v->text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *cur = strndup(p, n);
		if (*ev && strcmp(event_of(cur), ev) == 0 && cur[0] != '/') {
			out = append(out, line, strlen(line));
			hits++;
		} else {
			out = append(out, cur, n);
		}
		free(cur);
		out = append(out, "\n", nl ? 1 : 0);
		p += n + (nl ? 1 : 0);
	}
	free(v->text);
	v->text = out;
	return hits == 1;
}

/* Wall-clock times ("0.620 ms wall") always; with all_times every decimal
 * fraction (Linux runs in real time). */
static char *mask(const char *s, bool all_times)
{
	char *out = strdup("");
	for (const char *p = s; *p;) {
		const char *q = p;
		while (*q >= '0' && *q <= '9')
			q++;
		if (q > p && *q == '.' && q[1] >= '0' && q[1] <= '9' &&
		    (p == s || !((p[-1] >= '0' && p[-1] <= '9') || p[-1] == '.'))) {
			const char *r = q + 1;
			while (*r >= '0' && *r <= '9')
				r++;
			if (all_times || strncmp(r, " ms wall", 8) == 0) {
				out = append(out, "#", 1);
				p = r;
				continue;
			}
		}
		out = append(out, p, 1);
		p++;
	}
	return out;
}

/* Runs argv in dir; stdout and stderr together, "note:" lines dropped. */
static char *run(const char *dir, char **argv)
{
	int fd[2];
	if (pipe(fd) < 0)
		return NULL;
	pid_t pid = fork();
	if (pid < 0)
		return NULL;
	if (pid == 0) {
		dup2(fd[1], 1);
		dup2(fd[1], 2);
		close(fd[0]);
		close(fd[1]);
		if (chdir(dir) < 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fd[1]);
	char *out = strdup("");
	char buf[4096];
	ssize_t r;
	while ((r = read(fd[0], buf, sizeof buf)) > 0 || (r < 0 && errno == EINTR))
		if (r > 0)
			out = append(out, buf, (size_t)r);
	close(fd[0]);
	int st;
	waitpid(pid, &st, 0);
	char *kept = strdup("");
	for (const char *p = out; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
		if (strncmp(p, "note:", 5) != 0)
			kept = append(kept, p, n);
		p += n;
	}
	free(out);
	return kept;
}

static bool write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return false;
	fputs(text, f);
	return fclose(f) == 0;
}

static bool mkdirs(const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof buf, "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return false;
		*p = '/';
	}
	return mkdir(buf, 0755) == 0 || errno == EEXIST;
}

static void report_diff(const char *exp, const char *got)
{
	tap_diag("expected:\n%s", exp);
	tap_diag("got:\n%s", got);
}

/* One ```console block: its commands run, their output compared. */
static void console_block(const char *tmp, const char *stack, const char *vname, const char *body)
{
	struct version *v = version(vname, false);
	if (!v) {
		fail("console %s %s: no version '%s' before it", stack, vname, vname);
		return;
	}
	bool linux_stack = strcmp(stack, "linux") == 0;
	if (linux_stack && geteuid() != 0) {
		tap_skip(1, "console %s %s: the Linux stack needs root", stack, vname);
		return;
	}
	char *expected = strdup("");
	char *cmd = NULL;
	for (const char *p = body; *p;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		if (strncmp(p, "$ build/plain/bin/synack ", 25) == 0) {
			free(cmd);
			cmd = strndup(p + 25, n - 25);
		} else if (p[0] != '$') {
			expected = append(expected, p, n);
			expected = append(expected, "\n", 1);
		}
		p += n + (nl ? 1 : 0);
	}
	if (!cmd) {
		fail("console %s %s: no synack command", stack, vname);
		free(expected);
		return;
	}
	char *argv[32];
	int argc = 0;
	argv[argc++] = (char *)SYNACK_BUILD_DIR "/bin/synack";
	for (char *tok = strtok(cmd, " "); tok && argc < 31; tok = strtok(NULL, " "))
		argv[argc++] = tok;
	argv[argc] = NULL;
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", tmp, argv[argc - 1]);
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", path);
	*strrchr(dir, '/') = 0;
	if (!mkdirs(dir) || !write_file(path, v->text)) {
		fail("console %s %s: cannot write %s", stack, vname, path);
		free(cmd);
		free(expected);
		return;
	}
	char *want = mask(expected, linux_stack);
	bool same = false;
	char *got = NULL;
	/* Linux runs in real time on a shared machine: one retry for load. */
	for (int attempt = 0; attempt < (linux_stack ? 2 : 1) && !same; attempt++) {
		free(got);
		char *raw = run(tmp, argv);
		got = mask(raw ? raw : "", linux_stack);
		free(raw);
		same = strcmp(got, want) == 0;
	}
	if (linux_stack && strncmp(got, "SKIP", 4) == 0)
		tap_skip(1, "console %s %s: Linux stack unavailable here", stack, vname);
	else if (!ok(same, "console %s %s: synack %s prints what the page shows", stack, vname,
	             argv[1]))
		report_diff(want, got);
	free(got);
	free(want);
	free(cmd);
	free(expected);
}

int main(void)
{
	char *doc = slurp(SYNACK_SOURCE_DIR "/docs/writing-scripts.md");
	if (!doc)
		tap_bail("cannot read docs/writing-scripts.md");
	char tmpl[] = "/tmp/synack-tutorial-XXXXXX";
	char *tmp = mkdtemp(tmpl);
	if (!tmp)
		tap_bail("mkdtemp: %s", strerror(errno));

	int pkt_blocks = 0, console_blocks = 0;
	bool in_block = false;
	char info[256] = "";
	char *body = NULL;
	for (char *p = doc; *p;) {
		char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *line = strndup(p, n);
		p += n + (nl ? 1 : 0);
		if (!in_block && strncmp(line, "```", 3) == 0 && line[3]) {
			in_block = true;
			snprintf(info, sizeof info, "%s", line + 3);
			body = strdup("");
		} else if (in_block && strcmp(line, "```") == 0) {
			in_block = false;
			char *words[8];
			int nw = 0;
			for (char *tok = strtok(info, " "); tok && nw < 8; tok = strtok(NULL, " "))
				words[nw++] = tok;
			if (nw >= 2 && strcmp(words[0], "pkt") == 0) {
				pkt_blocks++;
				char *eq = strchr(words[1], '=');
				if (eq && nw == 2) {
					*eq = 0;
					struct version *base = version(eq + 1, false);
					struct version *v = version(words[1], true);
					bool good = base && v;
					if (good) {
						free(v->text);
						v->text = strdup(base->text);
						for (char *l = strtok(body, "\n"); l;
						     l = strtok(NULL, "\n"))
							good &= replace_line(v, l);
					}
					ok(good, "pkt %s=%s: each line replaces one event of %s",
					   words[1], eq + 1, eq + 1);
				} else {
					for (int i = 1; i < nw; i++) {
						struct version *v = version(words[i], true);
						if (v)
							v->text =
							    append(v->text, body, strlen(body));
					}
				}
			} else if (nw == 3 && strcmp(words[0], "console") == 0) {
				console_blocks++;
				console_block(tmp, words[1], words[2], body);
			}
			free(body);
			body = NULL;
		} else if (in_block) {
			body = append(body, line, n);
			body = append(body, "\n", 1);
		}
		free(line);
	}
	free(body);
	ok(pkt_blocks >= 4, "%d ```pkt blocks", pkt_blocks);
	ok(console_blocks >= 5, "%d ```console blocks", console_blocks);

	struct version *final = version("final", false);
	char *corpus = slurp(SYNACK_SOURCE_DIR "/" CORPUS_SCRIPT);
	if (!ok(final && corpus && strcmp(final->text, corpus) == 0,
	        "version final is %s, byte for byte", CORPUS_SCRIPT) &&
	    final && corpus)
		report_diff(corpus, final->text);
	free(corpus);

	/* Clean up the scratch tree. */
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", tmp, CORPUS_SCRIPT);
	unlink(path);
	const char *dirs[] = { "/conformance/scripts/close", "/conformance/scripts", "/conformance",
		               "" };
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof path, "%s%s", tmp, dirs[i]);
		rmdir(path);
	}
	for (int i = 0; i < n_versions; i++)
		free(versions[i].text);
	free(doc);
	return tap_done();
}
