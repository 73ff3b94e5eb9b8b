/* Helpers shared by the language tests: parse a text, check diagnostics,
 * round-trip through the printer. */
#ifndef SYNACK_TESTS_LANG_SUPPORT_H
#define SYNACK_TESTS_LANG_SUPPORT_H

#include "lang/ast.h"
#include "lang/diag.h"

#include <stdbool.h>
#include <stddef.h>

/* Parses text as "t.pkt" with the given defines ("NAME=VALUE"); on failure
 * prints the diagnostics as TAP comments and returns NULL. */
struct script *lang_parse_ok(const char *text, const char *const *defines, size_t n_defines);
/* Parses text expecting failure; returns all diagnostics formatted and
 * concatenated (static buffer), or "(parsed)" when it parsed. */
const char *lang_parse_err(const char *text);
/* All diagnostics (any severity) of a parse that may succeed, formatted. */
const char *lang_parse_diags(const char *text, struct script **out);
/* The first event printed back in script syntax (static buffer). */
const char *lang_event_text(const struct script *s, size_t i);
/* print(parse(text)) == print(parse(print(parse(text)))): one test point. */
bool lang_round_trip(const char *text, const char *name);
/* Script printed to a string (malloc'd). */
char *lang_script_text(const struct script *s);

#endif
