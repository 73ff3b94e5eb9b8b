/* Differential fuzzing: the generator makes valid scripts from any bytes,
 * and the driver runs, compares, minimises and saves. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare/compare.h"
#include "lang/ast.h"
#include "run/run.h"
#include "stacks/stack.h"
#include "tap.h"

static int count_files(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	if (d)
		closedir(d);
	return n;
}

/* A stand-in kernel in which every inbound packet takes 150 µs to arrive:
 * the engine under another name, its clock run on before each injection. */
static int slow_inject(struct stack *s, const uint8_t *pkt, size_t len, struct stack_error *err)
{
	/* advance stops at once while an event waits to be taken: then the
	 * packet goes in sooner. */
	uint64_t until = stack_engine_ops.now(s) + 150, before;
	do {
		before = stack_engine_ops.now(s);
		if (stack_engine_ops.advance(s, until) < 0)
			return -1;
	} while (stack_engine_ops.now(s) < until && stack_engine_ops.now(s) != before);
	return stack_engine_ops.inject(s, pkt, len, err);
}

static const char *always_broken(struct stack *s)
{
	(void)s;
	return "tcb 1 went from CLOSE_WAIT to ESTABLISHED";
}

int main(void)
{
	/* Any bytes: a script that parses. */
	uint64_t s = 12345;
	int parsed = 0, runs = 200;
	static char text[1 << 16];
	for (int r = 0; r < runs; r++) {
		uint8_t b[1 + 4 * 32];
		size_t n = 1 + 4 * (size_t)(r % 33);
		for (size_t i = 0; i < n; i++) {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			b[i] = (uint8_t)s;
		}
		int len = cmp_gen_script(b, n, text, sizeof text);
		struct diag_list diags;
		struct script *ast = NULL;
		diag_list_init(&diags);
		struct lang_options lo = { 0 };
		if (len > 0 &&
		    lang_parse_buffer("gen.pkt", text, (size_t)len, &lo, &ast, &diags) == 0 &&
		    !diags.n_unsupported)
			parsed++;
		else
			tap_diag("does not parse:\n%s", text);
		if (ast)
			script_free(ast);
		diag_list_free(&diags);
	}
	is_int(parsed, runs, "%d generated scripts all parse", runs);
	char small[64];
	ok(cmp_gen_script((const uint8_t *)"", 0, text, sizeof text) > 0 &&
	       cmp_gen_script((const uint8_t *)"\x01\x02\x03\x04\x05", 5, small, sizeof small) < 0,
	   "empty input: the prefix alone; a short buffer: -1");

	char dir[] = "/tmp/synack-difffuzz-XXXXXX";
	if (!mkdtemp(dir))
		tap_bail("mkdtemp");
	struct cmp_stack st[2];
	char why[200];
	cmp_stack_parse("engine", &st[0], why, sizeof why);
	cmp_stack_parse("engine", &st[1], why, sizeof why);
	struct cmp_divs divs = { 0 };
	struct cmp_opts o = { 0 };
	is_int(cmp_fuzz(st, &o, &divs, 0.3, 7, dir), 0, "engine vs engine for 0.3 s");
	is_int(count_files(dir), 0, "a stack never diverges from itself");

	/* engine vs engine with SACK off: the handshake's options differ at
	 * once, and minimising keeps that down to the prefix. The generator
	 * opens connections of eight shapes (passive or active, timestamps or
	 * not, the peer's window scaling or not), so the first differing row —
	 * the SYN-ACK's or the SYN's options — has up to eight signatures: each
	 * saved once. (Scripts with a lost tail also differ in timing — a tail
	 * loss probe needs SACK, RFC 8985 §7 — so only the options-only
	 * divergences are looked at.) */
	cmp_stack_parse("engine+tcp_sack=0", &st[1], why, sizeof why);
	is_int(cmp_fuzz(st, &o, &divs, 0.2, 7, dir), 0, "engine vs engine+tcp_sack=0");
	int saved = count_files(dir);
	ok(saved >= 1 && saved <= 8, "saved: %d (one per connection shape at most)", saved);
	char sigs[8][256];
	int n_sigs = 0, options_only = 0, minimised = 0, reported = 0, clean = 0, sack_only = 0;
	char path[512] = "";
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char p[512];
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		FILE *f = fopen(p, "r");
		char buf[8192] = "";
		size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
		buf[n] = 0;
		if (f)
			fclose(f);
		options_only +=
		    strncmp(e->d_name, "options-", 8) == 0 && strlen(e->d_name) == 8 + 8 + 4;
		minimised += strstr(buf, "then 0 steps") != NULL;
		reported += strstr(buf, "// DIFF generated: engine vs engine+tcp_sack=0") != NULL;
		clean += strstr(buf, " \n") == NULL;
		const char *sig = strstr(buf, "// divergence: options: > S");
		if (sig && n_sigs < 8) {
			size_t l = strcspn(sig, "\n");
			snprintf(sigs[n_sigs], sizeof sigs[0], "%.*s", (int)l, sig);
			bool dup = false;
			for (int k = 0; k < n_sigs; k++)
				dup = dup || strcmp(sigs[k], sigs[n_sigs]) == 0;
			n_sigs += !dup;
		}
		/* SACK is the difference: offered on the left, not on the right. */
		const char *bar = sig ? strstr(sig, " | ") : NULL;
		const char *eol = sig ? strchr(sig, '\n') : NULL;
		const char *right_sack = bar ? strstr(bar, "sackOK") : NULL;
		const char *left_sack = sig ? strstr(sig, "sackOK") : NULL;
		if (bar && eol && left_sack && left_sack < bar && (!right_sack || right_sack > eol))
			sack_only++;
		snprintf(path, sizeof path, "%s", p);
	}
	if (d)
		closedir(d);
	is_int(options_only, saved,
	       "named by the classes of their first difference, not every class");
	is_int(n_sigs, saved, "each its own signature: the first differing row, numbers left out");
	is_int(minimised, saved, "minimised to the prefix");
	is_int(reported, saved, "the report is in the file, as comments");
	is_int(clean, saved, "no trailing blanks");
	is_int(sack_only, saved, "each a handshake whose options differ by sackOK alone");
	/* The same roots found again from other bytes are not saved again. */
	is_int(cmp_fuzz(st, &o, &divs, 0.2, 99, dir), 0, "again, another seed");
	int again = count_files(dir);
	ok(again >= saved && again <= 8, "no signature saved twice (%d, then %d)", saved, again);
	struct script_load_opts lo = { 0 };
	struct run_script rs;
	char *msg = NULL;
	ok(*path && script_load(path, &lo, &rs, &msg) == 0, "the saved script is a script");
	free(msg);
	if (*path)
		run_script_free(&rs);
	char cmd[300];

	/* Against a kernel, a difference that engine:linux-late does not have
	 * is the kernel's timer slack, not a divergence. A stand-in kernel
	 * whose timers are always that late (the engine's linux-late profile
	 * under the name "linux") shows it: the on-time engine differs from
	 * it — saved when the other side is not a kernel — and nothing is
	 * saved when it is. */
	char dir2[] = "/tmp/synack-difffuzz-late-XXXXXX";
	char dir3[] = "/tmp/synack-difffuzz-late-XXXXXX";
	if (!mkdtemp(dir2) || !mkdtemp(dir3))
		tap_bail("mkdtemp");
	cmp_stack_parse("engine", &st[0], why, sizeof why);
	cmp_stack_parse("engine:linux-late", &st[1], why, sizeof why);
	is_int(cmp_fuzz(st, &o, &divs, 1.0, 11, dir2), 0, "engine vs engine:linux-late");
	int plain = count_files(dir2);
	ok(plain > 0, "late timers make differences (%d saved)", plain);
	static struct stack_ops late_kernel;
	late_kernel = stack_engine_ops;
	late_kernel.name = "linux";
	st[1].ops = &late_kernel;
	ok(cmp_stack_is_kernel(&st[1]), "the stand-in counts as a kernel");
	is_int(cmp_fuzz(st, &o, &divs, 1.0, 11, dir3), 0, "engine vs a kernel that late");
	is_int(count_files(dir3), 0, "none saved: the timer slack explains them");
	/* A real difference stays one: the stand-in kernel without SACK. */
	cmp_stack_parse("engine:linux-late+tcp_sack=0", &st[1], why, sizeof why);
	st[1].ops = &late_kernel;
	is_int(cmp_fuzz(st, &o, &divs, 0.3, 11, dir3), 0, "engine vs that kernel without SACK");
	ok(count_files(dir3) >= 1, "the SACK difference is saved (%d)", count_files(dir3));
	snprintf(cmd, sizeof cmd, "rm -rf %s %s", dir2, dir3);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", dir2);

	/* Zero-time steps: seed 46's script (corpora/divergences/README.md) —
	 * a SACK in the same instant as the data it covers. The engine marks
	 * the head lost at once (RTT sample 0, RACK's reordering window 0); a
	 * kernel whose packets arrive 150 µs late (a stand-in) arms the RACK
	 * timer instead. With a millisecond before each inbound packet that
	 * came at once both wait: explained. A real difference (that kernel
	 * without SACK) is not. */
	static const char zero_time_script[] =
	    "`sysctl -q net.ipv4.tcp_timestamps=0`\n"
	    "`sysctl -q net.ipv4.tcp_rmem=\"4096 131072 6291456\"`\n"
	    "0     socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
	    "+0    setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0\n"
	    "+0    bind(3, ..., ...) = 0\n"
	    "+0    listen(3, 1) = 0\n"
	    "+0    < S 0:0(0) win 65535 <mss 1200,sackOK,nop,nop,nop,wscale 7>\n"
	    "+.1   < . 1:1(0) ack 1 win 257\n"
	    "+0    accept(3, ..., ...) = 4\n"
	    "+0    fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n"
	    "+0    < P. 1:426(425) ack 1 win 0\n"
	    "+0    write(4, ..., 577) = ...\n"
	    "+.05  write(4, ..., 1585) = ...\n"
	    "+0    write(4, ..., 289) = ...\n"
	    "+.05  < . 426:426(0) ack 1 win 257 <nop,nop,sack 614:1227>\n"
	    "+0    < . 426:426(0) ack 1 win 64 <nop,nop,sack 1839:2452>\n"
	    "+0    close(4) = ...\n";
	static const char zero_time_sig[] = "missing: > . #:#(#) ack # win # | -";
	char tmp[] = "/tmp/synack-zerotime-XXXXXX";
	int tfd = mkstemp(tmp);
	if (tfd < 0)
		tap_bail("mkstemp");
	close(tfd);
	static struct stack_ops slow_kernel;
	slow_kernel = stack_engine_ops;
	slow_kernel.inject = slow_inject;
	slow_kernel.name = "linux";
	cmp_stack_parse("engine", &st[0], why, sizeof why);
	cmp_stack_parse("engine", &st[1], why, sizeof why);
	st[1].ops = &slow_kernel;
	ok(!cmp_root_gone(st, &o, zero_time_script, zero_time_sig, tmp),
	   "the engine retransmits where the slow kernel does not");
	ok(cmp_zero_time_explains(st, &o, zero_time_script, zero_time_sig, tmp),
	   "a millisecond before each inbound packet and both wait: explained");
	cmp_stack_parse("engine+tcp_sack=0", &st[1], why, sizeof why);
	st[1].ops = &slow_kernel;
	static const char no_sack_sig[] =
	    "options: > S. #:#(#) ack # win # <mss #,nop,nop,sackOK,nop,wscale #> | "
	    "> S. #:#(#) ack # win # <mss #,nop,wscale #>";
	ok(!cmp_root_gone(st, &o, zero_time_script, no_sack_sig, tmp),
	   "a kernel without SACK differs in its SYN-ACK");
	ok(!cmp_zero_time_explains(st, &o, zero_time_script, no_sack_sig, tmp),
	   "and zero-time steps do not explain that");
	unlink(tmp);

	/* A stack that breaks its own invariant (the engine's self-check,
	 * stack_ops.fault) is a bug in it, whatever the other stack does: the
	 * script is saved as fault-*.pkt with the reason, not compared. */
	char dir4[] = "/tmp/synack-difffuzz-fault-XXXXXX";
	if (!mkdtemp(dir4))
		tap_bail("mkdtemp");
	static struct stack_ops broken;
	broken = stack_engine_ops;
	broken.fault = always_broken;
	cmp_stack_parse("engine", &st[0], why, sizeof why);
	cmp_stack_parse("engine", &st[1], why, sizeof why);
	st[1].ops = &broken;
	is_int(cmp_fuzz(st, &o, &divs, 0.2, 5, dir4), 0, "engine vs a broken engine");
	int faults = 0, others = 0;
	char fault_path[512] = "";
	d = opendir(dir4);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (strncmp(e->d_name, "fault-", 6) == 0) {
			faults++;
			snprintf(fault_path, sizeof fault_path, "%s/%s", dir4, e->d_name);
		} else {
			others++;
		}
	}
	if (d)
		closedir(d);
	ok(faults == 1 && others == 0,
	   "saved as a fault once — one reason, numbers aside (%d) —, nothing as a divergence (%d)",
	   faults, others);
	char buf[8192] = "";
	FILE *f = fopen(fault_path, "r");
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
	buf[n] = 0;
	if (f)
		fclose(f);
	ok(strstr(buf, "// divergence: fault: engine, line #: stack engine broke its own "
	               "invariant: tcb # went from CLOSE_WAIT to ESTABLISHED\n") &&
	       strstr(buf, "\n// engine, line ") &&
	       strstr(buf, "stack engine broke its own invariant: tcb 1 went from CLOSE_WAIT"),
	   "with the stack and its reason");
	ok(script_load(fault_path, &lo, &rs, &msg) == 0, "the saved fault is a script");
	free(msg);
	run_script_free(&rs);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir4);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", dir4);

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		tap_diag("could not remove %s", dir);
	return tap_done();
}
