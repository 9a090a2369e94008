/**
 * Seeded, structure-aware mutation of capture files for the whole-pipeline fuzz loop: bit flips,
 * interesting byte values, truncation, lying length fields (pcap caplen/orig_len, pcapng block
 * and packet lengths, and 16-bit fields inside packets — IP, UDP, TLS, DNS lengths), spliced,
 * duplicated, dropped and reordered records, and inserted or deleted byte runs.
 *
 * Test code only. Deterministic: the same seed and input always give the same mutant, so any
 * failure can be replayed from `(file, seed)` alone. Never mutates its input in place.
 */

/** A small, fast, seedable PRNG (mulberry32); good enough to spread mutations, not for crypto. */
export class Rng {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform integer in [0, n). `n` must be >= 1. */
  below(n: number): number {
    return n <= 1 ? 0 : this.u32() % n;
  }

  /** One element of `xs` (non-empty). */
  pick<T>(xs: readonly T[]): T {
    return xs[this.below(xs.length)];
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }
}

/** Where one record (pcap) or block (pcapng) lives in a capture, and where its length fields are. */
export interface CaptureUnit {
  start: number;
  end: number;
  /** Offsets of 32-bit length fields in this unit (pcap caplen/orig_len, pcapng total/caplen). */
  lengthFields: number[];
  /** Packet bytes inside the unit: [dataStart, dataEnd) (empty for non-packet blocks). */
  dataStart: number;
  dataEnd: number;
}

/** The layout of a capture: header bytes [0, headerEnd) then units; `littleEndian` for length writes. */
export interface CaptureLayout {
  format: 'pcap' | 'pcapng' | 'unknown';
  littleEndian: boolean;
  headerEnd: number;
  units: CaptureUnit[];
}

const PCAP_MAGICS = [0xa1b2c3d4, 0xa1b23c4d];

/**
 * Splits a well-formed (or mostly well-formed) capture into units. Stops at the first unit that
 * does not fit; never throws. Unknown formats give one opaque unit covering the bytes.
 */
export function layoutOf(b: Uint8Array): CaptureLayout {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length >= 24) {
    const le = dv.getUint32(0, true);
    const be = dv.getUint32(0, false);
    if (PCAP_MAGICS.includes(le) || PCAP_MAGICS.includes(be)) {
      const little = PCAP_MAGICS.includes(le);
      const units: CaptureUnit[] = [];
      let p = 24;
      while (p + 16 <= b.length) {
        const caplen = dv.getUint32(p + 8, little);
        if (p + 16 + caplen > b.length) break;
        units.push({ start: p, end: p + 16 + caplen, lengthFields: [p + 8, p + 12], dataStart: p + 16, dataEnd: p + 16 + caplen });
        p += 16 + caplen;
      }
      return { format: 'pcap', littleEndian: little, headerEnd: 24, units };
    }
  }
  if (b.length >= 12 && dv.getUint32(0, true) === 0x0a0d0d0a) {
    const little = dv.getUint32(8, true) === 0x1a2b3c4d;
    const units: CaptureUnit[] = [];
    let p = 0;
    let lit = little;
    while (p + 12 <= b.length) {
      if (dv.getUint32(p, true) === 0x0a0d0d0a) lit = dv.getUint32(p + 8, true) === 0x1a2b3c4d;
      const type = dv.getUint32(p, lit);
      const len = dv.getUint32(p + 4, lit);
      if (len < 12 || p + len > b.length) break;
      const u: CaptureUnit = { start: p, end: p + len, lengthFields: [p + 4, p + len - 4], dataStart: p, dataEnd: p };
      if ((type === 6 || type === 2) && len >= 32) {
        u.lengthFields.push(p + 20, p + 24);
        u.dataStart = p + 28;
        u.dataEnd = Math.min(p + 28 + dv.getUint32(p + 20, lit), p + len - 4);
      } else if (type === 3 && len >= 16) {
        u.lengthFields.push(p + 8);
        u.dataStart = p + 12;
        u.dataEnd = p + len - 4;
      }
      units.push(u);
      p += len;
    }
    // The first SHB is a unit too; treat nothing as a fixed header so sections can be spliced.
    return { format: 'pcapng', littleEndian: little, headerEnd: 0, units };
  }
  return { format: 'unknown', littleEndian: true, headerEnd: 0, units: [] };
}

/**
 * Cuts a large capture down to its header plus the units that fit in `maxBytes`, on a unit
 * boundary (so the seed stays well-formed). Returns the input when it is already small enough.
 */
export function trimSeed(b: Uint8Array, maxBytes: number): Uint8Array {
  if (b.length <= maxBytes) return b;
  const l = layoutOf(b);
  let end = l.headerEnd;
  for (const u of l.units) {
    if (u.end > maxBytes) break;
    end = u.end;
  }
  return b.slice(0, Math.max(end, Math.min(b.length, 24)));
}

/** 32-bit values that make length checks go wrong: zero, tiny, off by one, sign bit, maximum. */
const LYING_U32 = [0, 1, 3, 4, 7, 8, 11, 12, 15, 16, 27, 28, 31, 32, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffc, 0x10000, 0x40001, 0x40000];
/** 16-bit values for length fields inside packets (IP total length, UDP length, TLS/DNS lengths). */
const LYING_U16 = [0, 1, 2, 4, 5, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0x3fff, 0x4000, 0x7fff, 0x8000, 0xfffe, 0xffff];
const INTERESTING_U8 = [0, 1, 0x0f, 0x10, 0x16, 0x3f, 0x40, 0x7f, 0x80, 0xc0, 0xfe, 0xff];

/** The mutation kinds, named so a failure message says what was done. */
export const MUTATIONS = [
  'bitflip', 'byte', 'truncate', 'lie-capture-length', 'lie-packet-length', 'splice', 'duplicate',
  'drop', 'swap', 'insert-bytes', 'delete-bytes', 'cross-splice',
] as const;
/** One mutation kind. */
export type MutationKind = (typeof MUTATIONS)[number];

function setU32(b: Uint8Array, p: number, v: number, little: boolean): void {
  if (p < 0 || p + 4 > b.length) return;
  new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(p, v >>> 0, little);
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Applies one mutation of `kind` to a copy of `input`. `donor` is another capture used by
 * `cross-splice` (its units are inserted into this one, whatever their format).
 */
export function mutateOnce(input: Uint8Array, kind: MutationKind, rng: Rng, donor?: Uint8Array): Uint8Array {
  const b = Uint8Array.from(input);
  if (b.length === 0) return b;
  const l = layoutOf(b);
  const units = l.units;
  switch (kind) {
    case 'bitflip': {
      const flips = 1 + rng.below(8);
      for (let i = 0; i < flips; i++) b[rng.below(b.length)] ^= 1 << rng.below(8);
      return b;
    }
    case 'byte': {
      const n = 1 + rng.below(4);
      for (let i = 0; i < n; i++) b[rng.below(b.length)] = rng.pick(INTERESTING_U8);
      return b;
    }
    case 'truncate':
      return b.slice(0, rng.below(b.length));
    case 'lie-capture-length': {
      if (units.length === 0) return mutateOnce(input, 'byte', rng);
      const u = rng.pick(units);
      const f = rng.pick(u.lengthFields);
      const cur = new DataView(b.buffer).getUint32(f, l.littleEndian);
      const v = rng.chance(0.5) ? rng.pick(LYING_U32) : (cur + rng.pick([-8, -4, -1, 1, 4, 8, 65536])) >>> 0;
      setU32(b, f, v, l.littleEndian);
      return b;
    }
    case 'lie-packet-length': {
      const withData = units.filter((u) => u.dataEnd - u.dataStart >= 2);
      if (withData.length === 0) return mutateOnce(input, 'byte', rng);
      const u = rng.pick(withData);
      // Any 16-bit position in the packet: headers put their length fields at small offsets, so
      // bias towards the first 64 bytes, where link, IP, UDP/TCP and TLS/DNS headers sit.
      const span = u.dataEnd - u.dataStart - 1;
      const at = u.dataStart + (rng.chance(0.7) ? rng.below(Math.min(span, 64)) : rng.below(span));
      const v = rng.pick(LYING_U16);
      b[at] = v >> 8;
      b[at + 1] = v & 0xff;
      return b;
    }
    case 'splice': {
      // Copy one unit of this file to another unit boundary.
      if (units.length === 0) return mutateOnce(input, 'bitflip', rng);
      const u = rng.pick(units);
      const at = rng.pick([...units.map((x) => x.start), b.length]);
      return concat([b.subarray(0, at), b.subarray(u.start, u.end), b.subarray(at)]);
    }
    case 'duplicate': {
      if (units.length === 0) return mutateOnce(input, 'bitflip', rng);
      const u = rng.pick(units);
      const times = 1 + rng.below(4);
      const parts = [b.subarray(0, u.end)];
      for (let i = 0; i < times; i++) parts.push(b.subarray(u.start, u.end));
      parts.push(b.subarray(u.end));
      return concat(parts);
    }
    case 'drop': {
      if (units.length === 0) return mutateOnce(input, 'truncate', rng);
      const u = rng.pick(units);
      return concat([b.subarray(0, u.start), b.subarray(u.end)]);
    }
    case 'swap': {
      if (units.length < 2) return mutateOnce(input, 'bitflip', rng);
      const i = rng.below(units.length - 1);
      const a = units[i];
      const c = units[i + 1 + rng.below(Math.min(4, units.length - i - 1))];
      return concat([b.subarray(0, a.start), b.subarray(c.start, c.end), b.subarray(a.end, c.start), b.subarray(a.start, a.end), b.subarray(c.end)]);
    }
    case 'insert-bytes': {
      const at = rng.below(b.length + 1);
      const n = 1 + rng.below(rng.chance(0.8) ? 16 : 4096);
      const ins = new Uint8Array(n);
      const fill = rng.chance(0.5) ? rng.pick(INTERESTING_U8) : -1;
      for (let i = 0; i < n; i++) ins[i] = fill >= 0 ? fill : rng.below(256);
      return concat([b.subarray(0, at), ins, b.subarray(at)]);
    }
    case 'delete-bytes': {
      const at = rng.below(b.length);
      const n = 1 + rng.below(Math.min(64, b.length - at));
      return concat([b.subarray(0, at), b.subarray(at + n)]);
    }
    case 'cross-splice': {
      if (!donor || donor.length === 0) return mutateOnce(input, 'splice', rng);
      const dl = layoutOf(donor);
      const piece = dl.units.length > 0 ? (() => { const u = rng.pick(dl.units); return donor.subarray(u.start, u.end); })() : donor.subarray(0, Math.min(donor.length, 256));
      const at = units.length > 0 ? rng.pick([...units.map((x) => x.start), b.length]) : rng.below(b.length + 1);
      return concat([b.subarray(0, at), piece, b.subarray(at)]);
    }
  }
}

/**
 * Applies 1 to `maxSteps` random mutations in sequence; returns the mutant and the kinds applied
 * (for the failure message). Deterministic for a given `rng` state.
 */
export function mutate(input: Uint8Array, rng: Rng, donors: readonly Uint8Array[], maxSteps = 4): { bytes: Uint8Array; steps: MutationKind[] } {
  let b = input;
  const steps: MutationKind[] = [];
  const n = 1 + rng.below(maxSteps);
  for (let i = 0; i < n; i++) {
    const kind = rng.pick(MUTATIONS);
    steps.push(kind);
    b = mutateOnce(b, kind, rng, donors.length > 0 ? rng.pick(donors) : undefined);
  }
  return { bytes: b, steps };
}
