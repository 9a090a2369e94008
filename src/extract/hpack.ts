/**
 * HPACK header-block decoding (RFC 7541) for the requests of HTTP/2 sent in cleartext (h2c, see
 * http2-client.ts): integers (§5.1), string literals with or without Huffman coding (§5.2 and
 * Appendix B), the static table (Appendix A) and the dynamic table with its size accounting,
 * eviction and size updates (§4). It keeps the table in step over every field and reports only
 * the fields that name the server (`:authority`, `host`); it interprets no other header.
 *
 * Must never throw on input bytes, never read outside [s, e), and never allocate from a length
 * it has not checked: a string's length is checked against the bytes left in the block before
 * anything is decoded, and the dynamic table never holds more than MAX_TABLE_SIZE bytes.
 */

/** RFC 7541 Appendix A: the static table, names and values (index 1 is `:authority`, 38 `host`). */
const STATIC_TABLE: readonly (readonly [string, string])[] = [
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'],
  [':scheme', 'http'], [':scheme', 'https'], [':status', '200'], [':status', '204'], [':status', '206'],
  [':status', '304'], [':status', '400'], [':status', '404'], [':status', '500'], ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''], ['accept', ''],
  ['access-control-allow-origin', ''], ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''],
  ['content-disposition', ''], ['content-encoding', ''], ['content-language', ''], ['content-length', ''],
  ['content-location', ''], ['content-range', ''], ['content-type', ''], ['cookie', ''], ['date', ''], ['etag', ''],
  ['expect', ''], ['expires', ''], ['from', ''], ['host', ''], ['if-match', ''], ['if-modified-since', ''],
  ['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''], ['last-modified', ''], ['link', ''],
  ['location', ''], ['max-forwards', ''], ['proxy-authenticate', ''], ['proxy-authorization', ''], ['range', ''],
  ['referer', ''], ['refresh', ''], ['retry-after', ''], ['server', ''], ['set-cookie', ''],
  ['strict-transport-security', ''], ['transfer-encoding', ''], ['user-agent', ''], ['vary', ''], ['via', ''],
  ['www-authenticate', ''],
];
const STATIC_ENTRIES = STATIC_TABLE.length; // 61
const STATIC_VALUES: readonly Uint8Array[] = STATIC_TABLE.map(([, v]) => Buffer.from(v, 'latin1'));

/**
 * RFC 7541 Appendix B: the code length in bits of each symbol, 0–255 and EOS (256). The code is
 * canonical (codes of one length are consecutive, in symbol order, and shorter codes come
 * first), so the lengths determine every code; checked against the appendix's codes.
 */
const HUFFMAN_LENGTHS = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
];
const EOS = 256;
const MAX_CODE_BITS = 30;

/** Canonical decoding tables: per code length, the first code, how many codes, where their symbols start in HUFFMAN_SYMBOLS. */
const HUFFMAN_FIRST = new Int32Array(MAX_CODE_BITS + 1);
const HUFFMAN_COUNT = new Int32Array(MAX_CODE_BITS + 1);
const HUFFMAN_OFFSET = new Int32Array(MAX_CODE_BITS + 1);
/** Symbols in code order (by length, then symbol). */
const HUFFMAN_SYMBOLS = new Uint16Array(HUFFMAN_LENGTHS.length);
{
  for (const l of HUFFMAN_LENGTHS) HUFFMAN_COUNT[l]++;
  let code = 0;
  let at = 0;
  for (let l = 1; l <= MAX_CODE_BITS; l++) {
    code = (code + HUFFMAN_COUNT[l - 1]) << 1;
    HUFFMAN_FIRST[l] = code;
    HUFFMAN_OFFSET[l] = at;
    at += HUFFMAN_COUNT[l];
  }
  const fill = new Int32Array(HUFFMAN_OFFSET);
  for (let s = 0; s < HUFFMAN_LENGTHS.length; s++) HUFFMAN_SYMBOLS[fill[HUFFMAN_LENGTHS[s]]++] = s;
}

/**
 * The dynamic table's size before the encoder says otherwise: SETTINGS_HEADER_TABLE_SIZE's
 * initial value (RFC 9113 §6.5.2), which only the server's SETTINGS can raise.
 */
export const DEFAULT_TABLE_SIZE = 4096;
/**
 * Largest table a size update may ask for. The limit is the server's setting, which the client's
 * stream does not show; no common server offers more than 64 KiB, and the bound keeps a hostile
 * stream from making the table hold more.
 */
export const MAX_TABLE_SIZE = 65536;
/** RFC 7541 §4.1: an entry's size is its name's and value's lengths plus 32. */
const ENTRY_OVERHEAD = 32;
/** Integers past 2^28 are refused: no length or index in a block this tool reads comes near. */
const MAX_INTEGER_SHIFT = 28;

/** Decodes the header blocks of one direction of one connection, in order (the table carries over). */
export class HpackDecoder {
  /** The first `:authority` value of the last block decoded, bytes as sent; null when it had none. */
  authority: Uint8Array | null = null;
  /** The first `host` value of the last block decoded (an HTTP/1-style request converted to HTTP/2). */
  host: Uint8Array | null = null;
  /** Fields the last block held. */
  fields = 0;

  /** Dynamic table, oldest first: index 62 is the newest (the last element). */
  private names: string[] = [];
  private values: Uint8Array[] = [];
  private size = 0;
  private maxSize = DEFAULT_TABLE_SIZE;
  /** Position after the last integer or string read. */
  private pos = 0;
  /** Scratch for decoded strings: at most 8 symbols per 5 bits of input. */
  private scratch = new Uint8Array(256);

  /**
   * Decodes the header block buf[s, e). Returns false when it is malformed (RFC 7541 §5 and §6
   * decoding errors: an index past the tables, a bad integer or string, Huffman padding that is
   * not EOS's prefix or is longer than 7 bits, EOS itself); the table may then be out of step,
   * so no later block of the connection should be trusted.
   */
  decodeBlock(buf: Uint8Array, s: number, e: number): boolean {
    this.authority = null;
    this.host = null;
    this.fields = 0;
    if (s < 0 || e > buf.length || s > e) return false;
    let p = s;
    while (p < e) {
      const b = buf[p];
      if ((b & 0x80) !== 0) {
        // §6.1 Indexed Header Field.
        const index = this.readInt(buf, p, e, 7);
        const name = index > 0 ? this.nameAt(index) : null;
        if (name === null) return false;
        this.take(name, this.valueAt(index));
        p = this.pos;
      } else if ((b & 0xe0) === 0x20) {
        // §6.3 Dynamic Table Size Update.
        const size = this.readInt(buf, p, e, 5);
        if (size < 0 || size > MAX_TABLE_SIZE) return false;
        this.maxSize = size;
        this.evictTo(size);
        p = this.pos;
      } else {
        // §6.2.1 with incremental indexing (01), §6.2.2 without (0000), §6.2.3 never indexed (0001).
        const indexing = (b & 0xc0) === 0x40;
        const nameIndex = this.readInt(buf, p, e, indexing ? 6 : 4);
        if (nameIndex < 0) return false;
        let name: string | null;
        if (nameIndex === 0) {
          const n = this.readString(buf, this.pos, e);
          if (n === null) return false;
          name = latin1(n);
        } else {
          name = this.nameAt(nameIndex);
          if (name === null) return false;
        }
        const value = this.readString(buf, this.pos, e);
        if (value === null) return false;
        p = this.pos;
        this.take(name, value);
        if (indexing) this.insert(name, value.slice());
      }
    }
    return true;
  }

  /** Name of table entry `index` (1-based over static then dynamic), null past the end. */
  private nameAt(index: number): string | null {
    if (index <= STATIC_ENTRIES) return STATIC_TABLE[index - 1][0];
    const d = index - STATIC_ENTRIES - 1;
    return d < this.names.length ? this.names[this.names.length - 1 - d] : null;
  }

  private valueAt(index: number): Uint8Array {
    if (index <= STATIC_ENTRIES) return STATIC_VALUES[index - 1];
    return this.values[this.values.length - 1 - (index - STATIC_ENTRIES - 1)];
  }

  /** One field, indexed or literal (`value` may be scratch or a table entry: copied when kept). */
  private take(name: string, value: Uint8Array): void {
    this.fields++;
    if (name === ':authority' || name === 'host') this.note(name, value.slice());
  }

  private note(name: string, value: Uint8Array): void {
    if (name === ':authority') { if (this.authority === null) this.authority = value; }
    else if (this.host === null) this.host = value;
  }

  /** §4.4: evicts from the oldest end until the entry fits; an entry larger than the table empties it. */
  private insert(name: string, value: Uint8Array): void {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    if (size > this.maxSize) {
      this.evictTo(0);
      return;
    }
    this.evictTo(this.maxSize - size);
    this.names.push(name);
    this.values.push(value);
    this.size += size;
  }

  private evictTo(limit: number): void {
    let drop = 0;
    while (this.size > limit && drop < this.names.length) {
      this.size -= this.names[drop].length + this.values[drop].length + ENTRY_OVERHEAD;
      drop++;
    }
    if (drop > 0) {
      this.names.splice(0, drop);
      this.values.splice(0, drop);
    }
  }

  /** §5.1: an integer with an `n`-bit prefix at buf[p]; -1 when cut short or too large. Sets `pos`. */
  private readInt(buf: Uint8Array, p: number, e: number, n: number): number {
    const max = (1 << n) - 1;
    let v = buf[p] & max;
    p++;
    if (v < max) {
      this.pos = p;
      return v;
    }
    for (let shift = 0; shift <= MAX_INTEGER_SHIFT; shift += 7) {
      if (p >= e) return -1;
      const b = buf[p++];
      v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) {
        this.pos = p;
        return v;
      }
    }
    return -1;
  }

  /**
   * §5.2: a string literal at buf[p]. Returns its bytes (a view of the scratch buffer, valid
   * until the next read) or null when it is cut short or its Huffman coding is bad. Sets `pos`.
   */
  private readString(buf: Uint8Array, p: number, e: number): Uint8Array | null {
    if (p >= e) return null;
    const huffman = (buf[p] & 0x80) !== 0;
    const len = this.readInt(buf, p, e, 7);
    if (len < 0 || len > e - this.pos) return null;
    const s = this.pos;
    this.pos = s + len;
    if (!huffman) return buf.subarray(s, s + len);
    // The shortest code is 5 bits: at most 8 symbols per 5 bytes.
    const most = Math.ceil((len * 8) / 5);
    if (this.scratch.length < most) this.scratch = new Uint8Array(most);
    const n = huffmanDecode(buf, s, s + len, this.scratch);
    return n < 0 ? null : this.scratch.subarray(0, n);
  }
}

/**
 * Decodes the Huffman-coded bytes buf[s, e) into `out` (room for ceil(8 * (e - s) / 5) bytes).
 * Returns the decoded length, or -1 for RFC 7541 §5.2's errors: EOS decoded, padding longer
 * than 7 bits, or padding that is not the most significant bits of EOS (all ones).
 */
export function huffmanDecode(buf: Uint8Array, s: number, e: number, out: Uint8Array): number {
  let code = 0;
  let bits = 0;
  let n = 0;
  for (let p = s; p < e; p++) {
    const byte = buf[p];
    for (let k = 7; k >= 0; k--) {
      code = (code << 1) | ((byte >>> k) & 1);
      bits++;
      const i = code - HUFFMAN_FIRST[bits];
      if (i >= 0 && i < HUFFMAN_COUNT[bits]) {
        const sym = HUFFMAN_SYMBOLS[HUFFMAN_OFFSET[bits] + i];
        if (sym === EOS) return -1;
        out[n++] = sym;
        code = 0;
        bits = 0;
      } else if (bits >= MAX_CODE_BITS) {
        return -1;
      }
    }
  }
  if (bits > 7 || code !== (1 << bits) - 1) return -1;
  return n;
}

/** The bytes as a string of the same length (HTTP/2 field names are lowercase ASCII; anything else stays distinct). */
function latin1(b: Uint8Array): string {
  let out = '';
  for (let i = 0; i < b.length; i++) out += String.fromCharCode(b[i]);
  return out;
}
