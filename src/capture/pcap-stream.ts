/**
 * Incremental classic-pcap stream parser: the tcpdump fallback of live capture (`tcpdump -w -`)
 * pushes pipe chunks in and gets `Frame`s out through a callback, one reused frame per stream.
 * It never blocks, never allocates per packet (one carry-over buffer grows to the largest record)
 * and never throws on stream bytes: a bad magic or an impossible caplen sets `failure` and ends
 * the stream, because record framing can no longer be trusted after either.
 */
import { PCAP_FILE_HEADER_BYTES, PCAP_MAGIC_MICROS, PCAP_MAGIC_NANOS, PCAP_RECORD_HEADER_BYTES, u32be, u32le } from './pcap-file';
import { MAX_CAPLEN, newFrame, type Frame } from './source';

/** draft-ietf-opsawg-pcap §4: LinkType is the low 16 bits; the upper bits carry FCS information. */
const LINKTYPE_MASK = 0x0000ffff;
/** Starting size of the carry-over buffer: a pipe delivers at most 64 KiB per read on Linux. */
const INITIAL_CARRY_BYTES = 64 * 1024;

/**
 * Push parser over a classic pcap byte stream. `push(chunk)` calls `onFrame` once per complete
 * record; the frame (and the bytes `frame.buf` points at) is valid only during that call.
 */
export class PcapStreamParser {
  /** LINKTYPE_* from the stream header; -1 until the 24-byte header has arrived. */
  linkType = -1;
  /** Snapshot length from the stream header (0 until known). */
  snaplen = 0;
  /** True for the nanosecond magic (timestamps are then rounded down to microseconds). */
  nanos = false;
  /** Why the stream can no longer be parsed, or null while it is healthy. */
  failure: string | null = null;
  /** Records delivered so far. */
  packets = 0;
  /** Stream bytes consumed so far (header plus whole records). */
  bytesConsumed = 0;

  private carry = new Uint8Array(INITIAL_CARRY_BYTES);
  private carryLength = 0;
  private littleEndian = true;
  private readonly frame: Frame = newFrame();

  /** `onFrame` receives a reused frame; copy what you keep beyond the call. */
  constructor(private readonly onFrame: (frame: Frame) => void) {}

  /** Bytes held back waiting for the rest of a record; nonzero at the end means the stream was cut. */
  get pendingBytes(): number {
    return this.carryLength;
  }

  /** Parses every complete record in `chunk` (plus what earlier chunks left over). Never throws on bytes. */
  push(chunk: Uint8Array): void {
    if (this.failure !== null || chunk.length === 0) return;
    if (this.carryLength === 0) {
      const used = this.parse(chunk, 0, chunk.length);
      if (this.failure === null) this.keep(chunk, used, chunk.length);
      return;
    }
    this.keep(chunk, 0, chunk.length);
    const used = this.parse(this.carry, 0, this.carryLength);
    this.carry.copyWithin(0, used, this.carryLength);
    this.carryLength -= used;
  }

  /** Appends `src[from, to)` to the carry-over buffer, growing it by doubling. */
  private keep(src: Uint8Array, from: number, to: number): void {
    const need = this.carryLength + (to - from);
    if (need > this.carry.length) {
      let size = this.carry.length * 2;
      while (size < need) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.carry.subarray(0, this.carryLength));
      this.carry = grown;
    }
    this.carry.set(src.subarray(from, to), this.carryLength);
    this.carryLength = need;
  }

  /** Parses records in `buf[pos, end)`; returns the first byte not consumed. */
  private parse(buf: Uint8Array, pos: number, end: number): number {
    if (this.linkType < 0) {
      if (end - pos < PCAP_FILE_HEADER_BYTES) return pos;
      if (!this.readHeader(buf, pos)) return pos;
      pos += PCAP_FILE_HEADER_BYTES;
      this.bytesConsumed += PCAP_FILE_HEADER_BYTES;
    }
    const u32 = this.littleEndian ? u32le : u32be;
    const frame = this.frame;
    frame.buf = buf;
    frame.linkType = this.linkType;
    while (end - pos >= PCAP_RECORD_HEADER_BYTES) {
      const caplen = u32(buf, pos + 8);
      if (caplen > MAX_CAPLEN) {
        this.failure = `record ${this.packets + 1} claims caplen ${caplen} (> ${MAX_CAPLEN}): the stream is corrupt`;
        return pos;
      }
      const size = PCAP_RECORD_HEADER_BYTES + caplen;
      if (end - pos < size) break;
      const frac = u32(buf, pos + 4);
      frame.tsMicros = u32(buf, pos) * 1e6 + (this.nanos ? Math.floor(frac / 1000) : frac);
      frame.capturedLength = caplen;
      frame.wireLength = u32(buf, pos + 12);
      frame.offset = pos + PCAP_RECORD_HEADER_BYTES;
      pos += size;
      this.packets++;
      this.bytesConsumed += size;
      this.onFrame(frame);
    }
    return pos;
  }

  /** Reads the 24-byte stream header (draft-ietf-opsawg-pcap §4); false (with `failure`) on a bad magic. */
  private readHeader(buf: Uint8Array, pos: number): boolean {
    const le = u32le(buf, pos);
    const be = u32be(buf, pos);
    if (le === PCAP_MAGIC_MICROS || le === PCAP_MAGIC_NANOS) this.littleEndian = true;
    else if (be === PCAP_MAGIC_MICROS || be === PCAP_MAGIC_NANOS) this.littleEndian = false;
    else {
      this.failure = `the stream does not start with a pcap magic number (got 0x${be.toString(16).padStart(8, '0')})`;
      return false;
    }
    this.nanos = (this.littleEndian ? le : be) === PCAP_MAGIC_NANOS;
    const u32 = this.littleEndian ? u32le : u32be;
    this.snaplen = u32(buf, pos + 16);
    this.linkType = u32(buf, pos + 20) & LINKTYPE_MASK;
    return true;
  }
}
