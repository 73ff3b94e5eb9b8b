#include "stacks/kernel_tcp_info.h"

#include <linux/tcp.h>
#include <string.h>

/* Fields past the uapi struct tcp_info of this build (linux-libc-dev 6.1: it ends at
 * tcpi_snd_wnd) are read at their ABI offsets, when the kernel returned
 * that far: tcpi_rcv_wnd (6.2), tcpi_rehash, tcpi_total_rto,
 * tcpi_total_rto_recoveries, tcpi_total_rto_time (6.7). */
#define OFF_RCV_WND         (offsetof(struct tcp_info, tcpi_snd_wnd) + 4)
#define OFF_TOTAL_RTO       (OFF_RCV_WND + 8)
#define OFF_TOTAL_RTO_RECOV (OFF_RCV_WND + 10)
#define OFF_TOTAL_RTO_TIME  (OFF_RCV_WND + 12)

void stack_tcp_info_from_kernel(const uint8_t *raw, size_t len, struct synack_tcp_info *o)
{
	struct tcp_info k;
	memset(&k, 0, sizeof k);
	memcpy(&k, raw, len < sizeof k ? len : sizeof k);
	memset(o, 0, sizeof *o);
#define F(a, b) o->a = k.b
	F(state, tcpi_state);
	F(ca_state, tcpi_ca_state);
	F(retransmits, tcpi_retransmits);
	F(probes, tcpi_probes);
	F(backoff, tcpi_backoff);
	F(options, tcpi_options);
	F(snd_wscale, tcpi_snd_wscale);
	F(rcv_wscale, tcpi_rcv_wscale);
	F(rto, tcpi_rto);
	F(ato, tcpi_ato);
	F(snd_mss, tcpi_snd_mss);
	F(rcv_mss, tcpi_rcv_mss);
	F(unacked, tcpi_unacked);
	F(sacked, tcpi_sacked);
	F(lost, tcpi_lost);
	F(retrans, tcpi_retrans);
	F(fackets, tcpi_fackets);
	F(last_data_sent, tcpi_last_data_sent);
	F(last_ack_sent, tcpi_last_ack_sent);
	F(last_data_recv, tcpi_last_data_recv);
	F(last_ack_recv, tcpi_last_ack_recv);
	F(pmtu, tcpi_pmtu);
	F(rcv_ssthresh, tcpi_rcv_ssthresh);
	F(rtt, tcpi_rtt);
	F(rttvar, tcpi_rttvar);
	F(snd_ssthresh, tcpi_snd_ssthresh);
	F(snd_cwnd, tcpi_snd_cwnd);
	F(advmss, tcpi_advmss);
	F(reordering, tcpi_reordering);
	F(rcv_rtt, tcpi_rcv_rtt);
	F(rcv_space, tcpi_rcv_space);
	F(total_retrans, tcpi_total_retrans);
	F(bytes_acked, tcpi_bytes_acked);
	F(bytes_received, tcpi_bytes_received);
	F(segs_out, tcpi_segs_out);
	F(segs_in, tcpi_segs_in);
	F(data_segs_in, tcpi_data_segs_in);
	F(data_segs_out, tcpi_data_segs_out);
	F(notsent_bytes, tcpi_notsent_bytes);
	F(min_rtt, tcpi_min_rtt);
	F(delivered, tcpi_delivered);
	F(delivered_ce, tcpi_delivered_ce);
	F(bytes_sent, tcpi_bytes_sent);
	F(bytes_retrans, tcpi_bytes_retrans);
	F(dsack_dups, tcpi_dsack_dups);
	F(reord_seen, tcpi_reord_seen);
	F(rcv_ooopack, tcpi_rcv_ooopack);
	F(snd_wnd, tcpi_snd_wnd);
#undef F
	if (len >= OFF_RCV_WND + 4)
		memcpy(&o->rcv_wnd, raw + OFF_RCV_WND, 4);
	if (len >= OFF_TOTAL_RTO_TIME + 4) {
		uint16_t v16;
		memcpy(&v16, raw + OFF_TOTAL_RTO, 2);
		o->total_rto = v16;
		memcpy(&v16, raw + OFF_TOTAL_RTO_RECOV, 2);
		o->total_rto_recoveries = v16;
		memcpy(&o->total_rto_time, raw + OFF_TOTAL_RTO_TIME, 4);
	}
}
