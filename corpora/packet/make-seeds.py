#!/usr/bin/env python3
"""Seeds for the packet target: whole IPv4/IPv6 packets for the stack that
fuzz_packet.c sets up (listener 10.0.0.1:80; connection from 10.0.0.2:40000,
irs 999, iss ISS below, 100 bytes unacknowledged each way).
ISS: cc -DPACKET_PRINT_ISS fuzz/fuzz_packet.c fuzz/replay_main.c <engine.a>."""
import os, struct, sys

ISS = 2322659514
D = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'seeds')

def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff

def tcp(sport, dport, seq, ack, flags, win=65535, opts=b'', payload=b''):
    off = (20 + len(opts)) // 4
    return struct.pack('!HHIIBBHHH', sport, dport, seq & 0xffffffff, ack & 0xffffffff,
                       off << 4, flags, win, 0, 0) + opts + payload

def v4(seg, src=(10, 0, 0, 2), dst=(10, 0, 0, 1)):
    tl = 20 + len(seg)
    ip = struct.pack('!BBHHHBBH4B4B', 0x45, 0, tl, 1, 0x4000, 64, 6, 0, *src, *dst)
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    ph = struct.pack('!4B4BBBH', *src, *dst, 0, 6, len(seg))
    seg = seg[:16] + struct.pack('!H', csum(ph + seg)) + seg[18:]
    return ip + seg

def v6(seg):
    src = bytes(15) + b'\2'; dst = bytes(15) + b'\1'
    ip = struct.pack('!IHBB', 0x60000000, len(seg), 6, 64) + src + dst
    ph = src + dst + struct.pack('!IxxxB', len(seg), 6)
    seg = seg[:16] + struct.pack('!H', csum(ph + seg)) + seg[18:]
    return ip + seg

def icmp4(typ, code, quote, info=0, dst=(10, 0, 0, 1)):
    # An ICMP error from the peer quoting `quote` (a packet the stack sent).
    m = struct.pack('!BBHI', typ, code, 0, info) + quote
    m = m[:2] + struct.pack('!H', csum(m)) + m[4:]
    tl = 20 + len(m)
    ip = struct.pack('!BBHHHBBH4B4B', 0x45, 0, tl, 1, 0, 64, 1, 0, 10, 0, 0, 2, *dst)
    return ip[:10] + struct.pack('!H', csum(ip)) + ip[12:] + m

def icmp6(typ, code, quote, info=0):
    src = bytes(15) + b'\2'; dst = bytes(15) + b'\1'
    m = struct.pack('!BBHI', typ, code, 0, info) + quote
    ph = src + dst + struct.pack('!IxxxB', len(m), 58)
    m = m[:2] + struct.pack('!H', csum(ph + m)) + m[4:]
    return struct.pack('!IHBB', 0x60000000, len(m), 58, 64) + src + dst + m

F, S, R, P, A, U = 1, 2, 4, 8, 16, 32
# What the stack sent on the connection: its 100 unacknowledged bytes.
OURS = v4(tcp(80, 40000, ISS + 1, 1100, A | P, payload=b'x' * 100), src=(10, 0, 0, 1), dst=(10, 0, 0, 2))
MSS = b'\x02\x04\x05\xb4'
ALL = MSS + b'\x04\x02\x08\x0a\0\0\0\1\0\0\0\0\x01\x03\x03\x07'
seeds = {
    'syn-listener': v4(tcp(40001, 80, 5000, 0, S, opts=MSS)),
    'syn-all-options': v4(tcp(40002, 80, 5000, 0, S, opts=ALL)),
    'syn-closed-port': v4(tcp(40001, 81, 5000, 0, S, opts=MSS)),
    'ack-data': v4(tcp(40000, 80, 1100, ISS + 101, A | P, payload=b'y' * 200)),
    'ack-partial': v4(tcp(40000, 80, 1100, ISS + 51, A)),
    'fin': v4(tcp(40000, 80, 1100, ISS + 101, A | F)),
    'rst-in-window': v4(tcp(40000, 80, 1100, 0, R)),
    'rst-out-of-window': v4(tcp(40000, 80, 90000, 0, R)),
    'syn-on-established': v4(tcp(40000, 80, 1100, 0, S, opts=MSS)),
    'urgent': v4(tcp(40000, 80, 1100, ISS + 101, A | U, payload=b'z' * 10)[:18] + b'\0\5' + b'z' * 10),
    'sack': v4(tcp(40000, 80, 1100, ISS + 1, A, opts=b'\x01\x01\x05\x0a' + struct.pack('!II', ISS + 51, ISS + 101))),
    'zero-window': v4(tcp(40000, 80, 1100, ISS + 101, A, win=0)),
    'ipv6-syn': v6(tcp(40001, 80, 5000, 0, S, opts=MSS)),
    'not-for-us': v4(tcp(40001, 80, 5000, 0, S, opts=MSS), dst=(10, 0, 0, 9)),
    'icmp-frag-needed': icmp4(3, 4, OURS, info=576),
    'icmp-host-unreachable': icmp4(3, 1, OURS[:28]),
    'icmp-source-quench': icmp4(4, 0, OURS[:28]),
    'icmp-quote-out-of-window': icmp4(11, 0, OURS[:24] + struct.pack('!I', ISS + 5000)),
    'icmp-truncated-quote': icmp4(3, 3, OURS[:27]),
    'icmpv6-packet-too-big': icmp6(2, 0, bytes(48), info=1280),
}
os.makedirs(D, exist_ok=True)
for name, pkt in seeds.items():
    with open(os.path.join(D, name), 'wb') as f:
        f.write(pkt)
