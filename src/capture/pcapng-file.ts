/**
 * pcapng reader (draft-ietf-opsawg-pcapng): sections in either byte order, interfaces with their
 * own link type, snaplen, if_tsresol and if_tsoffset, and EPB / SPB / obsolete PB packets, with
 * the process macOS records for each packet (Apple's process information blocks); other blocks
 * are skipped by length. Sits at the start of the pipeline and emits `Frame`s pointing into
 * the input's reused window. Never throws on capture bytes, never allocates per packet, never
 * buffers more than MAX_BUFFERED_BLOCK bytes whatever a block length says.
 */
import { A, type AnomalyCounters } from '../anomalies';
import type { CaptureInput } from './open-capture';
import { u32be, u32le } from './pcap-file';
import { endOfInputIssue, linkTypeName, MAX_CAPLEN, processNameText, type CaptureIssue, type Frame, type InputInfo, type PacketSource } from './source';

/** draft-ietf-opsawg-pcapng §4.1: Section Header Block type; a palindrome, so byte-order free. */
export const PCAPNG_BLOCK_SHB = 0x0a0d0d0a;
/** §4.2 Interface Description Block. */
export const PCAPNG_BLOCK_IDB = 0x00000001;
/** Appendix: obsolete Packet Block (16-bit interface id + drops count). */
export const PCAPNG_BLOCK_PB = 0x00000002;
/** §4.4 Simple Packet Block. */
export const PCAPNG_BLOCK_SPB = 0x00000003;
/** §4.3 Enhanced Packet Block. */
export const PCAPNG_BLOCK_EPB = 0x00000006;
/**
 * Apple's Process Information Block (libpcap's pcap-ng.h in Apple's open source, "experimental,
 * not standardized"), as macOS's tcpdump writes it from its pktap interface: a process id, then
 * options, the name at code 2. PIBs are numbered in order within their section; an EPB names
 * its process by that number in option 0x8001 and its effective process (the app a daemon
 * works for) in 0x8003.
 */
export const PCAPNG_BLOCK_APPLE_PIB = 0x80000001;
const PIB_NAME = 2;
const EPB_PIB_INDEX = 0x8001;
const EPB_E_PIB_INDEX = 0x8003;
/** Process blocks remembered per section (a day of a Mac's traffic names a few hundred). */
const MAX_PROCESSES = 65536;
/** Longest process name kept, in bytes (macOS's names are at most 32; paths are not read). */
const MAX_PROCESS_NAME = 256;
/** §4.1: the SHB's Byte-Order Magic, read in the section's byte order. */
export const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const OPT_ENDOFOPT = 0;
const IF_TSRESOL = 9;
const IF_TSOFFSET = 14;
/** §3.1: type + length + trailing length. */
const BLOCK_MIN_BYTES = 12;
const SHB_MIN_BYTES = 28;
const IDB_MIN_BYTES = 20;
const SPB_MIN_BYTES = 16;
/** EPB and PB: 28 bytes of header fields before the data, 4 bytes of trailing length after. */
const EPB_MIN_BYTES = 32;
const EPB_DATA_OFFSET = 28;
/**
 * Largest block read whole into the window: an EPB carrying MAX_CAPLEN bytes plus 128 KiB of
 * options (Wireshark's MAX_BLOCK_SIZE uses the same reasoning). Bigger blocks of a type we parse
 * are treated as corrupt; bigger blocks of other types are skipped without being buffered.
 */
export const MAX_BUFFERED_BLOCK = EPB_MIN_BYTES + MAX_CAPLEN + 128 * 1024;
const TWO_32 = 4294967296;

/** How an interface's timestamp units become µs (chosen once per IDB, used per packet). */
const enum TsScale {
  Micros, // units are µs
  Divide, // power of ten finer than µs: exact integer division by `factor`
  Multiply, // power of ten coarser than µs: multiply by `factor`
  Pow2, // 2^-shift s with shift <= 32: exact split into seconds and fraction
  Float, // anything else: units * factor in floating point (sub-µs error possible)
}

interface PcapngInterface {
  linkType: number;
  snaplen: number;
  scale: TsScale;
  factor: number;
  shift: number;
  offsetMicros: number;
}

/**
 * Pull reader over a pcapng file. Each `next(frame)` points `frame.buf` into the input's window:
 * valid until the next call. A block whose length lies ends the read (EA_CAPTURE_BAD_BLOCK);
 * a bad packet inside a well-framed block is skipped with an issue and the read goes on.
 */
export class PcapngFileReader implements PacketSource {
  readonly issues: CaptureIssue[] = [];
  private le = true;
  private firstByteOrder: 'little' | 'big' | undefined;
  private ifaces: PcapngInterface[] = [];
  /** The section's process information blocks' names, in order (null: a block without a name). */
  private processes: (string | null)[] = [];
  private readonly linkTypes: number[] = [];
  private readonly resolutions: string[] = [];
  private readonly reported = new Set<string>();
  private packets = 0;
  private sections = 0;
  private lastTsMicros = 0;
  private blockOffset = 0;
  private done = false;

  /** Starts at the input's current position, which must be the first SHB (already sniffed). */
  constructor(
    private readonly input: CaptureInput,
    private readonly file: string,
    private readonly anomalies?: AnomalyCounters,
  ) {}

  /** Fills `frame` with the next packet; false at the end of the file or after a fatal issue. */
  next(frame: Frame): boolean {
    const input = this.input;
    while (!this.done) {
      this.blockOffset = input.offset;
      if (input.end - input.pos < BLOCK_MIN_BYTES && !input.ensure(BLOCK_MIN_BYTES)) return this.endOfInput(BLOCK_MIN_BYTES);
      let p = input.pos;
      const b = input.buf;
      const type = this.u32(b, p);
      if (type === PCAPNG_BLOCK_SHB) {
        this.readSectionHeader();
        continue;
      }
      const len = this.u32(b, p + 4);
      // §3.1: Block Total Length is a multiple of 4 and covers type, length and trailing length.
      if (len < BLOCK_MIN_BYTES || (len & 3) !== 0) return this.badBlock(`block type 0x${hex(type)} has impossible length ${len}`);
      if (len > MAX_BUFFERED_BLOCK) {
        if (type === PCAPNG_BLOCK_EPB || type === PCAPNG_BLOCK_PB || type === PCAPNG_BLOCK_SPB || type === PCAPNG_BLOCK_IDB) {
          return this.badBlock(`block type 0x${hex(type)} claims ${len} bytes, more than the ${MAX_BUFFERED_BLOCK} a sane one needs`);
        }
        if (!this.skipLargeBlock(type, len)) return false;
        continue;
      }
      if (input.end - p < len) {
        if (!input.ensure(len)) return this.endOfInput(len);
        p = input.pos;
      }
      // §3.1: the trailing Block Total Length must repeat the leading one.
      const trailer = this.u32(b, p + len - 4);
      if (trailer !== len) return this.badBlock(`block type 0x${hex(type)} says ${len} bytes at its start and ${trailer} at its end`);
      input.pos = p + len; // the frame keeps pointing at `b`, which only moves on the next ensure()
      if (type === PCAPNG_BLOCK_EPB) {
        if (this.readEnhancedPacket(frame, b, p, len, this.u32(b, p + 8))) {
          // Only a section with process blocks pays for reading packet options.
          if (this.processes.length > 0) frame.process = this.packetProcess(b, p, len, frame.capturedLength);
          return true;
        }
      } else if (type === PCAPNG_BLOCK_SPB) {
        if (this.readSimplePacket(frame, b, p, len)) return true;
      } else if (type === PCAPNG_BLOCK_PB) {
        if (this.readEnhancedPacket(frame, b, p, len, this.u16(b, p + 8))) return true;
      } else if (type === PCAPNG_BLOCK_IDB) {
        this.readInterface(b, p, len);
      } else if (type === PCAPNG_BLOCK_APPLE_PIB) {
        this.readProcess(b, p, len);
      }
    }
    return false;
  }

  /** Summary for the run's `inputs` record; link types are per interface, across all sections. */
  info(): InputInfo {
    return {
      file: this.file,
      format: 'pcapng',
      linkTypes: this.linkTypes.map(linkTypeName),
      packets: this.packets,
      bytes: this.input.offset,
      tsResolution: [...new Set(this.resolutions)].join(','),
      byteOrder: this.firstByteOrder,
      ...this.input.compressionInfo(),
    };
  }

  /** Releases the file descriptor. Safe to call twice. */
  close(): void {
    this.done = true;
    this.input.close();
  }

  private u32(b: Uint8Array, p: number): number {
    return this.le ? u32le(b, p) : u32be(b, p);
  }

  private u16(b: Uint8Array, p: number): number {
    return this.le ? b[p] | (b[p + 1] << 8) : (b[p] << 8) | b[p + 1];
  }

  /**
   * EPB (§4.3) and obsolete PB share one layout after the interface id: ts high, ts low, caplen,
   * original length, data. Returns true when `frame` was filled; false when the packet was skipped.
   */
  private readEnhancedPacket(frame: Frame, b: Uint8Array, p: number, len: number, ifId: number): boolean {
    if (len < EPB_MIN_BYTES) {
      this.badPacket('EA_CAPTURE_BAD_BLOCK', A['capture.bad_block'], `packet block of ${len} bytes is shorter than the ${EPB_MIN_BYTES}-byte minimum; skipped`);
      return false;
    }
    const caplen = this.u32(b, p + 20);
    // §4.3: the data (padded to 32 bits) must fit inside the block; we tolerate missing padding.
    if (caplen > len - EPB_MIN_BYTES || caplen > MAX_CAPLEN) {
      this.badPacket('EA_CAPTURE_CAPLEN', A['capture.caplen_too_large'], `packet claims ${caplen} captured bytes in a ${len}-byte block (maximum ${MAX_CAPLEN}); skipped`);
      return false;
    }
    const iface = this.ifaces[ifId];
    if (iface === undefined) return this.badInterface(ifId);
    this.lastTsMicros = toMicros(iface, this.u32(b, p + 12), this.u32(b, p + 16));
    this.fill(frame, b, p + EPB_DATA_OFFSET, caplen, this.u32(b, p + 24), iface, ifId);
    return true;
  }

  /** SPB (§4.4): interface 0, no timestamp (we reuse the previous packet's), captured = min(wire, snaplen, room). */
  private readSimplePacket(frame: Frame, b: Uint8Array, p: number, len: number): boolean {
    if (len < SPB_MIN_BYTES) {
      this.badPacket('EA_CAPTURE_BAD_BLOCK', A['capture.bad_block'], `simple packet block of ${len} bytes is shorter than the ${SPB_MIN_BYTES}-byte minimum; skipped`);
      return false;
    }
    const iface = this.ifaces[0];
    if (iface === undefined) return this.badInterface(0);
    const wireLength = this.u32(b, p + 8);
    let caplen = Math.min(wireLength, len - SPB_MIN_BYTES);
    if (iface.snaplen !== 0 && iface.snaplen < caplen) caplen = iface.snaplen;
    if (caplen > MAX_CAPLEN) caplen = MAX_CAPLEN;
    this.fill(frame, b, p + 12, caplen, wireLength, iface, 0);
    return true;
  }

  private fill(frame: Frame, b: Uint8Array, dataOffset: number, caplen: number, wireLength: number, iface: PcapngInterface, ifId: number): void {
    if (caplen > wireLength) {
      this.anomalies?.add(A['capture.caplen_exceeds_wirelen']);
      wireLength = caplen;
    }
    frame.buf = b;
    frame.offset = dataOffset;
    frame.capturedLength = caplen;
    frame.wireLength = wireLength;
    frame.tsMicros = this.lastTsMicros;
    frame.linkType = iface.linkType;
    frame.interfaceId = ifId;
    frame.process = null;
    this.packets++;
  }

  /**
   * The process an EPB's options name (Apple's 0x8003, the effective process, else 0x8001), by
   * its process block's number in this section; null when neither names a known block.
   */
  private packetProcess(b: Uint8Array, p: number, len: number, caplen: number): string | null {
    const end = p + len - 4;
    let o = p + EPB_DATA_OFFSET + ((caplen + 3) & ~3);
    let own = -1;
    let effective = -1;
    // §3.5: code, length, value padded to 32 bits; each option takes at least 4 bytes of the block.
    while (o + 4 <= end) {
      const code = this.u16(b, o);
      const olen = this.u16(b, o + 2);
      if (code === OPT_ENDOFOPT || o + 4 + olen > end) break;
      if (olen >= 4 && code === EPB_E_PIB_INDEX) effective = this.u32(b, o + 4);
      else if (olen >= 4 && code === EPB_PIB_INDEX) own = this.u32(b, o + 4);
      o += 4 + ((olen + 3) & ~3);
    }
    const procs = this.processes;
    return (effective >= 0 && effective < procs.length ? procs[effective] : null) ?? (own >= 0 && own < procs.length ? procs[own] : null);
  }

  /** Apple's PIB: its name option, kept as text (bytes outside printable ASCII, and `\`, as \DDD). */
  private readProcess(b: Uint8Array, p: number, len: number): void {
    if (this.processes.length >= MAX_PROCESSES) return;
    const end = p + len - 4;
    let name: string | null = null;
    let o = p + 12; // type, length, process id
    while (o + 4 <= end) {
      const code = this.u16(b, o);
      const olen = this.u16(b, o + 2);
      if (code === OPT_ENDOFOPT || o + 4 + olen > end) break;
      if (code === PIB_NAME && name === null) name = processNameText(b, o + 4, Math.min(olen, MAX_PROCESS_NAME));
      o += 4 + ((olen + 3) & ~3);
    }
    this.processes.push(name);
  }

  /** SHB (§4.1): sets the byte order for the section and forgets the previous section's interfaces. */
  private readSectionHeader(): void {
    const input = this.input;
    const b = input.buf;
    let p = input.pos;
    const bomLe = u32le(b, p + 8);
    if (bomLe === PCAPNG_BYTE_ORDER_MAGIC) this.le = true;
    else if (u32be(b, p + 8) === PCAPNG_BYTE_ORDER_MAGIC) this.le = false;
    else {
      this.badBlock(`section header has byte-order magic 0x${hex(bomLe)}, not 0x1a2b3c4d`);
      return;
    }
    const len = this.u32(b, p + 4);
    if (len < SHB_MIN_BYTES || (len & 3) !== 0 || len > MAX_BUFFERED_BLOCK) {
      this.badBlock(`section header has impossible length ${len}`);
      return;
    }
    if (!input.ensure(len)) {
      this.endOfInput(len);
      return;
    }
    p = input.pos;
    const trailer = this.u32(b, p + len - 4);
    if (trailer !== len) {
      this.badBlock(`section header says ${len} bytes at its start and ${trailer} at its end`);
      return;
    }
    const major = this.u16(b, p + 12);
    if (major !== 1) {
      this.badBlock(`section header has version ${major}.${this.u16(b, p + 14)}; only 1.x is defined`);
      return;
    }
    this.firstByteOrder ??= this.le ? 'little' : 'big';
    this.sections++;
    this.ifaces = [];
    this.processes = [];
    input.pos = p + len;
  }

  /** IDB (§4.2): link type, snaplen, and the if_tsresol / if_tsoffset options (§4.2, table 7). */
  private readInterface(b: Uint8Array, p: number, len: number): void {
    if (len < IDB_MIN_BYTES) {
      this.badPacket('EA_CAPTURE_BAD_BLOCK', A['capture.bad_block'], `interface description of ${len} bytes is shorter than the ${IDB_MIN_BYTES}-byte minimum; its packets will be skipped`);
      return;
    }
    const iface: PcapngInterface = { linkType: this.u16(b, p + 8), snaplen: this.u32(b, p + 12), scale: TsScale.Micros, factor: 1, shift: 0, offsetMicros: 0 };
    let tsresol = 6;
    const end = p + len - 4;
    let o = p + 16;
    // §3.5: options are code, length, value padded to 32 bits; opt_endofopt ends the list.
    while (o + 4 <= end) {
      const code = this.u16(b, o);
      const olen = this.u16(b, o + 2);
      if (code === OPT_ENDOFOPT) break;
      if (o + 4 + olen > end) {
        this.note('EA_CAPTURE_BAD_OPTION', `interface ${this.ifaces.length} has an option running past its block; later options ignored`, false);
        break;
      }
      if (code === IF_TSRESOL && olen >= 1) tsresol = b[o + 4];
      else if (code === IF_TSOFFSET && olen >= 8) iface.offsetMicros = this.i64(b, o + 4) * 1e6;
      o += 4 + ((olen + 3) & ~3);
    }
    this.resolutions.push(setScale(iface, tsresol));
    this.ifaces.push(iface);
    this.linkTypes.push(iface.linkType);
  }

  /** Signed 64-bit integer in the section's byte order, as a double. */
  private i64(b: Uint8Array, p: number): number {
    const hi = this.le ? this.u32(b, p + 4) | 0 : this.u32(b, p) | 0;
    const lo = this.le ? this.u32(b, p) : this.u32(b, p + 4);
    return hi * TWO_32 + lo;
  }

  /** An unknown block too big to buffer: seek past it, then check its trailing length. */
  private skipLargeBlock(type: number, len: number): boolean {
    const input = this.input;
    if (!input.skip(len - 4) || !input.ensure(4)) {
      if (input.ioError !== null) return this.stop('EA_CAPTURE_READ', `read failed: ${input.ioError}`);
      this.anomalies?.add(A['capture.truncated_record']);
      return this.stop('EA_CAPTURE_TRUNCATED', `the file ends inside a ${len}-byte block of type 0x${hex(type)}`);
    }
    const trailer = this.u32(input.buf, input.pos);
    if (trailer !== len) return this.badBlock(`block type 0x${hex(type)} says ${len} bytes at its start and ${trailer} at its end`);
    input.pos += 4;
    return true;
  }

  private badInterface(ifId: number): false {
    this.badPacket(
      'EA_CAPTURE_INTERFACE_ID',
      A['capture.interface_id_invalid'],
      `packet names interface ${ifId} but the section describes ${this.ifaces.length}; skipped`,
    );
    return false;
  }

  /** A packet lost inside a well-framed block: count it, report the first of its kind, go on. */
  private badPacket(code: string, anomaly: number, message: string): void {
    this.anomalies?.add(anomaly);
    this.note(code, `${message} (later ones are only counted)`, true);
  }

  /** Records an issue once per code (per-packet problems would otherwise flood the report). */
  private note(code: string, message: string, dataLost: boolean): void {
    if (this.reported.has(code)) return;
    this.reported.add(code);
    this.issues.push({ code, file: this.file, offset: this.blockOffset, message, dataLost });
  }

  /** A block whose framing cannot be trusted: nothing after it can be located. */
  private badBlock(message: string): false {
    this.anomalies?.add(A['capture.bad_block']);
    return this.stop('EA_CAPTURE_BAD_BLOCK', `${message}; the rest of the file is not read`);
  }

  private endOfInput(need: number): false {
    const issue = endOfInputIssue(this.input, need, 'a block', this.anomalies);
    if (issue === null) this.done = true;
    return issue === null ? false : this.stop(issue.code, issue.message);
  }

  private stop(code: string, message: string): false {
    this.done = true;
    this.issues.push({ code, file: this.file, offset: this.blockOffset, message, dataLost: true });
    return false;
  }
}

/** Picks the per-packet conversion for an if_tsresol byte (§4.2: MSB clear = 10^-n, set = 2^-n); returns its name. */
function setScale(iface: PcapngInterface, tsresol: number): string {
  const n = tsresol & 0x7f;
  if ((tsresol & 0x80) !== 0) {
    if (n <= 32) {
      iface.scale = TsScale.Pow2;
      iface.shift = n;
    } else {
      iface.scale = TsScale.Float;
      iface.factor = 1e6 / 2 ** n;
    }
    return `2^-${n}`;
  }
  if (n === 6) iface.scale = TsScale.Micros;
  else if (n < 6) {
    iface.scale = TsScale.Multiply;
    iface.factor = 10 ** (6 - n);
  } else if (n - 6 <= 6) {
    // divisor * 2^32 stays below 2^53, so the split division in toMicros is exact.
    iface.scale = TsScale.Divide;
    iface.factor = 10 ** (n - 6);
  } else {
    iface.scale = TsScale.Float;
    iface.factor = 10 ** (6 - n);
  }
  return n === 0 ? 's' : n === 3 ? 'ms' : n === 6 ? 'us' : n === 9 ? 'ns' : `10^-${n}`;
}

/**
 * Timestamp units → µs since the epoch, floored. `hi`/`lo` are the two 32-bit halves; `units` is
 * hi * 2^32 + lo as a double (exact below 2^53, which covers µs but not ns timestamps, hence the
 * split arithmetic for the finer scales).
 */
function toMicros(iface: PcapngInterface, hi: number, lo: number): number {
  const units = hi * TWO_32 + lo;
  switch (iface.scale) {
    case TsScale.Micros:
      return units + iface.offsetMicros;
    case TsScale.Divide: {
      const d = iface.factor;
      const qh = Math.floor(hi / d);
      return qh * TWO_32 + Math.floor(((hi - qh * d) * TWO_32 + lo) / d) + iface.offsetMicros;
    }
    case TsScale.Multiply:
      return units * iface.factor + iface.offsetMicros;
    case TsScale.Pow2: {
      const unit = 2 ** iface.shift;
      const secLo = Math.floor(lo / unit);
      const seconds = hi * 2 ** (32 - iface.shift) + secLo;
      return seconds * 1e6 + Math.floor(((lo - secLo * unit) * 1e6) / unit) + iface.offsetMicros;
    }
    default:
      return Math.floor(units * iface.factor) + iface.offsetMicros;
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}
