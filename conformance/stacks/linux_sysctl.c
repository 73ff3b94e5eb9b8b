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
#include "stacks/pinned_sysctls.h"

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
	/* stacks/pinned_sysctls.c: defaults.sh's values. */
	for (size_t i = 0; i < stack_n_pinned_sysctls; i++) {
		const struct pinned_sysctl *ps = &stack_pinned_sysctls[i];
		int rc = lx_sysctl_write(ps->name, ps->value);
		if (rc < 0 && !ps->optional) {
			snprintf(err, cap, "linux stack: sysctl %s=%s: %s", ps->name, ps->value,
			         strerror(-rc));
			return -1;
		}
	}

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
