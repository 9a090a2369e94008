/**
 * Minimal capture-file serialisation for the generator: classic pcap (µs or ns magic, either
 * byte order) and pcapng (SHB, one IDB per interface with if_tsresol, EPBs).
 *
 * Test tooling only, deliberately independent of src/capture/ (the writers under test there
 * must not be used to make the fixtures that test their readers). Never writes anything that
 * depends on the host (no hostname, OS or clock in SHB/IDB options): same records, same bytes.
 */
import { ByteWriter } from './bytes';

/** One packet to write. Time is integer nanoseconds since the Unix epoch. */
export interface CaptureRecord {
  tsNs: bigint;
  /** pcapng interface index (ignored by classic pcap). */
  interfaceId: number;
  data: Uint8Array;
  /** Original length on the wire; defaults to data.length. */
  origLen?: number;
}

/** Classic pcap file header parameters (tcpdump.org/manpages/pcap-savefile.5.html). */
export interface PcapOptions {
  linkType: number;
  snaplen?: number;
  /** Write magic 0xa1b23c4d and nanosecond fractions instead of 0xa1b2c3d4 and microseconds. */
  nanosecond?: boolean;
  bigEndian?: boolean;
}

/** Little- or big-endian writer on top of ByteWriter (which is big-endian). */
class EndianWriter {
  readonly w = new ByteWriter();
  constructor(private readonly big: boolean) {}
  u16(v: number): this {
    if (this.big) this.w.u16(v);
    else this.w.u8(v).u8(v >>> 8);
    return this;
  }
  u32(v: number): this {
    if (this.big) this.w.u32(v);
    else this.w.u8(v).u8(v >>> 8).u8(v >>> 16).u8(v >>> 24);
    return this;
  }
  bytes(b: Uint8Array): this {
    this.w.bytes(b);
    return this;
  }
  pad4(): this {
    while (this.w.length % 4 !== 0) this.w.u8(0);
    return this;
  }
}

/** Serialises records as a classic pcap file, in the order given. Captured length is capped at the snaplen. */
export function serializePcap(records: readonly CaptureRecord[], o: PcapOptions): Uint8Array {
  const snaplen = o.snaplen ?? 262144;
  const e = new EndianWriter(o.bigEndian ?? false);
  e.u32(o.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0).u32(snaplen).u32(o.linkType);
  const div = o.nanosecond ? 1n : 1000n;
  for (const r of records) {
    const caplen = Math.min(r.data.length, snaplen);
    e.u32(Number(r.tsNs / 1_000_000_000n)).u32(Number((r.tsNs % 1_000_000_000n) / div));
    e.u32(caplen).u32(r.origLen ?? r.data.length).bytes(r.data.subarray(0, caplen));
  }
  return e.w.toBytes();
}

/** One pcapng interface (IDB). `tsresol` is the decimal exponent: 6 = µs, 9 = ns. */
export interface PcapngInterface {
  linkType: number;
  snaplen?: number;
  tsresol: 6 | 9;
  name: string;
}

const BLOCK_SHB = 0x0a0d0d0a;
const BLOCK_IDB = 0x00000001;
const BLOCK_EPB = 0x00000006;
const OPT_ENDOFOPT = 0;
const OPT_SHB_USERAPPL = 4;
const OPT_IF_NAME = 2;
const OPT_IF_TSRESOL = 9;

function block(big: boolean, type: number, body: Uint8Array): Uint8Array {
  const total = 12 + body.length;
  return new EndianWriter(big).u32(type).u32(total).bytes(body).u32(total).w.toBytes();
}

function option(e: EndianWriter, code: number, value: Uint8Array): void {
  e.u16(code).u16(value.length).bytes(value).pad4();
}

/**
 * Apple's additions, as macOS's tcpdump writes them from its pktap interface (libpcap's
 * pcap-ng.h in Apple's open source): Process Information Blocks (type 0x80000001: a pid, then
 * the name as option 2), numbered in order, and per packet the EPB options 0x8001 (its process
 * block's number) and 0x8003 (the effective process's).
 */
export interface ApplePcapngProcesses {
  processes: readonly { pid: number; name: string }[];
  /** The process block numbers of record `r`: its own and, when set, the effective one. */
  of(r: CaptureRecord): { own: number; effective?: number } | null;
}
const BLOCK_APPLE_PIB = 0x80000001;
const OPT_PIB_NAME = 2;
const OPT_EPB_PIB_INDEX = 0x8001;
const OPT_EPB_E_PIB_INDEX = 0x8003;

/**
 * Serialises records as a pcapng file (draft-ietf-opsawg-pcapng): one SHB, one IDB per
 * interface (always with an explicit if_tsresol), Apple's process blocks when given, then one
 * EPB per record in the order given.
 */
export function serializePcapng(records: readonly CaptureRecord[], interfaces: readonly PcapngInterface[], bigEndian = false, apple?: ApplePcapngProcesses): Uint8Array {
  const parts: Uint8Array[] = [];
  const shb = new EndianWriter(bigEndian).u32(0x1a2b3c4d).u16(1).u16(0).u32(0xffffffff).u32(0xffffffff);
  option(shb, OPT_SHB_USERAPPL, new TextEncoder().encode('egress-audit test/gen/make-captures.ts'));
  shb.u16(OPT_ENDOFOPT).u16(0);
  parts.push(block(bigEndian, BLOCK_SHB, shb.w.toBytes()));
  for (const itf of interfaces) {
    const idb = new EndianWriter(bigEndian).u16(itf.linkType).u16(0).u32(itf.snaplen ?? 262144);
    option(idb, OPT_IF_NAME, new TextEncoder().encode(itf.name));
    option(idb, OPT_IF_TSRESOL, Uint8Array.of(itf.tsresol));
    idb.u16(OPT_ENDOFOPT).u16(0);
    parts.push(block(bigEndian, BLOCK_IDB, idb.w.toBytes()));
  }
  for (const proc of apple?.processes ?? []) {
    const pib = new EndianWriter(bigEndian).u32(proc.pid);
    option(pib, OPT_PIB_NAME, new TextEncoder().encode(proc.name));
    pib.u16(OPT_ENDOFOPT).u16(0);
    parts.push(block(bigEndian, BLOCK_APPLE_PIB, pib.w.toBytes()));
  }
  for (const r of records) {
    const itf = interfaces[r.interfaceId];
    if (!itf) throw new Error(`record on unknown interface ${r.interfaceId}`);
    const ticks = itf.tsresol === 9 ? r.tsNs : r.tsNs / 1000n;
    const caplen = Math.min(r.data.length, itf.snaplen ?? 262144);
    const epb = new EndianWriter(bigEndian).u32(r.interfaceId).u32(Number(ticks >> 32n)).u32(Number(ticks & 0xffffffffn))
      .u32(caplen).u32(r.origLen ?? r.data.length).bytes(r.data.subarray(0, caplen)).pad4();
    const proc = apple?.of(r) ?? null;
    if (proc !== null) {
      const le = (v: number): Uint8Array => new EndianWriter(bigEndian).u32(v).w.toBytes();
      option(epb, OPT_EPB_PIB_INDEX, le(proc.own));
      if (proc.effective !== undefined) option(epb, OPT_EPB_E_PIB_INDEX, le(proc.effective));
      epb.u16(OPT_ENDOFOPT).u16(0);
    }
    parts.push(block(bigEndian, BLOCK_EPB, epb.w.toBytes()));
  }
  const out = new ByteWriter();
  for (const p of parts) out.bytes(p);
  return out.toBytes();
}
