/* packetdrill's shared-object stack interface, declared from its
 * documentation (docs/comparing.md, "The shared-object ABI").
 *
 * packetdrill (--so_filename=LIB --so_flags=FLAGS) dlopen()s LIB, looks up
 * `packetdrill_interface_init`, zeroes a struct packetdrill_interface and
 * calls init(FLAGS, &iface); the library fills in its userdata and the
 * callbacks it implements (NULL: not implemented). From then on packetdrill
 * talks to the library's TCP stack only through those callbacks: socket
 * calls with BSD signatures (return -1 and set errno on failure), the first
 * argument always the library's userdata; netdev_send to hand the stack an
 * inbound IP packet; netdev_receive to take the next outbound IP packet
 * (count set to 0 when none, with the time it left in microseconds);
 * usleep/gettimeofday, when given, replace the real clock, which lets a
 * user-space stack run in virtual time; free at the end.
 *
 * The layout below is the ABI: member order and types must stay exactly
 * as they are. Newer members sit at the end, so a library built against an
 * older, shorter struct still works (it leaves them NULL).
 */
#ifndef SYNACK_PACKETDRILL_ABI_H
#define SYNACK_PACKETDRILL_ABI_H

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

struct packetdrill_interface {
	void *userdata;
	void (*free)(void *userdata);
	int (*socket)(void *userdata, int domain, int type, int protocol);
	int (*bind)(void *userdata, int fd, const struct sockaddr *addr, socklen_t len);
	int (*listen)(void *userdata, int fd, int backlog);
	int (*accept)(void *userdata, int fd, struct sockaddr *addr, socklen_t *len);
	int (*connect)(void *userdata, int fd, const struct sockaddr *addr, socklen_t len);
	ssize_t (*read)(void *userdata, int fd, void *buf, size_t n);
	ssize_t (*readv)(void *userdata, int fd, const struct iovec *iov, int iovcnt);
	ssize_t (*recv)(void *userdata, int fd, void *buf, size_t n, int flags);
	ssize_t (*recvfrom)(void *userdata, int fd, void *buf, size_t n, int flags,
	                    struct sockaddr *from, socklen_t *fromlen);
	ssize_t (*recvmsg)(void *userdata, int fd, struct msghdr *msg, int flags);
	ssize_t (*write)(void *userdata, int fd, const void *buf, size_t n);
	ssize_t (*writev)(void *userdata, int fd, const struct iovec *iov, int iovcnt);
	ssize_t (*send)(void *userdata, int fd, const void *buf, size_t n, int flags);
	ssize_t (*sendto)(void *userdata, int fd, const void *buf, size_t n, int flags,
	                  const struct sockaddr *to, socklen_t tolen);
	ssize_t (*sendmsg)(void *userdata, int fd, const struct msghdr *msg, int flags);
	int (*fcntl)(void *userdata, int fd, int cmd, ...);
	int (*ioctl)(void *userdata, int fd, unsigned long request, ...);
	int (*close)(void *userdata, int fd);
	int (*shutdown)(void *userdata, int fd, int how);
	int (*getsockopt)(void *userdata, int fd, int level, int name, void *val, socklen_t *len);
	int (*setsockopt)(void *userdata, int fd, int level, int name, const void *val,
	                  socklen_t len);
	int (*poll)(void *userdata, struct pollfd *fds, nfds_t n, int timeout_ms);
	/* An inbound IP packet for the stack. 0, or -1. */
	int (*netdev_send)(void *userdata, const void *buf, size_t count);
	/* The next outbound IP packet into buf (*count: its size in, the
	 * packet's length out, 0 when none) and when it left. 0, or -1. */
	int (*netdev_receive)(void *userdata, void *buf, size_t *count, long long *time_usecs);
	int (*usleep)(void *userdata, useconds_t usec);
	int (*gettimeofday)(void *userdata, struct timeval *tv, struct timezone *tz);
	int (*epoll_create)(void *userdata, int size);
	int (*epoll_ctl)(void *userdata, int epfd, int op, int fd, struct epoll_event *ev);
	int (*epoll_wait)(void *userdata, int epfd, struct epoll_event *evs, int max,
	                  int timeout_ms);
	int (*pipe)(void *userdata, int fds[2]);
	int (*splice)(void *userdata, int in, loff_t *in_off, int out, loff_t *out_off, size_t len,
	              unsigned int flags);
};

/* The one symbol a library exports. */
typedef void (*packetdrill_interface_init_t)(const char *flags, struct packetdrill_interface *);
#define PACKETDRILL_INIT_SYMBOL "packetdrill_interface_init"

/* A synack extension (optional; libsynack-packetdrill.so has it): lets time
 * run until until_usecs (the library's gettimeofday clock) or until the
 * stack has something to report (an outbound packet, a blocked call
 * returned), whichever is first. Without it synack's so: stack moves a
 * virtual clock in usleep steps of SYNACK_SO_STEP_USECS (default 100). */
typedef int (*synack_packetdrill_advance_t)(void *userdata, long long until_usecs);
#define SYNACK_PACKETDRILL_ADVANCE_SYMBOL "synack_packetdrill_advance"

/* A synack extension (optional; libsynack-packetdrill.so has it): how many
 * calls are waiting inside the library right now (the result), and how many
 * ever had to wait (*total). It lets a caller tell "this call blocked" from
 * "this call is slow" without guessing from wall time. */
typedef int (*synack_packetdrill_blocked_t)(void *userdata, unsigned long *total);
#define SYNACK_PACKETDRILL_BLOCKED_SYMBOL "synack_packetdrill_blocked"

/* A synack extension (optional; libsynack-packetdrill.so has it): a script
 * command (`sysctl -q net.ipv4.tcp_sack=0`), as stack_ops.command. 0, or -1
 * with a message in msg. */
typedef int (*synack_packetdrill_command_t)(void *userdata, const char *cmd, char *msg, size_t cap);
#define SYNACK_PACKETDRILL_COMMAND_SYMBOL "synack_packetdrill_command"

#endif
