/**
 * Test helpers for the QUIC extractor tests: UDP datagrams of a capture read through the real
 * capture readers (src/capture/open-capture.ts) and frame decoder (src/decode/decode-frame.ts),
 * keyed by tshark's 1-based frame number, plus hex helpers for the annotated vectors.
 */
import { AnomalyCounters } from '../../../../src/anomalies';
import { openCapture } from '../../../../src/capture/open-capture';
import { newFrame } from '../../../../src/capture/source';
import { FrameDecoder } from '../../../../src/decode/decode-frame';
import { DecodeStatus, IPPROTO_UDP, PacketView } from '../../../../src/decode/packet-view';

/** One UDP datagram found in a capture. `frame` is 1-based, as tshark numbers frames. */
export interface UdpDatagram {
  frame: number;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  /** A copy: capture buffers are reused. */
  payload: Uint8Array;
}

function addr(v: PacketView, w0: number, w1: number, w2: number, w3: number): string {
  if (v.ipVersion === 4) return [w3 >>> 24, (w3 >>> 16) & 0xff, (w3 >>> 8) & 0xff, w3 & 0xff].join('.');
  return [w0, w1, w2, w3].flatMap((w) => [(w >>> 16).toString(16), (w & 0xffff).toString(16)]).join(':');
}

/** All outermost UDP datagrams of a capture (IP fragments reassembled by the decoder), keyed by frame number. */
export function udpDatagrams(path: string): Map<number, UdpDatagram> {
  const out = new Map<number, UdpDatagram>();
  const anomalies = new AnomalyCounters();
  const src = openCapture(path, anomalies);
  const dec = new FrameDecoder(anomalies);
  const f = newFrame();
  try {
    for (let n = 1; src.next(f); n++) {
      const st = dec.decode(f.buf, f.offset, f.capturedLength, f.wireLength, f.linkType, f.tsMicros);
      const v = dec.view;
      if (st !== DecodeStatus.Transport || v.ipProto !== IPPROTO_UDP || v.tunnelDepth !== 0) continue;
      out.set(n, {
        frame: n,
        src: addr(v, v.sa0, v.sa1, v.sa2, v.sa3),
        dst: addr(v, v.da0, v.da1, v.da2, v.da3),
        sport: v.srcPort,
        dport: v.dstPort,
        payload: Uint8Array.from(v.buf.subarray(v.payloadOffset, v.payloadOffset + v.payloadLength)),
      });
    }
  } finally {
    src.close();
  }
  return out;
}

/** Hex string (spaces and newlines ignored) → bytes. For the hexdump-commented vectors. */
export function unhex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s.replace(/[^0-9a-fA-F]/g, ''), 'hex'));
}

/** "aa:bb:cc" (tshark's CID rendering) → bytes. */
export function colonHex(s: string): Uint8Array {
  return unhex(s.replace(/:/g, ''));
}

/** A QUIC Crypto handshake message (gQUIC): tag, u16 LE entry count, 2 zero bytes, (tag, u32 LE end offset) entries, values. */
export function chloMessage(entries: [string, Uint8Array][], tag = 'CHLO'): Buffer {
  const parts: Buffer[] = [Buffer.from(tag, 'latin1'), Buffer.from([entries.length & 0xff, entries.length >> 8, 0, 0])];
  let end = 0;
  for (const [t, v] of entries) {
    end += v.length;
    const e = Buffer.alloc(8);
    Buffer.from(t.padEnd(4, '\0'), 'latin1').copy(e, 0);
    e.writeUInt32LE(end, 4);
    parts.push(e);
  }
  for (const [, v] of entries) parts.push(Buffer.from(v));
  return Buffer.concat(parts);
}
