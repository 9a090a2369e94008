/**
 * A tiny scenario writer for the pipeline tests: TCP sessions (handshake, data, close) and UDP
 * exchanges as raw-IP packets with millisecond offsets, written to a temporary pcap and replayed
 * through the real pipeline. Test tooling only.
 */
import { replay, Replayed } from '../../helpers/run-pipeline';
import type { PipelineOptions } from '../../../src/pipeline';
import { LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL } from '../../../src/capture/source';
import { parseAddr } from '../../../src/net/addr';
import {
  T0, TCP_ACK, TCP_FIN, TCP_PSH, TCP_SYN, TimedPacket, pcapBytes, tcpPacket, tempDir, udpPacket,
} from '../../helpers/packets';

/** Collects packets, then replays them. */
export class Scenario {
  readonly packets: TimedPacket[] = [];

  /** Adds a raw IP packet at `ms` milliseconds after T0. */
  at(ms: number, data: Uint8Array): this {
    this.packets.push({ ts: T0 + Math.round(ms * 1000), data });
    return this;
  }

  /** One UDP datagram. */
  udp(ms: number, src: string, sport: number, dst: string, dport: number, payload: Uint8Array): this {
    return this.at(ms, udpPacket(src, dst, sport, dport, payload));
  }

  /**
   * A TCP connection from client to server: SYN / SYN-ACK / ACK at `ms`, then each client
   * payload as one segment (1 ms apart), then FIN/ACK both ways. Options:
   * - `handshake: false` starts mid-stream (the capture began after the SYN);
   * - `close: false` leaves it open;
   * - `segments` overrides how client bytes are cut: [offset, length] pairs in send order.
   */
  tcp(ms: number, client: string, cport: number, server: string, sport: number, clientBytes: Uint8Array,
    o: { handshake?: boolean; close?: boolean; segments?: [number, number][]; isn?: number } = {}): this {
    const isn = o.isn ?? 1000;
    const sisn = 5000;
    let t = ms;
    const c = (flags: number, seq: number, payload?: Uint8Array): void => {
      this.at(t, tcpPacket({ src: client, dst: server, sport: cport, dport: sport, flags, seq, ack: sisn + 1, payload }));
      t += 1;
    };
    const s = (flags: number, seq: number, ack: number): void => {
      this.at(t, tcpPacket({ src: server, dst: client, sport, dport: cport, flags, seq, ack }));
      t += 1;
    };
    if (o.handshake !== false) {
      this.at(t, tcpPacket({ src: client, dst: server, sport: cport, dport: sport, flags: TCP_SYN, seq: isn }));
      t += 1;
      s(TCP_SYN | TCP_ACK, sisn, isn + 1);
      c(TCP_ACK, isn + 1);
    }
    const segs = o.segments ?? (clientBytes.length > 0 ? [[0, clientBytes.length] as [number, number]] : []);
    for (const [off, len] of segs) c(TCP_ACK | TCP_PSH, isn + 1 + off, clientBytes.subarray(off, off + len));
    if (o.close !== false) {
      const end = isn + 1 + clientBytes.length;
      c(TCP_FIN | TCP_ACK, end);
      s(TCP_FIN | TCP_ACK, sisn + 1, end + 1);
      c(TCP_ACK, end + 1);
    }
    return this;
  }

  /** MAC address per address (its bytes in hex): when set, run() writes Ethernet frames instead of raw IP. */
  private macOf: Map<string, number[]> | null = null;

  /**
   * Sends every packet in an Ethernet frame from the MAC of its source address to the MAC of
   * its destination (`macs` maps address text to `aa:bb:cc:dd:ee:ff`; a multicast destination
   * gets its group MAC, RFC 1112 §6.4 / RFC 2464 §7; an address not listed gets 02:00:00:00:00:00).
   */
  ethernet(macs: Record<string, string>): this {
    this.macOf = new Map(Object.entries(macs).map(([ip, mac]) => [addrHex(ip), mac.split(':').map((h) => parseInt(h, 16))]));
    return this;
  }

  /** MACs of the capturing host when run() writes Linux cooked (SLL) headers instead of Ethernet ones; null for Ethernet. */
  private hostMacs: Set<string> | null = null;

  /**
   * Like ethernet(), but as `tcpdump -i any` on the host whose interfaces have `hostMacs`: Linux
   * cooked v1 headers carrying the sender's MAC and the packet type (4 sent by the host, 0 to
   * it, 2 multicast, 3 to another host) instead of the destination MAC.
   */
  cooked(macs: Record<string, string>, hostMacs: string[]): this {
    this.ethernet(macs);
    this.hostMacs = new Set(hostMacs.map((m) => m.toLowerCase()));
    return this;
  }

  /** Whole Ethernet frames added by arp(), kept apart from the raw IP packets. */
  private readonly frames = new Set<Uint8Array>();

  /** An ARP announcement (RFC 5227 §2.3: sender and target address both `ip`) from `mac`, broadcast; needs ethernet(). */
  arp(ms: number, ip: string, mac: string): this {
    const m = mac.split(':').map((h) => parseInt(h, 16));
    const a = Buffer.from(addrHex(ip), 'hex');
    const f = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, ...m, 0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1, ...m, ...a, 0, 0, 0, 0, 0, 0, ...a]);
    this.frames.add(f);
    return this.at(ms, f);
  }

  /** The Ethernet frame around raw IP packet `ip`. */
  private frame(ip: Uint8Array): Uint8Array {
    if (this.frames.has(ip)) return ip;
    const v6 = ip[0] >> 4 === 6;
    const mac = (a: Uint8Array): number[] => {
      if (v6 && a[0] === 0xff) return [0x33, 0x33, a[12], a[13], a[14], a[15]];
      if (!v6 && a[0] >= 224 && a[0] < 240) return [0x01, 0x00, 0x5e, a[1] & 0x7f, a[2], a[3]];
      return this.macOf!.get(Buffer.from(a).toString('hex')) ?? [2, 0, 0, 0, 0, 0];
    };
    const dst = mac(v6 ? ip.subarray(24, 40) : ip.subarray(16, 20));
    const src = mac(v6 ? ip.subarray(8, 24) : ip.subarray(12, 16));
    if (this.hostMacs !== null) {
      const text = (m: number[]): string => m.map((b) => b.toString(16).padStart(2, '0')).join(':');
      const type = this.hostMacs.has(text(src)) ? 4 : (dst[0] & 1) !== 0 ? 2 : this.hostMacs.has(text(dst)) ? 0 : 3;
      return Uint8Array.from([0, type, 0, 1, 0, 6, ...src, 0, 0, v6 ? 0x86 : 0x08, v6 ? 0xdd : 0x00, ...ip]);
    }
    return Uint8Array.from([...dst, ...src, v6 ? 0x86 : 0x08, v6 ? 0xdd : 0x00, ...ip]);
  }

  /** Writes the pcap to a temporary file and replays it with `--device` values (and other pipeline options). */
  run(devices: string[] = [], pipeline: Partial<PipelineOptions> = {}): Replayed {
    const tmp = tempDir('pipeline');
    try {
      const sorted = [...this.packets].sort((a, b) => a.ts - b.ts);
      const bytes = this.macOf === null ? pcapBytes(sorted)
        : pcapBytes(sorted.map((p) => ({ ts: p.ts, data: this.frame(p.data) })), this.hostMacs !== null ? LINKTYPE_LINUX_SLL : LINKTYPE_ETHERNET);
      const file = tmp.write('scenario.pcap', bytes);
      return replay([file], devices, { pipeline: pipeline as PipelineOptions });
    } finally {
      tmp.cleanup();
    }
  }
}

/** An address's bytes in hex (4 for IPv4, 16 for IPv6). */
function addrHex(text: string): string {
  const a = parseAddr(text)!;
  const words = a.v === 4 ? [a.w[3]] : [...a.w];
  return words.map((w) => (w >>> 0).toString(16).padStart(8, '0')).join('');
}
