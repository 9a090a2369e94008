/**
 * Small packet and capture builders for the flow, pipeline and CLI tests: raw IPv4/IPv6 packets
 * (LINKTYPE_RAW, so no link header to get wrong) carrying TCP/UDP, DNS messages without
 * compression, a minimal TLS ClientHello with SNI, and a classic pcap serializer.
 *
 * Built on the committed decoder and TLS test builders (test/unit/decode/build.ts,
 * test/unit/extract/helpers/tls-builder.ts). Checksums are zero: the decoder does not verify
 * them. Test tooling only; deterministic; never imported by src/.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ipv4, ipv6, tcp, udp, concat, u16, u32 } from '../unit/decode/build';
import { clientHelloMessage, ext, records } from '../unit/extract/helpers/tls-builder';
import { PacketView } from '../../src/decode/packet-view';
import { parseAddr } from '../../src/net/addr';

export { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../../src/decode/packet-view';

/** LINKTYPE_RAW: each record is a bare IPv4 or IPv6 packet. */
export const LINKTYPE_RAW = 101;

const PROTO_TCP = 6;
const PROTO_UDP = 17;

/** One TCP segment's fields. */
export interface TcpSpec {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  flags: number;
  seq?: number;
  ack?: number;
  payload?: Uint8Array;
  /** TCP options (a multiple of 4 bytes). */
  options?: Uint8Array;
  /** Urgent pointer (with TCP_URG in flags). */
  urgent?: number;
}

function ipWrap(src: string, dst: string, proto: number, l4: Uint8Array): Uint8Array {
  return src.includes(':') ? ipv6({ src, dst, nextHeader: proto }, l4) : ipv4({ src, dst, proto }, l4);
}

/** A raw IP packet carrying one TCP segment. */
export function tcpPacket(s: TcpSpec): Uint8Array {
  const seg = tcp({ sport: s.sport, dport: s.dport, seq: s.seq ?? 0, ack: s.ack ?? 0, flags: s.flags, options: s.options }, s.payload ?? new Uint8Array(0));
  if (s.urgent !== undefined) { seg[18] = s.urgent >> 8; seg[19] = s.urgent & 0xff; }
  return ipWrap(s.src, s.dst, PROTO_TCP, seg);
}

/** A raw IP packet carrying one UDP datagram. */
export function udpPacket(src: string, dst: string, sport: number, dport: number, payload: Uint8Array): Uint8Array {
  return ipWrap(src, dst, PROTO_UDP, udp(sport, dport, payload));
}

/** ASCII text as bytes. */
export function ascii(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'latin1'));
}

// ───────────────────────────── DNS ─────────────────────────────

export const DNS_A = 1;
export const DNS_CNAME = 5;
export const DNS_AAAA = 28;

/** One answer record; `data` is an address (A/AAAA) or a target name (CNAME). */
export interface DnsAnswerSpec { name: string; type: number; ttl: number; data: string }

function dnsName(name: string): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const label of name.split('.').filter((l) => l.length > 0)) parts.push(Uint8Array.of(label.length), ascii(label));
  parts.push(Uint8Array.of(0));
  return concat(...parts);
}

function addrBytes(type: number, data: string): Uint8Array {
  const a = parseAddr(data);
  if (!a) throw new Error(`bad address ${data}`);
  return type === DNS_A ? u32(a.w[3]) : concat(...a.w.map((w) => u32(w)));
}

/** A DNS message (RFC 1035 §4.1) with one question and no name compression. */
export function dnsMessage(id: number, response: boolean, qname: string, qtype: number, answers: DnsAnswerSpec[] = [], rcode = 0): Uint8Array {
  const flags = response ? 0x8180 | rcode : 0x0100;
  const parts = [u16(id), u16(flags), u16(1), u16(answers.length), u16(0), u16(0), dnsName(qname), u16(qtype), u16(1)];
  for (const a of answers) {
    const rdata = a.type === DNS_CNAME ? dnsName(a.data) : addrBytes(a.type, a.data);
    parts.push(dnsName(a.name), u16(a.type), u16(1), u32(a.ttl), u16(rdata.length), rdata);
  }
  return concat(...parts);
}

// ───────────────────────────── TLS / HTTP ─────────────────────────────

/** A TLS 1.2-style ClientHello in one handshake record, with `sni` as its only server name. */
export function clientHello(sni: string): Uint8Array {
  return records(clientHelloMessage({ ciphers: [0x1301, 0xc02f], extensions: [ext.sni(sni), ext.alpn(['http/1.1'])] }));
}

/** A minimal HTTP/1.1 GET request head. */
export function httpGet(host: string, target = '/'): Uint8Array {
  return ascii(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: t\r\n\r\n`);
}

// ───────────────────────────── captures ─────────────────────────────

/** One packet of a capture: µs since the epoch and the raw IP bytes. */
export interface TimedPacket { ts: number; data: Uint8Array; wireLength?: number }

/** Classic little-endian microsecond pcap (tcpdump.org pcap-savefile(5)) of raw IP packets. */
export function pcapBytes(packets: readonly TimedPacket[], linkType = LINKTYPE_RAW): Uint8Array {
  const parts: Buffer[] = [];
  const hdr = Buffer.alloc(24);
  hdr.writeUInt32LE(0xa1b2c3d4, 0);
  hdr.writeUInt16LE(2, 4);
  hdr.writeUInt16LE(4, 6);
  hdr.writeUInt32LE(262144, 16);
  hdr.writeUInt32LE(linkType, 20);
  parts.push(hdr);
  for (const p of packets) {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(Math.floor(p.ts / 1e6), 0);
    r.writeUInt32LE(p.ts % 1e6, 4);
    r.writeUInt32LE(p.data.length, 8);
    r.writeUInt32LE(p.wireLength ?? p.data.length, 12);
    parts.push(r, Buffer.from(p.data));
  }
  return Uint8Array.from(Buffer.concat(parts));
}

/** A temporary directory for one test file; `write` puts a capture (or any bytes) in it. */
export function tempDir(prefix: string): { dir: string; write: (name: string, bytes: Uint8Array | string) => string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ea-${prefix}-`));
  return {
    dir,
    write: (name, bytes) => {
      const p = path.join(dir, name);
      fs.writeFileSync(p, bytes);
      return p;
    },
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** 2024-01-01T00:00:00Z in µs: a fixed base time for synthetic captures. */
export const T0 = 1_704_067_200_000_000;

// ───────────────────────────── PacketView ─────────────────────────────

/** Fields of a decoded TCP/UDP packet, for driving the FlowTable without the decoder. */
export interface ViewSpec {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  proto?: 'tcp' | 'udp';
  flags?: number;
  seq?: number;
  ack?: number;
}

/** Fills `v` (or a new PacketView) as the decoder would for the given packet. */
export function fillView(s: ViewSpec, v: PacketView = new PacketView()): PacketView {
  const a = parseAddr(s.src);
  const b = parseAddr(s.dst);
  if (!a || !b || a.v !== b.v) throw new Error(`bad addresses ${s.src} ${s.dst}`);
  v.ipVersion = a.v;
  [v.sa0, v.sa1, v.sa2, v.sa3] = a.w;
  [v.da0, v.da1, v.da2, v.da3] = b.w;
  v.ipProto = s.proto === 'udp' ? PROTO_UDP : PROTO_TCP;
  v.srcPort = s.sport;
  v.dstPort = s.dport;
  v.tcpFlags = s.proto === 'udp' ? 0 : s.flags ?? 0;
  v.tcpSeq = (s.seq ?? 0) >>> 0;
  v.tcpAck = (s.ack ?? 0) >>> 0;
  v.payloadLength = 0;
  return v;
}
