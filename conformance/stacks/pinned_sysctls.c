/* The kernel selftests' tools/testing/selftests/net/packetdrill/defaults.sh,
 * value for value: "standard production config values that relate to TCP
 * behavior". Scripts written for packetdrill assume them. The Linux stack
 * writes them into each script's namespace (a fresh one would inherit
 * whatever the host boots with: tcp_rmem's max decides the SYN's wscale);
 * the engine stack sets its linux profile from them, so that a script
 * means the same on both without pinning each sysctl it depends on. */
#include "stacks/pinned_sysctls.h"

const struct pinned_sysctl stack_pinned_sysctls[] = {
	{ "net.ipv4.tcp_rmem", "4096 540000 15728640", false },
	{ "net.ipv4.tcp_wmem", "4096 262144 4194304", false },
	{ "net.ipv4.tcp_timestamps", "1", false },
	{ "net.ipv4.tcp_syn_retries", "5", false },
	{ "net.ipv4.tcp_synack_retries", "5", false },
	{ "net.ipv4.tcp_frto", "2", false },
	{ "net.ipv4.tcp_sack", "1", false },
	{ "net.ipv4.tcp_dsack", "1", false },
	{ "net.ipv4.tcp_reordering", "3", false },
	{ "net.ipv4.tcp_slow_start_after_idle", "0", false },
	{ "net.ipv4.tcp_early_retrans", "4", false },
	{ "net.ipv4.tcp_recovery", "1", false },
	{ "net.ipv4.tcp_tso_win_divisor", "3", false },
	{ "net.ipv4.tcp_ecn", "0", false },
	{ "net.ipv4.tcp_pacing_ss_ratio", "200", false },
	{ "net.ipv4.tcp_pacing_ca_ratio", "120", false },
	{ "net.ipv4.tcp_fastopen", "0x70403", false },
	{ "net.ipv4.tcp_fastopen_key", "a1a1a1a1-b2b2b2b2-c3c3c3c3-d4d4d4d4", false },
	{ "net.ipv4.tcp_syncookies", "1", false },
	/* Gone from newer kernels (tcp_fack since 4.15) or rejected by some
	 * (notsent_lowat's UINT_MAX). */
	{ "net.ipv4.tcp_fack", "0", true },
	{ "net.ipv4.tcp_notsent_lowat", "4294967295", true },
};

const size_t stack_n_pinned_sysctls =
    sizeof(stack_pinned_sysctls) / sizeof(stack_pinned_sysctls[0]);
