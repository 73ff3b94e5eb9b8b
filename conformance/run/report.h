/* Failure reports: the script line, the expected and the actual event in
 * script syntax, the time offset, and the last few observed events — as
 * TAP YAML diagnostics or for a terminal. */
#ifndef SYNACK_RUN_REPORT_H
#define SYNACK_RUN_REPORT_H

#include <stdio.h>

#include "run/run.h"

#define RUN_REPORT_RECENT 5

/* Human-readable, for a terminal: "file:line: error: message" then the
 * source line, expected, actual, times and the recent trace. */
void run_report_human(FILE *f, const struct run_result *res);
/* The YAML block of a TAP point ("  ---" ... "  ..."), indented by
 * `indent` more spaces (subtests). */
void run_report_yaml(FILE *f, const struct run_result *res, int indent);
/* A YAML double-quoted scalar. */
void run_yaml_quote(FILE *f, const char *s);

#endif
