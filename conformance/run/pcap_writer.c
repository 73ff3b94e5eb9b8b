/* Classic pcap (not pcapng): the format every tool reads. */
#include "run/pcap_writer.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
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
