/* The Linux stack's settings: the sysctls pinned before every script, and
 * the script's own backquoted shell commands.
 *
 * Both run in the helper child, which already lives in the script's network
 * namespace: /proc/sys/net/ resolves to the namespace of the process that
 * opens it, so a write here never reaches the host, and a shell forked from
 * the child inherits the namespace (no `ip netns exec` needed).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stacks/linux_priv.h"

static void sysctl_path(const char *name, char *path, size_t cap)
{
	int n = snprintf(path, cap, "/proc/sys/");
	for (const char *p = name; *p && (size_t)n + 1 < cap; p++)
		path[n++] = (*p == '.') ? '/' : *p;
	path[n] = '\0';
}

int lx_sysctl_write(const char *name, const char *value)
{
	char path[256];
	sysctl_path(name, path, sizeof(path));
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t len = strlen(value);
	ssize_t n = write(fd, value, len);
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	return (size_t)n == len ? 0 : -EIO;
}

int lx_sysctl_read(const char *name, char *buf, size_t cap)
{
	char path[256];
	sysctl_path(name, path, sizeof(path));
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, cap - 1);
	int e = errno;
	close(fd);
	if (n < 0)
		return -e;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return 0;
}

/* The Linux kernel selftests' tools/testing/selftests/net/packetdrill/
 * defaults.sh, value for value: "standard production config values that
 * relate to TCP behavior". Scripts written for packetdrill assume them; a
 * fresh namespace would otherwise inherit whatever the host boots with
 * (e.g. tcp_rmem's max decides the SYN's wscale). */
static const char *const pinned[][2] = {
	{ "net.ipv4.tcp_rmem", "4096 540000 15728640" },
	{ "net.ipv4.tcp_wmem", "4096 262144 4194304" },
	{ "net.ipv4.tcp_timestamps", "1" },
	{ "net.ipv4.tcp_syn_retries", "5" },
	{ "net.ipv4.tcp_synack_retries", "5" },
	{ "net.ipv4.tcp_frto", "2" },
	{ "net.ipv4.tcp_sack", "1" },
	{ "net.ipv4.tcp_dsack", "1" },
	{ "net.ipv4.tcp_reordering", "3" },
	{ "net.ipv4.tcp_slow_start_after_idle", "0" },
	{ "net.ipv4.tcp_early_retrans", "4" },
	{ "net.ipv4.tcp_recovery", "1" },
	{ "net.ipv4.tcp_tso_win_divisor", "3" },
	{ "net.ipv4.tcp_ecn", "0" },
	{ "net.ipv4.tcp_pacing_ss_ratio", "200" },
	{ "net.ipv4.tcp_pacing_ca_ratio", "120" },
	{ "net.ipv4.tcp_fastopen", "0x70403" },
	{ "net.ipv4.tcp_fastopen_key", "a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4" },
	{ "net.ipv4.tcp_syncookies", "1" },
};

/* defaults.sh writes these with errors ignored: gone from newer kernels
 * (tcp_fack since 4.15) or rejected by some (notsent_lowat's UINT_MAX). */
static const char *const optional[][2] = {
	{ "net.ipv4.tcp_fack", "0" },
	{ "net.ipv4.tcp_notsent_lowat", "4294967295" },
};

static void note(char *notes, size_t cap, const char *fmt, const char *a, const char *b)
{
	size_t used = strlen(notes);
	if (used && used + 1 < cap) { /* one note per line */
		notes[used++] = '\n';
		notes[used] = '\0';
	}
	if (used < cap)
		snprintf(notes + used, cap - used, fmt, a, b);
}

int lx_sysctl_pin_defaults(bool *cc_fallback, char *notes, size_t notes_cap, char *err, size_t cap)
{
	*cc_fallback = false;
	for (size_t i = 0; i < sizeof(pinned) / sizeof(pinned[0]); i++) {
		int rc = lx_sysctl_write(pinned[i][0], pinned[i][1]);
		if (rc < 0) {
			snprintf(err, cap, "linux stack: sysctl %s=%s: %s", pinned[i][0],
			         pinned[i][1], strerror(-rc));
			return -1;
		}
	}
	for (size_t i = 0; i < sizeof(optional) / sizeof(optional[0]); i++)
		(void)lx_sysctl_write(optional[i][0], optional[i][1]);

	/* A namespace may only pick from the host's
	 * tcp_allowed_congestion_control; when cubic isn't on that list the
	 * write fails with EPERM and every socket the script creates gets
	 * TCP_CONGESTION=cubic instead (allowed to CAP_NET_ADMIN). Accepted
	 * sockets inherit their listener's. */
	int rc = lx_sysctl_write("net.ipv4.tcp_congestion_control", "cubic");
	if (rc < 0) {
		char was[64] = "?";
		(void)lx_sysctl_read("net.ipv4.tcp_congestion_control", was, sizeof(was));
		*cc_fallback = true;
		note(notes, notes_cap,
		     "sysctl net.ipv4.tcp_congestion_control=cubic refused (%s; namespace default "
		     "%s): setting TCP_CONGESTION=cubic on every socket instead",
		     strerror(-rc), was);
	}
	return 0;
}

/* Backquoted commands are the script's business; a hung one must not hang
 * the run forever, so it gets this long before SIGKILL. */
#define COMMAND_TIMEOUT_MS 30000

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

int lx_command_run(const char *cmd, char *err, size_t cap)
{
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
	for (int waited = 0;; waited++) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			snprintf(err, cap, "waitpid: %s", strerror(errno));
			return -1;
		}
		if (waited >= COMMAND_TIMEOUT_MS) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			snprintf(err, cap, "command timed out after %d s: %s",
			         COMMAND_TIMEOUT_MS / 1000, cmd);
			return -1;
		}
		struct timespec ms = { 0, 1000000 };
		nanosleep(&ms, NULL);
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
