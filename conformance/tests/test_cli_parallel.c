/* synack run -j and synack list --longest-first, through the CLI itself
 * (this variant's build): the start order is longest script first, the
 * output stays in script order whatever the order scripts finish in. */
#include "tap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/synack-cli-XXXXXX";

static void write_script(const char *name, const char *last_time)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		return;
	fprintf(f,
	        "// A socket closed after a while.\n"
	        "// @requirement: none\n"
	        "// @stacks: engine\n"
	        "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"
	        "%s close(3) = 0\n",
	        last_time);
	fclose(f);
}

/* Runs the CLI with args in dir; returns stdout (malloc'd). */
static char *cli(const char *const *args)
{
	int fd[2];
	if (pipe(fd) < 0)
		return strdup("");
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		if (chdir(dir) < 0)
			_exit(127);
		char *argv[16];
		int n = 0;
		argv[n++] = (char *)SYNACK_BUILD_DIR "/bin/synack";
		for (; args[n - 1] && n < 15; n++)
			argv[n] = (char *)args[n - 1];
		argv[n] = NULL;
		execv(argv[0], argv);
		_exit(127);
	}
	close(fd[1]);
	size_t len = 0, cap = 4096;
	char *out = malloc(cap);
	ssize_t r;
	while ((r = read(fd[0], out + len, cap - len - 1)) > 0 || (r < 0 && errno == EINTR)) {
		if (r <= 0)
			continue;
		len += (size_t)r;
		if (cap - len < 2) {
			cap *= 2;
			out = realloc(out, cap);
		}
	}
	out[len] = '\0';
	close(fd[0]);
	int st;
	waitpid(pid, &st, 0);
	return out;
}

int main(void)
{
	if (!mkdtemp(dir))
		tap_bail("mkdtemp: %s", strerror(errno));
	/* a: 0 s, b: 0.3 s, c: 0.1 s (script time). */
	write_script("a.pkt", "+0");
	write_script("b.pkt", "+0.3");
	write_script("c.pkt", "+0.1");

	char *out = cli((const char *[]){ "list", "--longest-first", ".", NULL });
	is_str(out, "./b.pkt\n./c.pkt\n./a.pkt\n", "list --longest-first: b (0.3 s), c, a");
	free(out);

	out = cli((const char *[]){ "run", "-j", "2", ".", NULL });
	const char *a = strstr(out, "PASS ./a.pkt"), *b = strstr(out, "PASS ./b.pkt"),
	           *c = strstr(out, "PASS ./c.pkt");
	ok(a && b && c && a < b && b < c, "run -j 2: all pass, printed in script order:\n%s", out);
	free(out);

	/* Without -j (default: one per core) the TAP stream is the same as -j 1
	 * but for wall times. */
	char *par = cli((const char *[]){ "run", "--tap", ".", NULL });
	char *ser = cli((const char *[]){ "run", "--tap", "-j", "1", ".", NULL });
	is_str(par, ser, "run --tap by default = run --tap -j 1");
	free(par);
	free(ser);

	const char *names[] = { "a.pkt", "b.pkt", "c.pkt" };
	for (int i = 0; i < 3; i++) {
		char path[256];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
	done_testing();
}
