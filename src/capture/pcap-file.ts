/**
 * Classic pcap reader (draft-ietf-opsawg-pcap): both byte orders, microsecond and nanosecond
 * magic. Sits at the start of the pipeline: turns a `CaptureInput` into `Frame`s that point into
 * the input's reused window. Never throws on capture bytes (problems become `CaptureIssue`s and
 * capture.* anomalies), never allocates per packet, never allocates from a length in the file.
 */
import { A, type AnomalyCounters } from '../anomalies';
import type { CaptureInput } from './open-capture';
import { endOfInputIssue, linkTypeName, MAX_CAPLEN, type CaptureIssue, type Frame, type InputInfo, type PacketSource } from './source';

/** The pcap file format version libpcap writes (2.4) and reads (2.x up to 2.4). */
const PCAP_VERSION_MAJOR = 2;
const PCAP_VERSION_MINOR = 4;
/** File magic for microsecond timestamps, as a uint32 in the file's own byte order. */
export const PCAP_MAGIC_MICROS = 0xa1b2c3d4;
/** File magic for nanosecond timestamps (libpcap's NSEC_TCPDUMP_MAGIC). */
export const PCAP_MAGIC_NANOS = 0xa1b23c4d;
/**
 * File magic of Alexey Kuznetzov's patched tcpdump (libpcap's KUZNETZOV_TCPDUMP_MAGIC; Red Hat
 * 6 and 7 shipped it): microseconds, and each record header has 8 more bytes (interface index,
 * protocol, packet type, padding) that libpcap reads past, as we do.
 */
export const PCAP_MAGIC_KUZNETZOV = 0xa1b2cd34;
const KUZNETZOV_RECORD_HEADER_BYTES = 24;
/** draft-ietf-opsawg-pcap §4: the file header is 24 bytes. */
export const PCAP_FILE_HEADER_BYTES = 24;
/** draft-ietf-opsawg-pcap §5: each record header is 16 bytes (ts sec, ts frac, caplen, len). */
export const PCAP_RECORD_HEADER_BYTES = 16;
/**
 * draft-ietf-opsawg-pcap §4: the LinkType is the low 16 bits of the field; bits 26-31 carry FCS
 * information. libpcap's current LT_LINKTYPE(x) is `x & 0x0000FFFF` (older ones used 0x03FFFFFF).
 */
const LINKTYPE_MASK = 0x0000ffff;

/** Reads a little-endian uint32 without bounds checks; callers check lengths first. */
export function u32le(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
}

/** Reads a big-endian uint32 without bounds checks; callers check lengths first. */
export function u32be(b: Uint8Array, p: number): number {
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

/**
 * Pull reader over a classic pcap. Each `next(frame)` points `frame.buf` into the input's window:
 * valid until the next call. A caplen over MAX_CAPLEN ends the read (the record framing can no
 * longer be trusted); a file cut inside a record delivers every whole record, then one issue.
 */
export class PcapFileReader implements PacketSource {
  readonly issues: CaptureIssue[] = [];
  /** LINKTYPE_* from the file header (FCS bits masked off); -1 when the header is unreadable. */
  readonly linkType: number = -1;
  /** Snapshot length from the file header (0 = unknown / unlimited). */
  readonly snaplen: number = 0;
  readonly nanos: boolean = false;
  readonly littleEndian: boolean = true;
  private packets = 0;
  private done = false;
  private snaplenWarned = false;
  /** 16, or 24 in Kuznetzov's modified format. */
  private readonly recordHeaderBytes: number = PCAP_RECORD_HEADER_BYTES;

  /** Reads the 24-byte file header at the input's current position (the magic number is already sniffed). */
  constructor(
    private readonly input: CaptureInput,
    private readonly file: string,
    private readonly anomalies?: AnomalyCounters,
  ) {
    if (!input.ensure(PCAP_FILE_HEADER_BYTES)) {
      this.stop('EA_CAPTURE_TRUNCATED', `the file ends inside the 24-byte pcap file header (${input.end - input.pos} bytes)`);
      return;
    }
    const b = input.buf;
    const p = input.pos;
    const magicLe = u32le(b, p);
    this.littleEndian = magicLe === PCAP_MAGIC_MICROS || magicLe === PCAP_MAGIC_NANOS || magicLe === PCAP_MAGIC_KUZNETZOV;
    const magic = this.littleEndian ? magicLe : u32be(b, p);
    this.nanos = magic === PCAP_MAGIC_NANOS;
    if (magic === PCAP_MAGIC_KUZNETZOV) this.recordHeaderBytes = KUZNETZOV_RECORD_HEADER_BYTES;
    const major = this.u16(b, p + 4);
    const minor = this.u16(b, p + 6);
    if (major !== PCAP_VERSION_MAJOR || minor > PCAP_VERSION_MINOR) {
      // libpcap, tcpdump and tshark refuse these too (libpcap: "archaic pcap savefile format"
      // below 2, "unsupported pcap savefile version" above 2.4; its tests/pcap-invalid-version-*):
      // their records have no defined layout, and reading them as 2.4 would invent flows.
      this.stop('EA_CAPTURE_NOT_A_CAPTURE', `pcap file header has version ${major}.${minor}; only 2.0 to 2.4 are defined`);
      return;
    }
    this.snaplen = this.u32(b, p + 16);
    this.linkType = this.u32(b, p + 20) & LINKTYPE_MASK;
    input.pos = p + PCAP_FILE_HEADER_BYTES;
  }

  /** Fills `frame` with the next record; false at the end of the file or after a fatal issue. */
  next(frame: Frame): boolean {
    if (this.done) return false;
    const input = this.input;
    const headerBytes = this.recordHeaderBytes;
    if (input.end - input.pos < headerBytes && !input.ensure(headerBytes)) {
      return this.endOfInput(headerBytes);
    }
    let p = input.pos;
    const b = input.buf;
    let sec: number, frac: number, caplen: number, wireLength: number;
    if (this.littleEndian) {
      sec = u32le(b, p);
      frac = u32le(b, p + 4);
      caplen = u32le(b, p + 8);
      wireLength = u32le(b, p + 12);
    } else {
      sec = u32be(b, p);
      frac = u32be(b, p + 4);
      caplen = u32be(b, p + 8);
      wireLength = u32be(b, p + 12);
    }
    // Like libpcap and Wireshark: past MAX_CAPLEN the record is corrupt and so is everything after it.
    if (caplen > MAX_CAPLEN) return this.rejectCaplen(caplen);
    const need = headerBytes + caplen;
    if (input.end - p < need) {
      if (!input.ensure(need)) return this.endOfInput(need);
      p = input.pos;
    }
    if (caplen > wireLength) {
      this.anomalies?.add(A['capture.caplen_exceeds_wirelen']);
      wireLength = caplen;
    }
    if (caplen > this.snaplen && this.snaplen !== 0 && !this.snaplenWarned) this.warnSnaplen(caplen);
    frame.buf = b;
    frame.offset = p + headerBytes;
    frame.capturedLength = caplen;
    frame.wireLength = wireLength;
    // ns → µs by flooring; sec * 1e6 stays exact in a double until the year 2255.
    frame.tsMicros = sec * 1e6 + (this.nanos ? Math.floor(frac / 1000) : frac);
    frame.linkType = this.linkType;
    frame.interfaceId = 0;
    input.pos = p + need;
    this.packets++;
    return true;
  }

  /** Summary for the run's `inputs` record; `bytes` counts file bytes consumed so far. */
  info(): InputInfo {
    return {
      file: this.file,
      format: 'pcap',
      linkTypes: this.linkType < 0 ? [] : [linkTypeName(this.linkType)],
      packets: this.packets,
      bytes: this.input.offset,
      tsResolution: this.nanos ? 'ns' : 'us',
      byteOrder: this.littleEndian ? 'little' : 'big',
      ...this.input.compressionInfo(),
    };
  }

  /** Releases the file descriptor. Safe to call twice. */
  close(): void {
    this.done = true;
    this.input.close();
  }

  private u32(b: Uint8Array, p: number): number {
    return this.littleEndian ? u32le(b, p) : u32be(b, p);
  }

  private u16(b: Uint8Array, p: number): number {
    return this.littleEndian ? b[p] | (b[p + 1] << 8) : (b[p] << 8) | b[p + 1];
  }

  private rejectCaplen(caplen: number): false {
    this.anomalies?.add(A['capture.caplen_too_large']);
    return this.stop(
      'EA_CAPTURE_CAPLEN',
      `record ${this.packets + 1} claims ${caplen} captured bytes, more than the maximum of ${MAX_CAPLEN}; the rest of the file cannot be trusted`,
    );
  }

  /** libpcap and Wireshark accept caplen > snaplen when it is under their maximum; so do we, once noted. */
  private warnSnaplen(caplen: number): void {
    this.snaplenWarned = true;
    this.issues.push({
      code: 'EA_CAPTURE_CAPLEN',
      file: this.file,
      offset: this.input.offset,
      message: `record ${this.packets + 1} has ${caplen} captured bytes, more than the file's snaplen ${this.snaplen}; kept (later ones are not reported)`,
      dataLost: false,
    });
  }

  /** End of input while `need` bytes were wanted: a clean end, a cut record, or a read error. */
  private endOfInput(need: number): false {
    const issue = endOfInputIssue(this.input, need, `record ${this.packets + 1}`, this.anomalies);
    if (issue === null) this.done = true;
    return issue === null ? false : this.stop(issue.code, issue.message);
  }

  private stop(code: string, message: string): false {
    this.done = true;
    this.issues.push({ code, file: this.file, offset: this.input.offset, message, dataLost: true });
    return false;
  }
}
