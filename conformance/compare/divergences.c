/* The divergences file (compare.h): known, explained differences. */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/compare.h"

static int add(struct cmp_divs *d, const struct cmp_div *x)
{
	struct cmp_div *v = realloc(d->v, sizeof *v * (d->n + 1));
	if (!v)
		return -1;
	d->v = v;
	d->v[d->n++] = *x;
	return 0;
}

/* The next blank-separated word of *p into buf. */
static bool word(const char **p, char *buf, size_t cap)
{
	const char *s = *p + strspn(*p, " \t");
	size_t n = strcspn(s, " \t");
	if (!n)
		return false;
	snprintf(buf, cap, "%.*s", (int)n, s);
	*p = s + n;
	return true;
}

int cmp_div_parse(const char *name, const char *text, struct cmp_divs *out, char *why, size_t cap)
{
	memset(out, 0, sizeof *out);
	int line = 0;
	const char *p = text;
	while (*p) {
		line++;
		size_t len = strcspn(p, "\n");
		char buf[1024];
		snprintf(buf, sizeof buf, "%.*s", (int)len, p);
		p += len + (p[len] == '\n');
		char *hash = strchr(buf, '#');
		if (hash)
			*hash = 0;
		const char *q = buf;
		struct cmp_div d = { .line = line };
		char stacks[160], w[256];
		if (!word(&q, d.pattern, sizeof d.pattern))
			continue; /* blank or comment */
		if (!word(&q, stacks, sizeof stacks) || !strchr(stacks, ',')) {
			snprintf(why, cap, "%s:%d: expected SCRIPT-PATTERN STACK-A,STACK-B REASON",
			         name, line);
			cmp_div_free(out);
			return -1;
		}
		char *comma = strchr(stacks, ',');
		*comma = 0;
		snprintf(d.stack_a, sizeof d.stack_a, "%.63s", stacks);
		snprintf(d.stack_b, sizeof d.stack_b, "%.63s", comma + 1);
		const char *save = q;
		if (word(&q, w, sizeof w) && strncmp(w, "classes=", 8) == 0) {
			char e[200];
			if (cmp_class_parse(w + 8, &d.classes, e, sizeof e) < 0) {
				snprintf(why, cap, "%s:%d: %s", name, line, e);
				cmp_div_free(out);
				return -1;
			}
		} else {
			q = save;
		}
		q += strspn(q, " \t");
		snprintf(d.reason, sizeof d.reason, "%s", q);
		size_t rn = strlen(d.reason);
		while (rn && isspace((unsigned char)d.reason[rn - 1]))
			d.reason[--rn] = 0;
		if (!rn) {
			snprintf(why, cap, "%s:%d: a divergence needs a reason", name, line);
			cmp_div_free(out);
			return -1;
		}
		if (add(out, &d) < 0) {
			snprintf(why, cap, "out of memory");
			cmp_div_free(out);
			return -1;
		}
	}
	return 0;
}

int cmp_div_load(const char *path, struct cmp_divs *out, char *why, size_t cap)
{
	memset(out, 0, sizeof *out);
	FILE *f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		snprintf(why, cap, "%s: %s", path, strerror(errno));
		return -1;
	}
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	char buf[4096];
	size_t k;
	while (m && (k = fread(buf, 1, sizeof buf, f)) > 0)
		fwrite(buf, 1, k, m);
	fclose(f);
	if (!m)
		return -1;
	fclose(m);
	int rc = cmp_div_parse(path, text, out, why, cap);
	free(text);
	return rc;
}

void cmp_div_free(struct cmp_divs *d)
{
	free(d->v);
	d->v = NULL;
	d->n = 0;
}

static bool path_matches(const char *pattern, const char *path)
{
	for (const char *p = path; p; p = strchr(p, '/')) {
		if (*p == '/')
			p++;
		if (fnmatch(pattern, p, 0) == 0)
			return true;
	}
	return false;
}

const struct cmp_div *cmp_div_find(const struct cmp_divs *d, const char *script,
                                   const char *stack_a, const char *stack_b, unsigned classes)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct cmp_div *x = &d->v[i];
		if (!path_matches(x->pattern, script))
			continue;
		bool pair =
		    (fnmatch(x->stack_a, stack_a, 0) == 0 &&
		     fnmatch(x->stack_b, stack_b, 0) == 0) ||
		    (fnmatch(x->stack_a, stack_b, 0) == 0 && fnmatch(x->stack_b, stack_a, 0) == 0);
		if (!pair)
			continue;
		if (x->classes && (classes & ~x->classes))
			continue;
		return x;
	}
	return NULL;
}
