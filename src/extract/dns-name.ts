/**
 * DNS domain-name reader (RFC 1035 §3.1, §4.1.4) with an interning cache: wire bytes →
 * dotted, lowercase presentation text. Used by the DNS message parser for every name in
 * a message (question, owner, and names inside CNAME/PTR/NS/MX/SRV/SOA/SVCB RDATA).
 *
 * Must never throw on packet bytes, never loop (pointers only go strictly backward and
 * jumps are capped), and never drop or mangle a byte: bytes that are not text are escaped as \DDD.
 */
import { A } from '../anomalies';
import { nameText } from './utf8';

/**
 * RFC 1035 §2.3.4: a name is at most 255 octets in wire form (length bytes + label bytes +
 * the terminating zero). Longer names are invalid everywhere, so we stop reading there.
 */
export const DNS_MAX_NAME_WIRE_LENGTH = 255;

/** RFC 1035 §2.3.4: labels are at most 63 octets; 63 is also the largest 6-bit length. */
export const DNS_MAX_LABEL_LENGTH = 63;

/**
 * Cap on compression-pointer jumps while reading one name. Every jump that contributes a
 * label adds at least 2 wire octets, so a 255-octet name needs at most 127 jumps; more
 * means pointer-to-pointer chains that add nothing (resource abuse), counted as a loop.
 * The strictly-backward rule already guarantees termination; this bounds the work.
 */
export const DNS_MAX_POINTER_JUMPS = 127;

/**
 * Interning cache slots (direct-mapped, power of two). A device's working set of names is
 * tens to a few hundred; 4096 slots keep the hit rate high while bounding memory to about
 * 4096 × (≤255-byte key + the string) ≈ 2 MB in the worst case. A colliding name simply
 * replaces the slot: no eviction bookkeeping on the hot path. Measured on the shared corpus's
 * DNS payloads: 776 → 256 ns/message for the questions-only parse (3.0x; the team measured
 * 1.7x on a DNS-heavy capture where messages carry more non-name work).
 */
export const DNS_NAME_CACHE_SLOTS = 4096;

/** Most labels a 255-octet name can hold (each label costs at least 2 octets). */
const MAX_LABELS = 128;

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 16777619;

/**
 * Reusable name cursor: `read()` fills `name`, `end` and `anomaly` instead of allocating a
 * result object per name (STYLE: a cursor, not a module-level side channel).
 * Owns a small intern cache; one reader per parser instance (or the shared default).
 */
export class DnsNameReader {
  /** Presentation text of the last name read: lowercase, dotted, no trailing dot, root = ".". */
  name = '.';
  /**
   * Offset just past the name's in-place bytes (after the first pointer, if any). Also set when
   * a read fails but the in-place bytes are intact (a bad pointer, a loop, a name over 255
   * octets), so the caller can skip just this name; -1 when even that is unknown.
   */
  end = 0;
  /** Anomaly id of the problem that stopped the last read, or -1 when it succeeded. */
  anomaly = -1;
  /** Cache statistics (for benchmarks and tests). */
  hits = 0;
  misses = 0;

  readonly #segStart = new Int32Array(MAX_LABELS);
  readonly #segLen = new Int32Array(MAX_LABELS);
  readonly #slotHash = new Int32Array(DNS_NAME_CACHE_SLOTS);
  readonly #slotKey: Array<Uint8Array | undefined> = new Array<Uint8Array | undefined>(DNS_NAME_CACHE_SLOTS).fill(undefined);
  readonly #slotName: string[] = new Array<string>(DNS_NAME_CACHE_SLOTS).fill('');
  readonly #intern: boolean;
  /**
   * The last name read in place (not through a pointer) inside the current message: where it
   * starts, the message it was read from, its text and the jumps it took. An answer's owner is
   * nearly always a bare pointer to the question name (0xC00C); reading it again would hash and
   * compare every byte of the name a second time. Set only between startMessage and endMessage,
   * so a name is never taken from another message that happens to sit at the same offset.
   */
  #memoPos = -1;
  #memoBuf: Uint8Array | null = null;
  #memoBase = 0;
  #memoEnd = 0;
  #memoName = '';
  #memoJumps = 0;
  #inMessage = false;

  /** `intern: false` builds every name afresh (only for benchmarks measuring the cache). */
  constructor(options: { intern?: boolean } = {}) {
    this.#intern = options.intern ?? true;
  }

  /**
   * Reads the name at `pos` of the message `buf[base, end)`. Pointer offsets are relative to
   * `base` (the first byte of the DNS header). Returns true on success; on failure sets
   * `anomaly` (the caller counts it) and leaves `name` unspecified. Never throws.
   */
  read(buf: Uint8Array, base: number, msgEnd: number, pos: number): boolean {
    if (this.#memoPos >= 0 && buf === this.#memoBuf && base === this.#memoBase && msgEnd === this.#memoEnd &&
      pos + 1 < msgEnd && (buf[pos] & 0xc0) === 0xc0) {
      // A bare pointer to the name read last, in the same message with the same end: the same
      // bytes under the same rules (the target is before `pos`, so the jump is valid, and the
      // name took fewer jumps than the cap, so one more is allowed) give the same name.
      const target = base + (((buf[pos] & 0x3f) << 8) | buf[pos + 1]);
      if (target === this.#memoPos && target < pos && this.#memoJumps < DNS_MAX_POINTER_JUMPS) {
        this.end = pos + 2;
        this.anomaly = -1;
        this.name = this.#memoName;
        return true;
      }
    }
    let p = pos;
    // RFC 1035 §4.1.4 says a pointer refers to a *prior* occurrence. We demand more: the target
    // must lie strictly before the start of the run of bytes being read now (`runStart`), so
    // every jump moves to a lower offset and no byte is read twice: loops are impossible.
    let runStart = pos;
    let after = -1;
    let wireLength = 1; // the terminating zero octet
    let jumps = 0;
    let labels = 0;
    let hash = FNV_OFFSET;
    const segStart = this.#segStart;
    const segLen = this.#segLen;
    for (;;) {
      if (p >= msgEnd) return this.#fail(A['dns.truncated'], after);
      const b = buf[p];
      if (b === 0) {
        if (after < 0) after = p + 1;
        break;
      }
      const kind = b & 0xc0;
      if (kind === 0xc0) {
        if (p + 1 >= msgEnd) return this.#fail(A['dns.truncated'], after);
        const target = base + (((b & 0x3f) << 8) | buf[p + 1]);
        if (after < 0) after = p + 2;
        if (target > p) return this.#fail(A['dns.bad_pointer'], after); // forward: never "prior"
        if (target >= runStart) return this.#fail(A['dns.pointer_loop'], after); // itself or its own run
        if (++jumps > DNS_MAX_POINTER_JUMPS) return this.#fail(A['dns.pointer_loop'], after);
        runStart = target;
        p = target;
        continue;
      }
      if (kind !== 0) {
        // 0x40: a 64-octet label written by a buggy encoder, the overwhelmingly likely reading.
        // 0x41-0x7F: extended label types (RFC 6891 §5; 0x41 = binary labels, RFC 2673, historic).
        // 0x80-0xBF: reserved (RFC 1035 §4.1.4). The label's length is unknowable: stop here.
        return this.#fail(b === DNS_MAX_LABEL_LENGTH + 1 ? A['dns.label_too_long'] : A['dns.bad_label_type'], after);
      }
      const start = p + 1;
      if (start + b > msgEnd) return this.#fail(A['dns.truncated'], after);
      wireLength += b + 1;
      if (wireLength > DNS_MAX_NAME_WIRE_LENGTH) {
        // Skippable when still in place: a hostile response must not hide its answers behind one long name.
        return this.#fail(A['dns.name_too_long'], after >= 0 ? after : skipInPlace(buf, msgEnd, start + b));
      }
      segStart[labels] = start;
      segLen[labels] = b;
      labels++;
      hash = Math.imul(hash ^ b, FNV_PRIME);
      for (let i = start; i < start + b; i++) {
        let c = buf[i];
        if (c >= 0x41 && c <= 0x5a) c |= 0x20;
        hash = Math.imul(hash ^ c, FNV_PRIME);
      }
      p = start + b;
    }
    this.end = after;
    this.anomaly = -1;
    const name = labels === 0 ? '.' : this.#lookup(buf, labels, wireLength, hash);
    this.name = name;
    if (this.#inMessage && (buf[pos] & 0xc0) !== 0xc0) {
      this.#memoPos = pos;
      this.#memoBuf = buf;
      this.#memoBase = base;
      this.#memoEnd = msgEnd;
      this.#memoName = name;
      this.#memoJumps = jumps;
    }
    return true;
  }

  /** Names read from now until endMessage come from one message (see the memo above). */
  startMessage(): void {
    this.#inMessage = true;
    this.#memoPos = -1;
  }

  /** The message's bytes may be reused from now on: forget its names. */
  endMessage(): void {
    this.#inMessage = false;
    this.#memoPos = -1;
    this.#memoBuf = null;
  }

  #fail(anomaly: number, end: number): false {
    this.anomaly = anomaly;
    this.end = end;
    return false;
  }

  /** Returns the cached string for these label bytes, or builds, caches and returns it. */
  #lookup(buf: Uint8Array, labels: number, wireLength: number, hash: number): string {
    const slot = (hash ^ (hash >>> 16)) & (DNS_NAME_CACHE_SLOTS - 1);
    const key = this.#slotKey[slot];
    if (this.#intern && key !== undefined && this.#slotHash[slot] === hash && key.length === wireLength && this.#sameKey(buf, labels, key)) {
      this.hits++;
      return this.#slotName[slot];
    }
    this.misses++;
    const fresh = new Uint8Array(wireLength);
    let k = 0;
    let text = '';
    for (let l = 0; l < labels; l++) {
      const start = this.#segStart[l];
      const len = this.#segLen[l];
      fresh[k++] = len;
      if (l > 0) text += '.';
      text += escapeLabel(buf, start, len);
      for (let i = start; i < start + len; i++) {
        const c = buf[i];
        fresh[k++] = c >= 0x41 && c <= 0x5a ? c | 0x20 : c;
      }
    }
    this.#slotHash[slot] = hash;
    this.#slotKey[slot] = fresh;
    this.#slotName[slot] = text;
    return text;
  }

  #sameKey(buf: Uint8Array, labels: number, key: Uint8Array): boolean {
    let k = 0;
    for (let l = 0; l < labels; l++) {
      const start = this.#segStart[l];
      const len = this.#segLen[l];
      if (key[k++] !== len) return false;
      for (let i = start; i < start + len; i++) {
        let c = buf[i];
        if (c >= 0x41 && c <= 0x5a) c |= 0x20;
        if (key[k++] !== c) return false;
      }
    }
    return true;
  }
}

/** Offset after the in-place labels from `p` (through the zero octet or the first pointer), or -1. */
function skipInPlace(buf: Uint8Array, msgEnd: number, p: number): number {
  while (p < msgEnd) {
    const b = buf[p];
    if (b === 0) return p + 1;
    if ((b & 0xc0) === 0xc0) return p + 2 <= msgEnd ? p + 2 : -1;
    if ((b & 0xc0) !== 0) return -1;
    p += 1 + b;
  }
  return -1;
}

/**
 * One label as presentation text, lowercased (RFC 4343 §3: DNS compares ASCII letters
 * case-insensitively; we report lowercase). Printable ASCII, spaces and well-formed UTF-8 are
 * text (DNS-SD instance names such as "John’s MacBook Pro", RFC 6763 §4.1.1; mDNS names are
 * UTF-8, RFC 6762 §16), shown as tshark shows them; every other byte, '.' and '\' become \DDD
 * decimal escapes (RFC 4343 §2.1, RFC 1035 §5.1), so nothing is lost or ambiguous (utf8.ts).
 */
function escapeLabel(buf: Uint8Array, start: number, len: number): string {
  let plain = true;
  for (let i = start; i < start + len; i++) {
    const c = buf[i];
    if (c < 0x21 || c > 0x7e || c === 0x2e || c === 0x5c || (c >= 0x41 && c <= 0x5a)) {
      plain = false;
      break;
    }
  }
  if (plain) return String.fromCharCode.apply(null, buf.subarray(start, start + len) as unknown as number[]);
  return nameText(buf, start, start + len, true, true);
}
