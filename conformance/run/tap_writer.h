/* TAP for script runs, to harness/tap.h's conventions: "TAP version 13"
 * (Debian's prove rejects 14), one point per script, TAP 14-style subtests
 * (4-space indent, own plan) with -v, YAML diagnostics on failures. Written
 * to a FILE so tests can capture it; the harness library writes stdout. */
#ifndef SYNACK_RUN_TAP_WRITER_H
#define SYNACK_RUN_TAP_WRITER_H

#include <stdbool.h>
#include <stdio.h>

#include "run/run.h"

void run_tap_header(FILE *f);
void run_tap_plan(FILE *f, int n);
/* One script's point. todo: the @divergence reason for this stack (the point
 * becomes "# TODO reason"), or NULL. verbose: a subtest of its steps first. */
void run_tap_point(FILE *f, int num, const char *name, const struct run_result *r, const char *todo,
                   bool verbose);
/* A point for a script that could not be run at all (parse error):
 * message is the diagnostics text, shown as YAML. */
void run_tap_error_point(FILE *f, int num, const char *name, const char *message);

#endif
