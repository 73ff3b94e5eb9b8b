#ifndef SYNACK_RUN_LOAD_H
#define SYNACK_RUN_LOAD_H
#include <stdbool.h>
#include <stddef.h>

struct run_script;

/* What the command line says about loading scripts. */
struct script_load_opts {
	const char *defines[64]; /* -D NAME=VALUE */
	size_t n_defines;
	const char *overrides[64][2]; /* --name=value header options */
	int n_overrides;
	bool verbose;
};

/* Parses and converts one script; a construct that parses but cannot run
 * fails with the parser's own file:line:col: unsupported: diagnostic.
 * Returns 0, or -1 with the diagnostics in *msg (malloc'd, the caller frees). */
int script_load(const char *path, const struct script_load_opts *o, struct run_script *rs,
                char **msg);
/* Scripts named on the command line, directories searched for *.pkt
 * (sorted). Returns the count, or -1 (an error printed). *out is malloc'd
 * strings: release with scripts_free. */
int scripts_collect(char **args, int n, char ***out);
void scripts_free(char **v, int n);

#endif
