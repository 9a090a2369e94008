/**
 * Helpers for the capture reader tests: temporary files, reading a whole capture into plain
 * records, and hand-built bytes for shapes the writers refuse to make. Test-only.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AnomalyCounters } from '../../../src/anomalies';
import { openCapture } from '../../../src/capture/open-capture';
import { newFrame, type CaptureIssue, type InputInfo } from '../../../src/capture/source';

/** One packet as copied out of a reader (the reader's frame is reused, so tests copy). */
export interface ReadPacket {
  data: number[];
  tsMicros: number;
  wireLength: number;
  linkType: number;
  interfaceId: number;
}

/** Everything a reader produced for one input. */
export interface ReadResult {
  packets: ReadPacket[];
  issues: CaptureIssue[];
  info: InputInfo;
  anomalies: Record<string, number>;
}

/** A fresh temporary directory, removed by `cleanup`. */
export function makeTempDir(prefix: string): { dir: string; file: (name: string) => string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ea-${prefix}-`));
  return { dir, file: (name) => path.join(dir, name), cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Opens `file` with openCapture and reads it to the end; a runaway reader fails the test instead of hanging. */
export function readAll(file: string, maxPackets = 1_000_000): ReadResult {
  const anomalies = new AnomalyCounters();
  const src = openCapture(file, anomalies);
  const frame = newFrame();
  const packets: ReadPacket[] = [];
  try {
    while (src.next(frame)) {
      packets.push({
        data: Array.from(frame.buf.subarray(frame.offset, frame.offset + frame.capturedLength)),
        tsMicros: frame.tsMicros,
        wireLength: frame.wireLength,
        linkType: frame.linkType,
        interfaceId: frame.interfaceId,
      });
      if (packets.length > maxPackets) throw new Error('reader did not stop');
    }
    expect(src.next(frame)).toBe(false); // stays ended
    return { packets, issues: [...src.issues], info: src.info(), anomalies: anomalies.toRecord() };
  } finally {
    src.close();
    src.close(); // safe twice
  }
}

/** Deterministic packet bytes of a given length (first byte = index, so packets are distinguishable). */
export function packetBytes(index: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (index * 31 + i * 7) & 0xff;
  if (length > 0) out[0] = index & 0xff;
  return out;
}

/** Little-endian byte builder for hand-made captures. */
export class Bytes {
  private readonly parts: number[] = [];
  constructor(private readonly littleEndian = true) {}
  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.littleEndian ? this.u8(v).u8(v >>> 8) : this.u8(v >>> 8).u8(v);
  }
  u32(v: number): this {
    return this.littleEndian ? this.u16(v & 0xffff).u16(v >>> 16) : this.u16(v >>> 16).u16(v & 0xffff);
  }
  raw(data: ArrayLike<number>): this {
    for (let i = 0; i < data.length; i++) this.parts.push(data[i]);
    return this;
  }
  get length(): number {
    return this.parts.length;
  }
  build(): Buffer {
    return Buffer.from(this.parts);
  }
}

/** A classic pcap file header (24 bytes). */
export function pcapHeader(opts: { linkType?: number; snaplen?: number; nanos?: boolean; littleEndian?: boolean } = {}): Bytes {
  const b = new Bytes(opts.littleEndian ?? true);
  return b.u32(opts.nanos ? 0xa1b23c4d : 0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0).u32(opts.snaplen ?? 65535).u32(opts.linkType ?? 1);
}
