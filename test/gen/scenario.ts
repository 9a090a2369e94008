/**
 * Scripting layer of the capture generator: a `CaptureBuilder` that frames IP packets for each
 * interface (Ethernet/VLAN, SLL2, raw), and TCP/UDP flow helpers that keep sequence numbers,
 * timestamps and per-direction packet/byte tallies, so every capture's expected NDJSON facts are
 * computed from the very packets that were written.
 *
 * Test tooling only: never imported by src/; time is always an explicit bigint of nanoseconds
 * since the epoch passed in by the caller (no clock), so output is deterministic.
 */
import {
  ETHERTYPE_IPV4, ETHERTYPE_IPV6, IPPROTO_TCP, IPPROTO_UDP, SLL_PKTTYPE_HOST, SLL_PKTTYPE_OUTGOING,
  TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN, VlanTag, dnsMessage, DnsMessageSpec, ethernet, ipv4, ipv6, isIpv6,
  sll2, tcp, tcpSynOptions, tcpTimestampOption, udp, DNS_TYPE_A, DNS_TYPE_AAAA, DNS_TYPE_CNAME, DNS_TYPE_SRV, DNS_TYPE_TXT,
} from './packets';
import { CaptureRecord } from './capture-file';
import type { DnsExpectation, FlowExpectation } from './expectation';

/** Milliseconds → bigint nanoseconds (fractional ms allowed, rounded to the ns). */
export function ms(x: number): bigint {
  return BigInt(Math.round(x * 1e6));
}

/** Epoch nanoseconds → epoch seconds as the NDJSON prints them (microsecond precision, truncated). */
export function epochSeconds(ns: bigint): number {
  return Number(ns / 1000n) / 1e6;
}

/** A host address plus the MAC its frames carry on the capture link (the router's MAC for remote hosts). */
export interface Host {
  ip: string;
  mac: string;
}

/** One side of a flow. */
export interface Endpoint extends Host {
  port: number;
}

/** How frames on one capture interface are framed. */
export type LinkSpec =
  | { kind: 'ethernet'; vlans?: readonly VlanTag[]; padReceived?: boolean }
  | { kind: 'sll2'; ifindex: number }
  | { kind: 'raw' }
  | WrappedLink;

/**
 * Frames built by a function of the IP packet (an encapsulation: MPLS, PPPoE, a tunnel), with an
 * optional hook told of every frame, so the outer flow a tunnel makes can be tallied too.
 */
export interface WrappedLink {
  kind: 'wrapped';
  wrap(packet: Uint8Array, src: Host, dst: Host): Uint8Array;
  carried?(tsNs: bigint, src: Host, wireLength: number): void;
}

/** A record with its insertion index, so sorting by time is stable. */
interface PendingRecord extends CaptureRecord {
  order: number;
}

/** Collects frames for one capture and knows which addresses are the device. */
export class CaptureBuilder {
  readonly #records: PendingRecord[] = [];
  readonly #ipIds = new Map<string, number>();

  /** `links[i]` frames interface i; `deviceIps` decide direction (egress/inbound) and padding. */
  constructor(readonly links: readonly LinkSpec[], readonly deviceIps: readonly string[]) {}

  /** True when `ip` is one of the device's addresses. */
  isDevice(ip: string): boolean {
    return this.deviceIps.includes(ip);
  }

  /** Records one whole frame; returns its wire length. */
  emitFrame(tsNs: bigint, interfaceId: number, data: Uint8Array): number {
    this.#records.push({ tsNs, interfaceId, data, order: this.#records.length });
    return data.length;
  }

  /** Builds the IP header for `l4` (v4 or v6 from the address text) and frames it on `interfaceId`. */
  emitIp(tsNs: bigint, interfaceId: number, src: Host, dst: Host, protocol: number, l4: Uint8Array): number {
    let packet: Uint8Array;
    if (isIpv6(src.ip)) {
      packet = ipv6({ src: src.ip, dst: dst.ip, nextHeader: protocol, hopLimit: this.isDevice(src.ip) ? 64 : 54 }, l4);
    } else {
      const id = (this.#ipIds.get(src.ip) ?? ipIdSeed(src.ip)) & 0xffff;
      this.#ipIds.set(src.ip, id + 1);
      packet = ipv4({ src: src.ip, dst: dst.ip, protocol, id, ttl: this.isDevice(src.ip) ? 64 : 53, dontFragment: protocol === IPPROTO_TCP }, l4);
    }
    const length = this.emitFrame(tsNs, interfaceId, this.frameIp(interfaceId, src, dst, packet));
    const link = this.links[interfaceId];
    if (link.kind === 'wrapped') link.carried?.(tsNs, src, length);
    return length;
  }

  /** Wraps an already built IP packet in interface `interfaceId`'s link header. */
  frameIp(interfaceId: number, src: Host, dst: Host, packet: Uint8Array): Uint8Array {
    const link = this.links[interfaceId];
    const etherType = (packet[0] >> 4) === 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4;
    const received = !this.isDevice(src.ip);
    switch (link.kind) {
      case 'ethernet':
        return ethernet({ src: src.mac, dst: dst.mac, etherType, vlans: link.vlans, padToMinimum: received && link.padReceived }, packet);
      case 'sll2':
        return sll2({ protocol: etherType, ifindex: link.ifindex, pkttype: received ? SLL_PKTTYPE_HOST : SLL_PKTTYPE_OUTGOING, addr: src.mac }, packet);
      case 'raw':
        return packet;
      case 'wrapped':
        return link.wrap(packet, src, dst);
    }
  }

  /** All records sorted by time (ties keep insertion order). */
  records(): CaptureRecord[] {
    return [...this.#records].sort((a, b) => (a.tsNs < b.tsNs ? -1 : a.tsNs > b.tsNs ? 1 : a.order - b.order))
      .map(({ tsNs, interfaceId, data, origLen }) => ({ tsNs, interfaceId, data, origLen }));
  }
}

/** A deterministic starting IPv4 ID per source address (Linux randomises it; we hash the text). */
function ipIdSeed(ip: string): number {
  let h = 0x3039;
  for (let i = 0; i < ip.length; i++) h = (h * 31 + ip.charCodeAt(i)) & 0xffff;
  return h;
}

/** Per-direction tallies for one flow, from the device's point of view. */
export abstract class FlowScript {
  /** Packets and wire bytes sent by the device (out) and received by it (in); first/last packet time. */
  packetsOut = 0;
  packetsIn = 0;
  bytesOut = 0;
  bytesIn = 0;
  firstNs: bigint | null = null;
  lastNs: bigint | null = null;

  constructor(
    protected readonly b: CaptureBuilder,
    readonly interfaceId: number,
    readonly proto: 'tcp' | 'udp',
    readonly client: Endpoint,
    readonly server: Endpoint,
  ) {}

  /** egress when the client is the device, inbound when only the server is, local when both are or the server is a group (multicast, broadcast). */
  get direction(): 'egress' | 'inbound' | 'local' {
    const c = this.b.isDevice(this.client.ip);
    const s = this.b.isDevice(this.server.ip);
    const group = /^(22[4-9]|23\d)\./.test(this.server.ip) || this.server.ip === '255.255.255.255' || /^ff/i.test(this.server.ip);
    return (c && s) || (c && group) ? 'local' : c ? 'egress' : 'inbound';
  }

  protected tally(fromIp: string, tsNs: bigint, wireLength: number): void {
    if (this.b.isDevice(fromIp) && (this.direction !== 'local' || fromIp === this.client.ip)) {
      this.packetsOut++;
      this.bytesOut += wireLength;
    } else {
      this.packetsIn++;
      this.bytesIn += wireLength;
    }
    if (this.firstNs === null || tsNs < this.firstNs) this.firstNs = tsNs;
    if (this.lastNs === null || tsNs > this.lastNs) this.lastNs = tsNs;
  }

  /** Removes one packet from the tallies (for a record the capture file cuts off). */
  untally(fromDevice: boolean, wireLength: number, newLastNs: bigint): void {
    if (fromDevice) {
      this.packetsOut--;
      this.bytesOut -= wireLength;
    } else {
      this.packetsIn--;
      this.bytesIn -= wireLength;
    }
    this.lastNs = newLastNs;
  }

  /** The full expectation for this flow: key, timestamps and counts, plus the given facts. */
  expect(facts: Omit<FlowExpectation, 'proto' | 'direction' | 'device_ip' | 'device_port' | 'remote_ip' | 'remote_port'>): FlowExpectation {
    const deviceIsClient = this.direction !== 'inbound';
    const device = deviceIsClient ? this.client : this.server;
    const remote = deviceIsClient ? this.server : this.client;
    return {
      proto: this.proto, direction: this.direction,
      device_ip: device.ip, device_port: device.port, remote_ip: remote.ip, remote_port: remote.port,
      first_ts: this.firstNs === null ? undefined : epochSeconds(this.firstNs),
      last_ts: this.lastNs === null ? undefined : epochSeconds(this.lastNs),
      packets_out: this.packetsOut, packets_in: this.packetsIn, bytes_out: this.bytesOut, bytes_in: this.bytesIn,
      ...facts,
    };
  }
}

/** Which way a segment travels. */
export type Dir = 'c2s' | 's2c';

/** Options for a TCP conversation. */
export interface TcpScriptOptions {
  clientIsn: number;
  serverIsn: number;
  /** Round-trip time used for ACK and response spacing. */
  rttMs?: number;
  /** Maximum segment payload (after options). Default 1448 with timestamps, 1460 without. */
  mss?: number;
  /** Put RFC 7323 timestamps on every segment, as Linux does. */
  timestamps?: boolean;
}

/** One TCP connection: keeps seq/ack per side and writes segments through the builder. */
export class TcpScript extends FlowScript {
  readonly #next: Record<Dir, number>;
  readonly rtt: bigint;
  readonly mss: number;
  readonly #timestamps: boolean;
  readonly #lastTsval: Record<Dir, number> = { c2s: 0, s2c: 0 };

  constructor(b: CaptureBuilder, interfaceId: number, client: Endpoint, server: Endpoint, o: TcpScriptOptions) {
    super(b, interfaceId, 'tcp', client, server);
    this.#next = { c2s: o.clientIsn >>> 0, s2c: o.serverIsn >>> 0 };
    this.rtt = ms(o.rttMs ?? 20);
    this.#timestamps = o.timestamps ?? false;
    this.mss = o.mss ?? (this.#timestamps ? 1448 : 1460);
  }

  /** Next sequence number `dir` will send. */
  nextSeq(dir: Dir): number {
    return this.#next[dir];
  }

  #tsval(dir: Dir, tsNs: bigint): number {
    // Linux TSval ticks in ms from a per-connection offset; derive the offset from the port.
    const base = dir === 'c2s' ? this.client.port * 7919 : this.server.port * 104729;
    return (Number((tsNs / 1_000_000n) % 0x7fffffffn) + base) >>> 0;
  }

  /** Writes one segment. `seq` defaults to the next sequence number; sequence space advances only when it is the next one. */
  segment(dir: Dir, tsNs: bigint, flags: number, payload: Uint8Array = new Uint8Array(0), seq?: number): void {
    const from = dir === 'c2s' ? this.client : this.server;
    const to = dir === 'c2s' ? this.server : this.client;
    const other: Dir = dir === 'c2s' ? 's2c' : 'c2s';
    const s = seq ?? this.#next[dir];
    let options: Uint8Array | undefined;
    const tsval = this.#tsval(dir, tsNs);
    if (flags & TCP_SYN) options = tcpSynOptions(this.mss + (this.#timestamps ? 12 : 0), this.#timestamps ? tsval : null, 7);
    else if (this.#timestamps) options = tcpTimestampOption(tsval, this.#lastTsval[other]);
    this.#lastTsval[dir] = tsval;
    const seg = tcp({ srcPort: from.port, dstPort: to.port, seq: s, ack: flags & TCP_ACK ? this.#next[other] : 0, flags, window: flags & TCP_SYN ? 64240 : 502, options }, payload, from.ip, to.ip);
    const len = this.b.emitIp(tsNs, this.interfaceId, from, to, IPPROTO_TCP, seg);
    this.tally(from.ip, tsNs, len);
    const advance = payload.length + (flags & (TCP_SYN | TCP_FIN) ? 1 : 0);
    if (seq === undefined || seq === this.#next[dir]) this.#next[dir] = (s + advance) >>> 0;
  }

  /** SYN, SYN-ACK, ACK; returns the time of the final ACK. */
  handshake(t: bigint): bigint {
    this.segment('c2s', t, TCP_SYN);
    this.segment('s2c', t + this.rtt, TCP_SYN | TCP_ACK);
    this.segment('c2s', t + this.rtt + ms(0.2), TCP_ACK);
    return t + this.rtt + ms(0.2);
  }

  /**
   * Sends `data` in MSS-sized segments 0.1 ms apart (PSH on the last). With `peerAckEvery` = n the
   * receiver sends a pure ACK after every n full segments (delayed ACK, RFC 9293 §3.8.6.3).
   * Returns the time of the last segment sent by either side.
   */
  send(dir: Dir, t: bigint, data: Uint8Array, peerAckEvery = 0): bigint {
    const other: Dir = dir === 'c2s' ? 's2c' : 'c2s';
    let at = t;
    let count = 0;
    for (let off = 0; off < data.length; off += this.mss) {
      const end = Math.min(off + this.mss, data.length);
      this.segment(dir, at, TCP_ACK | (end === data.length ? TCP_PSH : 0), data.subarray(off, end));
      if (end < data.length) {
        at += ms(0.1);
        if (peerAckEvery > 0 && ++count % peerAckEvery === 0) this.segment(other, at - ms(0.05), TCP_ACK);
      }
    }
    return at;
  }

  /**
   * Sends `data` as the given byte ranges, in the order given; each piece waits `delayMs`
   * (default `stepMs`) after the previous one. Ranges may repeat (retransmission), overlap or
   * leave holes (capture loss); afterwards the sender's sequence number is past the whole of
   * `data`, as if every byte had been sent. Returns the time of the last piece.
   */
  sendPieces(dir: Dir, t: bigint, data: Uint8Array, pieces: ReadonlyArray<readonly [start: number, end: number, delayMs?: number]>, stepMs: number): bigint {
    const base = this.#next[dir];
    let at = t;
    pieces.forEach(([start, end, delayMs], i) => {
      if (i > 0) at += ms(delayMs ?? stepMs);
      this.segment(dir, at, TCP_ACK | (end === data.length ? TCP_PSH : 0), data.subarray(start, end), (base + start) >>> 0);
      this.#next[dir] = base;
    });
    this.#next[dir] = (base + data.length) >>> 0;
    return at;
  }

  /** A pure ACK from `dir`. */
  ack(dir: Dir, t: bigint): void {
    this.segment(dir, t, TCP_ACK);
  }

  /** Request/response: the client sends, the server answers after an RTT plus think time (receiver ACKs every 2 segments), the client ACKs. Returns the time of the last segment. */
  exchange(t: bigint, request: Uint8Array, response: Uint8Array, serverThinkMs = 5): bigint {
    const sent = this.send('c2s', t, request, 2);
    const answered = this.send('s2c', sent + this.rtt + ms(serverThinkMs), response, 2);
    this.ack('c2s', answered + ms(0.3));
    return answered + ms(0.3);
  }

  /** FIN from `from`, FIN-ACK back, final ACK; returns the time of the final ACK. */
  close(t: bigint, from: Dir = 'c2s'): bigint {
    const other: Dir = from === 'c2s' ? 's2c' : 'c2s';
    this.segment(from, t, TCP_FIN | TCP_ACK);
    this.segment(other, t + this.rtt, TCP_FIN | TCP_ACK);
    this.segment(from, t + this.rtt + ms(0.2), TCP_ACK);
    return t + this.rtt + ms(0.2);
  }
}

/** A UDP 5-tuple. */
export class UdpScript extends FlowScript {
  constructor(b: CaptureBuilder, interfaceId: number, client: Endpoint, server: Endpoint) {
    super(b, interfaceId, 'udp', client, server);
  }

  /** Sends one datagram. */
  send(dir: Dir, t: bigint, payload: Uint8Array): void {
    const from = dir === 'c2s' ? this.client : this.server;
    const to = dir === 'c2s' ? this.server : this.client;
    const len = this.b.emitIp(t, this.interfaceId, from, to, IPPROTO_UDP, udp(from.port, to.port, payload, from.ip, to.ip));
    this.tally(from.ip, t, len);
  }

  /** Records an already framed packet of this flow (e.g. one IP fragment) in the tallies. */
  emitFramed(t: bigint, fromIp: string, frame: Uint8Array): void {
    const len = this.b.emitFrame(t, this.interfaceId, frame);
    this.tally(fromIp, t, len);
  }
}

/** Mnemonic of a DNS RR type as the NDJSON prints it. */
export function dnsTypeMnemonic(type: number): string {
  const names: Record<number, string> = { [DNS_TYPE_A]: 'A', [DNS_TYPE_AAAA]: 'AAAA', [DNS_TYPE_CNAME]: 'CNAME', [DNS_TYPE_TXT]: 'TXT', [DNS_TYPE_SRV]: 'SRV' };
  return names[type] ?? `TYPE${type}`;
}

/** The `dns` records a query/response pair must produce (one per question; answers joined). */
export function expectDns(flow: FlowScript, queryNs: bigint, query: DnsMessageSpec, response: DnsMessageSpec | null): DnsExpectation[] {
  return query.questions.map((q) => ({
    ts: epochSeconds(queryNs),
    proto: flow.proto,
    client_ip: flow.client.ip, client_port: flow.client.port,
    server_ip: flow.server.ip, server_port: flow.server.port,
    id: query.id,
    qname: q.name.toLowerCase(),
    qtype: dnsTypeMnemonic(q.type),
    rcode: response ? ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN'][response.rcode ?? 0] : null,
    // TXT data as the NDJSON prints it: the character-string in presentation format (RFC 1035 §5.1), quoted.
    answers: (response?.answers ?? []).map((a) => ({ name: a.name.toLowerCase(), type: dnsTypeMnemonic(a.type), data: a.type === DNS_TYPE_TXT ? `"${a.data}"` : a.data, ttl: a.ttl })),
  }));
}

/** A whole UDP DNS lookup (query, answer after `rttMs`) on its own 5-tuple. */
export function udpDnsLookup(b: CaptureBuilder, interfaceId: number, client: Endpoint, server: Endpoint, t: bigint, query: DnsMessageSpec, response: DnsMessageSpec, rttMs = 12): { flow: UdpScript; dns: DnsExpectation[]; done: bigint } {
  const flow = new UdpScript(b, interfaceId, client, server);
  flow.send('c2s', t, dnsMessage(query));
  flow.send('s2c', t + ms(rttMs), dnsMessage(response));
  return { flow, dns: expectDns(flow, t, query, response), done: t + ms(rttMs) };
}
