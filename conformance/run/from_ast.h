/* The parser's tree (lang/ast.h) -> the executable model (run/script.h).
 *
 * Names are resolved (symbols.h), times put in microseconds, packet fields
 * copied with their "given" flags. What parses but cannot run (UDP/ICMP
 * lines, unknown names, python beyond the native subset, explicit ports)
 * becomes a RUN_EV_UNSUPPORTED event: the run fails there with
 * `file:line:col: unsupported: what`, never silently skipping it.
 */
#ifndef SYNACK_RUN_FROM_AST_H
#define SYNACK_RUN_FROM_AST_H

#include <stddef.h>

#include "lang/ast.h"
#include "run/script.h"

/* out must be zeroed with its cfg at defaults (run_config_defaults); header
 * options are applied onto it. Returns 0, or -1 with why (a header option
 * with a bad value or one synack does not know). */
int run_from_ast(const struct script *ast, struct run_script *out, char *why, size_t cap);

#endif
