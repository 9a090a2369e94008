/**
 * Google QUIC (gQUIC) client hello: the server name from a CHLO handshake message in the
 * client's first UDP datagram, for the pre-IETF versions that send it in plaintext (Q024–Q046).
 *
 * What it is for: older Chrome/Android and Google apps spoke gQUIC; its CHLO carries the server
 * name in an `SNI` tag and the client's user agent in `UAID`, unencrypted (gQUIC "null
 * encryption": a 12-byte FNV-1a-128 hash, not a cipher). Two header shapes occur:
 *   - the gQUIC public header (Q024–Q043): flags byte, 0/1/4/8-byte connection ID, then the
 *     ASCII version ("Q043") when the version flag (0x01) is set;
 *   - the "IETF-style" long header of Q044–Q046: 0x80 set, version, one byte with the
 *     two connection-ID lengths as nibbles (value + 3 when non-zero; draft-ietf-quic-invariants
 *     before draft-22), then a 4-byte packet number.
 * Q050 and the T05x versions encrypt their Initials with keys derived like IETF drafts
 * (different salts); this plaintext reader reports them as `encrypted`, never guesses, and
 * ./quic-initial.ts decrypts them (its CHLO check for Q050 uses `chloMessageLength` and
 * `parseChloMessage` from here).
 *
 * The CHLO is located by its tag after the header rather than by decoding every gQUIC frame
 * (the STREAM frame layout changed several times between versions); the match is then checked
 * structurally (tag count bound, non-decreasing end offsets inside the packet), so random bytes
 * spelling "CHLO" do not produce a result.
 *
 * What it must never do: throw on bytes, read outside `[off, off + len)`, or allocate anything
 * but the result strings. Facts only: no decision on whether gQUIC is acceptable.
 */

/** ASCII "CHLO" read as a big-endian u32 (the message tag is sent in ASCII order). */
const TAG_CHLO = 0x43484c4f;
/** "SNI\0" and "UAID" as they appear on the wire (ASCII order). */
const TAG_SNI = 0x534e4900;
const TAG_UAID = 0x55414944;

/**
 * Upper bound on CHLO tag-value pairs. Chromium's CryptoFramer rejects messages with more than
 * 128 entries (kMaxEntries); real CHLOs carry about 20–30.
 */
export const GQUIC_MAX_CHLO_TAGS = 128;
/** Longest SNI / UAID value we copy out; DNS names are ≤ 253 bytes, user agents are short. */
export const GQUIC_MAX_VALUE_BYTES = 1024;
/** Largest UDP payload (65 535 − 8-byte UDP header). */
const MAX_UDP_PAYLOAD = 65527;

/** Facts from one CHLO. */
export interface GquicChlo {
  /** The version tag as sent, e.g. "Q046". */
  version: string;
  /** The version as the u32 the wire carries (e.g. 0x51303436). */
  versionNumber: number;
  /** `SNI` tag value (non-printable bytes escaped as \ooo, as tshark shows them), or null. */
  sni: string | null;
  /** `UAID` tag value (user agent id), or null. */
  uaid: string | null;
  /** Number of tag-value pairs in the message. */
  tagCount: number;
  /** False when the value area runs past the end of this packet (a CHLO spanning packets). */
  complete: boolean;
}

/** Outcome of `parseGquicPacket`. */
export type GquicResult =
  | { kind: 'found'; chlo: GquicChlo }
  /** Not a gQUIC packet with a version we recognise. */
  | { kind: 'not-gquic' }
  /** A gQUIC packet of a plaintext version that carries no CHLO (or not one we could validate). */
  | { kind: 'no-chlo'; versionNumber: number }
  /** Q050 / T050 / T051: Initials are encrypted; not decrypted here. */
  | { kind: 'encrypted'; versionNumber: number };

/** True for "Q0dd" / "T0dd" version tags (Google QUIC), read as a big-endian u32. */
export function isGquicVersion(version: number): boolean {
  const a = version >>> 24;
  const b = (version >>> 16) & 0xff;
  const c = (version >>> 8) & 0xff;
  const d = version & 0xff;
  return (a === 0x51 || a === 0x54) && b === 0x30 && isDigit(c) && isDigit(d);
}

/** Version number in the tag ("Q046" → 46), or -1 when not a gQUIC tag. */
function gquicVersionNumber(version: number): number {
  if (!isGquicVersion(version)) return -1;
  return ((version >>> 8) & 0xff) * 10 + (version & 0xff) - 0x30 * 11;
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

function u32be(buf: Uint8Array, p: number): number {
  return ((buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]) >>> 0;
}

function u32le(buf: Uint8Array, p: number): number {
  return ((buf[p + 3] << 24) | (buf[p + 2] << 16) | (buf[p + 1] << 8) | buf[p]) >>> 0;
}

/**
 * Where the version of a gQUIC client packet sits and where its payload begins, or null.
 * Handles both header shapes described in the module comment.
 */
function locateGquicHeader(buf: Uint8Array, off: number, end: number): { version: number; payload: number } | null {
  if (end - off < 13) return null;
  const b0 = buf[off];
  if ((b0 & 0x80) !== 0) {
    // Q044–Q046 long header: flags, version, CID-length nibbles, (DCID, SCID), packet number.
    const version = u32be(buf, off + 1);
    if (!isGquicVersion(version)) return null;
    const lens = buf[off + 5];
    const dcil = lens >> 4 === 0 ? 0 : (lens >> 4) + 3;
    const scil = (lens & 0x0f) === 0 ? 0 : (lens & 0x0f) + 3;
    const payload = off + 6 + dcil + scil;
    if (payload > end) return null;
    return { version, payload };
  }
  // Public header (Q024–Q043): the version is present only with PUBLIC_FLAG_VERSION (0x01).
  if ((b0 & 0x01) === 0) return null;
  // Connection ID length bits 0x0c: 0x0c → 8 bytes; 0x08 meant 4 bytes before Q034 and
  // 8 bytes later, 0x04 → 1 byte. Try the candidates and accept where a version tag sits.
  const candidates = (b0 & 0x0c) === 0x0c ? [8] : (b0 & 0x0c) === 0x08 ? [8, 4] : (b0 & 0x0c) === 0x04 ? [1] : [0];
  for (const cidLen of candidates) {
    const vpos = off + 1 + cidLen;
    if (vpos + 4 > end) continue;
    const version = u32be(buf, vpos);
    if (isGquicVersion(version) && version >>> 24 === 0x51) return { version, payload: vpos + 4 };
  }
  return null;
}

/**
 * Parses the client's gQUIC packet at `buf[off, off + len)` (one UDP payload) and returns the
 * CHLO's SNI and UAID when it carries a CHLO.
 */
export function parseGquicPacket(buf: Uint8Array, off: number, len: number): GquicResult {
  if (off < 0 || len < 0 || off + len > buf.length || len > MAX_UDP_PAYLOAD) return { kind: 'not-gquic' };
  const end = off + len;
  const h = locateGquicHeader(buf, off, end);
  if (h === null) return { kind: 'not-gquic' };
  const n = gquicVersionNumber(h.version);
  // Q050 and T05x (and anything newer) encrypt Initials; T0xx always carries TLS.
  if (n >= 50 || h.version >>> 24 === 0x54) return { kind: 'encrypted', versionNumber: h.version };
  // The CHLO starts within the first frame: after packet number, 12-byte hash, private flags
  // (before Q034) and a STREAM frame header (≤ 1 + 4 + 8 + 2 bytes). 64 bytes bounds the search.
  const searchEnd = Math.min(end - 8, h.payload + 64);
  for (let p = h.payload; p <= searchEnd; p++) {
    if (buf[p] !== 0x43 || u32be(buf, p) !== TAG_CHLO) continue;
    const chlo = parseChloMessage(buf, p, end - p, h.version);
    if (chlo !== null) return { kind: 'found', chlo };
  }
  return { kind: 'no-chlo', versionNumber: h.version };
}

/**
 * Length of the CHLO message starting at `buf[off]`, judged from the `len` bytes there: the
 * whole message's length once its header and tag table are present, 0 while more bytes are
 * needed to tell, −1 when the bytes are not a CHLO (wrong tag, no entries or more than
 * GQUIC_MAX_CHLO_TAGS). Used where a CHLO arrives in pieces (Q050 CRYPTO frames).
 */
export function chloMessageLength(buf: Uint8Array, off: number, len: number): number {
  if (off < 0 || len < 0 || off + len > buf.length) return -1;
  if (len < 4) {
    for (let i = 0; i < len; i++) if (buf[off + i] !== ((TAG_CHLO >>> (24 - 8 * i)) & 0xff)) return -1;
    return 0;
  }
  if (u32be(buf, off) !== TAG_CHLO) return -1;
  if (len < 8) return 0;
  const count = buf[off + 4] | (buf[off + 5] << 8);
  if (count === 0 || count > GQUIC_MAX_CHLO_TAGS) return -1;
  const table = 8 + count * 8;
  if (len < table) return 0;
  return table + u32le(buf, off + table - 4);
}

/**
 * Parses a gQUIC crypto handshake message that starts with the tag "CHLO" at `buf[off]`
 * (QUIC Crypto, "Message format": tag, u16 LE entry count, u16 padding, then entries of
 * (u32 tag, u32 LE end offset), then the values). Returns null when the bytes are not a valid
 * CHLO. `version` is the packet's version tag (u32) for the result.
 */
export function parseChloMessage(buf: Uint8Array, off: number, len: number, version: number): GquicChlo | null {
  if (off < 0 || len < 8 || off + len > buf.length) return null;
  if (u32be(buf, off) !== TAG_CHLO) return null;
  const count = buf[off + 4] | (buf[off + 5] << 8);
  if (count === 0 || count > GQUIC_MAX_CHLO_TAGS) return null;
  const table = off + 8;
  const values = table + count * 8;
  const end = off + len;
  if (values > end) return null;
  let sni: string | null = null;
  let uaid: string | null = null;
  let prevEnd = 0;
  let complete = true;
  for (let i = 0; i < count; i++) {
    const e = table + i * 8;
    const tag = u32be(buf, e);
    const valueEnd = u32le(buf, e + 4);
    if (valueEnd < prevEnd) return null;
    const vStart = values + prevEnd;
    const vEnd = values + valueEnd;
    prevEnd = valueEnd;
    if (vEnd > end) {
      complete = false;
      continue;
    }
    if (tag === TAG_SNI && sni === null) sni = escapeBytes(buf, vStart, vEnd);
    else if (tag === TAG_UAID && uaid === null) uaid = escapeBytes(buf, vStart, vEnd);
  }
  return { version: tagString(version), versionNumber: version, sni, uaid, tagCount: count, complete };
}

function tagString(v: number): string {
  return String.fromCharCode(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

/** Printable ASCII as is, other bytes as \ooo (three octal digits, tshark's rendering); at most GQUIC_MAX_VALUE_BYTES. */
function escapeBytes(buf: Uint8Array, start: number, end: number): string {
  const stop = Math.min(end, start + GQUIC_MAX_VALUE_BYTES);
  let s = '';
  for (let i = start; i < stop; i++) {
    const b = buf[i];
    if (b >= 0x20 && b < 0x7f && b !== 0x5c) s += String.fromCharCode(b);
    else s += '\\' + b.toString(8).padStart(3, '0');
  }
  return s;
}
