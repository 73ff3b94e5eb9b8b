/* The Linux stack's settings: sysctl reads and writes, and the values
 * pinned before every script.
 *
 * Runs in the helper child, which already lives in the script's network
 * namespace: /proc/sys/net/ resolves to the namespace of the process that
 * opens it, so a write here never reaches the host.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
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
