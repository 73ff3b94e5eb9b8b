/* Requirement coverage: what the conformance scripts say they check.
 *
 * Every script starts with a one-line purpose, a `// @requirement:` line
 * (citations separated by ';') and a `// @stacks:` line. The requirement
 * table (conformance/requirements/rfc9293.txt) lists every MUST-n and SHLD-n
 * of RFC 9293 Appendix B, whether a script can check it on the wire, and
 * why not. From both, `synack list --requirements` writes docs/coverage.md
 * and reports scripts whose header is incomplete or that cite an RFC 9293
 * requirement the table does not know.
 */
#ifndef SYNACK_RUN_COVERAGE_H
#define SYNACK_RUN_COVERAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct cov_req {
	char id[16]; /* "MUST-13", "SHLD-3" */
	bool wire;   /* a script can check it */
	char *why;   /* why not (when !wire), else NULL */
	char *desc;  /* one short line */
};

struct cov_table {
	struct cov_req *v;
	size_t n;
};

/* Parses the table text (see the file's header for the format). Returns 0,
 * or -1 with *err (malloc'd) naming the line that is wrong. */
int cov_table_parse(const char *text, struct cov_table *t, char **err);
int cov_table_load(const char *path, struct cov_table *t, char **err);
void cov_table_free(struct cov_table *t);
const struct cov_req *cov_table_find(const struct cov_table *t, const char *id);

struct cov_script {
	char *path;
	char *purpose;      /* first line's comment text, NULL when the first line is not one */
	char *requirement;  /* text after "@requirement:", NULL when absent */
	char *stacks;       /* text after "@stacks:", NULL when absent */
	char **divergences; /* text after each "@divergence:" */
	size_t n_divergences;
};

/* Reads the header comments of a script's text. */
void cov_script_parse(const char *path, const char *text, struct cov_script *s);
int cov_script_load(const char *path, struct cov_script *s);
void cov_script_free(struct cov_script *s);

/* RFC 9293 MUST-n / SHLD-n ids a requirement line cites, in order, each once.
 * Returns how many were written to ids (at most max). */
size_t cov_rfc9293_ids(const char *requirement, char ids[][16], size_t max);

/* Writes one line per problem to diag ("PATH: problem"): no purpose line, no
 * @requirement, no @stacks, an RFC 9293 id the table does not have. Returns
 * the number of problems. */
int cov_check(const struct cov_table *t, const struct cov_script *s, size_t n, FILE *diag);

/* Writes the coverage document (Markdown). Paths are printed as given;
 * link_prefix goes in front of each in the links ("../" from docs/). */
void cov_write_markdown(FILE *out, const struct cov_table *t, const struct cov_script *s, size_t n,
                        const char *link_prefix);

#endif
