/* Header options and command-line flags onto a run_config: the same names
 * packetdrill uses (config.c there), the command line applied last. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/script.h"

static bool num(const char *v, double lo, double hi, double *out)
{
	char *end;
	if (!v || !*v)
		return false;
	double d = strtod(v, &end);
	if (*end || d < lo || d > hi)
		return false;
	*out = d;
	return true;
}

/* A two-word option: value `off_word` sets *out false, `on_word` true. */
static bool either(const char *v, const char *off_word, const char *on_word, bool *out)
{
	if (v && strcmp(v, off_word) == 0)
		*out = false;
	else if (v && strcmp(v, on_word) == 0)
		*out = true;
	else
		return false;
	return true;
}

/* Options that only matter to packetdrill's own tun/wire setup: accepted
 * and ignored, since no synack stack has a gateway or a wire server. */
static const char *const ignored[] = {
	"gateway_ip",        "netmask_ip",      "speed",
	"non_fatal",         "dry_run",         "debug",
	"verbose",           "wire_client",     "wire_server",
	"wire_server_ip",    "wire_server_at",  "wire_server_port",
	"wire_client_dev",   "wire_server_dev", "so_flags",
	"is_anyip",          "send_omit_free",  "define",
	"tcp_ts_ecr_scaled",
};

int run_config_set(struct run_config *cfg, const char *name, const char *value, char *why,
                   size_t cap)
{
	double d;
	if (strcmp(name, "ip_version") == 0) {
		if (!value || !run_ip_version_parse(value, strlen(value), &cfg->ip_version))
			goto bad;
	} else if (strcmp(name, "tolerance_usecs") == 0) {
		if (!num(value, 0, 1e9, &d))
			goto bad;
		cfg->tolerance_usecs = (int64_t)d;
	} else if (strcmp(name, "tolerance_percent") == 0) {
		if (!num(value, 0, 1000, &d))
			goto bad;
		cfg->tolerance_percent = d;
	} else if (strcmp(name, "bind_port") == 0 || strcmp(name, "connect_port") == 0) {
		if (!num(value, 1, 65535, &d))
			goto bad;
		if (name[0] == 'b')
			cfg->bind_port = (uint16_t)d;
		else
			cfg->connect_port = (uint16_t)d;
	} else if (strcmp(name, "local_ip") == 0 || strcmp(name, "remote_ip") == 0) {
		if (!value || strlen(value) >= sizeof cfg->local_ip)
			goto bad;
		/* packetdrill accepts a prefix ("192.0.2.1/24"): the address is
		 * what matters here. */
		char *dst = name[0] == 'l' ? cfg->local_ip : cfg->remote_ip;
		snprintf(dst, sizeof cfg->local_ip, "%.*s", (int)strcspn(value, "/"), value);
	} else if (strcmp(name, "mss") == 0) {
		if (!num(value, 1, 65535, &d))
			goto bad;
		cfg->mss = (uint16_t)d;
	} else if (strcmp(name, "mtu") == 0) {
		if (!num(value, 68, 65535, &d))
			goto bad;
		cfg->mtu = (uint16_t)d;
	} else if (strcmp(name, "tcp_ts_tick_usecs") == 0) {
		if (!num(value, 0, 1e9, &d))
			goto bad;
		cfg->tcp_ts_tick_usecs = (uint32_t)d;
	} else if (strcmp(name, "segments") == 0) {
		if (!either(value, "wire", "tso", &cfg->tso_segments))
			goto bad;
	} else if (strcmp(name, "strict_segments") == 0) {
		/* packetdrill's flag takes no value. */
		if (value && *value)
			goto bad;
		cfg->strict_segments = true;
	} else if (strcmp(name, "outbound") == 0) {
		if (!either(value, "strict", "packetdrill", &cfg->outbound_packetdrill))
			goto bad;
	} else if (strcmp(name, "timeout") == 0) {
		if (!num(value, 0, 1e6, &d))
			goto bad;
		cfg->timeout_s = d;
	} else {
		for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++)
			if (strcmp(name, ignored[i]) == 0)
				return 0;
		snprintf(why, cap, "unsupported: option --%s", name);
		return -1;
	}
	return 0;
bad:
	snprintf(why, cap, "bad value for --%s: %s", name, value ? value : "(none)");
	return -1;
}
