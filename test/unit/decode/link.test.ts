/**
 * Link layers: every supported link type decodes to the same inner IPv4/TCP or IPv6/UDP packet;
 * VLAN stacks, MPLS and PPPoE shims, non-IP frames and every malformed link header (one comment
 * per adversarial case).
 */
import {
  DLT_RAW_12, DLT_RAW_14, LINKTYPE_C_HDLC, LINKTYPE_ENC, LINKTYPE_ETHERNET, LINKTYPE_IEEE802_11, LINKTYPE_IEEE802_11_RADIOTAP,
  LINKTYPE_IPNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_LOOP, LINKTYPE_NFLOG,
  LINKTYPE_NULL, LINKTYPE_PFLOG, LINKTYPE_PPI, LINKTYPE_PPP, LINKTYPE_PPP_ETHER, LINKTYPE_PPP_HDLC, LINKTYPE_RAW,
  LINKTYPE_APPLE_IP_OVER_IEEE1394, LINKTYPE_IPOIB, LINKTYPE_ATM_RFC1483, LINKTYPE_FDDI, LINKTYPE_FRELAY, LINKTYPE_IEEE802_11_AVS,
  LINKTYPE_IEEE802_11_PRISM, LINKTYPE_IEEE802_5, LINKTYPE_PKTAP, LINKTYPE_SUNATM, LINKTYPE_USER2_PKTAP, LINKTYPE_ARCNET_BSD,
  LINKTYPE_ARCNET_LINUX, LINKTYPE_DSA_TAG_BRCM, LINKTYPE_DSA_TAG_BRCM_PREPEND, LINKTYPE_DSA_TAG_DSA, LINKTYPE_DSA_TAG_EDSA,
  LINKTYPE_LINUX_ATM_CLIP, LINKTYPE_ATM_CLIP, LINKTYPE_JUNIPER_ETHER, linkTypeName,
} from '../../../src/capture/source';
import { MAX_AMSDU_SUBFRAMES, MAX_RADIOTAP_PRESENT_WORDS } from '../../../src/decode/wifi';
import { MAX_MPLS_LABELS, SUPPORTED_LINK_TYPES } from '../../../src/decode/link';
import { DecodeStatus, IPPROTO_TCP, IPPROTO_UDP } from '../../../src/decode/packet-view';
import { decodeFrame, ethernet, hex, ip4word, ipv4, newDecoder, payloadText, tcp, u16 } from './build';

/**
 * An Apple PKTAP header as hex, every field little-endian: pth_length, pth_type_next (1: packet),
 * pth_dlt, pth_ifname "en0" (24 bytes), flags, protocol family, frame pre/post lengths, pid,
 * process name "nsurlsessiond" (20 bytes), service class, interface type and unit, effective
 * pid and process name: version 1's 108 bytes; `length` above 108 pads it as a newer header's
 * extra fields would. Frames built this way were checked with tshark 4.0 (258 and 149 both
 * decode as "pktap:pcap_pktdata:eth:..." or "...:raw:...") and tcpdump 4.99.
 */
function pktapHeader(dlt: number, opts: { length?: number; recType?: number } = {}): string {
  const length = opts.length ?? 108;
  const le32 = (n: number): string => Buffer.from(new Uint32Array([n]).buffer).toString('hex');
  const name = (t: string, n: number): string => Buffer.from(t.padEnd(n, '\0'), 'latin1').toString('hex');
  const fixed = le32(length) + le32(opts.recType ?? 1) + le32(dlt) + name('en0', 24) + le32(0) + le32(2) + le32(14) + le32(0) +
    le32(321) + name('nsurlsessiond', 20) + le32(0) + '0600' + '0000' + le32(321) + name('nsurlsessiond', 20);
  return fixed + '00'.repeat(Math.max(0, length - 108));
}

// Every vector below carries one of two inner packets:
//   tcp4: IPv4/TCP SYN 192.168.1.10:49152 → 93.184.216.34:443, seq 1000, no payload (40 bytes)
//   udp6: IPv6/UDP [2001:db8:20::10]:54321 → [2001:db8:1::1]:53, payload "abcd" (52 bytes)
const LINK_VECTORS: Array<[name: string, linkType: number, hex: string, inner: 'tcp4' | 'udp6', vlanId: number]> = [
  // Ethernet II, type IPv4, then IPv4/TCP SYN 192.168.1.10:49152 → 93.184.216.34:443
  // 0000  02 00 00 00 00 02 02 00 00 00 00 01 08 00 45 00  ..............E.
  // 0010  00 28 12 34 40 00 40 06 00 00 c0 a8 01 0a 5d b8  .(.4@.@.......].
  // 0020  d8 22 c0 00 01 bb 00 00 03 e8 00 00 00 00 50 02  ."............P.
  // 0030  ff ff 00 00 00 00                                ......
  ['Ethernet II, type IPv4, then IPv4/TCP SYN 192.168.1.10:49152 → 93.184.216.34:443', LINKTYPE_ETHERNET, '0200000000020200000000010800450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', -1],
  // Ethernet II, type IPv6, then IPv6/UDP [2001:db8:20::10]:54321 → [2001:db8:1::1]:53, payload "abcd"
  // 0000  02 00 00 00 00 02 02 00 00 00 00 01 86 dd 60 00  ..............`.
  // 0010  00 00 00 0c 11 40 20 01 0d b8 00 20 00 00 00 00  .....@ .... ....
  // 0020  00 00 00 00 00 10 20 01 0d b8 00 01 00 00 00 00  ...... .........
  // 0030  00 00 00 00 00 01 d4 31 00 35 00 0c 00 00 61 62  .......1.5....ab
  // 0040  63 64                                            cd
  ['Ethernet II, type IPv6, then IPv6/UDP [2001:db8:20::10]:54321 → [2001:db8:1::1]:53, payload "abcd"', LINKTYPE_ETHERNET, '02000000000202000000000186dd60000000000c114020010db800200000000000000000001020010db8000100000000000000000001d4310035000c000061626364', 'udp6', -1],
  // 802.1Q tag (TPID 0x8100, VID 100) → IPv4/TCP
  // 0000  02 00 00 00 00 02 02 00 00 00 00 01 81 00 00 64  ...............d
  // 0010  08 00 45 00 00 28 12 34 40 00 40 06 00 00 c0 a8  ..E..(.4@.@.....
  // 0020  01 0a 5d b8 d8 22 c0 00 01 bb 00 00 03 e8 00 00  ..].."..........
  // 0030  00 00 50 02 ff ff 00 00 00 00                    ..P.......
  ['802.1Q tag (TPID 0x8100, VID 100) → IPv4/TCP', LINKTYPE_ETHERNET, '020000000002020000000001810000640800450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', 100],
  // QinQ: 802.1ad S-tag (0x88a8, VID 10) + 802.1Q C-tag (0x8100, VID 20) → IPv4/TCP; view.vlanId is the innermost
  // 0000  02 00 00 00 00 02 02 00 00 00 00 01 88 a8 00 0a  ................
  // 0010  81 00 00 14 08 00 45 00 00 28 12 34 40 00 40 06  ......E..(.4@.@.
  // 0020  00 00 c0 a8 01 0a 5d b8 d8 22 c0 00 01 bb 00 00  ......].."......
  // 0030  03 e8 00 00 00 00 50 02 ff ff 00 00 00 00        ......P.......
  ['QinQ: 802.1ad S-tag (0x88a8, VID 10) + 802.1Q C-tag (0x8100, VID 20) → IPv4/TCP; view.vlanId is the innermost', LINKTYPE_ETHERNET, '02000000000202000000000188a8000a810000140800450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', 20],
  // QinQinQ: 0x9100 (VID 1) + 0x88a8 (VID 2) + 0x8100 (VID 3, PCP 5 in the TCI: 0xa003) → IPv4/TCP
  // 0000  02 00 00 00 00 02 02 00 00 00 00 01 91 00 00 01  ................
  // 0010  88 a8 00 02 81 00 a0 03 08 00 45 00 00 28 12 34  ..........E..(.4
  // 0020  40 00 40 06 00 00 c0 a8 01 0a 5d b8 d8 22 c0 00  @.@.......].."..
  // 0030  01 bb 00 00 03 e8 00 00 00 00 50 02 ff ff 00 00  ..........P.....
  // 0040  00 00                                            ..
  ['QinQinQ: 0x9100 (VID 1) + 0x88a8 (VID 2) + 0x8100 (VID 3, PCP 5 in the TCI: 0xa003) → IPv4/TCP', LINKTYPE_ETHERNET, '0200000000020200000000019100000188a800028100a0030800450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', 3],
  // Linux cooked v1 (SLL): packet type 0 (to us), ARPHRD_ETHER, 6-byte address, protocol 0x0800 → IPv4/TCP
  // 0000  00 00 00 01 00 06 02 00 00 00 00 01 00 00 08 00  ................
  // 0010  45 00 00 28 12 34 40 00 40 06 00 00 c0 a8 01 0a  E..(.4@.@.......
  // 0020  5d b8 d8 22 c0 00 01 bb 00 00 03 e8 00 00 00 00  ].."............
  // 0030  50 02 ff ff 00 00 00 00                          P.......
  ['Linux cooked v1 (SLL): packet type 0 (to us), ARPHRD_ETHER, 6-byte address, protocol 0x0800 → IPv4/TCP', LINKTYPE_LINUX_SLL, '00000001000602000000000100000800450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', -1],
  // Linux cooked v1 (SLL) carrying a VLAN tag (protocol 0x8100, VID 7) → IPv4/TCP
  // 0000  00 00 00 01 00 06 02 00 00 00 00 01 00 00 81 00  ................
  // 0010  00 07 08 00 45 00 00 28 12 34 40 00 40 06 00 00  ....E..(.4@.@...
  // 0020  c0 a8 01 0a 5d b8 d8 22 c0 00 01 bb 00 00 03 e8  ....].."........
  // 0030  00 00 00 00 50 02 ff ff 00 00 00 00              ....P.......
  ['Linux cooked v1 (SLL) carrying a VLAN tag (protocol 0x8100, VID 7) → IPv4/TCP', LINKTYPE_LINUX_SLL, '0000000100060200000000010000810000070800450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', 7],
  // Linux cooked v2 (SLL2): protocol 0x86dd, ifindex 2, ARPHRD_ETHER → IPv6/UDP
  // 0000  86 dd 00 00 00 00 00 02 00 01 00 06 02 00 00 00  ................
  // 0010  00 01 00 00 60 00 00 00 00 0c 11 40 20 01 0d b8  ....`......@ ...
  // 0020  00 20 00 00 00 00 00 00 00 00 00 10 20 01 0d b8  . .......... ...
  // 0030  00 01 00 00 00 00 00 00 00 00 00 01 d4 31 00 35  .............1.5
  // 0040  00 0c 00 00 61 62 63 64                          ....abcd
  // SLL from a monitor-mode interface (`tcpdump -i any`): ARPHRD_IEEE80211_RADIOTAP (803), protocol ETH_P_80211_RAW; radiotap, 802.11, LLC/SNAP → IPv4/TCP
  ['Linux cooked v1 (SLL), ARPHRD_IEEE80211_RADIOTAP: radiotap and an 802.11 data frame → IPv4/TCP', LINKTYPE_LINUX_SLL, '0000032300060a0000000001 00000019 0000080000000000080100000a00000000010a00000000020a00000000031000aaaa030000000800450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000'.replace(/ /g, ''), 'tcp4', -1],
  // The same in SLL2: hatype 803 at offset 8 → IPv6/UDP
  ['Linux cooked v2 (SLL2), ARPHRD_IEEE80211_RADIOTAP → IPv6/UDP', LINKTYPE_LINUX_SLL2, '00190000 00000003 0323 00 06 0a0000000001 0000 0000080000000000080100000a00000000010a00000000020a00000000031000aaaa0300000086dd60000000000c114020010db800200000000000000000001020010db8000100000000000000000001d4310035000c000061626364'.replace(/ /g, ''), 'udp6', -1],
  ['Linux cooked v2 (SLL2): protocol 0x86dd, ifindex 2, ARPHRD_ETHER → IPv6/UDP', LINKTYPE_LINUX_SLL2, '86dd00000000000200010006020000000001000060000000000c114020010db800200000000000000000001020010db8000100000000000000000001d4310035000c000061626364', 'udp6', -1],
  // LINKTYPE_RAW (101): no link header, version nibble 4 → IPv4/TCP
  // 0000  45 00 00 28 12 34 40 00 40 06 00 00 c0 a8 01 0a  E..(.4@.@.......
  // 0010  5d b8 d8 22 c0 00 01 bb 00 00 03 e8 00 00 00 00  ].."............
  // 0020  50 02 ff ff 00 00 00 00                          P.......
  ['LINKTYPE_RAW (101): no link header, version nibble 4 → IPv4/TCP', LINKTYPE_RAW, '450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', -1],
  // LINKTYPE_RAW (101): version nibble 6 → IPv6/UDP
  // 0000  60 00 00 00 00 0c 11 40 20 01 0d b8 00 20 00 00  `......@ .... ..
  // 0010  00 00 00 00 00 00 00 10 20 01 0d b8 00 01 00 00  ........ .......
  // 0020  00 00 00 00 00 00 00 01 d4 31 00 35 00 0c 00 00  .........1.5....
  // 0030  61 62 63 64                                      abcd
  ['LINKTYPE_RAW (101): version nibble 6 → IPv6/UDP', LINKTYPE_RAW, '60000000000c114020010db800200000000000000000001020010db8000100000000000000000001d4310035000c000061626364', 'udp6', -1],
  // DLT_RAW as BSDs number it (12) → IPv4/TCP
  // 0000  45 00 00 28 12 34 40 00 40 06 00 00 c0 a8 01 0a  E..(.4@.@.......
  // 0010  5d b8 d8 22 c0 00 01 bb 00 00 03 e8 00 00 00 00  ].."............
  // 0020  50 02 ff ff 00 00 00 00                          P.......
  ['DLT_RAW as BSDs number it (12) → IPv4/TCP', DLT_RAW_12, '450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', -1],
  // DLT_RAW as OpenBSD numbers it (14) → IPv6/UDP
  // 0000  60 00 00 00 00 0c 11 40 20 01 0d b8 00 20 00 00  `......@ .... ..
  // 0010  00 00 00 00 00 00 00 10 20 01 0d b8 00 01 00 00  ........ .......
  // 0020  00 00 00 00 00 00 00 01 d4 31 00 35 00 0c 00 00  .........1.5....
  // 0030  61 62 63 64                                      abcd
  ['DLT_RAW as OpenBSD numbers it (14) → IPv6/UDP', DLT_RAW_14, '60000000000c114020010db800200000000000000000001020010db8000100000000000000000001d4310035000c000061626364', 'udp6', -1],
  // LINKTYPE_IPV4 (228) → IPv4/TCP
  // 0000  45 00 00 28 12 34 40 00 40 06 00 00 c0 a8 01 0a  E..(.4@.@.......
  // 0010  5d b8 d8 22 c0 00 01 bb 00 00 03 e8 00 00 00 00  ].."............
  // 0020  50 02 ff ff 00 00 00 00                          P.......
  ['LINKTYPE_IPV4 (228) → IPv4/TCP', LINKTYPE_IPV4, '450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', -1],
  // LINKTYPE_IPV6 (229) → IPv6/UDP
  // 0000  60 00 00 00 00 0c 11 40 20 01 0d b8 00 20 00 00  `......@ .... ..
  // 0010  00 00 00 00 00 00 00 10 20 01 0d b8 00 01 00 00  ........ .......
  // 0020  00 00 00 00 00 00 00 01 d4 31 00 35 00 0c 00 00  .........1.5....
  // 0030  61 62 63 64                                      abcd
  ['LINKTYPE_IPV6 (229) → IPv6/UDP', LINKTYPE_IPV6, '60000000000c114020010db800200000000000000000001020010db8000100000000000000000001d4310035000c000061626364', 'udp6', -1],
  // BSD NULL, little-endian host: AF_INET = 2 as 02 00 00 00 → IPv4/TCP
  // 0000  02 00 00 00 45 00 00 28 12 34 40 00 40 06 00 00  ....E..(.4@.@...
  // 0010  c0 a8 01 0a 5d b8 d8 22 c0 00 01 bb 00 00 03 e8  ....].."........
  // 0020  00 00 00 00 50 02 ff ff 00 00 00 00              ....P.......
  ['BSD NULL, little-endian host: AF_INET = 2 as 02 00 00 00 → IPv4/TCP', LINKTYPE_NULL, '02000000450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', -1],
  // BSD NULL, big-endian host: AF_INET = 2 as 00 00 00 02 → IPv4/TCP
  // 0000  00 00 00 02 45 00 00 28 12 34 40 00 40 06 00 00  ....E..(.4@.@...
  // 0010  c0 a8 01 0a 5d b8 d8 22 c0 00 01 bb 00 00 03 e8  ....].."........
  // 0020  00 00 00 00 50 02 ff ff 00 00 00 00              ....P.......
  ['BSD NULL, big-endian host: AF_INET = 2 as 00 00 00 02 → IPv4/TCP', LINKTYPE_NULL, '00000002450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', -1],
  // BSD NULL, little-endian: AF_INET6 = 24 (NetBSD/OpenBSD) → IPv6/UDP
  // 0000  18 00 00 00 60 00 00 00 00 0c 11 40 20 01 0d b8  ....`......@ ...
  // 0010  00 20 00 00 00 00 00 00 00 00 00 10 20 01 0d b8  . .......... ...
  // 0020  00 01 00 00 00 00 00 00 00 00 00 01 d4 31 00 35  .............1.5
  // 0030  00 0c 00 00 61 62 63 64                          ....abcd
  ['BSD NULL, little-endian: AF_INET6 = 24 (NetBSD/OpenBSD) → IPv6/UDP', LINKTYPE_NULL, '1800000060000000000c114020010db800200000000000000000001020010db8000100000000000000000001d4310035000c000061626364', 'udp6', -1],
  // BSD NULL, little-endian: AF_INET6 = 28 (FreeBSD) → IPv6/UDP
  // 0000  1c 00 00 00 60 00 00 00 00 0c 11 40 20 01 0d b8  ....`......@ ...
  // 0010  00 20 00 00 00 00 00 00 00 00 00 10 20 01 0d b8  . .......... ...
  // 0020  00 01 00 00 00 00 00 00 00 00 00 01 d4 31 00 35  .............1.5
  // 0030  00 0c 00 00 61 62 63 64                          ....abcd
  ['BSD NULL, little-endian: AF_INET6 = 28 (FreeBSD) → IPv6/UDP', LINKTYPE_NULL, '1c00000060000000000c114020010db800200000000000000000001020010db8000100000000000000000001d4310035000c000061626364', 'udp6', -1],
  // BSD NULL, big-endian: AF_INET6 = 30 (macOS) → IPv6/UDP
  // 0000  00 00 00 1e 60 00 00 00 00 0c 11 40 20 01 0d b8  ....`......@ ...
  // 0010  00 20 00 00 00 00 00 00 00 00 00 10 20 01 0d b8  . .......... ...
  // 0020  00 01 00 00 00 00 00 00 00 00 00 01 d4 31 00 35  .............1.5
  // 0030  00 0c 00 00 61 62 63 64                          ....abcd
  ['BSD NULL, big-endian: AF_INET6 = 30 (macOS) → IPv6/UDP', LINKTYPE_NULL, '0000001e60000000000c114020010db800200000000000000000001020010db8000100000000000000000001d4310035000c000061626364', 'udp6', -1],
  // OpenBSD LOOP (108): AF in network order, AF_INET = 2 → IPv4/TCP
  // 0000  00 00 00 02 45 00 00 28 12 34 40 00 40 06 00 00  ....E..(.4@.@...
  // 0010  c0 a8 01 0a 5d b8 d8 22 c0 00 01 bb 00 00 03 e8  ....].."........
  // 0020  00 00 00 00 50 02 ff ff 00 00 00 00              ....P.......
  ['OpenBSD LOOP (108): AF in network order, AF_INET = 2 → IPv4/TCP', LINKTYPE_LOOP, '00000002450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', -1],
  // OpenBSD LOOP (108): AF_INET6 = 24 → IPv6/UDP
  // 0000  00 00 00 18 60 00 00 00 00 0c 11 40 20 01 0d b8  ....`......@ ...
  // 0010  00 20 00 00 00 00 00 00 00 00 00 10 20 01 0d b8  . .......... ...
  // 0020  00 01 00 00 00 00 00 00 00 00 00 01 d4 31 00 35  .............1.5
  // 0030  00 0c 00 00 61 62 63 64                          ....abcd
  ['OpenBSD LOOP (108): AF_INET6 = 24 → IPv6/UDP', LINKTYPE_LOOP, '0000001860000000000c114020010db800200000000000000000001020010db8000100000000000000000001d4310035000c000061626364', 'udp6', -1],
  // Old DLT_NULL writers, as tshark's packet-null.c reads them (checked with tshark 4.0):
  // a PPP frame in HDLC framing (ff 03, protocol 0x0021) where the family would be
  ['DLT_NULL holding a PPP frame (ff 03 00 21) → IPv4/TCP', LINKTYPE_NULL, 'ff030021450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', -1],
  // an Ethertype instead of a family (old Linux loopback: 00 00 08 00 big-endian, or 00 08 00 00 little-endian)
  ['DLT_NULL holding Ethertype 0x0800 big-endian → IPv4/TCP', LINKTYPE_NULL, '00000800450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', -1],
  ['DLT_NULL holding Ethertype 0x86dd little-endian → IPv6/UDP', LINKTYPE_NULL, 'dd86000060000000000c114020010db800200000000000000000001020010db8000100000000000000000001d4310035000c000061626364', 'udp6', -1],
  // IRIX / UNICOS snoop: a 16-bit family in the first two bytes, either byte order
  ['DLT_NULL with IRIX\'s 16-bit AF_INET first (00 02 00 00) → IPv4/TCP', LINKTYPE_NULL, '00020000450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', -1],
  ['DLT_NULL with IRIX\'s 16-bit AF_INET in the upper half (00 00 02 00) → IPv4/TCP', LINKTYPE_NULL, '00000200450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', -1],
  // PPP with HDLC address/control ff 03, protocol 0x0021 → IPv4/TCP
  // 0000  ff 03 00 21 45 00 00 28 12 34 40 00 40 06 00 00  ...!E..(.4@.@...
  // 0010  c0 a8 01 0a 5d b8 d8 22 c0 00 01 bb 00 00 03 e8  ....].."........
  // 0020  00 00 00 00 50 02 ff ff 00 00 00 00              ....P.......
  ['PPP with HDLC address/control ff 03, protocol 0x0021 → IPv4/TCP', LINKTYPE_PPP, 'ff030021450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', -1],
  // PPP without address/control, protocol 0x0057 → IPv6/UDP
  // 0000  00 57 60 00 00 00 00 0c 11 40 20 01 0d b8 00 20  .W`......@ .... 
  // 0010  00 00 00 00 00 00 00 00 00 10 20 01 0d b8 00 01  .......... .....
  // 0020  00 00 00 00 00 00 00 00 00 01 d4 31 00 35 00 0c  ...........1.5..
  // 0030  00 00 61 62 63 64                                ..abcd
  ['PPP without address/control, protocol 0x0057 → IPv6/UDP', LINKTYPE_PPP, '005760000000000c114020010db800200000000000000000001020010db8000100000000000000000001d4310035000c000061626364', 'udp6', -1],
  // PPP with Protocol-Field-Compression: one odd byte 0x21 → IPv4/TCP
  // 0000  21 45 00 00 28 12 34 40 00 40 06 00 00 c0 a8 01  !E..(.4@.@......
  // 0010  0a 5d b8 d8 22 c0 00 01 bb 00 00 03 e8 00 00 00  .].."...........
  // 0020  00 50 02 ff ff 00 00 00 00                       .P.......
  ['PPP with Protocol-Field-Compression: one odd byte 0x21 → IPv4/TCP', LINKTYPE_PPP, '21450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', -1],
  // NFLOG, little-endian TLVs: nflog_hdr (AF_INET, v0, res 0), NFULA_PACKET_HDR, NFULA_PREFIX "fw", NFULA_PAYLOAD (type 9) → IPv4/TCP
  // 0000  02 00 00 00 08 00 01 00 08 00 01 00 07 00 0a 00  ................
  // 0010  66 77 00 00 2c 00 09 00 45 00 00 28 12 34 40 00  fw..,...E..(.4@.
  // 0020  40 06 00 00 c0 a8 01 0a 5d b8 d8 22 c0 00 01 bb  @.......].."....
  // 0030  00 00 03 e8 00 00 00 00 50 02 ff ff 00 00 00 00  ........P.......
  ['NFLOG, little-endian TLVs: nflog_hdr (AF_INET, v0, res 0), NFULA_PACKET_HDR, NFULA_PREFIX "fw", NFULA_PAYLOAD (type 9) → IPv4/TCP', LINKTYPE_NFLOG, '02000000080001000800010007000a00667700002c000900450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', -1],
  // NFLOG, big-endian TLVs (big-endian capture host) → IPv4/TCP
  // 0000  02 00 00 00 00 08 00 01 08 00 01 00 00 07 00 0a  ................
  // 0010  66 77 00 00 00 2c 00 09 45 00 00 28 12 34 40 00  fw...,..E..(.4@.
  // 0020  40 06 00 00 c0 a8 01 0a 5d b8 d8 22 c0 00 01 bb  @.......].."....
  // 0030  00 00 03 e8 00 00 00 00 50 02 ff ff 00 00 00 00  ........P.......
  ['NFLOG, big-endian TLVs (big-endian capture host) → IPv4/TCP', LINKTYPE_NFLOG, '0200000000080001080001000007000a66770000002c0009450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', -1],
  // NFLOG whose payload is IPv6 (52 bytes: TLV padded to 56) → IPv6/UDP
  // 0000  02 00 00 00 38 00 09 00 60 00 00 00 00 0c 11 40  ....8...`......@
  // 0010  20 01 0d b8 00 20 00 00 00 00 00 00 00 00 00 10   .... ..........
  // 0020  20 01 0d b8 00 01 00 00 00 00 00 00 00 00 00 01   ...............
  // 0030  d4 31 00 35 00 0c 00 00 61 62 63 64              .1.5....abcd
  ['NFLOG whose payload is IPv6 (52 bytes: TLV padded to 56) → IPv6/UDP', LINKTYPE_NFLOG, '020000003800090060000000000c114020010db800200000000000000000001020010db8000100000000000000000001d4310035000c000061626364', 'udp6', -1],
  // Each of the following was checked with tshark 4.0 or tcpdump 4.99 (same addresses and ports).
  // Cisco HDLC: address 0x0f (unicast), control 0x00, ethertype 0x0800 → IPv4/TCP
  ['Cisco HDLC (C_HDLC), unicast, ethertype IPv4 → IPv4/TCP', LINKTYPE_C_HDLC, '0f000800450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', -1],
  // Cisco HDLC broadcast address 0x8f, ethertype 0x86dd → IPv6/UDP
  ['Cisco HDLC (C_HDLC), broadcast, ethertype IPv6 → IPv6/UDP', LINKTYPE_C_HDLC, '8f0086dd60000000000c114020010db800200000000000000000001020010db8000100000000000000000001d4310035000c000061626364', 'udp6', -1],
  // PPP in HDLC-like framing (LINKTYPE_PPP_HDLC, RFC 1662): 0xff 0x03, protocol 0x0021 → IPv4/TCP
  ['PPP_HDLC, RFC 1662 framing → IPv4/TCP', LINKTYPE_PPP_HDLC, 'ff030021450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', -1],
  // LINKTYPE_PPP_HDLC carrying Cisco PPP with HDLC framing (first byte 0x0f): Cisco HDLC header → IPv6/UDP
  ['PPP_HDLC holding Cisco HDLC framing → IPv6/UDP', LINKTYPE_PPP_HDLC, '0f0086dd60000000000c114020010db800200000000000000000001020010db8000100000000000000000001d4310035000c000061626364', 'udp6', -1],
  // LINKTYPE_PPP (9) carrying Cisco HDLC frames, as a router's serial-link capture does (nDPI's
  // BGP_Cisco_hdlc_slarp.pcap; tshark 4.0's PPP dissector shows Cisco HDLC, then IPv4/TCP)
  ['PPP holding Cisco HDLC framing, unicast → IPv4/TCP', LINKTYPE_PPP, '0f000800450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', -1],
  ['PPP holding Cisco HDLC framing, broadcast → IPv6/UDP', LINKTYPE_PPP, '8f0086dd60000000000c114020010db800200000000000000000001020010db8000100000000000000000001d4310035000c000061626364', 'udp6', -1],
  // PPPoE without Ethernet (LINKTYPE_PPP_ETHER): ver/type 0x11, code 0, session 0x1234, length 42, PPP 0x0021 → IPv4/TCP
  ['PPP_ETHER (a PPPoE session header) → IPv4/TCP', LINKTYPE_PPP_ETHER, '11001234002a0021450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', -1],
  // OpenBSD enc(4): AF_INET (2, little-endian host), SPI 0x1001, flags 0x400 → IPv4/TCP
  ['ENC, AF_INET in host order → IPv4/TCP', LINKTYPE_ENC, '020000000000100100000400450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', -1],
  // pflog, OpenBSD header (length 61, padded to 64), AF_INET → IPv4/TCP
  ['PFLOG, OpenBSD header, AF_INET → IPv4/TCP', LINKTYPE_PFLOG, '3d020000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', -1],
  // pflog, AF_INET6 as OpenBSD numbers it (24) → IPv6/UDP
  ['PFLOG, AF_INET6 (OpenBSD 24) → IPv6/UDP', LINKTYPE_PFLOG, '3d18000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000060000000000c114020010db800200000000000000000001020010db8000100000000000000000001d4310035000c000061626364', 'udp6', -1],
  // pflog, a longer header (length 75, padded to 76, as newer FreeBSD fields add), AF_INET6 as FreeBSD numbers it (28) → IPv6/UDP
  ['PFLOG, a longer header (75 → 76), AF_INET6 (28) → IPv6/UDP', LINKTYPE_PFLOG, '4b1c000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000060000000000c114020010db800200000000000000000001020010db8000100000000000000000001d4310035000c000061626364', 'udp6', -1],
  // Solaris ipnet: version 2, family 2 (IPv4), hook 0, length 40, ifindex, grifindex, zones → IPv4/TCP
  ['IPNET, family 2 → IPv4/TCP', LINKTYPE_IPNET, '020200000000002800000000000000000000000000000000450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', -1],
  // Solaris ipnet: family 26 (IPv6) → IPv6/UDP
  ['IPNET, family 26 → IPv6/UDP', LINKTYPE_IPNET, '021a0000000000340000000000000000000000000000000060000000000c114020010db800200000000000000000001020010db8000100000000000000000001d4310035000c000061626364', 'udp6', -1],
  // Apple PKTAP (258) naming DLT_EN10MB (1): the Ethernet frame → IPv4/TCP
  ['PKTAP (258), inner DLT_EN10MB → IPv4/TCP', LINKTYPE_PKTAP, pktapHeader(1) + '0200000000020200000000010800450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', -1],
  // LINKTYPE_USER2 (149), as macOS writes its DLT_PKTAP, naming DLT_RAW as BSD numbers it (12) → IPv6/UDP
  ['USER2 (149) PKTAP, inner DLT_RAW (12) → IPv6/UDP', LINKTYPE_USER2_PKTAP, pktapHeader(12) + '60000000000c114020010db800200000000000000000001020010db8000100000000000000000001d4310035000c000061626364', 'udp6', -1],
  // PKTAP whose header is 156 bytes (a newer version's extra fields are skipped), inner DLT_NULL with AF_INET → IPv4/TCP
  ['PKTAP with a 156-byte header, inner DLT_NULL → IPv4/TCP', LINKTYPE_PKTAP, pktapHeader(0, { length: 156 }) + '02000000450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', -1],
  // ARCNET as Linux captures it: source 0xbe, destination 0x50, offset, system code 212 (RFC 1201 IP), split flag, sequence → IPv4/TCP
  ['ARCNET_LINUX, RFC 1201 IP (212)', LINKTYPE_ARCNET_LINUX, 'be500000d4000000450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', -1],
  // ARCNET_LINUX with RFC 1051's older system code 240: no split flag or sequence
  ['ARCNET_LINUX, RFC 1051 IP (240)', LINKTYPE_ARCNET_LINUX, 'be500000f0450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', -1],
  // ARCNET_LINUX, split flag set: Linux reassembles, so tshark and tcpdump read on, and so do we
  ['ARCNET_LINUX, RFC 1201 IP with a split flag', LINKTYPE_ARCNET_LINUX, 'be500000d4020005450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', -1],
  // ARCNET as the BSDs capture it: source, destination, system code 0xc4 (IPv6), split flag 0, sequence → IPv6/UDP
  ['ARCNET (BSD), IPv6 (0xc4)', LINKTYPE_ARCNET_BSD, 'be50c400000060000000000c114020010db800200000000000000000001020010db8000100000000000000000001d4310035000c000061626364', 'udp6', -1],
  // ARCNET (BSD) exception frame: flag 0xff, two pad bytes, the code again, the real flag and sequence (10 bytes)
  ['ARCNET (BSD), an exception frame', LINKTYPE_ARCNET_BSD, 'be50d4ffffffd4000000450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', -1],
  // ARCNET (BSD) with RFC 1051's system code 240: no split flag or sequence
  ['ARCNET (BSD), RFC 1051 IP (240)', LINKTYPE_ARCNET_BSD, 'be50f0450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', -1],
  // ARCNET (BSD), the first fragment of a split packet (odd flag): its IP header is there
  ['ARCNET (BSD), first fragment (split flag 1)', LINKTYPE_ARCNET_BSD, 'be50d4010005450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', -1],
  // PKTAP naming Ethernet with an 802.1Q tag (VID 100) → IPv4/TCP
  ['PKTAP, inner Ethernet with 802.1Q VID 100 → IPv4/TCP', LINKTYPE_PKTAP, pktapHeader(1) + '020000000002020000000001810000640800450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000', 'tcp4', 100],
];

describe('link layers: each link type reaches the same IP packet', () => {
  test.each(LINK_VECTORS)('%s', (_name, linkType, bytes, inner, vlanId) => {
    const { dec, anomalies } = newDecoder();
    const frame = hex(bytes);
    expect(decodeFrame(dec, frame, linkType)).toBe(DecodeStatus.Transport);
    const v = dec.view;
    expect(v.vlanId).toBe(vlanId);
    expect(v.tunnelDepth).toBe(0);
    if (inner === 'tcp4') {
      expect([v.ipVersion, v.ipProto, v.sa3, v.da3]).toEqual([4, IPPROTO_TCP, ip4word('192.168.1.10'), ip4word('93.184.216.34')]);
      expect([v.srcPort, v.dstPort, v.tcpFlags, v.tcpSeq, v.payloadLength]).toEqual([49152, 443, 0x02, 1000, 0]);
    } else {
      expect([v.ipVersion, v.ipProto, v.sa0, v.sa1, v.sa3, v.da3]).toEqual([6, IPPROTO_UDP, 0x20010db8, 0x00200000, 0x10, 0x1]);
      expect([v.srcPort, v.dstPort]).toEqual([54321, 53]);
      expect(payloadText(dec)).toBe('abcd');
    }
    expect(anomalies.toRecord()).toEqual({});
  });
});

const NOT_IP_VECTORS: Array<[name: string, linkType: number, hex: string]> = [
  // ARP request (ethertype 0x0806)
  // 0000  02 00 00 00 00 02 02 00 00 00 00 01 08 06 00 01  ................
  // 0010  08 00 06 04 00 01 02 00 00 00 00 01 c0 a8 01 0a  ................
  // 0020  00 00 00 00 00 00 c0 a8 01 01                    ..........
  ['ARP request (ethertype 0x0806)', LINKTYPE_ETHERNET, '02000000000202000000000108060001080006040001020000000001c0a8010a000000000000c0a80101'],
  // LLDP (ethertype 0x88cc)
  // 0000  02 00 00 00 00 02 02 00 00 00 00 01 88 cc 02 07  ................
  // 0010  02 02 00 00 00 00 01 04 03 02 00 01 06 02 00 78  ...............x
  // 0020  00 00                                            ..
  ['LLDP (ethertype 0x88cc)', LINKTYPE_ETHERNET, '02000000000202000000000188cc0207020200000000010403020001060200780000'],
  // 802.3 frame with a length field (0x0026) and LLC/STP
  // 0000  02 00 00 00 00 02 02 00 00 00 00 01 00 26 42 42  .............&BB
  // 0010  03 00 00 00 00 00 00                             .......
  ['802.3 frame with a length field (0x0026) and LLC/STP', LINKTYPE_ETHERNET, '0200000000020200000000010026424203000000000000'],
  // PPP LCP (protocol 0xc021)
  // 0000  ff 03 c0 21 01 01 00 0a                          ...!....
  ['PPP LCP (protocol 0xc021)', LINKTYPE_PPP, 'ff03c0210101000a'],
  // Cisco HDLC SLARP keepalive (ethertype 0x8035)
  ['Cisco HDLC SLARP keepalive (ethertype 0x8035)', LINKTYPE_C_HDLC, '8f0080350000000200000001'],
  // pflog of an address family that is not IP (AF_UNSPEC)
  ['pflog of address family 0', LINKTYPE_PFLOG, '3d000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000'],
  // BSD NULL with AF 17 (not IP)
  // 0000  11 00 00 00 45 00 00 28 12 34 40 00 40 06 00 00  ....E..(.4@.@...
  // 0010  c0 a8 01 0a 5d b8 d8 22 c0 00 01 bb 00 00 03 e8  ....].."........
  // 0020  00 00 00 00 50 02 ff ff 00 00 00 00              ....P.......
  ['BSD NULL with AF 17 (not IP)', LINKTYPE_NULL, '11000000450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000'],
  // NFLOG with no NFULA_PAYLOAD (copy mode none): only NFULA_PACKET_HDR
  // 0000  02 00 00 00 08 00 01 00 08 00 01 00              ............
  ['NFLOG with no NFULA_PAYLOAD (copy mode none): only NFULA_PACKET_HDR', LINKTYPE_NFLOG, '020000000800010008000100'],
  // ARCNET_LINUX ARP (system code 213)
  ['ARP over ARCNET_LINUX (213)', LINKTYPE_ARCNET_LINUX, 'be500000d5000000 0007 0800 01 04 0001 be 0a508301 00 0a5083fe'],
  // ARCNET (BSD), a middle fragment of a split packet (even, non-zero flag): no header of its own
  ['ARCNET (BSD) middle fragment (split flag 2)', LINKTYPE_ARCNET_BSD, 'be50d4020005 00112233445566778899'],
  // A PKTAP record whose pth_type_next is 0 (PTH_TYPE_NONE: no packet follows), as tshark shows it: the header alone
  ['PKTAP record of type 0 (no packet)', LINKTYPE_PKTAP, pktapHeader(1, { recType: 0 }) + '0200000000020200000000010800450000281234400040060000c0a8010a5db8d822c00001bb000003e8000000005002ffff00000000'],
];

describe('link layers: frames without IP', () => {
  test.each(NOT_IP_VECTORS)('%s → NotIp, counted, no anomaly', (name, linkType, bytes) => {
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, hex(bytes), linkType)).toBe(DecodeStatus.NotIp);
    const expected = name.startsWith('ARP') ? { arp: 1, otherL2: 0 } : { arp: 0, otherL2: 1 };
    expect({ arp: dec.nonFlow.arp, otherL2: dec.nonFlow.otherL2 }).toEqual(expected);
    expect(anomalies.toRecord()).toEqual({});
  });
});

const TCP4 = ipv4({ proto: 6 }, tcp({}));

describe('link layers: adversarial headers', () => {
  test.each<[string, number, string, DecodeStatus, string]>([
    // An unknown link type (147 = USER0): we cannot find the network header.
    ['unknown link type', 147, '450000', DecodeStatus.Unsupported, 'link.unsupported_linktype'],
    // Ethernet runt: 13 bytes, one short of the 14-byte header.
    ['13-byte Ethernet runt', LINKTYPE_ETHERNET, '02000000000202000000000108', DecodeStatus.Truncated, 'link.truncated'],
    // Empty frame (caplen 0).
    ['empty Ethernet frame', LINKTYPE_ETHERNET, '', DecodeStatus.Truncated, 'link.truncated'],
    // Cisco HDLC header of 3 bytes (needs 4).
    ['3-byte Cisco HDLC header', LINKTYPE_C_HDLC, '0f0008', DecodeStatus.Truncated, 'link.truncated'],
    // enc(4) header of 11 bytes (needs 12).
    ['11-byte enc header', LINKTYPE_ENC, '0200000000001001000004', DecodeStatus.Truncated, 'link.truncated'],
    // pflog whose length byte (20) is shorter than any BSD's header.
    ['pflog header length 20', LINKTYPE_PFLOG, '1402' + '00'.repeat(30), DecodeStatus.Malformed, 'link.pflog_malformed'],
    // pflog header of length 61 (64 padded) cut at 40 bytes.
    ['pflog header cut short', LINKTYPE_PFLOG, '3d02' + '00'.repeat(38), DecodeStatus.Truncated, 'link.truncated'],
    // Solaris ipnet header of 23 bytes (needs 24).
    ['23-byte ipnet header', LINKTYPE_IPNET, '0202' + '00'.repeat(21), DecodeStatus.Truncated, 'link.truncated'],
    // A PPPoE session frame (LINKTYPE_PPP_ETHER) whose version/type byte is not 0x11.
    ['PPP_ETHER with version/type 0x22', LINKTYPE_PPP_ETHER, '22001234002a0021', DecodeStatus.Malformed, 'pppoe.malformed'],
    // 802.1Q TPID with the snaplen cutting the 4-byte tag in half.
    ['VLAN tag cut short', LINKTYPE_ETHERNET, '020000000002020000000001 8100 00', DecodeStatus.Truncated, 'link.truncated'],
    // Five stacked tags: one more than MAX_VLAN_TAGS (4).
    ['5 VLAN tags', LINKTYPE_ETHERNET,
      '020000000002020000000001 8100 0001 8100 0002 8100 0003 8100 0004 8100 0005 0800', DecodeStatus.Malformed, 'link.vlan_too_deep'],
    // Linux SLL header of 15 bytes (needs 16).
    ['SLL runt', LINKTYPE_LINUX_SLL, '000000010006020000000001000008', DecodeStatus.Truncated, 'link.truncated'],
    // Linux SLL2 header of 19 bytes (needs 20).
    ['SLL2 runt', LINKTYPE_LINUX_SLL2, '08000000000000020001000602000000000100', DecodeStatus.Truncated, 'link.truncated'],
    // Raw IP with no bytes at all.
    ['empty raw frame', LINKTYPE_RAW, '', DecodeStatus.Truncated, 'link.truncated'],
    // Raw IP whose version nibble is 5 (ST-II): neither IPv4 nor IPv6.
    ['raw IP version 5', LINKTYPE_RAW, '5500002812344000', DecodeStatus.Malformed, 'ip.unknown_version'],
    // LINKTYPE_IPV4 whose bytes are an IPv6 header: the version nibble wins, so this is IPv6 cut at 4 bytes.
    ['IPV4 link type carrying a truncated IPv6 header', LINKTYPE_IPV4, '60000000', DecodeStatus.Truncated, 'ip6.truncated'],
    // BSD NULL with only 3 bytes of address family.
    ['NULL header cut', LINKTYPE_NULL, '020000', DecodeStatus.Truncated, 'link.truncated'],
    // PPP with address/control and nothing after.
    ['PPP without protocol', LINKTYPE_PPP, 'ff03', DecodeStatus.Truncated, 'link.truncated'],
    // PPP with one even protocol byte: an uncompressed protocol needs two.
    ['PPP with half a protocol', LINKTYPE_PPP, '00', DecodeStatus.Truncated, 'link.truncated'],
    // NFLOG with a 3-byte nflog_hdr.
    ['NFLOG header cut', LINKTYPE_NFLOG, '020000', DecodeStatus.Truncated, 'link.truncated'],
    // NFLOG TLV whose length (2) is below the 4-byte TLV header in both byte orders.
    ['NFLOG TLV length 2', LINKTYPE_NFLOG, '02000000 0200 0900 45000000', DecodeStatus.Malformed, 'link.nflog_malformed'],
    // NFLOG TLV claiming 0x0100 bytes where only 8 follow: beyond the packet in both byte orders.
    ['NFLOG TLV longer than the packet', LINKTYPE_NFLOG, '02000000 0001 0900 45000000', DecodeStatus.Malformed, 'link.nflog_malformed'],
    // NFLOG with 33 empty 4-byte TLVs (type 0x0f): more than MAX_NFLOG_TLVS, no payload found.
    ['NFLOG with 33 TLVs', LINKTYPE_NFLOG, '02000000' + '04000f00'.repeat(33), DecodeStatus.Malformed, 'link.nflog_malformed'],
    // NFLOG payload TLV with a zero-length value: no IP version byte.
    ['NFLOG empty payload', LINKTYPE_NFLOG, '02000000 04000900', DecodeStatus.Truncated, 'link.truncated'],
    // ARCNET_LINUX cut before its system code.
    ['ARCNET_LINUX header of 4 bytes', LINKTYPE_ARCNET_LINUX, 'be500000', DecodeStatus.Truncated, 'link.truncated'],
    // ARCNET (BSD), an RFC 1201 code without its split flag and sequence number.
    ['ARCNET (BSD) RFC 1201 header cut at 4 bytes', LINKTYPE_ARCNET_BSD, 'be50d400', DecodeStatus.Truncated, 'link.truncated'],
    // ARCNET (BSD) exception frame cut at 8 of its 10 bytes.
    ['ARCNET (BSD) exception header cut short', LINKTYPE_ARCNET_BSD, 'be50d4ffffffd400', DecodeStatus.Truncated, 'link.truncated'],
    // PKTAP cut one byte short of its 108-byte fixed part.
    ['PKTAP header of 107 bytes', LINKTYPE_PKTAP, pktapHeader(1).slice(0, 214), DecodeStatus.Truncated, 'link.truncated'],
    // PKTAP whose pth_length (100) is shorter than the fixed part it must cover.
    ['PKTAP pth_length 100', LINKTYPE_PKTAP, pktapHeader(1, { length: 100 }) + '00'.repeat(40), DecodeStatus.Malformed, 'link.pktap_malformed'],
    // PKTAP whose pth_length (4096) runs past the 180 bytes captured.
    ['PKTAP pth_length past the frame', LINKTYPE_PKTAP, pktapHeader(1).replace(/^6c000000/, '00100000') + '00'.repeat(72), DecodeStatus.Truncated, 'link.truncated'],
    // PKTAP naming PKTAP as its inner link type: refused, never decoded recursively.
    ['PKTAP inside PKTAP', LINKTYPE_PKTAP, pktapHeader(LINKTYPE_PKTAP) + pktapHeader(1) + '0200000000020200000000010800', DecodeStatus.Malformed, 'link.pktap_malformed'],
    // USER2 PKTAP naming DLT_PKTAP as Darwin numbers it (149): refused likewise.
    ['USER2 PKTAP inside USER2 PKTAP', LINKTYPE_USER2_PKTAP, pktapHeader(LINKTYPE_USER2_PKTAP) + pktapHeader(1), DecodeStatus.Malformed, 'link.pktap_malformed'],
    // PKTAP naming a link type nothing decodes (147, USER0).
    ['PKTAP with inner link type 147', LINKTYPE_PKTAP, pktapHeader(147) + '450000281234', DecodeStatus.Unsupported, 'link.unsupported_linktype'],
  ])('%s', (_name, linkType, bytes, status, anomaly) => {
    const { dec, count, anomalies } = newDecoder();
    expect(decodeFrame(dec, hex(bytes), linkType)).toBe(status);
    expect(count(anomaly as never)).toBe(1);
    expect(Object.keys(anomalies.toRecord())).toEqual([anomaly]);
  });

  test('NFLOG payload cut by the snaplen: the TCP ports still arrive, the packet is truncated', () => {
    // nflog_hdr, NFULA_PAYLOAD TLV (length 44 = 4 + 40) holding IPv4/TCP; only 30 bytes of it captured.
    const full = hex(`02000000 2c000900 ${Buffer.from(TCP4).toString('hex')}`);
    const { dec, count } = newDecoder();
    expect(dec.decode(full, 0, 8 + 30, full.length, LINKTYPE_NFLOG, 0)).toBe(DecodeStatus.Truncated);
    expect([dec.view.srcPort, dec.view.dstPort]).toEqual([49152, 443]);
    expect(count('tcp.truncated')).toBe(1);
  });

  test('caplen larger than the buffer is clipped to the buffer, never read past', () => {
    const frame = ethernet(0x0800, TCP4);
    const { dec } = newDecoder();
    expect(dec.decode(frame, 0, frame.length + 100, frame.length + 100, LINKTYPE_ETHERNET, 0)).toBe(DecodeStatus.Transport);
    expect(dec.view.payloadTruncated).toBe(false);
  });

  test('a frame at a non-zero offset in a larger buffer', () => {
    const frame = ethernet(0x0800, TCP4);
    const buf = new Uint8Array(frame.length + 37);
    buf.set(frame, 17);
    const { dec } = newDecoder();
    expect(dec.decode(buf, 17, frame.length, frame.length, LINKTYPE_ETHERNET, 0)).toBe(DecodeStatus.Transport);
    expect(dec.view.payloadOffset).toBe(17 + 14 + 40);
    expect(dec.view.buf).toBe(buf);
  });

  test('view fields from the previous frame never leak into the next', () => {
    const { dec } = newDecoder();
    decodeFrame(dec, ethernet(0x0800, TCP4, [[0x8100, 5]]), LINKTYPE_ETHERNET);
    expect(decodeFrame(dec, ethernet(0x0806, new Uint8Array(28)), LINKTYPE_ETHERNET)).toBe(DecodeStatus.NotIp);
    expect([dec.view.vlanId, dec.view.srcPort, dec.view.ipVersion, dec.view.sa3]).toEqual([-1, 0, 0, 0]);
  });
});

describe('shims between the link header and IP: MPLS (RFC 3032) and PPPoE sessions (RFC 2516)', () => {
  const UDP6 = hex('60000000000c114020010db800200000000000000000001020010db8000100000000000000000001d4310035000c000061626364');
  /** One MPLS label stack entry: label, bottom-of-stack bit, TTL 64. */
  const label = (value: number, bottom: boolean): Uint8Array => hex(((value << 12) | (bottom ? 0x100 : 0) | 64).toString(16).padStart(8, '0'));
  const pppoe = (protocol: string, payload: Uint8Array, verType = '11', code = '00'): Uint8Array =>
    Buffer.concat([hex(`${verType}${code} 1234`), hex((2 + payload.length).toString(16).padStart(4, '0')), hex(protocol), payload]);

  test.each<[string, number, Uint8Array, 4 | 6]>([
    ['one MPLS label, IPv4', 0x8847, Buffer.concat([label(16, true), TCP4]), 4],
    ['three MPLS labels (multicast ethertype 0x8848), IPv6', 0x8848, Buffer.concat([label(100, false), label(200, false), label(2, true), UDP6]), 6],
    ['PPPoE session, PPP IPv4 (0x0021)', 0x8864, pppoe('0021', TCP4), 4],
    ['PPPoE session, PPP IPv6 (0x0057)', 0x8864, pppoe('0057', UDP6), 6],
    ['PPPoE session, compressed PPP protocol (0x21, one byte)', 0x8864, pppoe('21', TCP4), 4],
    ['PPPoE session carrying MPLS (PPP 0x0281)', 0x8864, pppoe('0281', Buffer.concat([label(16, true), TCP4])), 4],
    // Ethernet pseudowires (RFC 4448): tshark 4.0 decodes these (MACs with known vendor prefixes) as pwethnocw / pwethcw.
    ['an Ethernet pseudowire without a control word, IPv4', 0x8847, Buffer.concat([label(300, true), hex('001b21000004 00000c000003 0800'), TCP4]), 4],
    ['an Ethernet pseudowire with a control word (RFC 4385), IPv6', 0x8847, Buffer.concat([label(300, true), hex('00000000 001b21000004 00000c000003 86dd'), UDP6]), 6],
  ])('%s: the IP packet inside is decoded at tunnel depth 0', (_name, etherType, payload, version) => {
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, ethernet(etherType, payload, [[0x8100, 7]]), LINKTYPE_ETHERNET)).toBe(DecodeStatus.Transport);
    expect([dec.view.ipVersion, dec.view.tunnelDepth, dec.view.vlanId]).toEqual([version, 0, 7]);
    expect(version === 4 ? [dec.view.ipProto, dec.view.dstPort] : [dec.view.ipProto, payloadText(dec)]).toEqual(version === 4 ? [IPPROTO_TCP, 443] : [IPPROTO_UDP, 'abcd']);
    expect(anomalies.toRecord()).toEqual({});
  });

  test.each<[string, number, Uint8Array]>([
    ['PPPoE session carrying LCP (0xc021)', 0x8864, pppoe('c021', hex('0101000401'))],
    ['PPPoE discovery (0x8863)', 0x8863, hex('1109000000000000')],
    ['MPLS with a pseudowire control word after the stack, then no Ethernet frame', 0x8847, Buffer.concat([label(300, true), hex('00000000'), TCP4])],
    ['an Ethernet pseudowire carrying LLDP', 0x8847, Buffer.concat([label(300, true), hex('00000000 0180c200000e 00000c000003 88cc 0207 04'), hex('00000c00000300')])],
  ])('%s: not IP, counted, no anomaly', (_name, etherType, payload) => {
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, ethernet(etherType, payload), LINKTYPE_ETHERNET)).toBe(DecodeStatus.NotIp);
    expect(dec.nonFlow.otherL2).toBe(1);
    expect(anomalies.toRecord()).toEqual({});
  });

  test.each<[string, number, Uint8Array, DecodeStatus, string]>([
    ['an MPLS stack with no bottom-of-stack bit in MAX_MPLS_LABELS entries', 0x8847, Buffer.concat([...Array.from({ length: MAX_MPLS_LABELS }, () => label(5, false)), TCP4]), DecodeStatus.Malformed, 'mpls.too_deep'],
    ['an MPLS stack cut inside an entry', 0x8847, hex('000101'), DecodeStatus.Truncated, 'link.truncated'],
    ['an MPLS stack with nothing after it', 0x8847, label(16, true), DecodeStatus.Truncated, 'link.truncated'],
    ['a PPPoE header of 5 bytes', 0x8864, hex('1100123400'), DecodeStatus.Truncated, 'link.truncated'],
    ['PPPoE version/type 2/1', 0x8864, pppoe('0021', TCP4, '21'), DecodeStatus.Malformed, 'pppoe.malformed'],
    ['a PPPoE session frame with a discovery code (PADI)', 0x8864, pppoe('0021', TCP4, '11', '09'), DecodeStatus.Malformed, 'pppoe.malformed'],
  ])('%s → %s, %s', (_name, etherType, payload, status, anomaly) => {
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, ethernet(etherType, payload), LINKTYPE_ETHERNET)).toBe(status);
    expect(anomalies.toRecord()).toEqual({ [anomaly]: 1 });
  });

  test('exactly MAX_MPLS_LABELS labels decode', () => {
    const { dec } = newDecoder();
    const stack = Array.from({ length: MAX_MPLS_LABELS }, (_, i) => label(i + 16, i === MAX_MPLS_LABELS - 1));
    expect(decodeFrame(dec, ethernet(0x8847, Buffer.concat([...stack, TCP4])), LINKTYPE_ETHERNET)).toBe(DecodeStatus.Transport);
  });

  test('PPP links (LINKTYPE_PPP) carry MPLS too', () => {
    const { dec } = newDecoder();
    expect(decodeFrame(dec, Buffer.concat([hex('ff030281'), label(16, true), TCP4]), LINKTYPE_PPP)).toBe(DecodeStatus.Transport);
    expect(dec.view.ipProto).toBe(IPPROTO_TCP);
  });
});

describe('bridge-fabric tags (PBB, VN-Tag, E-Tag, FabricPath, NSH), MACsec, Arista timestamps, batman-adv and VLAN tags after a shim; each frame shape checked with tshark 4.0', () => {
  const UDP6 = hex('60000000000c114020010db800200000000000000000001020010db8000100000000000000000001d4310035000c000061626364');
  const MACS = '020000000001 020000000002';
  /** An NSH base header (version 0, TTL 63, Length in words, MD type, next protocol) and a service path header. */
  const nsh = (words: number, mdType: number, next: number, version = 0): Uint8Array =>
    hex(`${((version << 14) | (63 << 6) | words).toString(16).padStart(4, '0')} 0${mdType} ${next.toString(16).padStart(2, '0')} 000001ff`);

  test.each<[string, Uint8Array, 4 | 6, number]>([
    // 802.1ah: I-TAG (I-SID 256), customer MACs, type IPv4.
    ['PBB (802.1ah) I-TAG and customer MACs → IPv4', ethernet(0x88e7, Buffer.concat([hex(`00000100 ${MACS} 0800`), TCP4])), 4, -1],
    // PBB whose customer frame is VLAN-tagged (VID 9): the innermost VLAN id wins.
    ['PBB carrying an 802.1Q-tagged customer frame → IPv6', ethernet(0x88e7, Buffer.concat([hex(`00000100 ${MACS} 8100 0009 86dd`), UDP6])), 6, 9],
    ['VN-Tag → IPv4', ethernet(0x8926, Buffer.concat([hex('80010002 0800'), TCP4])), 4, -1],
    ['E-Tag (802.1BR) → IPv6', ethernet(0x893f, Buffer.concat([hex('000000010000 86dd'), UDP6])), 6, -1],
    // FabricPath: FTag/TTL word, then the original frame (MACs, type).
    ['Cisco FabricPath → IPv4', ethernet(0x8903, Buffer.concat([hex(`0001 ${MACS} 0800`), TCP4])), 4, -1],
    ['NSH MD type 2, next protocol IPv4', ethernet(0x894f, Buffer.concat([nsh(2, 2, 1), TCP4])), 4, -1],
    ['NSH MD type 1 (16 bytes of context), next protocol IPv6', ethernet(0x894f, Buffer.concat([nsh(6, 1, 2), new Uint8Array(16), UDP6])), 6, -1],
    ['NSH next protocol Ethernet, then IPv4', ethernet(0x894f, Buffer.concat([nsh(2, 2, 3), hex(`${MACS} 0800`), TCP4])), 4, -1],
    // MACsec (802.1AE) protecting integrity only (E and C clear): SecTAG with and without an SCI, type, payload, 16-byte ICV.
    ['MACsec with an SCI, integrity only → IPv4', ethernet(0x88e5, Buffer.concat([hex('2000 00000001 00000c0000030001 0800'), TCP4, new Uint8Array(16)])), 4, -1],
    ['MACsec without an SCI, integrity only → IPv6', ethernet(0x88e5, Buffer.concat([hex('0000 00000001 86dd'), UDP6, new Uint8Array(16)])), 6, -1],
    // Arista's tap-aggregator timestamp (tshark: eth:ethertype:avsp:ethertype:...): sub-type 1, version, time, then the type.
    ['Arista timestamp, 64-bit TAI → IPv4', ethernet(0xd28b, Buffer.concat([hex('0001 0010 5cef0857 384f4ac8 0800'), TCP4])), 4, -1],
    ['Arista timestamp, 48-bit UTC, then an 802.1Q tag (VID 100) → IPv6', ethernet(0xd28b, Buffer.concat([hex('0001 0120 ed95 18149df4 8100 0064 86dd'), UDP6])), 6, 100],
    // batman-adv v15 data packets (tshark: eth:ethertype:batadv:eth:ethertype:ip): unicast, four-address unicast, broadcast.
    ['batman-adv unicast → the carried Ethernet frame → IPv4', ethernet(0x4305, Buffer.concat([hex(`40 0f 32 01 020000000002 ${MACS} 0800`), TCP4])), 4, -1],
    ['batman-adv four-address unicast → IPv6', ethernet(0x4305, Buffer.concat([hex(`42 0f 32 01 020000000002 020000000001 00 00 ${MACS} 86dd`), UDP6])), 6, -1],
    ['batman-adv broadcast → an 802.1Q-tagged frame (VID 7) → IPv4', ethernet(0x4305, Buffer.concat([hex(`01 0f 32 00 00000007 020000000001 ${MACS} 8100 0007 0800`), TCP4])), 4, 7],
    // 802.3 length field, LLC/SNAP naming 802.1Q (VID 10), then IPv4.
    ['LLC/SNAP naming an 802.1Q tag → IPv4', ethernet(8 + 4 + TCP4.length, Buffer.concat([hex('aaaa03000000 8100 000a 0800'), TCP4])), 4, 10],
    // 802.3 length field, LLC with IP's own SAP (DSAP = SSAP = 0x06, UI), no SNAP (tshark: eth:llc:ip).
    ['LLC SAP 0x06 without SNAP → IPv4', ethernet(3 + TCP4.length, Buffer.concat([hex('060603'), TCP4])), 4, -1],
  ])('%s: the IP packet inside is decoded at tunnel depth 0', (_name, frame, version, vlanId) => {
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, frame, LINKTYPE_ETHERNET)).toBe(DecodeStatus.Transport);
    expect([dec.view.ipVersion, dec.view.tunnelDepth, dec.view.vlanId]).toEqual([version, 0, vlanId]);
    expect(version === 4 ? [dec.view.ipProto, dec.view.dstPort] : [dec.view.ipProto, payloadText(dec)]).toEqual(version === 4 ? [IPPROTO_TCP, 443] : [IPPROTO_UDP, 'abcd']);
    expect(anomalies.toRecord()).toEqual({});
  });

  test('an outer VLAN, PBB and an inner VLAN nest (tshark: eth:vlan:ieee8021ah:vlan:ip)', () => {
    const { dec, anomalies } = newDecoder();
    const frame = ethernet(0x88e7, Buffer.concat([hex(`00000100 ${MACS} 8100 0007 0800`), TCP4]), [[0x8100, 5]]);
    expect(decodeFrame(dec, frame, LINKTYPE_ETHERNET)).toBe(DecodeStatus.Transport);
    expect([dec.view.vlanId, dec.view.dstPort]).toEqual([7, 443]);
    expect(anomalies.toRecord()).toEqual({});
  });

  test.each<[string, string]>([
    ['an encrypted MACsec frame (E and C set)', '2c00 00000001 00000c0000030001'],
    ['a MACsec SecTAG of another version (V set)', '8000 00000001'],
  ])('%s: not IP, counted, no anomaly', (_name, sectag) => {
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, ethernet(0x88e5, Buffer.concat([hex(sectag), hex('0800'), TCP4, new Uint8Array(16)])), LINKTYPE_ETHERNET)).toBe(DecodeStatus.NotIp);
    expect(dec.nonFlow.otherL2).toBe(1);
    expect(anomalies.toRecord()).toEqual({});
  });

  test.each<[string, string]>([
    ['another sub-type', '0002 0010 00000000 00000000'],
    ['a timestamp version tshark does not know (0x0030)', '0001 0030 00000000 00000000'],
  ])('an Arista header with %s: not IP, counted, no anomaly', (_name, header) => {
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, ethernet(0xd28b, Buffer.concat([hex(header), hex('0800'), TCP4])), LINKTYPE_ETHERNET)).toBe(DecodeStatus.NotIp);
    expect(dec.nonFlow.otherL2).toBe(1);
    expect(anomalies.toRecord()).toEqual({});
  });

  test.each<[string, string]>([
    ['an originator message (B.A.T.M.A.N. IV OGM)', '00 0f 32 00 00000001'],
    ['a fragment (not reassembled)', `41 0f 32 00 020000000002 020000000001 0001 0040`],
    ['a unicast of compat version 14 (tshark does not decode it either)', '40 0e 32 01 020000000002'],
  ])('batman-adv %s: not IP, counted, no anomaly', (_name, header) => {
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, ethernet(0x4305, Buffer.concat([hex(header), hex(`${MACS} 0800`), TCP4])), LINKTYPE_ETHERNET)).toBe(DecodeStatus.NotIp);
    expect(dec.nonFlow.otherL2).toBe(1);
    expect(anomalies.toRecord()).toEqual({});
  });

  test('NSH with an experimental next protocol: not IP, counted, no anomaly', () => {
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, ethernet(0x894f, Buffer.concat([nsh(2, 2, 0xfe), TCP4])), LINKTYPE_ETHERNET)).toBe(DecodeStatus.NotIp);
    expect(dec.nonFlow.otherL2).toBe(1);
    expect(anomalies.toRecord()).toEqual({});
  });

  test.each<[string, Uint8Array, DecodeStatus, string]>([
    ['a PBB I-TAG cut before the customer type', ethernet(0x88e7, hex(`00000100 ${MACS}`)), DecodeStatus.Truncated, 'link.truncated'],
    ['a VN-Tag of 3 bytes', ethernet(0x8926, hex('800100')), DecodeStatus.Truncated, 'link.truncated'],
    ['an Arista 64-bit timestamp cut before the type', ethernet(0xd28b, hex('0001 0010 5cef0857 384f4ac8')), DecodeStatus.Truncated, 'link.truncated'],
    ['an Arista header of 3 bytes', ethernet(0xd28b, hex('000100')), DecodeStatus.Truncated, 'link.truncated'],
    ['a batman-adv unicast cut inside the carried frame\'s MACs', ethernet(0x4305, hex(`40 0f 32 01 020000000002 0200000000`)), DecodeStatus.Truncated, 'link.truncated'],
    ['a batman-adv header of 1 byte', ethernet(0x4305, hex('40')), DecodeStatus.Truncated, 'link.truncated'],
    ['an E-Tag without its type field', ethernet(0x893f, hex('000000010000')), DecodeStatus.Truncated, 'link.truncated'],
    ['a MACsec SecTAG with an SCI cut before the type', ethernet(0x88e5, hex('2000 00000001 00000c00000300')), DecodeStatus.Truncated, 'link.truncated'],
    ['NSH version 1', ethernet(0x894f, Buffer.concat([nsh(2, 2, 1, 1), TCP4])), DecodeStatus.Malformed, 'nsh.malformed'],
    ['NSH Length 1 (shorter than its own two headers)', ethernet(0x894f, Buffer.concat([nsh(1, 2, 1), TCP4])), DecodeStatus.Malformed, 'nsh.malformed'],
    ['NSH MD type 1 with Length 2 (RFC 8300 fixes it at 6)', ethernet(0x894f, Buffer.concat([nsh(2, 1, 1), TCP4])), DecodeStatus.Malformed, 'nsh.malformed'],
    ['NSH whose Length runs past the frame', ethernet(0x894f, Buffer.concat([nsh(63, 2, 1), TCP4])), DecodeStatus.Truncated, 'link.truncated'],
    ['NSH next protocol Ethernet cut inside the MACs', ethernet(0x894f, Buffer.concat([nsh(2, 2, 3), hex('0200000000')])), DecodeStatus.Truncated, 'link.truncated'],
  ])('%s → %s, %s', (_name, frame, status, anomaly) => {
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, frame, LINKTYPE_ETHERNET)).toBe(status);
    expect(anomalies.toRecord()).toEqual({ [anomaly]: 1 });
  });

  test('NSH naming NSH again and again is bounded: counted as not IP, no hang', () => {
    const { dec } = newDecoder();
    const chain = Buffer.concat([...Array.from({ length: 20 }, () => nsh(2, 2, 4)), TCP4]);
    expect(decodeFrame(dec, ethernet(0x894f, chain), LINKTYPE_ETHERNET)).toBe(DecodeStatus.NotIp);
    expect(dec.nonFlow.otherL2).toBe(1);
  });
});

/** The frame decodes to the test's IPv4/TCP (to 443) or IPv6/UDP ("abcd") packet, with no anomaly. */
function expectIpInside(linkType: number, frame: Uint8Array, version: 4 | 6): void {
  const { dec, anomalies } = newDecoder();
  expect(decodeFrame(dec, frame, linkType)).toBe(DecodeStatus.Transport);
  expect(dec.view.ipVersion).toBe(version);
  if (version === 6) expect(payloadText(dec)).toBe('abcd');
  else expect([dec.view.ipProto, dec.view.dstPort]).toEqual([IPPROTO_TCP, 443]);
  expect(anomalies.toRecord()).toEqual({});
}

/** The frame is not IP: counted as other link-layer traffic, no anomaly. */
function expectNotIp(linkType: number, frame: Uint8Array): void {
  const { dec, anomalies } = newDecoder();
  expect(decodeFrame(dec, frame, linkType)).toBe(DecodeStatus.NotIp);
  expect(dec.nonFlow.otherL2).toBe(1);
  expect(anomalies.toRecord()).toEqual({});
}

/** The frame decodes to `status` with exactly one `anomaly`. */
function expectOneAnomaly(linkType: number, frame: Uint8Array, status: DecodeStatus, anomaly: string): void {
  const { dec, anomalies } = newDecoder();
  expect(decodeFrame(dec, frame, linkType)).toBe(status);
  expect(anomalies.toRecord()).toEqual({ [anomaly]: 1 });
}

describe('IEEE 802.11 (bare, radiotap, PPI) and LLC/SNAP; each frame shape checked with tshark 4.0', () => {
  const UDP6 = hex('60000000000c114020010db800200000000000000000001020010db8000100000000000000000001d4310035000c000061626364');
  const snap = (type: string, oui = '000000'): Uint8Array => hex(`aaaa03${oui}${type}`);
  const ADDR3 = '020000000001 020000000002 020000000003';
  /** A data frame to the AP (ToDS), no QoS: 24-byte header. */
  const data = (payload: Uint8Array, fc = '0801'): Uint8Array => Buffer.concat([hex(`${fc} 0000 ${ADDR3} 1000`), payload]);
  /** A QoS data frame between APs (ToDS and FromDS): 4 addresses and QoS control, 32 bytes. */
  const qos4 = (payload: Uint8Array, qos = '0000'): Uint8Array => Buffer.concat([hex(`8803 0000 ${ADDR3} 2000 020000000004 ${qos}`), payload]);
  /** Radiotap: TSFT (8-aligned), Flags, Rate: 18 bytes. */
  const radiotap = (flags: number): Uint8Array => hex(`0000 1200 07000000 0000000000000000 ${flags.toString(16).padStart(2, '0')} 02`);

  test.each<[string, number, Uint8Array, 4 | 6]>([
    ['802.11 data frame, LLC/SNAP, IPv4', LINKTYPE_IEEE802_11, data(Buffer.concat([snap('0800'), TCP4])), 4],
    ['802.11 QoS data with four addresses, IPv6', LINKTYPE_IEEE802_11, qos4(Buffer.concat([snap('86dd'), UDP6])), 6],
    ['802.11 with an 802.1H bridge-tunnel SNAP (OUI 00-00-f8)', LINKTYPE_IEEE802_11, data(Buffer.concat([snap('0800', '0000f8'), TCP4])), 4],
    ['radiotap (TSFT, Flags, Rate), then a data frame', LINKTYPE_IEEE802_11_RADIOTAP, Buffer.concat([radiotap(0), data(Buffer.concat([snap('0800'), TCP4]))]), 4],
    ['radiotap saying the frame ends with an FCS', LINKTYPE_IEEE802_11_RADIOTAP, Buffer.concat([radiotap(0x10), qos4(Buffer.concat([snap('86dd'), UDP6])), hex('deadbeef')]), 6],
    ['radiotap saying the 802.11 header is padded to 4 bytes (QoS, 26 → 28)', LINKTYPE_IEEE802_11_RADIOTAP,
      Buffer.concat([radiotap(0x20), hex(`8801 0000 ${ADDR3} 3000 0000 0000`), snap('0800'), TCP4]), 4],
    ['radiotap with a second presence word (TSFT after both words, 8-aligned at 16; Flags at 24)', LINKTYPE_IEEE802_11_RADIOTAP,
      Buffer.concat([hex('0000 1900 03000080 00000000 00000000 0000000000000000 00'), data(Buffer.concat([snap('0800'), TCP4]))]), 4],
    ['PPI carrying 802.11', LINKTYPE_PPI, Buffer.concat([hex('00000800 69000000'), data(Buffer.concat([snap('0800'), TCP4]))]), 4],
    ['Ethernet 802.3 (a length, not a type) with LLC/SNAP, IPv6', LINKTYPE_ETHERNET, ethernet(8 + UDP6.length, Buffer.concat([snap('86dd'), UDP6])), 6],
  ])('%s → the IP packet inside', (_name, linkType, frame, version) => expectIpInside(linkType, frame, version));

  test.each<[string, number, Uint8Array]>([
    ['a protected (encrypted) data frame', LINKTYPE_IEEE802_11, data(Buffer.concat([hex('0102030405060708'), TCP4]), '0841')],
    ['a beacon (management)', LINKTYPE_IEEE802_11, hex(`8000 0000 ${ADDR3} 0000 0000000000000000 6400 0104`)],
    ['a QoS null frame (no data)', LINKTYPE_IEEE802_11, hex(`c801 0000 ${ADDR3} 0000 0000`)],
    ['EAPOL (ethertype 0x888e) in a data frame', LINKTYPE_IEEE802_11, data(Buffer.concat([snap('888e'), hex('0203005f')]))],
    ['PPI carrying another DLT (Ethernet)', LINKTYPE_PPI, Buffer.concat([hex('00000800 01000000'), ethernet(0x0800, TCP4)])],
  ])('%s: not IP, counted, no anomaly', (_name, linkType, frame) => expectNotIp(linkType, frame));

  test.each<[string, number, Uint8Array, DecodeStatus, string]>([
    ['radiotap version 1', LINKTYPE_IEEE802_11_RADIOTAP, hex('0100 0800 00000000'), DecodeStatus.Malformed, 'link.wifi_malformed'],
    ['a radiotap length beyond the frame', LINKTYPE_IEEE802_11_RADIOTAP, hex('0000 4000 00000000 0000'), DecodeStatus.Truncated, 'link.truncated'],
    [`more than MAX_RADIOTAP_PRESENT_WORDS (${MAX_RADIOTAP_PRESENT_WORDS}) presence words`, LINKTYPE_IEEE802_11_RADIOTAP,
      Buffer.concat([hex('0000 3000'), ...Array.from({ length: 10 }, () => hex('00000080')), hex('0000000000000000')]), DecodeStatus.Malformed, 'link.wifi_malformed'],
    ['an 802.11 data header cut at 20 bytes', LINKTYPE_IEEE802_11, hex(`0801 0000 ${ADDR3}`).subarray(0, 20), DecodeStatus.Truncated, 'link.truncated'],
    ['a PPI header shorter than its 8 bytes', LINKTYPE_PPI, hex('0000 0800 6900'), DecodeStatus.Truncated, 'link.truncated'],
  ])('%s → %s, %s', (_name, linkType, frame, status, anomaly) => expectOneAnomaly(linkType, frame, status, anomaly));
});

describe('Prism and AVS radio headers, and the link layers of older networks; each frame shape checked with tshark 4.0', () => {
  const UDP6 = hex('60000000000c114020010db800200000000000000000001020010db8000100000000000000000001d4310035000c000061626364');
  const snap = (type: string): Uint8Array => hex(`aaaa03000000${type}`);
  const ADDR3 = '020000000001 020000000002 020000000003';
  const wifiData = (): Uint8Array => Buffer.concat([hex(`0801 0000 ${ADDR3} 1000`), snap('0800'), TCP4]);
  /** Prism: message code and length (144) in little-endian host order, a device name, ten 12-byte items. */
  const prism = (le = true): Uint8Array => {
    const b = Buffer.alloc(144);
    if (le) { b.writeUInt32LE(0x44, 0); b.writeUInt32LE(144, 4); } else { b.writeUInt32BE(0x44, 0); b.writeUInt32BE(144, 4); }
    b.write('wlan0', 8);
    return b;
  };
  const avs = (version = 0x80211001, length = 64): Uint8Array => {
    const b = Buffer.alloc(64);
    b.writeUInt32BE(version, 0); b.writeUInt32BE(length, 4);
    return b;
  };
  const MACS = '020000000002 020000000001';

  test.each<[string, number, Uint8Array, 4 | 6]>([
    ['Prism (little-endian length), then an 802.11 data frame', LINKTYPE_IEEE802_11_PRISM, Buffer.concat([prism(), wifiData()]), 4],
    ['Prism written on a big-endian host', LINKTYPE_IEEE802_11_PRISM, Buffer.concat([prism(false), wifiData()]), 4],
    ['AVS version 1, then an 802.11 data frame', LINKTYPE_IEEE802_11_AVS, Buffer.concat([avs(), wifiData()]), 4],
    ['FDDI, an LLC frame (FC 0x50), LLC/SNAP, IPv4', LINKTYPE_FDDI, Buffer.concat([hex(`50 ${MACS}`), snap('0800'), TCP4]), 4],
    ['Token Ring, an LLC frame, IPv4', LINKTYPE_IEEE802_5, Buffer.concat([hex(`1040 ${MACS}`), snap('0800'), TCP4]), 4],
    ['Token Ring with a 6-byte routing information field, IPv6', LINKTYPE_IEEE802_5,
      Buffer.concat([hex('1040 020000000002 820000000001 0630 0011 0020'), snap('86dd'), UDP6]), 6],
    ['ATM, LLC/SNAP encapsulation (RFC 2684)', LINKTYPE_ATM_RFC1483, Buffer.concat([snap('0800'), TCP4]), 4],
    ['SunATM, an LLC circuit', LINKTYPE_SUNATM, Buffer.concat([hex('02 00 0020'), snap('0800'), TCP4]), 4],
    ['Frame Relay, NLPID IPv4', LINKTYPE_FRELAY, Buffer.concat([hex('1841 03 cc'), TCP4]), 4],
    ['Frame Relay, a pad byte and NLPID IPv6', LINKTYPE_FRELAY, Buffer.concat([hex('1841 03 00 8e'), UDP6]), 6],
    ['Frame Relay, NLPID SNAP with an ethertype', LINKTYPE_FRELAY, Buffer.concat([hex('1841 03 00 80 000000 86dd'), UDP6]), 6],
    ['Frame Relay, a 3-byte address', LINKTYPE_FRELAY, Buffer.concat([hex('180041 03 cc'), TCP4]), 4],
    ['IP over IEEE 1394 (Apple)', LINKTYPE_APPLE_IP_OVER_IEEE1394, Buffer.concat([hex('0000000000000001 0000000000000002 0800'), TCP4]), 4],
    // tcpdump's ipoib.pcap: destination QPN 0x000550 and GID fe80::10:e000:664a:b451, a zero source, IPv4, reserved
    ['IP over InfiniBand, IPv4', LINKTYPE_IPOIB,
      Buffer.concat([new Uint8Array(16), hex('2fa3000a 80000550 fe800000000000000010e000664ab451 0800 0000'), TCP4]), 4],
    ['IP over InfiniBand, IPv6', LINKTYPE_IPOIB, Buffer.concat([new Uint8Array(40), hex('86dd 0000'), UDP6]), 6],
  ])('%s → the IP packet inside', (_name, linkType, frame, version) => expectIpInside(linkType, frame, version));

  test.each<[string, number, Uint8Array]>([
    ['an FDDI station management frame (FC 0x41)', LINKTYPE_FDDI, Buffer.concat([hex(`41 ${MACS}`), snap('0800'), TCP4])],
    ['a Token Ring MAC frame (FC type 00)', LINKTYPE_IEEE802_5, Buffer.concat([hex(`1000 ${MACS}`), snap('0800'), TCP4])],
    ['a Token Ring routing field of odd length', LINKTYPE_IEEE802_5, Buffer.concat([hex('1040 020000000002 820000000001 0530 0011 00'), snap('0800'), TCP4])],
    ['a SunATM LANE circuit', LINKTYPE_SUNATM, Buffer.concat([hex('01 00 0020 0000'), ethernet(0x0800, TCP4)])],
    ['Frame Relay with another NLPID (CLNP)', LINKTYPE_FRELAY, Buffer.concat([hex('1841 03 81'), TCP4])],
    ['Frame Relay with a control byte other than UI', LINKTYPE_FRELAY, Buffer.concat([hex('1841 13 cc'), TCP4])],
    ['Frame Relay SNAP with a vendor OUI', LINKTYPE_FRELAY, Buffer.concat([hex('1841 03 00 80 0080c2 0007'), TCP4])],
    ['a one-byte Q.922 address', LINKTYPE_FRELAY, Buffer.concat([hex('41 03 cc'), TCP4])],
  ])('%s: not IP, counted, no anomaly', (_name, linkType, frame) => expectNotIp(linkType, frame));

  test.each<[string, number, Uint8Array, DecodeStatus, string]>([
    ['a Prism length of 4', LINKTYPE_IEEE802_11_PRISM, Buffer.concat([hex('44000000 04000000'), wifiData()]), DecodeStatus.Malformed, 'link.wifi_malformed'],
    ['a Prism header cut short', LINKTYPE_IEEE802_11_PRISM, prism().subarray(0, 100), DecodeStatus.Truncated, 'link.truncated'],
    ['an AVS header of another version', LINKTYPE_IEEE802_11_AVS, Buffer.concat([avs(0x80212001), wifiData()]), DecodeStatus.Malformed, 'link.wifi_malformed'],
    ['an AVS length over 1024', LINKTYPE_IEEE802_11_AVS, Buffer.concat([avs(0x80211002, 5000), wifiData()]), DecodeStatus.Malformed, 'link.wifi_malformed'],
    ['an FDDI header cut at 10 bytes', LINKTYPE_FDDI, hex(`50 ${MACS}`).subarray(0, 10), DecodeStatus.Truncated, 'link.truncated'],
    ['a Token Ring routing field past the frame', LINKTYPE_IEEE802_5, hex('1040 020000000002 820000000001 1e30'), DecodeStatus.Truncated, 'link.truncated'],
    ['a SunATM header of 3 bytes', LINKTYPE_SUNATM, hex('020000'), DecodeStatus.Truncated, 'link.truncated'],
    ['Frame Relay cut after the address', LINKTYPE_FRELAY, hex('1841 03'), DecodeStatus.Truncated, 'link.truncated'],
    ['an IEEE 1394 header of 17 bytes', LINKTYPE_APPLE_IP_OVER_IEEE1394, hex('0000000000000001 0000000000000002 08'), DecodeStatus.Truncated, 'link.truncated'],
    ['an IPoIB header of 43 bytes', LINKTYPE_IPOIB, Buffer.concat([new Uint8Array(40), hex('0800 00')]), DecodeStatus.Truncated, 'link.truncated'],
  ])('%s → %s, %s', (_name, linkType, frame, status, anomaly) => expectOneAnomaly(linkType, frame, status, anomaly));
});

test('an Ethernet pseudowire whose frame has a VLAN tag: the inner tag is the flow\'s VLAN', () => {
  const { dec, anomalies } = newDecoder();
  const pw = Buffer.concat([hex('0001f1ff 00000000 001b21000004 00000c000003 8100 0064 0800'), TCP4]);
  expect(decodeFrame(dec, ethernet(0x8847, pw, [[0x8100, 7]]), LINKTYPE_ETHERNET)).toBe(DecodeStatus.Transport);
  expect([dec.view.ipVersion, dec.view.dstPort, dec.view.vlanId, dec.view.tunnelDepth]).toEqual([4, 443, 100, 0]);
  expect(anomalies.toRecord()).toEqual({});
});

describe('IEEE 802.11 A-MSDU (IEEE 802.11-2020 §9.3.2.2.2): every subframe is a packet; each shape checked with tshark 4.0', () => {
  const UDP6 = hex('60000000000c114020010db800200000000000000000001020010db8000100000000000000000001d4310035000c000061626364');
  const snap = (type: string): Uint8Array => hex(`aaaa03000000${type}`);
  const ADDR3 = '020000000001 020000000002 020000000003';
  /** A QoS data frame to the AP with the A-MSDU bit set in QoS control: 26-byte header. */
  const amsdu = (...subframes: Uint8Array[]): Uint8Array => Buffer.concat([hex(`8801 0000 ${ADDR3} 3000 8000`), ...subframes]);
  /** One subframe: DA, SA, the MSDU's length, the MSDU; padded to 4 bytes unless `last`. */
  const subframe = (msdu: Uint8Array, last = false): Uint8Array => {
    const head = Buffer.concat([hex('020000000003 020000000002'), u16(msdu.length), msdu]);
    return last ? head : Buffer.concat([head, new Uint8Array((4 - (head.length % 4)) % 4)]);
  };

  /** Decodes the frame and every sibling packet; returns the statuses and what each transport packet was. */
  function decodeAll(linkType: number, frame: Uint8Array): { statuses: DecodeStatus[]; packets: string[]; anomalies: Record<string, number> } {
    const { dec, anomalies } = newDecoder();
    const statuses: DecodeStatus[] = [decodeFrame(dec, frame, linkType)];
    const packets: string[] = [];
    const note = (): void => {
      const v = dec.view;
      if (statuses[statuses.length - 1] === DecodeStatus.Transport) packets.push(`${v.ipVersion}/${v.ipProto}/${v.dstPort}`);
    };
    note();
    for (let i = 0; i < 200 && dec.siblingPending; i++) {
      statuses.push(dec.decodeNextSibling());
      note();
    }
    expect(dec.siblingPending).toBe(false);
    return { statuses, packets, anomalies: anomalies.toRecord() };
  }

  test('two subframes, IPv4/TCP then IPv6/UDP: two packets, no anomaly', () => {
    const r = decodeAll(LINKTYPE_IEEE802_11, amsdu(subframe(Buffer.concat([snap('0800'), TCP4])), subframe(Buffer.concat([snap('86dd'), UDP6]), true)));
    expect(r.packets).toEqual(['4/6/443', '6/17/53']);
    expect(r.anomalies).toEqual({});
  });

  test('behind radiotap, the last subframe padded anyway (as some stations send it): two packets', () => {
    const radiotap = hex('0000 0800 00000000');
    const r = decodeAll(LINKTYPE_IEEE802_11_RADIOTAP, Buffer.concat([radiotap, amsdu(subframe(Buffer.concat([snap('0800'), TCP4])), subframe(Buffer.concat([snap('86dd'), UDP6])))]));
    expect(r.packets).toEqual(['4/6/443', '6/17/53']);
    expect(r.anomalies).toEqual({});
  });

  test('a subframe that is not IP (EAPOL-Start) between two that are: both IP packets, the middle one counted as not IP', () => {
    const r = decodeAll(LINKTYPE_IEEE802_11, amsdu(
      subframe(Buffer.concat([snap('0800'), TCP4])), subframe(Buffer.concat([snap('888e'), hex('02010000')])), subframe(Buffer.concat([snap('86dd'), UDP6]), true)));
    expect(r.statuses).toEqual([DecodeStatus.Transport, DecodeStatus.NotIp, DecodeStatus.Transport]);
    expect(r.packets).toEqual(['4/6/443', '6/17/53']);
  });

  test('the A-MSDU bit on a frame whose body is a plain LLC/SNAP packet: its length field runs past the frame, wifi.amsdu_malformed (tshark finds no IP in it either)', () => {
    const r = decodeAll(LINKTYPE_IEEE802_11, amsdu(snap('0800'), TCP4));
    expect(r.statuses).toEqual([DecodeStatus.Malformed]);
    expect(r.anomalies).toEqual({ 'wifi.amsdu_malformed': 1 });
  });

  test('a capture cut inside the second subframe header: the first packet, then link.truncated', () => {
    const whole = amsdu(subframe(Buffer.concat([snap('0800'), TCP4])), subframe(Buffer.concat([snap('86dd'), UDP6]), true));
    const { dec, anomalies } = newDecoder();
    const caplen = 26 + 14 + 8 + TCP4.length + 2 + 6;
    expect(dec.decode(whole, 0, caplen, whole.length, LINKTYPE_IEEE802_11, 0)).toBe(DecodeStatus.Transport);
    expect(dec.siblingPending).toBe(true);
    expect(dec.decodeNextSibling()).toBe(DecodeStatus.Truncated);
    expect(dec.siblingPending).toBe(false);
    expect(anomalies.toRecord()).toEqual({ 'link.truncated': 1 });
  });

  test(`more than MAX_AMSDU_SUBFRAMES (${MAX_AMSDU_SUBFRAMES}) subframes: that many packets, the rest dropped and counted`, () => {
    const one = subframe(Buffer.concat([snap('86dd'), UDP6]));
    const r = decodeAll(LINKTYPE_IEEE802_11, amsdu(...Array.from({ length: MAX_AMSDU_SUBFRAMES + 3 }, () => one)));
    expect(r.packets.length).toBe(MAX_AMSDU_SUBFRAMES);
    expect(r.statuses[r.statuses.length - 1]).toBe(DecodeStatus.Malformed);
    expect(r.anomalies).toEqual({ 'wifi.amsdu_malformed': 1 });
  });

  test('a fresh frame forgets the previous frame\'s remaining subframes', () => {
    const { dec } = newDecoder();
    decodeFrame(dec, amsdu(subframe(Buffer.concat([snap('0800'), TCP4])), subframe(Buffer.concat([snap('86dd'), UDP6]), true)), LINKTYPE_IEEE802_11);
    expect(dec.siblingPending).toBe(true);
    decodeFrame(dec, ethernet(0x0800, TCP4), LINKTYPE_ETHERNET);
    expect(dec.siblingPending).toBe(false);
    expect(dec.decodeNextSibling()).toBe(DecodeStatus.Unsupported);
  });
});

/**
 * The switch tags a Linux DSA conduit interface captures (tcpdump's print-brcmtag.c and
 * print-dsa.c; tshark 4.0 has no dissector for them). The tag bytes are those of tcpdump's
 * brcm-tag, brcm-tag-prepend, dsa, dsa-high-vid, edsa and edsa-high-vid test captures; each
 * crafted shape (tagged DSA, a VLAN tag after the switch tag) was read with tcpdump 4.99 too.
 */
describe('switch tags of a Linux DSA conduit (Broadcom, Marvell DSA and EDSA)', () => {
  const UDP6 = hex('60000000000c114020010db800200000000000000000001020010db8000100000000000000000001d4310035000c000061626364');
  const DST = 'd618e269ee01';
  const SRC = '02f0bbed000f';
  /** The MACs, a switch tag, then `type` and the packet. */
  const tagged = (tag: string, type: string, packet: Uint8Array): Uint8Array => Buffer.concat([hex(`${DST} ${SRC} ${tag} ${type}`), packet]);

  test.each<[string, number, Uint8Array, 4 | 6, number]>([
    ['Broadcom ingress tag (opcode 1, DST map 0x0080)', LINKTYPE_DSA_TAG_BRCM, tagged('2c000080', '0800', TCP4), 4, -1],
    ['Broadcom egress tag (exception, port 0), IPv6', LINKTYPE_DSA_TAG_BRCM, tagged('00002000', '86dd', UDP6), 6, -1],
    ['Broadcom tag, then an 802.1Q tag (VID 100)', LINKTYPE_DSA_TAG_BRCM, tagged('2c000080', '8100 0064 0800', TCP4), 4, 100],
    ['Broadcom tag before the frame (egress, port 5)', LINKTYPE_DSA_TAG_BRCM_PREPEND, Buffer.concat([hex('00002005'), hex(`${DST} ${SRC} 0800`), TCP4]), 4, -1],
    ['Marvell DSA, Forward, untagged, port VLAN 1337: the frame has no VLAN', LINKTYPE_DSA_TAG_DSA, tagged('c0100539', '0800', TCP4), 4, -1],
    ['Marvell DSA, From CPU, untagged, IPv6', LINKTYPE_DSA_TAG_DSA, tagged('40100000', '86dd', UDP6), 6, -1],
    ['Marvell DSA, Forward, tagged VID 100: the tag stood for the frame\'s 802.1Q tag', LINKTYPE_DSA_TAG_DSA, tagged('e0082064', '0800', TCP4), 4, 100],
    ['Marvell DSA, tagged VID 100, then an inner 802.1Q tag (VID 200): the innermost is the VLAN', LINKTYPE_DSA_TAG_DSA,
      tagged('e0082064', '8100 00c8 0800', TCP4), 4, 200],
    ['Marvell EDSA (0xdada), Forward, untagged, port VLAN 1337', LINKTYPE_DSA_TAG_EDSA, tagged('dada0000 c0100539', '0800', TCP4), 4, -1],
    ['Marvell EDSA, To CPU, tagged VID 42, IPv6', LINKTYPE_DSA_TAG_EDSA, tagged('dada0000 2008002a', '86dd', UDP6), 6, 42],
  ])('%s → the IP packet inside', (_name, linkType, frame, version, vlanId) => {
    expectIpInside(linkType, frame, version);
    const { dec } = newDecoder();
    decodeFrame(dec, frame, linkType);
    const v = dec.view;
    expect(v.vlanId).toBe(vlanId);
    // The MACs feed the device-MAC logic as Ethernet's do.
    const mac = (at: number): string => Buffer.from(v.macBuf.subarray(at, at + 6)).toString('hex');
    expect([mac(v.dstMacOffset), mac(v.srcMacOffset)]).toEqual([DST, SRC]);
  });

  test.each<[string, number, Uint8Array]>([
    ['ARP behind a Marvell DSA tag', LINKTYPE_DSA_TAG_DSA, tagged('c0080000', '0806', hex('0001080006040001'))],
    ['ARP behind a Broadcom tag', LINKTYPE_DSA_TAG_BRCM, tagged('2c000080', '0806', hex('0001080006040001'))],
  ])('%s: ARP, no anomaly', (_name, linkType, frame) => {
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, frame, linkType)).toBe(DecodeStatus.NotIp);
    expect(dec.nonFlow.arp).toBe(1);
    expect(anomalies.toRecord()).toEqual({});
  });

  test.each<[string, number, Uint8Array]>([
    // Each one byte short of MACs + tag + type field, as tcpdump's ether_common_print demands.
    ['a Broadcom-tagged frame of 17 bytes', LINKTYPE_DSA_TAG_BRCM, hex(`${DST} ${SRC} 2c000080 08`)],
    ['a prepended Broadcom tag and 13 bytes of Ethernet', LINKTYPE_DSA_TAG_BRCM_PREPEND, hex(`00002005 ${DST} ${SRC} 08`)],
    ['a prepended Broadcom tag alone', LINKTYPE_DSA_TAG_BRCM_PREPEND, hex('000020')],
    ['a DSA-tagged frame of 17 bytes', LINKTYPE_DSA_TAG_DSA, hex(`${DST} ${SRC} c0100539 08`)],
    ['an EDSA-tagged frame of 21 bytes', LINKTYPE_DSA_TAG_EDSA, hex(`${DST} ${SRC} dada0000 c0100539 08`)],
    ['a DSA tag cut inside', LINKTYPE_DSA_TAG_DSA, hex(`${DST} ${SRC} c0`)],
    ['a tagged DSA frame whose inner 802.1Q tag is cut', LINKTYPE_DSA_TAG_DSA, hex(`${DST} ${SRC} e0082064 8100 00`)],
  ])('%s → Truncated, link.truncated', (_name, linkType, frame) => expectOneAnomaly(linkType, frame, DecodeStatus.Truncated, 'link.truncated'));

  test('each one is a supported link type with libpcap\'s name', () => {
    const names = [LINKTYPE_DSA_TAG_BRCM, LINKTYPE_DSA_TAG_BRCM_PREPEND, LINKTYPE_DSA_TAG_DSA, LINKTYPE_DSA_TAG_EDSA].map((lt) => {
      expect(SUPPORTED_LINK_TYPES.has(lt)).toBe(true);
      return linkTypeName(lt);
    });
    expect(names).toEqual(['DSA_TAG_BRCM', 'DSA_TAG_BRCM_PREPEND', 'DSA_TAG_DSA', 'DSA_TAG_EDSA']);
  });
});

/**
 * Linux Classical IP over ATM as tcpdump's print-cip.c reads it (each shape read with tcpdump
 * 4.99 under link types 19 and 106): an LLC/SNAP header when the packet starts with one, else
 * the IPv4 packet alone.
 */
describe('Linux Classical IP over ATM (ATM_CLIP, 19 and 106)', () => {
  const UDP6 = hex('60000000000c114020010db800200000000000000000001020010db8000100000000000000000001d4310035000c000061626364');
  const snap = (type: string): Uint8Array => hex(`aaaa03000000${type}`);

  test.each<[string, number, Uint8Array, 4 | 6]>([
    ['LLC encapsulation, IPv4 (19)', LINKTYPE_LINUX_ATM_CLIP, Buffer.concat([snap('0800'), TCP4]), 4],
    ['LLC encapsulation, IPv6 (19)', LINKTYPE_LINUX_ATM_CLIP, Buffer.concat([snap('86dd'), UDP6]), 6],
    ['VC multiplexing: IPv4 alone (19)', LINKTYPE_LINUX_ATM_CLIP, TCP4, 4],
    ['LLC encapsulation, IPv4 (106)', LINKTYPE_ATM_CLIP, Buffer.concat([snap('0800'), TCP4]), 4],
    ['VC multiplexing: IPv4 alone (106)', LINKTYPE_ATM_CLIP, TCP4, 4],
  ])('%s → the IP packet inside', (_name, linkType, frame, version) => expectIpInside(linkType, frame, version));

  test('ARP behind LLC/SNAP: ARP, no anomaly', () => {
    const { dec, anomalies } = newDecoder();
    expect(decodeFrame(dec, Buffer.concat([snap('0806'), hex('0001080006040001')]), LINKTYPE_LINUX_ATM_CLIP)).toBe(DecodeStatus.NotIp);
    expect(dec.nonFlow.arp).toBe(1);
    expect(anomalies.toRecord()).toEqual({});
  });

  test('LLC/SNAP naming another ethertype (LLDP): not IP', () => expectNotIp(LINKTYPE_LINUX_ATM_CLIP, Buffer.concat([snap('88cc'), hex('0207')])));

  test.each<[string, number, Uint8Array, DecodeStatus, string]>([
    // tcpdump's heap-overflow-2.pcap: one byte captured ("[|cip]").
    ['one byte', LINKTYPE_LINUX_ATM_CLIP, hex('aa'), DecodeStatus.Truncated, 'link.truncated'],
    ['an empty packet', LINKTYPE_ATM_CLIP, hex(''), DecodeStatus.Truncated, 'link.truncated'],
    // Without LLC only IPv4 is possible; tcpdump says "IP6, wrong link-layer encapsulation".
    ['IPv6 without LLC', LINKTYPE_LINUX_ATM_CLIP, UDP6, DecodeStatus.Malformed, 'ip.unknown_version'],
    ['neither LLC nor IP', LINKTYPE_LINUX_ATM_CLIP, hex('00112233445566778899'), DecodeStatus.Malformed, 'ip.unknown_version'],
  ])('%s: counted', (_name, linkType, frame, status, anomaly) => expectOneAnomaly(linkType, frame, status, anomaly));

  test('both numbers are supported link types named ATM_CLIP, as libpcap names DLT_ATM_CLIP', () => {
    expect([SUPPORTED_LINK_TYPES.has(LINKTYPE_LINUX_ATM_CLIP), SUPPORTED_LINK_TYPES.has(LINKTYPE_ATM_CLIP)]).toEqual([true, true]);
    expect([linkTypeName(LINKTYPE_LINUX_ATM_CLIP), linkTypeName(LINKTYPE_ATM_CLIP)]).toEqual(['ATM_CLIP', 'ATM_CLIP']);
  });
});

/**
 * Juniper's Ethernet capture header as tshark's juniper dissector reads it; every shape below
 * was read with tshark 4.0 (frame.protocols juniper:eth:..., juniper:ip:..., juniper:ipv6:...,
 * or juniper:data / juniper alone where there is no IP). The extension TLVs are those of
 * tcpdump's bgp-aigp.pcap (a JUNOS router's BGP session).
 */
describe('Juniper Ethernet (JUNIPER_ETHER, 178)', () => {
  const UDP6 = hex('60000000000c114020010db800200000000000000000001020010db8000100000000000000000001d4310035000c000061626364');
  const MACS = '0050568b5e9f 0050568b6dde';
  const eth = (type: string, packet: Uint8Array): Uint8Array => Buffer.concat([hex(`${MACS} ${type}`), packet]);
  const EXT = '4d474380 0010 0301 0106 010e 0102 8c00 0404 4c01 0000';

  test.each<[string, Uint8Array, 4 | 6]>([
    ['magic, extension TLVs (16 bytes), the Ethernet frame', Buffer.concat([hex(EXT), eth('0800', TCP4)]), 4],
    ['magic, no extensions, the Ethernet frame (IPv6)', Buffer.concat([hex('4d474301'), eth('86dd', UDP6)]), 6],
    ['no link header, protocol 2 (IPv4)', Buffer.concat([hex('4d474303 02000000'), TCP4]), 4],
    ['extensions and no link header, protocol 6 (IPv6)', Buffer.concat([hex('4d474382 0004 0102 0304 06000000'), UDP6]), 6],
    ['no link header, protocol 204 (Ethernet)', Buffer.concat([hex('4d474302 cc000000'), eth('0800', TCP4)]), 4],
    ['no magic (older JUNOS): an Ethernet frame from the first byte', eth('0800', TCP4), 4],
  ])('%s → the IP packet inside', (_name, frame, version) => expectIpInside(LINKTYPE_JUNIPER_ETHER, frame, version));

  test('the Ethernet frame\'s MACs feed the device-MAC logic', () => {
    const { dec } = newDecoder();
    decodeFrame(dec, Buffer.concat([hex(EXT), eth('0800', TCP4)]), LINKTYPE_JUNIPER_ETHER);
    const v = dec.view;
    const mac = (at: number): string => Buffer.from(v.macBuf.subarray(at, at + 6)).toString('hex');
    expect([mac(v.dstMacOffset), mac(v.srcMacOffset)]).toEqual(['0050568b5e9f', '0050568b6dde']);
  });

  test.each<[string, Uint8Array]>([
    ['no link header, protocol 10 (CLNP)', Buffer.concat([hex('4d474302 0a000000'), TCP4])],
    ['no link header, protocol 0xa248 (tshark: data)', Buffer.concat([hex('4d474302 48a20000 01020304'), TCP4])],
  ])('%s: not IP, counted, no anomaly', (_name, frame) => expectNotIp(LINKTYPE_JUNIPER_ETHER, frame));

  test.each<[string, Uint8Array]>([
    ['3 bytes', hex('4d4743')],
    ['the extension flag without its length field', hex('4d474380 00')],
    ['extensions longer than the frame', Buffer.concat([hex('4d474380 0400'), eth('0800', TCP4)])],
    ['no link header and no protocol number', hex('4d474302 0200')],
    ['an Ethernet header cut after the extensions', hex(`${EXT} 0050568b5e9f`)],
  ])('%s → Truncated, link.truncated', (_name, frame) => expectOneAnomaly(LINKTYPE_JUNIPER_ETHER, frame, DecodeStatus.Truncated, 'link.truncated'));

  test('a supported link type with libpcap\'s name', () => {
    expect([SUPPORTED_LINK_TYPES.has(LINKTYPE_JUNIPER_ETHER), linkTypeName(LINKTYPE_JUNIPER_ETHER)]).toEqual([true, 'JUNIPER_ETHER']);
  });
});
