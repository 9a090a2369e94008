/**
 * A tiny scenario writer for the pipeline tests: TCP sessions (handshake, data, close) and UDP
 * exchanges as raw-IP packets with millisecond offsets, written to a temporary pcap and replayed
 * through the real pipeline. Test tooling only.
 */
import { replay, Replayed } from '../../helpers/run-pipeline';
import type { PipelineOptions } from '../../../src/pipeline';
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

  /** Writes the pcap to a temporary file and replays it with `--device` values (and other pipeline options). */
  run(devices: string[] = [], pipeline: Partial<PipelineOptions> = {}): Replayed {
    const tmp = tempDir('pipeline');
    try {
      const file = tmp.write('scenario.pcap', pcapBytes([...this.packets].sort((a, b) => a.ts - b.ts)));
      return replay([file], devices, { pipeline: pipeline as PipelineOptions });
    } finally {
      tmp.cleanup();
    }
  }
}
