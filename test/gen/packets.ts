/**
 * Wire-format builders for the synthetic captures in captures/: link layers (Ethernet with any
 * number of 802.1Q/802.1ad tags, Linux SLL2, ARP), IPv4, IPv6 (+ fragment header), TCP and UDP,
 * with correct checksums. Application payloads (DNS, TLS, HTTP, NTP, libp2p) live in
 * app-messages.ts and are re-exported here, so `packets.ts` is the one import for builders.
 *
 * Test tooling only: never imported by src/, never reads the clock, the network or the
 * environment. Every byte returned is a pure function of the arguments, which is what makes
 * the committed captures byte-for-byte reproducible.
 */

import { ByteWriter, concat, isIpv6, parseIp, parseIpv4, parseIpv6, parseMac } from './bytes';

export * from './bytes';
export * from './app-messages';

/** EtherType values (IEEE 802 numbers). */
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100; // 802.1Q customer tag
export const ETHERTYPE_QINQ = 0x88a8; // 802.1ad service tag
export const ETHERTYPE_IPV6 = 0x86dd;

/** IP protocol numbers (IANA). */
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_IPV6_FRAGMENT = 44;

/** TCP flag bits (RFC 9293 §3.1). */
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

/** Linux SLL/SLL2 packet types (sll_pkttype, include/uapi/linux/if_packet.h). */
export const SLL_PKTTYPE_HOST = 0;
export const SLL_PKTTYPE_OUTGOING = 4;
/** ARPHRD_ETHER: the hardware type of an Ethernet interface in SLL2's sll2_hatype. */
export const ARPHRD_ETHER = 1;

/** RFC 1071 Internet checksum over the concatenation of `parts`. */
export function internetChecksum(parts: readonly Uint8Array[]): number {
  let sum = 0;
  let odd: number | null = null;
  for (const p of parts) {
    for (const b of p) {
      if (odd === null) odd = b;
      else {
        sum += (odd << 8) | b;
        odd = null;
      }
    }
  }
  if (odd !== null) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** One 802.1Q (TPID 0x8100) or 802.1ad (TPID 0x88a8) tag. */
export interface VlanTag {
  tpid: number;
  vid: number;
  pcp?: number;
}

/** Ethernet II header fields. Tags are written outermost first. */
export interface EthernetOptions {
  src: string;
  dst: string;
  etherType: number;
  vlans?: readonly VlanTag[];
  /** Pad the frame to the 60-byte Ethernet minimum, as a NIC does for frames it receives. */
  padToMinimum?: boolean;
}

/** Ethernet II frame (no FCS, as libpcap captures it). */
export function ethernet(o: EthernetOptions, payload: Uint8Array): Uint8Array {
  const w = new ByteWriter().bytes(parseMac(o.dst)).bytes(parseMac(o.src));
  for (const tag of o.vlans ?? []) w.u16(tag.tpid).u16(((tag.pcp ?? 0) << 13) | (tag.vid & 0x0fff));
  w.u16(o.etherType).bytes(payload);
  while (o.padToMinimum && w.length < 60) w.u8(0);
  return w.toBytes();
}

/** LINKTYPE_LINUX_SLL2 header fields (tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html). */
export interface Sll2Options {
  /** EtherType of the payload. */
  protocol: number;
  ifindex: number;
  pkttype: number;
  /** Link-layer address of the sender (MAC). */
  addr: string;
  hatype?: number;
}

/** 20-byte Linux cooked v2 header followed by `payload`. */
export function sll2(o: Sll2Options, payload: Uint8Array): Uint8Array {
  const addr = parseMac(o.addr);
  const w = new ByteWriter().u16(o.protocol).u16(0).u32(o.ifindex).u16(o.hatype ?? ARPHRD_ETHER).u8(o.pkttype).u8(addr.length);
  w.bytes(addr).bytes(new Uint8Array(8 - addr.length));
  return w.bytes(payload).toBytes();
}

/** ARP for IPv4 over Ethernet (RFC 826); op 1 = request, 2 = reply. */
export function arp(op: 1 | 2, senderMac: string, senderIp: string, targetMac: string, targetIp: string): Uint8Array {
  return new ByteWriter()
    .u16(1).u16(ETHERTYPE_IPV4).u8(6).u8(4).u16(op)
    .bytes(parseMac(senderMac)).bytes(parseIpv4(senderIp))
    .bytes(parseMac(targetMac)).bytes(parseIpv4(targetIp))
    .toBytes();
}

/** IPv4 header fields (RFC 791). `fragmentOffset` is in bytes and must be a multiple of 8. */
export interface Ipv4Options {
  src: string;
  dst: string;
  protocol: number;
  id?: number;
  ttl?: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  fragmentOffset?: number;
}

/** IPv4 packet with a 20-byte header (no options) and a correct header checksum. */
export function ipv4(o: Ipv4Options, payload: Uint8Array): Uint8Array {
  const flags = (o.dontFragment ? 0x4000 : 0) | (o.moreFragments ? 0x2000 : 0) | ((o.fragmentOffset ?? 0) >>> 3);
  const w = new ByteWriter().u8(0x45).u8(0).u16(20 + payload.length).u16(o.id ?? 0).u16(flags)
    .u8(o.ttl ?? 64).u8(o.protocol).u16(0).bytes(parseIpv4(o.src)).bytes(parseIpv4(o.dst));
  const header = w.toBytes();
  const sum = internetChecksum([header]);
  header[10] = sum >>> 8;
  header[11] = sum & 0xff;
  return concat([header, payload]);
}

/** IPv6 fixed header fields (RFC 8200 §3). `payload` already holds any extension headers. */
export interface Ipv6Options {
  src: string;
  dst: string;
  nextHeader: number;
  hopLimit?: number;
  flowLabel?: number;
}

/** IPv6 packet: 40-byte fixed header + payload. */
export function ipv6(o: Ipv6Options, payload: Uint8Array): Uint8Array {
  return new ByteWriter()
    .u32((6 << 28) | ((o.flowLabel ?? 0) & 0xfffff))
    .u16(payload.length).u8(o.nextHeader).u8(o.hopLimit ?? 64)
    .bytes(parseIpv6(o.src)).bytes(parseIpv6(o.dst)).bytes(payload)
    .toBytes();
}

/** IPv6 Fragment extension header (RFC 8200 §4.5); `offset` in bytes, a multiple of 8. */
export function ipv6FragmentHeader(nextHeader: number, offset: number, more: boolean, identification: number): Uint8Array {
  if (offset % 8 !== 0) throw new Error('fragment offset must be a multiple of 8');
  return new ByteWriter().u8(nextHeader).u8(0).u16(offset | (more ? 1 : 0)).u32(identification).toBytes();
}

/** The TCP/UDP pseudo-header used in checksums (RFC 9293 §3.1, RFC 8200 §8.1). */
function pseudoHeader(src: string, dst: string, protocol: number, length: number): Uint8Array {
  const w = new ByteWriter().bytes(parseIp(src)).bytes(parseIp(dst));
  if (isIpv6(src)) w.u32(length).u24(0).u8(protocol);
  else w.u8(0).u8(protocol).u16(length);
  return w.toBytes();
}

/** TCP header fields (RFC 9293 §3.1). `options` must already be padded to a multiple of 4. */
export interface TcpOptions {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
  window?: number;
  options?: Uint8Array;
}

/** TCP segment with a correct checksum over the pseudo-header of `src` → `dst`. */
export function tcp(o: TcpOptions, payload: Uint8Array, src: string, dst: string): Uint8Array {
  const opts = o.options ?? new Uint8Array(0);
  if (opts.length % 4 !== 0) throw new Error('TCP options must be padded to 4 bytes');
  const header = new ByteWriter().u16(o.srcPort).u16(o.dstPort).u32(o.seq >>> 0).u32(o.ack >>> 0)
    .u8(((20 + opts.length) / 4) << 4).u8(o.flags).u16(o.window ?? 64240).u16(0).u16(0).bytes(opts).toBytes();
  const sum = internetChecksum([pseudoHeader(src, dst, IPPROTO_TCP, header.length + payload.length), header, payload]);
  header[16] = sum >>> 8;
  header[17] = sum & 0xff;
  return concat([header, payload]);
}

/** SYN options as Linux sends them: MSS, SACK permitted, timestamps, window scale (RFC 9293, 2018, 7323). */
export function tcpSynOptions(mss: number, tsval: number | null, wscale: number): Uint8Array {
  const w = new ByteWriter().u8(2).u8(4).u16(mss).u8(4).u8(2);
  if (tsval !== null) w.u8(8).u8(10).u32(tsval).u32(0);
  else w.u8(1).u8(1);
  return w.u8(1).u8(3).u8(3).u8(wscale).toBytes();
}

/** NOP, NOP, timestamps option (RFC 7323 §3): the 12 bytes Linux puts on every segment. */
export function tcpTimestampOption(tsval: number, tsecr: number): Uint8Array {
  return new ByteWriter().u8(1).u8(1).u8(8).u8(10).u32(tsval).u32(tsecr).toBytes();
}

/** UDP datagram (RFC 768) with a correct checksum (never 0: 0 is sent as 0xffff). */
export function udp(srcPort: number, dstPort: number, payload: Uint8Array, src: string, dst: string): Uint8Array {
  const header = new ByteWriter().u16(srcPort).u16(dstPort).u16(8 + payload.length).u16(0).toBytes();
  const sum = internetChecksum([pseudoHeader(src, dst, IPPROTO_UDP, header.length + payload.length), header, payload]) || 0xffff;
  header[6] = sum >>> 8;
  header[7] = sum & 0xff;
  return concat([header, payload]);
}
