/* The Linux stack's isolation and settings: what it leaves behind (nothing,
 * even when killed), what it changes on the host (nothing), what it pins
 * inside its namespace, how it runs commands, and how it says "can't run
 * here" without root.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stacks/linux_stack.h"
#include "stacks/stack.h"
#include "tap.h"

static const struct stack_ops *ops = &stack_linux_ops;

/* ---- host observations -------------------------------------------------------- */

/* Interfaces in the caller's (the host's) namespace, over rtnetlink. */
static int host_links(void)
{
	struct if_nameindex *l = if_nameindex();
	int n = 0;
	for (struct if_nameindex *p = l; p && p->if_index; p++)
		n++;
	if_freenameindex(l);
	return n;
}

static ino_t netns_of(pid_t pid)
{
	char path[64];
	struct stat stt;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	return stat(path, &stt) == 0 ? stt.st_ino : 0;
}

/* Does any process (or thread) still hold the namespace? */
static bool netns_held(ino_t ino)
{
	DIR *d = opendir("/proc");
	bool held = false;
	struct dirent *e;
	while (d && !held && (e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		held = netns_of((pid_t)pid) == ino;
	}
	if (d)
		closedir(d);
	return held;
}

/* Gone means no such process (zombies count as alive: they were not
 * reaped). */
static bool pid_gone(pid_t pid)
{
	return kill(pid, 0) < 0 && errno == ESRCH;
}

static void sleep_ms(int ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000 };
	nanosleep(&t, NULL);
}

/* Orphans are re-parented to us (PR_SET_CHILD_SUBREAPER): reap them so a
 * killed runner's helper can be seen to disappear. */
static bool wait_gone(pid_t pid, int ms)
{
	for (int i = 0; i < ms; i++) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		if (pid_gone(pid))
			return true;
		sleep_ms(1);
	}
	return false;
}

static int read_file(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, cap - 1, f);
	fclose(f);
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = 0;
	return 0;
}

static struct stack *start(void)
{
	struct stack_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.ip_version = 4;
	struct stack_error err;
	struct stack *s = NULL;
	if (ops->start(&s, &cfg, &err) != 0) {
		if (err.skip)
			tap_plan_skip_all("%s", err.msg);
		tap_bail("linux stack: %s", err.msg);
	}
	return s;
}

/* ---- scenarios ------------------------------------------------------------------ */

static void start_stop_leaves_nothing(void)
{
	subtest("start + stop leaves no interface, namespace or process");
	int links = host_links();
	ino_t ours = netns_of(getpid());
	struct stack *s = start();
	pid_t pid = stack_linux_pid(s);
	ino_t theirs = netns_of(pid);
	ok(pid > 0, "a helper process (%d)", (int)pid);
	ok(theirs != 0 && theirs != ours, "in a namespace of its own");
	is_int(host_links(), links, "no interface appeared on the host");
	ok(if_nametoindex("synack0") == 0, "synack0 is not on the host");
	/* A command that leaves a process behind would hold the namespace. */
	struct stack_error err;
	is_int(
	    ops->command(s, "sleep 30 >/dev/null 2>&1 & setsid sleep 31 >/dev/null 2>&1 &", &err),
	    0, "a command leaves two sleeps running, one in its own session");
	ops->stop(s);
	ok(pid_gone(pid), "the helper is gone after stop");
	ok(!netns_held(theirs), "no process holds its namespace");
	is_int(host_links(), links, "host interface count unchanged");
	subtest_end();
}

static void sigkill_leaves_nothing(void)
{
	subtest("SIGKILL of a running stack leaves nothing behind");
	int links = host_links();

	/* 1. The executor dies: a runner process starts a stack, blocks an
	 * accept() in it, and is SIGKILLed. PR_SET_PDEATHSIG takes the helper
	 * and its namespace down. */
	int pfd[2];
	if (pipe(pfd) < 0)
		tap_bail("pipe: %s", strerror(errno));
	pid_t runner = fork();
	if (runner == 0) {
		close(pfd[0]);
		struct stack *s = start();
		static struct stack_call c;
		c.op = STACK_SOCKET;
		c.a[0] = 2; /* AF_INET */
		c.a[1] = 1; /* SOCK_STREAM */
		struct stack_error err;
		ops->call(s, &c, &err);
		pid_t pid = stack_linux_pid(s);
		ino_t ino = netns_of(pid);
		if (write(pfd[1], &pid, sizeof(pid)) < 0 || write(pfd[1], &ino, sizeof(ino)) < 0)
			_exit(1);
		for (;;)
			pause();
	}
	close(pfd[1]);
	pid_t helper = -1;
	ino_t ino = 0;
	bool got = read(pfd[0], &helper, sizeof(helper)) == sizeof(helper) &&
	           read(pfd[0], &ino, sizeof(ino)) == sizeof(ino);
	close(pfd[0]);
	ok(got && helper > 0 && ino, "runner started a stack (helper %d)", (int)helper);
	ok(netns_held(ino), "its namespace is alive");
	kill(runner, SIGKILL);
	waitpid(runner, NULL, 0);
	ok(wait_gone(helper, 2000), "helper gone after the runner's SIGKILL");
	ok(!netns_held(ino), "namespace released");
	is_int(host_links(), links, "host interface count unchanged");

	/* 2. The helper itself is killed mid-call: the stack reports it, and
	 * stop still cleans up. */
	struct stack *s = start();
	pid_t pid = stack_linux_pid(s);
	ino = netns_of(pid);
	static struct stack_call sock, acc;
	sock.op = STACK_SOCKET;
	sock.a[0] = 2;
	sock.a[1] = 1;
	struct stack_error err;
	ops->call(s, &sock, &err);
	acc.op = STACK_LISTEN;
	acc.fd = (int)sock.ret;
	acc.a[0] = 1;
	ops->call(s, &acc, &err);
	acc.op = STACK_ACCEPT;
	acc.may_block = true;
	is_int(ops->call(s, &acc, &err), STACK_CALL_PENDING, "accept() blocks in the helper");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0); /* reaped here: stop must cope with that too */
	/* Writing to the dead helper first: an error, not SIGPIPE. */
	is_int(ops->inject(s, (const uint8_t *)"\x45", 1, &err), -1, "inject fails");
	ok(strstr(err.msg, "helper") != NULL, "saying why: %s", err.msg);
	is_int(ops->advance(s, ops->now(s) + 1000000), -1, "advance reports the dead helper");
	ops->stop(s);
	ok(pid_gone(pid), "helper reaped by stop");
	ok(!netns_held(ino), "namespace released");
	is_int(host_links(), links, "host interface count unchanged");
	subtest_end();
}

static void sysctls_pinned(void)
{
	subtest("sysctls pinned inside, host untouched; commands run inside");
	char host_before[128], host_after[128], inside[128];
	read_file("/proc/sys/net/ipv4/tcp_rmem", host_before, sizeof(host_before));
	struct stack *s = start();
	char tmp[] = "/tmp/synack-linux-XXXXXX";
	int fd = mkstemp(tmp);
	close(fd);
	char cmd[256];
	struct stack_error err;
	snprintf(cmd, sizeof(cmd), "cat /proc/sys/net/ipv4/tcp_rmem > %s", tmp);
	is_int(ops->command(s, cmd, &err), 0, "command ran: %s", cmd);
	read_file(tmp, inside, sizeof(inside));
	is_str(inside, "4096\t540000\t15728640", "tcp_rmem inside = defaults.sh's");
	static const char *const pinned[][2] = {
		{ "tcp_wmem", "4096\t262144\t4194304" },
		{ "tcp_ecn", "0" },
		{ "tcp_timestamps", "1" },
		{ "tcp_sack", "1" },
		{ "tcp_syn_retries", "5" },
		{ "tcp_slow_start_after_idle", "0" },
		{ "tcp_early_retrans", "4" },
		{ "tcp_fastopen", "459779" },
	};
	for (size_t i = 0; i < sizeof(pinned) / sizeof(pinned[0]); i++) {
		snprintf(cmd, sizeof(cmd), "cat /proc/sys/net/ipv4/%s > %s", pinned[i][0], tmp);
		ops->command(s, cmd, &err);
		read_file(tmp, inside, sizeof(inside));
		is_str(inside, pinned[i][1], "%s inside", pinned[i][0]);
	}
	read_file("/proc/sys/net/ipv4/tcp_rmem", host_after, sizeof(host_after));
	is_str(host_after, host_before, "host tcp_rmem unchanged (%s)", host_after);

	char allowed[256] = "";
	read_file("/proc/sys/net/ipv4/tcp_allowed_congestion_control", allowed, sizeof(allowed));
	const char *notes = ops->notes(s);
	if (strstr(allowed, "cubic"))
		ok(true, "cubic allowed here: no fallback needed (notes: '%s')", notes);
	else
		ok(strstr(notes, "TCP_CONGESTION=cubic") != NULL,
		   "the refused cubic sysctl and its fallback are in the notes: %s", notes);

	snprintf(cmd, sizeof(cmd), "test \"$PACKETDRILL_PID\" = %d", (int)stack_linux_pid(s));
	is_int(ops->command(s, cmd, &err), 0, "PACKETDRILL_PID is the helper's pid");
	is_int(ops->command(s, "ip -o link show dev tun0 >/dev/null", &err), 0,
	       "tun0 exists where commands run");
	is_int(ops->command(s, "sysctl -q net.ipv4.tcp_ecn=1", &err), 0,
	       "a script's sysctl command works");
	snprintf(cmd, sizeof(cmd), "cat /proc/sys/net/ipv4/tcp_ecn > %s", tmp);
	ops->command(s, cmd, &err);
	read_file(tmp, inside, sizeof(inside));
	is_str(inside, "1", "and takes effect inside");
	read_file("/proc/sys/net/ipv4/tcp_ecn", host_after, sizeof(host_after));
	ok(true, "host tcp_ecn stays %s", host_after);
	is_int(ops->command(s, "exit 3", &err), -1, "a failing command fails");
	ok(strstr(err.msg, "exit status 3") != NULL, "with its status: %s", err.msg);
	unlink(tmp);
	ops->stop(s);
	subtest_end();
}

/* getsockopt(TCP_CONGESTION) of a fresh TCP socket. */
static void new_socket_cc(struct stack *s, char *out, size_t cap)
{
	static struct stack_call c;
	struct stack_error err;
	memset(&c, 0, sizeof(c));
	c.op = STACK_SOCKET;
	c.a[0] = 2; /* AF_INET */
	c.a[1] = 1; /* SOCK_STREAM */
	ops->call(s, &c, &err);
	int fd = (int)c.ret;
	memset(&c, 0, sizeof(c));
	c.op = STACK_GETSOCKOPT;
	c.fd = fd;
	c.a[0] = 6;  /* IPPROTO_TCP */
	c.a[1] = 13; /* TCP_CONGESTION */
	c.out_cap = 16;
	ops->call(s, &c, &err);
	snprintf(out, cap, "%.*s", (int)c.out_len, (const char *)c.out);
	memset(&c, 0, sizeof(c));
	c.op = STACK_CLOSE;
	c.fd = fd;
	ops->call(s, &c, &err);
}

static void sysctl_commands(void)
{
	subtest("sysctl commands: written directly, quoted values, cc fallback, errors");
	struct stack *s = start();
	struct stack_error err;
	char tmp[] = "/tmp/synack-linux-XXXXXX", cmd[256], inside[128], cc[32];
	int fd = mkstemp(tmp);
	close(fd);

	uint64_t t = ops->now(s);
	is_int(ops->command(s, "sysctl -q -w net.ipv4.tcp_rmem=\"4096 87380 6291456\"", &err), 0,
	       "sysctl with a quoted value");
	tap_note("a plain sysctl command took %llu us", (unsigned long long)(ops->now(s) - t));
	snprintf(cmd, sizeof(cmd), "cat /proc/sys/net/ipv4/tcp_rmem > %s", tmp);
	ops->command(s, cmd, &err);
	read_file(tmp, inside, sizeof(inside));
	is_str(inside, "4096\t87380\t6291456", "took effect");

	char allowed[256] = "";
	read_file("/proc/sys/net/ipv4/tcp_allowed_congestion_control", allowed, sizeof(allowed));
	is_int(ops->command(s, "sysctl -q net.ipv4.tcp_congestion_control=reno", &err), 0,
	       "sysctl tcp_congestion_control=reno");
	new_socket_cc(s, cc, sizeof(cc));
	is_str(cc, "reno", "a new socket uses reno");
	is_int(ops->command(s, "sysctl -q net.ipv4.tcp_congestion_control=cubic", &err), 0,
	       "sysctl tcp_congestion_control=cubic succeeds (natively or per socket)");
	new_socket_cc(s, cc, sizeof(cc));
	is_str(cc, "cubic", "a new socket uses cubic");
	if (!strstr(allowed, "cubic"))
		ok(strstr(ops->notes(s), "TCP_CONGESTION=cubic on every new socket") != NULL,
		   "the per-socket fallback is in the notes");
	else
		ok(true, "cubic is allowed on this host: no fallback needed");

	is_int(ops->command(s, "sysctl -q net.ipv4.tcp_no_such_knob=1", &err), -1,
	       "an unknown sysctl fails");
	ok(strstr(err.msg, "exit status") != NULL, "with sysctl's exit status: %s", err.msg);
	is_int(ops->command(s, "sysctl -q net.ipv4.tcp_ecn=0; exit 4", &err), -1,
	       "anything beyond a plain sysctl goes to the shell");
	ok(strstr(err.msg, "exit status 4") != NULL, "%s", err.msg);

	/* net.core.rmem_max: read-only in a namespace on 6.18, the host's
	 * value inherited. Writing that value is fine; another cannot be had
	 * on this host: a SKIP (err.skip), not a failure. */
	char rmem_max[64] = "";
	read_file("/proc/sys/net/core/rmem_max", rmem_max, sizeof(rmem_max));
	snprintf(cmd, sizeof(cmd), "sysctl -q net.core.rmem_max=%s", rmem_max);
	is_int(ops->command(s, cmd, &err), 0, "rmem_max to the value it has (%s)", rmem_max);
	snprintf(cmd, sizeof(cmd), "sysctl -q net.core.rmem_max=%s",
	         strcmp(rmem_max, "212992") ? "212992" : "4194304");
	int rc = ops->command(s, cmd, &err);
	if (rc == 0)
		ok(true, "rmem_max is writable in a namespace on this kernel");
	else
		ok(err.skip && strncmp(err.msg, "sysctl net.core.rmem_max=", 25) == 0 &&
		       strstr(err.msg, rmem_max) != NULL,
		   "another value is a skip, naming the host's: %s", err.msg);
	unlink(tmp);
	ops->stop(s);
	subtest_end();
}

static void clock_and_advance(void)
{
	subtest("now() is monotonic from start; advance() waits until its deadline");
	struct stack *s = start();
	uint64_t t0 = ops->now(s);
	ok(t0 < 100000, "now() starts near 0 (%llu us)", (unsigned long long)t0);
	is_int(ops->advance(s, t0 + 50000), 0, "advance 50 ms with nothing to see");
	uint64_t t1 = ops->now(s);
	/* Loose upper bound: a loaded CI box may be slow to wake us. */
	ok(t1 >= t0 + 50000 && t1 < t0 + 500000, "took %llu us", (unsigned long long)(t1 - t0));
	struct stack_event *ev = malloc(sizeof(*ev));
	ok(!ops->next_event(s, ev), "no event: the wire is quiet (no MLD, RS or ARP)");
	free(ev);
	ops->stop(s);
	subtest_end();
}

static void parallel_stacks(void)
{
	subtest("two stacks at once, same addresses, separate namespaces");
	struct stack *a = start(), *b = start();
	ok(netns_of(stack_linux_pid(a)) != netns_of(stack_linux_pid(b)), "different namespaces");
	struct stack_error err;
	is_int(ops->command(a, "ip addr show dev tun0 | grep -q 192.168.0.1", &err), 0,
	       "a has 192.168.0.1");
	is_int(ops->command(b, "ip addr show dev tun0 | grep -q 192.168.0.1", &err), 0,
	       "b has 192.168.0.1 too");
	ops->stop(a);
	is_int(ops->command(b, "true", &err), 0, "b still works after a stopped");
	ops->stop(b);
	subtest_end();
}

static void no_root_skips(void)
{
	subtest("without root, start() says skip, and why");
	int pfd[2];
	if (pipe(pfd) < 0)
		tap_bail("pipe");
	pid_t pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		struct stack_error err = { 0 };
		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0) {
			snprintf(err.msg, sizeof(err.msg), "could not drop root");
		} else {
			struct stack_config cfg = { .ip_version = 4 };
			struct stack *s = NULL;
			if (ops->start(&s, &cfg, &err) == 0) {
				ops->stop(s);
				snprintf(err.msg, sizeof(err.msg), "started anyway");
			}
		}
		if (write(pfd[1], &err, sizeof(err)) < 0)
			_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	struct stack_error err = { 0 };
	bool got = read(pfd[0], &err, sizeof(err)) == sizeof(err);
	close(pfd[0]);
	waitpid(pid, NULL, 0);
	ok(got, "the unprivileged child reported");
	ok(err.skip, "err.skip is set");
	ok(strstr(err.msg, "root") != NULL, "message: %s", err.msg);
	subtest_end();
}

int main(void)
{
	if (geteuid() != 0)
		tap_plan_skip_all(
		    "linux stack needs root (CAP_NET_ADMIN) to create a network namespace");
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	ops->stop(start()); /* skips the whole file on a host that can't */
	start_stop_leaves_nothing();
	sigkill_leaves_nothing();
	sysctls_pinned();
	sysctl_commands();
	clock_and_advance();
	parallel_stacks();
	no_root_skips();
	done_testing();
}
