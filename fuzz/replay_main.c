/* Replays inputs through a fuzz target without libFuzzer: the regression
 * driver `make check` runs (plain and ASan+UBSan), one TAP point per input.
 *
 * Usage: replay [FILE|DIR]...   With no argument it replays the target's own
 * seeds (corpora/NAME/seeds, REPLAY_CORPUS) and regressions
 * (corpora/regressions/NAME, REPLAY_REGRESSIONS), baked in at build time.
 * A crash or sanitizer report kills the process, which prove counts as a
 * failure of the whole binary: that is the point.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_input.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int points;

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		printf("not ok %d - %s: cannot open\n", ++points, path);
		return;
	}
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	/* An exact-size heap copy, so ASan sees any read past the input. */
	uint8_t *buf = malloc(len > 0 ? (size_t)len : 1);
	size_t got = len > 0 ? fread(buf, 1, (size_t)len, f) : 0;
	fclose(f);
	fflush(stdout);
	LLVMFuzzerTestOneInput(buf, got);
	free(buf);
	printf("ok %d - %s (%zu bytes)\n", ++points, path, got);
	fflush(stdout);
}

static void replay(const char *path)
{
	struct stat sb;
	if (stat(path, &sb) != 0)
		return; /* a target without a corpus dir yet replays nothing */
	if (!S_ISDIR(sb.st_mode)) {
		replay_file(path);
		return;
	}
	DIR *d = opendir(path);
	if (!d)
		return;
	char **names = NULL;
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		names = realloc(names, (n + 1) * sizeof *names);
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, by_name);
	for (size_t i = 0; i < n; i++) {
		char child[4096];
		snprintf(child, sizeof child, "%s/%s", path, names[i]);
		replay(child);
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	printf("TAP version 13\n");
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			replay(argv[i]);
	} else {
#ifdef REPLAY_CORPUS
		replay(REPLAY_CORPUS "/seeds");
#endif
#ifdef REPLAY_REGRESSIONS
		replay(REPLAY_REGRESSIONS);
#endif
	}
	if (points == 0)
		printf("1..0 # SKIP no inputs to replay\n");
	else
		printf("1..%d\n", points);
	return 0;
}
