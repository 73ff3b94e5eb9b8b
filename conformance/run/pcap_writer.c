/* Classic pcap (not pcapng): the format every tool reads. */
#include "run/pcap_writer.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Native byte order: readers detect it from the magic number. */
struct pcap_file_header {
	uint32_t magic;                        /* 0xa1b2c3d4: microsecond timestamps */
	uint16_t version_major, version_minor; /* 2.4 */
	int32_t thiszone;
	uint32_t sigfigs;
	uint32_t snaplen;
	uint32_t linktype;
};

struct pcap_record_header {
	uint32_t ts_sec, ts_usec, incl_len, orig_len;
};

int run_pcap_write(const char *path, const struct run_trace *t, char *err, size_t errcap)
{
	FILE *f = fopen(path, "wb");
	if (!f) {
		snprintf(err, errcap, "%s: %s", path, strerror(errno));
		return -1;
	}
	struct pcap_file_header fh = {
		.magic = 0xa1b2c3d4,
		.version_major = 2,
		.version_minor = 4,
		.snaplen = 65535,
		.linktype = RUN_PCAP_LINKTYPE_RAW,
	};
	int ok = fwrite(&fh, sizeof fh, 1, f) == 1;
	for (size_t i = 0; ok && i < t->n; i++) {
		const struct run_obs *o = &t->v[i];
		if (!o->pkt || (o->kind != RUN_OBS_INBOUND && o->kind != RUN_OBS_OUTBOUND))
			continue;
		struct pcap_record_header rh = {
			.ts_sec = (uint32_t)(o->time_us / 1000000),
			.ts_usec = (uint32_t)(o->time_us % 1000000),
			.incl_len = (uint32_t)o->len,
			.orig_len = (uint32_t)o->len,
		};
		ok = fwrite(&rh, sizeof rh, 1, f) == 1 && fwrite(o->pkt, o->len, 1, f) == 1;
	}
	if (fclose(f) != 0)
		ok = 0;
	if (!ok) {
		snprintf(err, errcap, "%s: write failed", path);
		return -1;
	}
	return 0;
}

void run_pcap_path_for(const char *dir, const char *script_path, char *out, size_t cap)
{
	const char *base = strrchr(script_path, '/');
	base = base ? base + 1 : script_path;
	size_t n = strlen(base);
	if (n > 4 && strcmp(base + n - 4, ".pkt") == 0)
		n -= 4;
	snprintf(out, cap, "%s/%.*s.pcap", dir, (int)n, base);
}

/* A path's components, empty and "." ones dropped: up to `max`. */
static size_t split_path(const char *path, const char **comp, size_t *len, size_t max)
{
	size_t n = 0;
	const char *p = path;
	while (*p && n < max) {
		size_t l = strcspn(p, "/");
		if (l && !(l == 1 && p[0] == '.')) {
			comp[n] = p;
			len[n] = l;
			n++;
		}
		p += l;
		p += strspn(p, "/");
	}
	return n;
}

#define MAX_COMPONENTS 128

static bool name_taken(char *const *names, size_t n, const char *name)
{
	for (size_t j = 0; j < n; j++)
		if (strcmp(names[j], name) == 0)
			return true;
	return false;
}

char **run_pcap_names(char *const *paths, size_t n)
{
	char **names = calloc(n ? n : 1, sizeof *names);
	if (!names)
		return NULL;
	/* The common directory: components shared by every path's directory. */
	const char *c0[MAX_COMPONENTS];
	size_t l0[MAX_COMPONENTS];
	size_t common = 0;
	if (n) {
		common = split_path(paths[0], c0, l0, MAX_COMPONENTS);
		common = common ? common - 1 : 0; /* its directory */
	}
	for (size_t i = 1; i < n && common; i++) {
		const char *c[MAX_COMPONENTS];
		size_t l[MAX_COMPONENTS];
		size_t k = split_path(paths[i], c, l, MAX_COMPONENTS);
		k = k ? k - 1 : 0;
		size_t j = 0;
		while (j < common && j < k && l[j] == l0[j] && memcmp(c[j], c0[j], l[j]) == 0)
			j++;
		common = j;
	}
	/* Absolute and relative paths share nothing. */
	for (size_t i = 1; i < n; i++)
		if ((paths[i][0] == '/') != (paths[0][0] == '/'))
			common = 0;
	for (size_t i = 0; i < n; i++) {
		const char *c[MAX_COMPONENTS];
		size_t l[MAX_COMPONENTS];
		size_t k = split_path(paths[i], c, l, MAX_COMPONENTS);
		size_t cap = strlen(paths[i]) * 2 + 32, used = 0;
		char *name = malloc(cap);
		if (!name) {
			run_pcap_names_free(names, n);
			return NULL;
		}
		name[0] = 0;
		for (size_t j = common; j < k; j++) {
			size_t len = l[j];
			if (j + 1 == k && len > 4 && memcmp(c[j] + len - 4, ".pkt", 4) == 0)
				len -= 4;
			used += (size_t)snprintf(name + used, cap - used, "%s%.*s",
			                         j > common ? "__" : "", (int)len, c[j]);
		}
		if (!used)
			used += (size_t)snprintf(name, cap, "script");
		/* Unique among the names made so far. */
		size_t stem = used;
		snprintf(name + stem, cap - stem, ".pcap");
		for (int dup = 2; name_taken(names, i, name); dup++)
			snprintf(name + stem, cap - stem, "-%d.pcap", dup);
		names[i] = name;
	}
	return names;
}

void run_pcap_names_free(char **names, size_t n)
{
	if (!names)
		return;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
