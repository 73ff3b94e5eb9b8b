/* Loading scripts from files: discovery (directories searched for *.pkt,
 * sorted so runs and TAP numbering are reproducible) and parse + convert
 * into a runnable script. Shared by run, check, list, compare and record. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lang/ast.h"
#include "run/from_ast.h"
#include "run/load.h"
#include "run/run.h"

static void free_ast(void *ast)
{
	script_free(ast);
}

int script_load(const char *path, const struct script_load_opts *o, struct run_script *rs,
                char **msg)
{
	struct lang_options lo = { .defines = o->defines, .n_defines = o->n_defines };
	struct diag_list diags;
	struct script *ast = NULL;
	diag_list_init(&diags);
	int rc = lang_parse_file(path, &lo, &ast, &diags);
	size_t len = 0;
	FILE *f = open_memstream(msg, &len);
	if (!f) {
		*msg = NULL;
		if (ast)
			script_free(ast);
		diag_list_free(&diags);
		return -1;
	}
	if (rc == 0 && diags.n_unsupported) {
		for (size_t i = 0; i < diags.count; i++)
			if (diags.items[i].severity == DIAG_UNSUPPORTED) {
				diag_print(f, &diags.items[i]);
				break;
			}
		rc = -1;
	} else if (rc != 0) {
		diag_list_print(f, &diags);
	}
	if (rc == 0) {
		memset(rs, 0, sizeof *rs);
		run_config_defaults(&rs->cfg);
		char why[300];
		if (run_from_ast(ast, rs, why, sizeof why) < 0) {
			fprintf(f, "%s\n", why);
			rc = -1;
		}
		for (int i = 0; rc == 0 && i < o->n_overrides; i++)
			if (run_config_set(&rs->cfg, o->overrides[i][0], o->overrides[i][1], why,
			                   sizeof why) < 0) {
				fprintf(f, "synack: %s\n", why);
				rc = -1;
			}
		rs->cfg.verbose = o->verbose;
		if (rc == 0) {
			rs->owner = ast;
			rs->owner_free = free_ast;
			ast = NULL;
		} else {
			run_script_free(rs);
		}
	}
	fclose(f);
	if (ast)
		script_free(ast);
	diag_list_free(&diags);
	return rc;
}

struct paths {
	char **v;
	int n, cap;
};

static int add_path(struct paths *p, const char *s)
{
	if (p->n == p->cap) {
		int cap = p->cap ? p->cap * 2 : 64;
		char **v = realloc(p->v, sizeof *v * (size_t)cap);
		if (!v)
			return -1;
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n] = strdup(s);
	return p->v[p->n] ? (p->n++, 0) : -1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void find_scripts(struct paths *p, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct paths local = { 0 };
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(path, &st) < 0)
			continue;
		size_t n = strlen(e->d_name);
		if (S_ISDIR(st.st_mode) || (n > 4 && strcmp(e->d_name + n - 4, ".pkt") == 0))
			add_path(&local, path);
	}
	closedir(d);
	if (local.n)
		qsort(local.v, (size_t)local.n, sizeof *local.v, cmp_str);
	for (int i = 0; i < local.n; i++) {
		struct stat st;
		if (stat(local.v[i], &st) == 0 && S_ISDIR(st.st_mode))
			find_scripts(p, local.v[i]);
		else
			add_path(p, local.v[i]);
		free(local.v[i]);
	}
	free(local.v);
}

int scripts_collect(char **args, int n, char ***out)
{
	struct paths p = { 0 };
	for (int i = 0; i < n; i++) {
		struct stat st;
		if (stat(args[i], &st) < 0) {
			fprintf(stderr, "synack: %s: %s\n", args[i], strerror(errno));
			scripts_free(p.v, p.n);
			return -1;
		}
		if (S_ISDIR(st.st_mode))
			find_scripts(&p, args[i]);
		else
			add_path(&p, args[i]);
	}
	*out = p.v;
	return p.n;
}

void scripts_free(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
