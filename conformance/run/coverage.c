/* Requirement coverage: script headers, the RFC 9293 table, docs/coverage.md. */
#include "run/coverage.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		abort();
	return p;
}

static char *xstrndup(const char *s, size_t n)
{
	char *d = xrealloc(NULL, n + 1);
	memcpy(d, s, n);
	d[n] = 0;
	return d;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *s = xrealloc(NULL, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* [b, e) without surrounding blanks */
static void trim(const char **b, const char **e)
{
	while (*b < *e && isspace((unsigned char)**b))
		(*b)++;
	while (*e > *b && isspace((unsigned char)(*e)[-1]))
		(*e)--;
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t n = 0, cap = 4096;
	char *buf = xrealloc(NULL, cap);
	size_t r;
	while ((r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (cap - n < 2)
			buf = xrealloc(buf, cap *= 2);
	}
	fclose(f);
	buf[n] = 0;
	return buf;
}

/* ---- the requirement table ------------------------------------------------------ */

static bool valid_id(const char *b, const char *e)
{
	size_t n = (size_t)(e - b);
	if (n < 6 || n > 8 || (strncmp(b, "MUST-", 5) != 0 && strncmp(b, "SHLD-", 5) != 0))
		return false;
	for (const char *p = b + 5; p < e; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return b[5] != '0';
}

int cov_table_parse(const char *text, struct cov_table *t, char **err)
{
	memset(t, 0, sizeof *t);
	int lineno = 0;
	for (const char *line = text; *line;) {
		const char *end = strchr(line, '\n');
		const char *next = end ? end + 1 : line + strlen(line);
		if (!end)
			end = next;
		lineno++;
		const char *b = line, *e = end;
		line = next;
		trim(&b, &e);
		if (b == e || *b == '#')
			continue;
		const char *bar1 = memchr(b, '|', (size_t)(e - b));
		const char *bar2 = bar1 ? memchr(bar1 + 1, '|', (size_t)(e - bar1 - 1)) : NULL;
		if (!bar2) {
			*err = xasprintf("line %d: expected ID | wire or no: why | description",
			                 lineno);
			cov_table_free(t);
			return -1;
		}
		const char *ib = b, *ie = bar1, *wb = bar1 + 1, *we = bar2, *db = bar2 + 1, *de = e;
		trim(&ib, &ie);
		trim(&wb, &we);
		trim(&db, &de);
		if (!valid_id(ib, ie)) {
			*err = xasprintf("line %d: '%.*s' is not MUST-n or SHLD-n", lineno,
			                 (int)(ie - ib), ib);
			cov_table_free(t);
			return -1;
		}
		struct cov_req r = { 0 };
		memcpy(r.id, ib, (size_t)(ie - ib));
		if (cov_table_find(t, r.id)) {
			*err = xasprintf("line %d: %s listed twice", lineno, r.id);
			cov_table_free(t);
			return -1;
		}
		const char *note = NULL;
		if ((size_t)(we - wb) >= 4 && strncmp(wb, "wire", 4) == 0 &&
		    (we - wb == 4 || wb[4] == ':')) {
			r.wire = true;
			note = wb + 4;
		} else if ((size_t)(we - wb) > 3 && strncmp(wb, "no:", 3) == 0) {
			note = wb + 3;
		}
		if (!note || de == db) {
			*err = xasprintf("line %d: %s: want 'wire' or 'no: why', and a description",
			                 lineno, r.id);
			cov_table_free(t);
			return -1;
		}
		if (*note == ':')
			note++;
		const char *nb = note, *ne = we;
		trim(&nb, &ne);
		if (!r.wire && nb == ne) {
			*err = xasprintf("line %d: %s: 'no:' needs a reason", lineno, r.id);
			cov_table_free(t);
			return -1;
		}
		r.why = nb < ne ? xstrndup(nb, (size_t)(ne - nb)) : NULL;
		r.desc = xstrndup(db, (size_t)(de - db));
		t->v = xrealloc(t->v, (t->n + 1) * sizeof *t->v);
		t->v[t->n++] = r;
	}
	return 0;
}

int cov_table_load(const char *path, struct cov_table *t, char **err)
{
	char *text = read_all(path);
	if (!text) {
		*err = xasprintf("%s: cannot read", path);
		memset(t, 0, sizeof *t);
		return -1;
	}
	char *e = NULL;
	int rc = cov_table_parse(text, t, &e);
	if (rc < 0) {
		*err = xasprintf("%s: %s", path, e);
		free(e);
	}
	free(text);
	return rc;
}

void cov_table_free(struct cov_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].why);
		free(t->v[i].desc);
	}
	free(t->v);
	memset(t, 0, sizeof *t);
}

const struct cov_req *cov_table_find(const struct cov_table *t, const char *id)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->v[i].id, id) == 0)
			return &t->v[i];
	return NULL;
}

/* ---- script headers ------------------------------------------------------------- */

void cov_script_parse(const char *path, const char *text, struct cov_script *s)
{
	memset(s, 0, sizeof *s);
	s->path = strdup(path);
	bool first = true;
	for (const char *line = text; *line;) {
		const char *end = strchr(line, '\n');
		const char *next = end ? end + 1 : line + strlen(line);
		if (!end)
			end = next;
		const char *b = line, *e = end;
		line = next;
		trim(&b, &e);
		bool comment = e - b >= 2 && b[0] == '/' && b[1] == '/';
		if (comment) {
			b += 2;
			trim(&b, &e);
		}
		if (first) {
			first = false;
			if (comment && b < e && *b != '@') {
				s->purpose = xstrndup(b, (size_t)(e - b));
				continue;
			}
		}
		if (!comment)
			continue;
		static const char *const tags[] = { "@requirement:", "@stacks:", "@divergence:" };
		for (int k = 0; k < 3; k++) {
			size_t n = strlen(tags[k]);
			if ((size_t)(e - b) < n || strncmp(b, tags[k], n) != 0)
				continue;
			const char *vb = b + n, *ve = e;
			trim(&vb, &ve);
			char *v = xstrndup(vb, (size_t)(ve - vb));
			if (k == 0 && !s->requirement) {
				s->requirement = v;
			} else if (k == 1 && !s->stacks) {
				s->stacks = v;
			} else if (k == 2) {
				s->divergences =
				    xrealloc(s->divergences,
				             (s->n_divergences + 1) * sizeof *s->divergences);
				s->divergences[s->n_divergences++] = v;
			} else {
				free(v);
			}
		}
	}
}

int cov_script_load(const char *path, struct cov_script *s)
{
	char *text = read_all(path);
	if (!text) {
		memset(s, 0, sizeof *s);
		return -1;
	}
	cov_script_parse(path, text, s);
	free(text);
	return 0;
}

void cov_script_free(struct cov_script *s)
{
	free(s->path);
	free(s->purpose);
	free(s->requirement);
	free(s->stacks);
	for (size_t i = 0; i < s->n_divergences; i++)
		free(s->divergences[i]);
	free(s->divergences);
	memset(s, 0, sizeof *s);
}

/* ---- citations ------------------------------------------------------------------ */

enum cite_kind { CITE_9293_ID, CITE_9293_SECTION, CITE_RFC, CITE_LINUX, CITE_OTHER };

struct cite {
	enum cite_kind kind;
	int rfc;          /* CITE_RFC */
	char key[96];     /* id, section, function, or the citation itself */
	size_t script;    /* index into the scripts */
	const char *name; /* the script's path, for sorting */
};

struct cites {
	struct cite *v;
	size_t n;
};

static void add_cite(struct cites *c, enum cite_kind kind, int rfc, const char *key, size_t klen,
                     size_t script, const char *name)
{
	if (klen >= sizeof c->v[0].key)
		klen = sizeof c->v[0].key - 1;
	for (size_t i = 0; i < c->n; i++) /* once per script and key */
		if (c->v[i].script == script && c->v[i].kind == kind && c->v[i].rfc == rfc &&
		    strlen(c->v[i].key) == klen && strncmp(c->v[i].key, key, klen) == 0)
			return;
	c->v = xrealloc(c->v, (c->n + 1) * sizeof *c->v);
	struct cite *x = &c->v[c->n++];
	memset(x, 0, sizeof *x);
	x->kind = kind;
	x->rfc = rfc;
	memcpy(x->key, key, klen);
	x->script = script;
	x->name = name;
}

/* After "RFC": blanks, the number. Returns the number, *p past it; 0 if none. */
static int rfc_number(const char **p, const char *e)
{
	const char *q = *p;
	while (q < e && *q == ' ')
		q++;
	int n = 0;
	while (q < e && isdigit((unsigned char)*q) && n < 100000)
		n = n * 10 + (*q++ - '0');
	*p = q;
	return n;
}

/* A section number right at p (after blanks, an optional "§" or "Section"):
 * returns its length and sets *start; 0 if there is none. */
static size_t section_at(const char *p, const char *e, const char **start)
{
	while (p < e && *p == ' ')
		p++;
	if (e - p >= 2 && (unsigned char)p[0] == 0xc2 && (unsigned char)p[1] == 0xa7)
		p += 2;
	else if (e - p >= 8 && strncmp(p, "Section ", 8) == 0)
		p += 8;
	while (p < e && *p == ' ')
		p++;
	const char *q = p;
	while (q < e && (isdigit((unsigned char)*q) || *q == '.' || *q == '-'))
		q++;
	while (q > p && (q[-1] == '.' || q[-1] == '-'))
		q--;
	if (q == p || !isdigit((unsigned char)*p))
		return 0;
	*start = p;
	return (size_t)(q - p);
}

static bool is_ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* One citation (between ';'), classified. */
static void classify(struct cites *c, const char *b, const char *e, size_t script, const char *name)
{
	trim(&b, &e);
	if (b == e)
		return;
	if (e - b >= 3 && strncmp(b, "RFC", 3) == 0) {
		const char *p = b + 3;
		int rfc = rfc_number(&p, e);
		if (rfc == 9293) {
			bool any = false;
			for (const char *q = p; q + 6 <= e; q++) {
				if ((strncmp(q, "MUST-", 5) != 0 && strncmp(q, "SHLD-", 5) != 0) ||
				    (q > b && is_ident_char(q[-1])))
					continue;
				const char *r = q + 5;
				while (r < e && isdigit((unsigned char)*r))
					r++;
				if (r > q + 5) {
					add_cite(c, CITE_9293_ID, 0, q, (size_t)(r - q), script,
					         name);
					any = true;
				}
			}
			const char *sec;
			size_t n = section_at(p, e, &sec);
			if (!any && n)
				add_cite(c, CITE_9293_SECTION, 0, sec, n, script, name);
			else if (!any)
				add_cite(c, CITE_9293_SECTION, 0, "(whole RFC)", 11, script, name);
			return;
		}
		if (rfc > 0) {
			const char *sec;
			size_t n = section_at(p, e, &sec);
			if (n)
				add_cite(c, CITE_RFC, rfc, sec, n, script, name);
			else
				add_cite(c, CITE_RFC, rfc, "(whole RFC)", 11, script, name);
			return;
		}
	}
	if (e - b >= 5 && strncmp(b, "Linux", 5) == 0 && !is_ident_char(b[5])) {
		/* The first kernel name in it: an identifier with '_' (a function,
		 * sysctl or constant). */
		for (const char *p = b + 5; p < e; p++) {
			if (!is_ident_char(*p) || (p > b && is_ident_char(p[-1])))
				continue;
			const char *q = p;
			bool underscore = false;
			while (q < e && is_ident_char(*q))
				underscore |= *q++ == '_';
			if (underscore) {
				add_cite(c, CITE_LINUX, 0, p, (size_t)(q - p), script, name);
				return;
			}
			p = q;
		}
		add_cite(c, CITE_LINUX, 0, "(general)", 9, script, name);
		return;
	}
	const char *end = e;
	if (e - b >= 6 && strncmp(b, "POSIX ", 6) == 0) {
		/* "POSIX accept() EAGAIN" -> "POSIX accept()" */
		const char *p = b + 6;
		while (p < e && *p == ' ')
			p++;
		end = p;
		int depth = 0;
		while (end < e && (depth > 0 || *end != ' ')) {
			depth += *end == '(' ? 1 : *end == ')' ? -1 : 0;
			end++;
		}
		while (end > p && (end[-1] == ',' || end[-1] == ':'))
			end--;
	}
	add_cite(c, CITE_OTHER, 0, b, (size_t)(end - b), script, name);
}

static void collect_cites(struct cites *c, const struct cov_script *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *r = s[i].requirement;
		if (!r)
			continue;
		/* Citations are separated by ';' outside parentheses: "RFC9293 3.4
		 * (modulo 2^32; modular comparisons)" is one. */
		for (const char *p = r;;) {
			const char *e = p;
			int depth = 0;
			for (; *e && (*e != ';' || depth > 0); e++)
				depth += *e == '(' ? 1 : *e == ')' && depth > 0 ? -1 : 0;
			classify(c, p, e, i, s[i].path);
			if (!*e)
				break;
			p = e + 1;
		}
	}
}

size_t cov_rfc9293_ids(const char *requirement, char ids[][16], size_t max)
{
	struct cov_script s = { .requirement = (char *)requirement, .path = (char *)"" };
	struct cites c = { 0 };
	collect_cites(&c, &s, 1);
	size_t n = 0;
	for (size_t i = 0; i < c.n && n < max; i++) {
		if (c.v[i].kind != CITE_9293_ID)
			continue;
		snprintf(ids[n++], 16, "%s", c.v[i].key);
	}
	free(c.v);
	return n;
}

int cov_check(const struct cov_table *t, const struct cov_script *s, size_t n, FILE *diag)
{
	int problems = 0;
	for (size_t i = 0; i < n; i++) {
		if (!s[i].purpose) {
			fprintf(diag,
			        "%s: the first line must be a // comment saying what it checks\n",
			        s[i].path);
			problems++;
		}
		if (!s[i].requirement || !*s[i].requirement) {
			fprintf(diag, "%s: no // @requirement: line\n", s[i].path);
			problems++;
		}
		if (!s[i].stacks || !*s[i].stacks) {
			fprintf(diag, "%s: no // @stacks: line\n", s[i].path);
			problems++;
		}
		for (size_t d = 0; d < s[i].n_divergences; d++) {
			/* "STACK reason": the runner keeps 159 bytes of the reason. */
			const char *reason =
			    s[i].divergences[d] + strcspn(s[i].divergences[d], " ");
			reason += strspn(reason, " ");
			if (!*reason || strlen(reason) > 159) {
				fprintf(diag,
				        "%s: @divergence needs a stack and a reason of at most 159 "
				        "bytes\n",
				        s[i].path);
				problems++;
			}
		}
		if (!s[i].requirement)
			continue;
		char ids[32][16];
		size_t k = cov_rfc9293_ids(s[i].requirement, ids, 32);
		for (size_t j = 0; j < k; j++) {
			if (!cov_table_find(t, ids[j])) {
				fprintf(diag,
				        "%s: cites RFC 9293 %s, which Appendix B does not have\n",
				        s[i].path, ids[j]);
				problems++;
			}
		}
	}
	return problems;
}

/* ---- the document --------------------------------------------------------------- */

/* "1.10.2" after "1.9": numeric components compared one by one. */
static int cmp_dotted(const char *a, const char *b)
{
	while (*a && *b) {
		if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			char *ea, *eb;
			unsigned long x = strtoul(a, &ea, 10), y = strtoul(b, &eb, 10);
			if (x != y)
				return x < y ? -1 : 1;
			a = ea;
			b = eb;
		} else {
			if (*a != *b)
				return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
			a++;
			b++;
		}
	}
	return *a ? 1 : *b ? -1 : 0;
}

static int cmp_cite(const void *pa, const void *pb)
{
	const struct cite *a = pa, *b = pb;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->rfc != b->rfc)
		return a->rfc < b->rfc ? -1 : 1;
	int k = a->kind == CITE_LINUX || a->kind == CITE_OTHER ? strcasecmp(a->key, b->key)
	                                                       : cmp_dotted(a->key, b->key);
	if (k)
		return k;
	return strcmp(a->name, b->name);
}

/* "conformance/scripts/time_wait/x.pkt" -> "time_wait/x" */
static void short_name(const char *path, char *out, size_t size)
{
	const char *p = strstr(path, "scripts/");
	p = p ? p + 8 : path;
	size_t n = strlen(p);
	if (n > 4 && strcmp(p + n - 4, ".pkt") == 0)
		n -= 4;
	snprintf(out, size, "%.*s", (int)n, p);
}

static void area_of(const char *path, char *out, size_t size)
{
	char name[512];
	short_name(path, name, sizeof name);
	const char *slash = strchr(name, '/');
	snprintf(out, size, "%.*s", slash ? (int)(slash - name) : 1, slash ? name : ".");
}

/* Markdown table cells: '|' would end the cell. */
static void cell(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputs("\\|", out);
		else
			fputc(*s, out);
	}
}

static void script_links(FILE *out, const struct cite *v, size_t from, size_t to,
                         const char *link_prefix)
{
	for (size_t i = from; i < to; i++) {
		char name[512];
		short_name(v[i].name, name, sizeof name);
		fprintf(out, "%s[%s](%s%s)", i > from ? ", " : "", name, link_prefix, v[i].name);
	}
}

/* Index range [from, to) of the cites of kind/rfc/key, in a sorted array. */
static size_t group_end(const struct cite *v, size_t n, size_t from)
{
	size_t to = from + 1;
	while (to < n && v[to].kind == v[from].kind && v[to].rfc == v[from].rfc &&
	       strcmp(v[to].key, v[from].key) == 0)
		to++;
	return to;
}

/* The scripts citing RFC 9293 requirement `id`, as links. */
static void id_links(FILE *out, const struct cites *c, const char *id, const char *link_prefix)
{
	for (size_t j = 0; j < c->n;) {
		size_t to = group_end(c->v, c->n, j);
		if (c->v[j].kind == CITE_9293_ID && strcmp(c->v[j].key, id) == 0)
			script_links(out, c->v, j, to, link_prefix);
		j = to;
	}
}

static void keyed_table(FILE *out, const struct cite *v, size_t n, enum cite_kind kind, int rfc,
                        const char *column, const char *link_prefix)
{
	fprintf(out, "| %s | scripts |\n|---|---|\n", column);
	for (size_t i = 0; i < n;) {
		size_t to = group_end(v, n, i);
		if (v[i].kind == kind && (rfc < 0 || v[i].rfc == rfc)) {
			fputs("| ", out);
			cell(out, v[i].key);
			fputs(" | ", out);
			script_links(out, v, i, to, link_prefix);
			fputs(" |\n", out);
		}
		i = to;
	}
	fputc('\n', out);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void cov_write_markdown(FILE *out, const struct cov_table *t, const struct cov_script *s, size_t n,
                        const char *link_prefix)
{
	struct cites c = { 0 };
	collect_cites(&c, s, n);
	qsort(c.v, c.n, sizeof *c.v, cmp_cite);

	size_t must = 0, wire = 0, covered = 0, covered_must = 0, wire_must = 0;
	bool *is_covered = xrealloc(NULL, (t->n ? t->n : 1) * sizeof *is_covered);
	for (size_t i = 0; i < t->n; i++) {
		bool m = t->v[i].id[0] == 'M';
		must += m;
		wire += t->v[i].wire;
		wire_must += m && t->v[i].wire;
		is_covered[i] = false;
		for (size_t j = 0; j < c.n; j++)
			if (c.v[j].kind == CITE_9293_ID && strcmp(c.v[j].key, t->v[i].id) == 0)
				is_covered[i] = true;
		covered += is_covered[i];
		covered_must += is_covered[i] && m;
	}

	fputs("# Requirement coverage\n\n"
	      "<!-- Generated by `make coverage-matrix` (synack list --requirements); do not edit. "
	      "-->\n\n",
	      out);
	fprintf(
	    out,
	    "What the %zu conformance scripts check, from their `// @requirement:` lines, against "
	    "every MUST and SHOULD of RFC 9293 (Appendix B, the requirement summary; the table "
	    "with our one-line descriptions and what cannot be checked on the wire is "
	    "`conformance/requirements/rfc9293.txt`). `make check` fails when this file is "
	    "stale: run `make coverage-matrix` after changing a script's header.\n\n",
	    n);
	fputs(
	    "A script counts for an RFC 9293 requirement when it cites its ID (`RFC9293 MUST-13`); "
	    "citations of a section only are listed separately.\n\n",
	    out);

	fputs("## Summary\n\n| | MUST | SHLD | all |\n|---|---|---|---|\n", out);
	fprintf(out, "| RFC 9293 requirements | %zu | %zu | %zu |\n", must, t->n - must, t->n);
	fprintf(out, "| checkable on the wire | %zu | %zu | %zu |\n", wire_must, wire - wire_must,
	        wire);
	fprintf(out, "| checked by a script | %zu | %zu | %zu |\n", covered_must,
	        covered - covered_must, covered);
	fprintf(out, "| checkable, no script yet | %zu | %zu | %zu |\n\n", wire_must - covered_must,
	        (wire - wire_must) - (covered - covered_must), wire - covered);

	/* Scripts per area. */
	char **areas = xrealloc(NULL, (n ? n : 1) * sizeof *areas);
	for (size_t i = 0; i < n; i++) {
		char a[256];
		area_of(s[i].path, a, sizeof a);
		areas[i] = strdup(a);
	}
	qsort(areas, n, sizeof *areas, cmp_str);
	fputs("| area | scripts |\n|---|---|\n", out);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && strcmp(areas[j], areas[i]) == 0)
			j++;
		fprintf(out, "| %s | %zu |\n", areas[i], j - i);
		i = j;
	}
	fprintf(out, "| all | %zu |\n\n", n);
	for (size_t i = 0; i < n; i++)
		free(areas[i]);
	free(areas);

	fputs("## RFC 9293: checked\n\n| ID | requirement | scripts |\n|---|---|---|\n", out);
	for (size_t i = 0; i < t->n; i++) {
		if (!is_covered[i])
			continue;
		fprintf(out, "| %s | ", t->v[i].id);
		cell(out, t->v[i].desc);
		fputs(" | ", out);
		id_links(out, &c, t->v[i].id, link_prefix);
		fputs(" |\n", out);
	}
	fputs("\n## RFC 9293: checkable on the wire, no script yet\n\n"
	      "| ID | requirement | why not yet |\n|---|---|---|\n",
	      out);
	for (size_t i = 0; i < t->n; i++) {
		if (is_covered[i] || !t->v[i].wire)
			continue;
		fprintf(out, "| %s | ", t->v[i].id);
		cell(out, t->v[i].desc);
		fputs(" | ", out);
		cell(out, t->v[i].why ? t->v[i].why : "no script yet");
		fputs(" |\n", out);
	}
	fputs("\n## RFC 9293: not checkable on the wire\n\n"
	      "| ID | requirement | why | scripts |\n|---|---|---|---|\n",
	      out);
	for (size_t i = 0; i < t->n; i++) {
		if (t->v[i].wire)
			continue;
		fprintf(out, "| %s | ", t->v[i].id);
		cell(out, t->v[i].desc);
		fputs(" | ", out);
		cell(out, t->v[i].why);
		fputs(" | ", out);
		id_links(out, &c, t->v[i].id, link_prefix);
		fputs(" |\n", out);
	}
	fputs("\n## RFC 9293 sections cited\n\n", out);
	keyed_table(out, c.v, c.n, CITE_9293_SECTION, -1, "section", link_prefix);

	fputs("## Other RFCs\n\n", out);
	for (size_t i = 0; i < c.n; i++) {
		if (c.v[i].kind != CITE_RFC ||
		    (i > 0 && c.v[i - 1].kind == CITE_RFC && c.v[i - 1].rfc == c.v[i].rfc))
			continue;
		fprintf(out, "### RFC %d\n\n", c.v[i].rfc);
		keyed_table(out, c.v, c.n, CITE_RFC, c.v[i].rfc, "section", link_prefix);
	}
	fputs("## Linux behaviour\n\n", out);
	keyed_table(out, c.v, c.n, CITE_LINUX, -1, "function, sysctl or constant", link_prefix);
	fputs("## POSIX and other citations\n\n", out);
	keyed_table(out, c.v, c.n, CITE_OTHER, -1, "citation", link_prefix);

	fputs("## Divergences\n\nScripts a stack is meant to fail, with the reason; the runner "
	      "reports "
	      "them on that stack as `# TODO`.\n\n| script | divergence |\n|---|---|\n",
	      out);
	const struct cov_script **sorted = xrealloc(NULL, (n ? n : 1) * sizeof *sorted);
	for (size_t i = 0; i < n; i++)
		sorted[i] = &s[i];
	for (size_t i = 1; i < n; i++) /* insertion sort by path: n is small */
		for (size_t j = i; j > 0 && strcmp(sorted[j - 1]->path, sorted[j]->path) > 0; j--) {
			const struct cov_script *x = sorted[j];
			sorted[j] = sorted[j - 1];
			sorted[j - 1] = x;
		}
	for (size_t i = 0; i < n; i++) {
		for (size_t d = 0; d < sorted[i]->n_divergences; d++) {
			char name[512];
			short_name(sorted[i]->path, name, sizeof name);
			fprintf(out, "| [%s](%s%s) | ", name, link_prefix, sorted[i]->path);
			cell(out, sorted[i]->divergences[d]);
			fputs(" |\n", out);
		}
	}
	free(sorted);
	free(is_covered);
	free(c.v);
}
