/* synack record: run a script and write it back with what the stack did.
 *
 * The script runs in observe mode (run_options.observe); its outbound lines
 * are replaced by the packets the stack sent for them, packets no line
 * expected are inserted where they happened, lines whose packet never came
 * are commented out, and every call's result becomes the observed one.
 * Everything else (comments, blank lines, layout, header) is kept as
 * written. Times: a line's own time is kept unless what came before it
 * changed, then it is written relative to the previous line's observed time.
 */
#ifndef SYNACK_RECORD_H
#define SYNACK_RECORD_H

#include <stddef.h>
#include <stdio.h>

#include "run/run.h"

struct record_stats {
	int replaced; /* outbound lines rewritten */
	int inserted; /* packets no line expected */
	int removed;  /* outbound lines whose packet never came */
	int results;  /* call results rewritten */
	int retimed;  /* time tokens rewritten */
};

/* Writes the recorded script to out. source: the script as written. */
int record_rewrite(const char *source, size_t len, const struct run_script *rs,
                   const struct run_result *res, FILE *out, struct record_stats *st);

/* `synack record --stack S [-o OUT | -i] SCRIPT` (argv[0] is "record"). */
int record_main(int argc, char **argv);

#endif
