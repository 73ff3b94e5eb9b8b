/* The Linux stack's backquoted commands: `/bin/sh -c CMD` in the script's
 * namespace, with packetdrill's environment conventions, plus a fast path
 * for plain `sysctl -q key=value` and a sweep of whatever commands left
 * running when the helper shuts down.
 *
 * Runs in the helper child, which already lives in the namespace: a shell
 * forked from it inherits it (no `ip netns exec` needed).
 *
 * Why a fast path: a shell plus the sysctl binary cost 2-6 ms here, and
 * scripts put `sysctl` at time 0 right before `0 socket(...)`, so the socket
 * call came out late by more than the default 4 ms tolerance. Writing
 * /proc/sys directly takes microseconds and does exactly what sysctl(8)
 * does; anything that isn't a plain sysctl write (or fails) goes to the
 * shell, so errors read exactly as sysctl's own.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stacks/linux_priv.h"

/* A hung command must not hang the run forever. */
#define COMMAND_TIMEOUT_MS 30000

/* ---- the sysctl fast path ------------------------------------------------------ */

#define MAX_TOKENS 16

/* Splits a command into words, honouring '…' and "…" (no escapes). Fails
 * on anything a shell would treat specially, which sends the command to the
 * real shell instead. Returns the number of words or -1. */
static int split(const char *cmd, char *buf, size_t cap, char *words[MAX_TOKENS])
{
	if (strpbrk(cmd, ";&|<>`$()\\*?[]{}~#\n\r") || strlen(cmd) >= cap)
		return -1;
	int n = 0;
	char *o = buf;
	const char *p = cmd;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return n;
		if (n == MAX_TOKENS)
			return -1;
		words[n++] = o;
		while (*p && *p != ' ' && *p != '\t') {
			if (*p == '\'' || *p == '"') {
				char q = *p++;
				while (*p && *p != q)
					*o++ = *p++;
				if (*p != q)
					return -1; /* unbalanced quote: let sh complain */
				p++;
			} else {
				*o++ = *p++;
			}
		}
		*o++ = '\0';
	}
}

static bool valid_key(const char *k, size_t len)
{
	if (len == 0 || strstr(k, ".."))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = k[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-' || c == '/'))
			return false;
	}
	return true;
}

static const char CC_KEY[] = "net.ipv4.tcp_congestion_control";

/* Whether the namespace's key already reads as value (blanks between
 * numbers may differ: "1 2 3" is "1\t2\t3"). */
static bool reads_as(const char *key, const char *value)
{
	char cur[256];
	if (lx_sysctl_read(key, cur, sizeof(cur)) < 0)
		return false;
	const char *a = cur, *b = value;
	for (;;) {
		while (*a == ' ' || *a == '\t')
			a++;
		while (*b == ' ' || *b == '\t')
			b++;
		if (!*a || !*b)
			return !*a && !*b;
		while (*a && *a != ' ' && *a != '\t' && *a == *b)
			a++, b++;
		if ((*a && *a != ' ' && *a != '\t') || (*b && *b != ' ' && *b != '\t'))
			return false;
	}
}

/* 1 handled, 0 not a plain sysctl write (or it failed: use the shell), -1
 * an error in err. */
static int fast_sysctl(const char *cmd, char *note, size_t note_cap, char *err, size_t err_cap)
{
	char buf[1024];
	char *w[MAX_TOKENS];
	int n = split(cmd, buf, sizeof(buf), w);
	if (n < 2 || (strcmp(w[0], "sysctl") && strcmp(w[0], "/sbin/sysctl") &&
	              strcmp(w[0], "/usr/sbin/sysctl")))
		return 0;
	int first = 1;
	while (first < n && (!strcmp(w[first], "-q") || !strcmp(w[first], "-w")))
		first++;
	if (first == n)
		return 0;
	for (int i = first; i < n; i++) { /* all key=value, or it isn't ours */
		const char *eq = strchr(w[i], '=');
		if (!eq || !valid_key(w[i], (size_t)(eq - w[i])))
			return 0;
	}
	for (int i = first; i < n; i++) {
		char *eq = strchr(w[i], '=');
		*eq = '\0';
		const char *key = w[i], *value = eq + 1;
		int rc = lx_sysctl_write(key, value);
		bool cc =
		    strcmp(key, CC_KEY) == 0 || strcmp(key, "net/ipv4/tcp_congestion_control") == 0;
		if (cc && rc == -EPERM) {
			/* Not in the host's tcp_allowed_congestion_control: the
			 * per-socket equivalent for every socket from now on. */
			lx_calls_set_cc_fallback(value);
			size_t used = strlen(note);
			snprintf(note + used, note_cap - used,
			         "%ssysctl %s=%s refused by the host (EPERM): setting "
			         "TCP_CONGESTION=%s on every new socket instead",
			         used ? "\n" : "", CC_KEY, value, value);
			continue;
		}
		if (rc == -EACCES) {
			/* Read-only outside the initial namespace (6.18:
			 * net.core.rmem_max, inherited from the host's). A
			 * script pinning the value it already has runs; any
			 * other cannot be had here. */
			if (reads_as(key, value))
				continue;
			char cur[64] = "?";
			(void)lx_sysctl_read(key, cur, sizeof(cur));
			snprintf(err, err_cap,
			         "skip: sysctl %s=%s: read-only in a network namespace, "
			         "which has the host's %s",
			         key, value, cur);
			return -1;
		}
		if (rc < 0)
			return 0; /* sysctl(8) reports it in its own words */
		if (cc)
			lx_calls_set_cc_fallback(NULL);
	}
	return 1;
}

/* ---- the shell -------------------------------------------------------------------- */

/* Waits for pid up to timeout_ms: through a pidfd (woken the moment it
 * exits), or by polling where pidfd_open is missing (before 5.3). */
static int wait_child(pid_t pid, int *status, int timeout_ms)
{
	int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd >= 0) {
		struct pollfd p = { .fd = pfd, .events = POLLIN };
		int rc;
		do
			rc = poll(&p, 1, timeout_ms);
		while (rc < 0 && errno == EINTR);
		close(pfd);
		if (rc == 0)
			return -ETIMEDOUT;
		while (waitpid(pid, status, 0) < 0)
			if (errno != EINTR)
				return -errno;
		return 0;
	}
	for (int waited = 0; waited < timeout_ms * 10; waited++) {
		pid_t w = waitpid(pid, status, WNOHANG);
		if (w == pid)
			return 0;
		if (w < 0 && errno != EINTR)
			return -errno;
		struct timespec t = { 0, 100000 };
		nanosleep(&t, NULL);
	}
	return -ETIMEDOUT;
}

int lx_command_run(const char *cmd, char *err, size_t cap, char *note, size_t note_cap)
{
	note[0] = '\0';
	int fast = fast_sysctl(cmd, note, note_cap, err, cap);
	if (fast)
		return fast > 0 ? 0 : -1;
	note[0] = '\0';
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, cap, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* packetdrill exports its pid so scripts can find their own
		 * process (e.g. `nstat`, /proc/$PACKETDRILL_PID/...). */
		char pidbuf[32];
		snprintf(pidbuf, sizeof(pidbuf), "%d", (int)getppid());
		setenv("PACKETDRILL_PID", pidbuf, 1);
		setenv("SYNACK_STACK", "linux", 1);
		/* Our stdout is the executor's TAP stream: keep it clean. */
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	int status = 0;
	int rc = wait_child(pid, &status, COMMAND_TIMEOUT_MS);
	if (rc == -ETIMEDOUT) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		snprintf(err, cap, "command timed out after %d s: %s", COMMAND_TIMEOUT_MS / 1000,
		         cmd);
		return -1;
	}
	if (rc < 0) {
		snprintf(err, cap, "waitpid: %s", strerror(-rc));
		return -1;
	}
	while (waitpid(-1, NULL, WNOHANG) > 0) /* orphans that finished meanwhile */
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		snprintf(err, cap, "command failed with exit status %d: %s", WEXITSTATUS(status),
		         cmd);
	else
		snprintf(err, cap, "command killed by signal %d: %s",
		         WIFSIGNALED(status) ? WTERMSIG(status) : 0, cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* ---- shutdown ------------------------------------------------------------------- */

static ino_t netns_ino(const char *pid)
{
	char path[300];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%s/ns/net", pid);
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

/* Whatever a command left running (`tcpdump &`, even `setsid …`) lives in
 * our namespace and would keep it alive after the script: on shutdown every
 * process in this namespace but us gets SIGKILL. Only our descendants can be
 * in it (nobody else knows it exists), and the helper is their subreaper
 * (linux_child.c), so we can also wait until they are really gone. */
void lx_command_cleanup(void)
{
	ino_t ours = netns_ino("self");
	char self[16];
	snprintf(self, sizeof(self), "%d", (int)getpid());
	DIR *d = opendir("/proc");
	struct dirent *e;
	while (ours && d && (e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9' || strcmp(e->d_name, self) == 0)
			continue;
		if (netns_ino(e->d_name) == ours)
			kill((pid_t)atoi(e->d_name), SIGKILL);
	}
	if (d)
		closedir(d);
	for (int i = 0; i < 1000; i++) { /* at most ~1 s */
		pid_t w = waitpid(-1, NULL, WNOHANG);
		if (w < 0 && errno == ECHILD)
			break;
		if (w <= 0) {
			struct timespec ms = { 0, 1000000 };
			nanosleep(&ms, NULL);
		}
	}
}
