/**
 * Streaming pcapng writer (draft-ietf-opsawg-pcapng) for live `--write`, test fixtures and
 * generators: SHB, one IDB per interface (if_tsresol, default 10^-6), EPB; plus SPB, the obsolete
 * PB, raw blocks and extra sections so tests can build every shape the reader must handle.
 * Writes what it is given: it never truncates to the snaplen and never validates packet bytes.
 */
import { ByteSink } from './pcap-writer';
import {
  PCAPNG_BLOCK_EPB,
  PCAPNG_BLOCK_IDB,
  PCAPNG_BLOCK_PB,
  PCAPNG_BLOCK_SHB,
  PCAPNG_BLOCK_SPB,
  PCAPNG_BYTE_ORDER_MAGIC,
} from './pcapng-file';

const TWO_32 = 4294967296;
const IF_NAME = 2;
const IF_TSRESOL = 9;
const IF_FILTER = 11;
const IF_TSOFFSET = 14;
const SHB_USERAPPL = 4;

/** Options for a section (the SHB written at construction or by `startSection`). */
export interface PcapngSectionOptions {
  /** Byte order of the section; default little-endian. */
  littleEndian?: boolean;
  /** shb_userappl: the application that wrote the section (as tshark's capinfos shows it); omitted when undefined. */
  userAppl?: string;
}

/** Options for one interface (IDB). */
export interface PcapngInterfaceOptions {
  /** Raw if_tsresol byte (§4.2): n = 10^-n s, 0x80|n = 2^-n s. Default 6 (µs). */
  tsresol?: number;
  /** if_tsoffset in seconds, added by readers to every timestamp; omitted when undefined. */
  tsoffsetSeconds?: number;
  /** if_name: the interface captured on (`eth0`); omitted when undefined. */
  name?: string;
  /** if_filter: the libpcap filter expression the capture ran with; omitted when undefined. */
  filter?: string;
}

/**
 * Writes a pcapng file block by block. Interface ids are per section, as in the format: they
 * restart at 0 after `startSection`. Buffered; call `close()` (or `flush()`) to get the bytes out.
 */
export class PcapngWriter {
  private readonly sink: ByteSink;
  private tsresols: number[] = [];
  /** Bytes of the blocks written so far (what the file holds once flushed). */
  written = 0;

  /** Creates/truncates the file at `target` (or uses an open descriptor) and writes the first SHB. */
  constructor(target: number | string, options: PcapngSectionOptions = {}) {
    this.sink = new ByteSink(target);
    this.startSection(options);
  }

  /** Begins a new section (SHB, §4.1), possibly in the other byte order; forgets all interfaces. */
  startSection(options: PcapngSectionOptions = {}): void {
    const s = this.sink;
    s.littleEndian = options.littleEndian ?? true;
    this.tsresols = [];
    const appl = optionText(options.userAppl);
    const len = 28 + (appl ? optionBytes(appl) + 4 : 0);
    s.reserve(len);
    s.put32(PCAPNG_BLOCK_SHB);
    s.put32(len);
    s.put32(PCAPNG_BYTE_ORDER_MAGIC);
    s.put16(1); // version 1.0
    s.put16(0);
    s.put32(0xffffffff); // section length -1: unknown (§4.1)
    s.put32(0xffffffff);
    if (appl) {
      this.putOption(SHB_USERAPPL, appl);
      s.put32(0); // opt_endofopt
    }
    s.put32(len);
    this.written += len;
  }

  /** Describes an interface (IDB, §4.2) and returns its id within the current section. */
  addInterface(linkType: number, snaplen: number, options: PcapngInterfaceOptions = {}): number {
    const s = this.sink;
    const tsresol = options.tsresol ?? 6;
    const hasOffset = options.tsoffsetSeconds !== undefined;
    const name = optionText(options.name);
    // if_filter: a first byte of 0 says the rest is a libpcap filter string (§4.2).
    const filter = optionText(options.filter, 0);
    // Fixed part + if_name + if_tsresol (+ if_tsoffset) + if_filter + opt_endofopt.
    const len = 20 + (name ? optionBytes(name) : 0) + 8 + (hasOffset ? 12 : 0) + (filter ? optionBytes(filter) : 0) + 4;
    s.reserve(len);
    s.put32(PCAPNG_BLOCK_IDB);
    s.put32(len);
    s.put16(linkType);
    s.put16(0);
    s.put32(snaplen);
    if (name) this.putOption(IF_NAME, name);
    s.put16(IF_TSRESOL);
    s.put16(1);
    s.put8(tsresol);
    s.pad4(1);
    if (hasOffset) {
      const off = options.tsoffsetSeconds as number;
      s.put16(IF_TSOFFSET);
      s.put16(8);
      this.put64(Math.floor(off / TWO_32), off - Math.floor(off / TWO_32) * TWO_32);
    }
    if (filter) this.putOption(IF_FILTER, filter);
    s.put32(0); // opt_endofopt
    s.put32(len);
    this.written += len;
    this.tsresols.push(tsresol);
    return this.tsresols.length - 1;
  }

  /** Appends an Enhanced Packet Block (§4.3); `tsMicros` is converted to the interface's resolution. */
  writePacket(ifId: number, tsMicros: number, data: Uint8Array, wireLength: number = data.length): void {
    const tsresol = this.tsresols[ifId] ?? 6;
    if (tsresol === 6) this.writePacketBlock(PCAPNG_BLOCK_EPB, ifId, Math.floor(tsMicros / TWO_32), tsMicros % TWO_32, data, wireLength);
    else this.writePacketUnits(ifId, microsToUnits(tsMicros, tsresol), data, wireLength);
  }

  /** Appends an EPB whose timestamp is given in the interface's own units (exact for ns and finer). */
  writePacketUnits(ifId: number, units: bigint, data: Uint8Array, wireLength: number = data.length): void {
    this.writePacketBlock(PCAPNG_BLOCK_EPB, ifId, Number(units >> 32n), Number(units & 0xffffffffn), data, wireLength);
  }

  /** Appends a Simple Packet Block (§4.4): interface 0, no timestamp; `data` should be min(wire, snaplen) bytes. */
  writeSimplePacket(data: Uint8Array, wireLength: number = data.length): void {
    const s = this.sink;
    const len = 16 + pad4(data.length);
    s.reserve(len);
    s.put32(PCAPNG_BLOCK_SPB);
    s.put32(len);
    s.put32(wireLength);
    s.putBytes(data);
    s.pad4(data.length);
    s.put32(len);
    this.written += len;
  }

  /** Appends an obsolete Packet Block (type 2, 16-bit interface id), which readers must still accept. */
  writeObsoletePacket(ifId: number, tsMicros: number, data: Uint8Array, wireLength: number = data.length): void {
    this.writePacketBlock(PCAPNG_BLOCK_PB, ifId, Math.floor(tsMicros / TWO_32), tsMicros % TWO_32, data, wireLength);
  }

  /** Appends any block with the given type and body (padded to 32 bits), e.g. a custom block. */
  writeBlock(type: number, body: Uint8Array): void {
    const s = this.sink;
    const len = 12 + pad4(body.length);
    s.reserve(len);
    s.put32(type);
    s.put32(len);
    s.putBytes(body);
    s.pad4(body.length);
    s.put32(len);
    this.written += len;
  }

  /** Flushes buffered blocks to the file. */
  flush(): void {
    this.sink.flush();
  }

  /** Flushes and closes (the descriptor is closed only if the writer opened it). Safe to call twice. */
  close(): void {
    this.sink.close();
  }

  private writePacketBlock(type: number, ifId: number, tsHigh: number, tsLow: number, data: Uint8Array, wireLength: number): void {
    const s = this.sink;
    const len = 32 + pad4(data.length);
    s.reserve(len);
    s.put32(type);
    s.put32(len);
    if (type === PCAPNG_BLOCK_PB) {
      s.put16(ifId);
      s.put16(0); // drops count
    } else s.put32(ifId);
    s.put32(tsHigh);
    s.put32(tsLow);
    s.put32(data.length);
    s.put32(wireLength);
    s.putBytes(data);
    s.pad4(data.length);
    s.put32(len);
    this.written += len;
  }

  /** One option: code, length, value, padding to 32 bits (§3.5). The caller reserved the room. */
  private putOption(code: number, value: Uint8Array): void {
    const s = this.sink;
    s.put16(code);
    s.put16(value.length);
    s.putBytes(value);
    s.pad4(value.length);
  }

  private put64(high: number, low: number): void {
    const s = this.sink;
    if (s.littleEndian) {
      s.put32(low);
      s.put32(high);
    } else {
      s.put32(high);
      s.put32(low);
    }
  }
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/**
 * An option's value from text (after `prefix`, a code byte, when given); null when there is no
 * text or it does not fit an option's 16-bit length (the option is then left out).
 */
function optionText(text: string | undefined, prefix?: number): Buffer | null {
  if (text === undefined) return null;
  const b = prefix === undefined ? Buffer.from(text, 'utf8') : Buffer.concat([Buffer.of(prefix), Buffer.from(text, 'utf8')]);
  return b.length <= 0xffff ? b : null;
}

/** Bytes an option with this value takes: its 4-byte header and the value padded to 32 bits. */
function optionBytes(value: Uint8Array): number {
  return 4 + pad4(value.length);
}

/** µs → units of an if_tsresol (floor); BigInt keeps ns and finer exact. Not on any per-packet read path. */
function microsToUnits(tsMicros: number, tsresol: number): bigint {
  const n = BigInt(tsresol & 0x7f);
  const us = BigInt(Math.floor(tsMicros));
  if ((tsresol & 0x80) !== 0) return (us << n) / 1000000n;
  return n >= 6n ? us * 10n ** (n - 6n) : us / 10n ** (6n - n);
}
