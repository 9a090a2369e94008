/**
 * TLS client fingerprints (JA3, JA4) computed from an already-parsed ClientHelloInfo.
 * Runs once per flow after the ClientHello extractor; emits strings for the report. Pure: no
 * I/O, no policy, never throws on any ClientHelloInfo the extractor can produce.
 * JA3: github.com/salesforce/ja3. JA4: FoxIO technical_details/JA4.md (BSD-3-Clause part).
 */
import * as crypto from 'node:crypto';
import { ClientHelloInfo, isGrease, TLS_EXT_ALPN, TLS_EXT_SERVER_NAME } from './tls-client-hello';

/** JA3 text and its MD5. */
export interface Ja3 {
  /** "SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats", decimals joined by "-". */
  text: string;
  /** Lowercase hex MD5 of `text`. */
  hash: string;
}

function withoutGrease(values: readonly number[]): number[] {
  return values.filter((v) => !isGrease(v));
}

/**
 * JA3 of a ClientHello: legacy_version, cipher suites, extension types (wire order), supported
 * groups and EC point formats, GREASE (RFC 8701) removed from every list, values in decimal.
 */
export function ja3(hello: ClientHelloInfo): Ja3 {
  const text = [
    String(hello.legacyVersion),
    withoutGrease(hello.cipherSuites).join('-'),
    withoutGrease(hello.extensionTypes).join('-'),
    withoutGrease(hello.supportedGroups).join('-'),
    hello.ecPointFormats.join('-'),
  ].join(',');
  return { text, hash: digestHex('md5', text) };
}

/** What carried a ClientHello: a TCP stream, QUIC CRYPTO frames or DTLS records (JA4's t, q, d). */
export type HelloTransport = 'tcp' | 'quic' | 'dtls';

/** JA4's first character and the memo keys' seed for each transport. */
function transportCode(t: HelloTransport): number {
  return t === 'quic' ? 0x71 : t === 'dtls' ? 0x64 : 0x74; // 'q', 'd', 't'
}

/** JA4 version codes (JA4.md "TLS and DTLS Version"); anything else is "00". */
const JA4_VERSION: ReadonlyMap<number, string> = new Map([
  [0x0304, '13'], [0x0303, '12'], [0x0302, '11'], [0x0301, '10'], [0x0300, 's3'],
  [0x0200, 's2'], [0x0002, 's2'], [0x0100, 's1'],
  [0xfeff, 'd1'], [0xfefd, 'd2'], [0xfefc, 'd3'],
]);

function hex4(v: number): string {
  return v.toString(16).padStart(4, '0');
}

function count2(n: number): string {
  return String(Math.min(n, 99)).padStart(2, '0');
}

function sha12(s: string): string {
  return digestHex('sha256', s).slice(0, 12);
}

/** Highest non-GREASE supported_versions entry, else legacy_version (JA4.md). */
function ja4Version(hello: ClientHelloInfo): string {
  let best = -1;
  for (const v of hello.supportedVersions) if (!isGrease(v) && (best < 0 || versionRank(v) > versionRank(best))) best = v;
  return JA4_VERSION.get(best >= 0 ? best : hello.legacyVersion) ?? '00';
}

/**
 * Orders versions by age. DTLS counts down (1.0 = 0xfeff, 1.2 = 0xfefd, 1.3 = 0xfefc), so
 * "highest" read as a number would make a DTLS 1.3 hello that also offers 1.2 a "d2": DTLS
 * versions rank by how far their minor byte counts down from 0xff instead (1.3 above 1.2 above
 * 1.0; TLS and DTLS never share one list).
 */
function versionRank(v: number): number {
  return v >= 0xfe00 ? 0x0301 + (0xff - (v & 0xff)) : v;
}

function isAlnum(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
}

function digit(text: string, i: number): number {
  const d = text.charCodeAt(i) - 0x30;
  return d >= 0 && d <= 9 ? d : -1;
}

/** Bytes of a value escaped by decodeWireText (\DDD for every non-printable byte and '\'). */
function wireBytes(text: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const d0 = digit(text, i + 1), d1 = digit(text, i + 2), d2 = digit(text, i + 3);
    if (c === 0x5c && d0 >= 0 && d1 >= 0 && d2 >= 0) {
      out.push((d0 * 100 + d1 * 10 + d2) & 0xff);
      i += 3;
    } else out.push(c & 0xff);
  }
  return out;
}

/**
 * The two ALPN characters of JA4_a: first and last character of the first ALPN value ("h2",
 * "http/1.1" → "h1"); "00" when there is none. If the first or last byte is not ASCII
 * alphanumeric, the first and last characters of the value's hex form are used instead
 * (JA4.md "ALPN Extension Value"; e.g. 0xAB 0xCD → "ad").
 */
export function ja4Alpn(firstAlpn: string | undefined): string {
  if (firstAlpn === undefined || firstAlpn.length === 0) return '00';
  const bytes = wireBytes(firstAlpn);
  const first = bytes[0];
  const last = bytes[bytes.length - 1];
  if (isAlnum(first) && isAlnum(last)) return String.fromCharCode(first, last);
  return (first >> 4).toString(16) + (last & 0x0f).toString(16);
}

/**
 * JA4 of a ClientHello (FoxIO JA4.md): `${t|q}${version}${d|i}${ciphers}${extensions}${alpn}`
 * `_${sha256(sorted ciphers)[:12]}_${sha256(sorted extensions minus SNI/ALPN + "_" + sigalgs)[:12]}`.
 * GREASE is ignored everywhere; counts are capped at 99; an empty cipher or extension list hashes
 * to "000000000000". `transport` is 'quic' for a hello from QUIC CRYPTO frames.
 */
export function ja4(hello: ClientHelloInfo, transport: HelloTransport): string {
  return ja4Of(ja4Inputs(hello, transport));
}

/**
 * Everything JA4 depends on. JA4 sorts the cipher and extension lists, so their wire order is
 * not part of it (browsers shuffle extensions per connection, RFC 8446 §4.2 allows any order):
 * hellos that differ only in order share one JA4, and one memo entry.
 */
interface Ja4Inputs {
  transport: HelloTransport;
  version: string;
  alpn: string;
  /** Non-GREASE cipher suites, ascending. */
  ciphers: number[];
  /** Non-GREASE extension types, ascending (SNI and ALPN included: they count and set d/i). */
  exts: number[];
  /** Non-GREASE signature algorithms, in wire order. */
  sigs: number[];
}

const ascending = (x: number, y: number): number => x - y;

function ja4Inputs(hello: ClientHelloInfo, transport: HelloTransport): Ja4Inputs {
  return {
    transport,
    version: ja4Version(hello),
    alpn: ja4Alpn(hello.alpn[0]),
    ciphers: withoutGrease(hello.cipherSuites).sort(ascending),
    exts: withoutGrease(hello.extensionTypes).sort(ascending),
    sigs: withoutGrease(hello.signatureAlgorithms),
  };
}

function ja4Of(x: Ja4Inputs): string {
  const sni = x.exts.includes(TLS_EXT_SERVER_NAME) ? 'd' : 'i';
  const a = `${String.fromCharCode(transportCode(x.transport))}${x.version}${sni}${count2(x.ciphers.length)}${count2(x.exts.length)}${x.alpn}`;
  // Sorting the 4-digit hex forms orders them as the numbers are ordered.
  const b = x.ciphers.length === 0 ? '000000000000' : sha12(x.ciphers.map(hex4).join(','));
  const sortedExts = x.exts.filter((e) => e !== TLS_EXT_SERVER_NAME && e !== TLS_EXT_ALPN);
  const sigs = x.sigs.map(hex4).join(',');
  const c = sortedExts.length === 0
    ? '000000000000'
    : sha12(sortedExts.map(hex4).join(',') + (sigs ? '_' + sigs : ''));
  return `${a}_${b}_${c}`;
}

/** Remembered JA4 values by their inputs (order-free); bounded, cleared when full. */
const JA4_MEMO_LIMIT = 1024;
const ja4Memo = new Map<number, { inputs: Ja4Inputs; ja4: string }>();

function sameNumbers(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** JA4 through the order-free memo: a hit compares every input exactly. */
function ja4Memoised(hello: ClientHelloInfo, transport: HelloTransport): string {
  const x = ja4Inputs(hello, transport);
  let h = Math.imul(transportCode(x.transport), 0x9e3779b1);
  for (const list of [x.ciphers, x.exts, x.sigs]) {
    h = Math.imul(h ^ list.length ^ 0x5bd1e995, 0x01000193);
    for (let i = 0; i < list.length; i++) h = Math.imul(h ^ list[i], 0x01000193);
  }
  for (const t of [x.version, x.alpn]) for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), 0x01000193);
  const key = (h ^ (h >>> 15)) & 0x3fffffff;
  const hit = ja4Memo.get(key);
  if (hit !== undefined) {
    const y = hit.inputs;
    if (y.transport === x.transport && y.version === x.version && y.alpn === x.alpn &&
      sameNumbers(y.ciphers, x.ciphers) && sameNumbers(y.exts, x.exts) && sameNumbers(y.sigs, x.sigs)) return hit.ja4;
  }
  const value = ja4Of(x);
  if (ja4Memo.size >= JA4_MEMO_LIMIT) ja4Memo.clear();
  ja4Memo.set(key, { inputs: x, ja4: value });
  return value;
}

/**
 * Hex digest of a fingerprint input. Not memoised here: the shape memo (`fingerprints`) and the
 * JA4 memo already return repeated hellos' values without building their inputs, so a digest
 * memo only ever saw inputs that were new (a string key and a lookup per miss, for nothing).
 */
const oneShot = (crypto as unknown as { hash?: (alg: string, data: string, enc: 'hex') => string }).hash;

function digestHex(alg: 'md5' | 'sha256', input: string): string {
  return oneShot ? oneShot(alg, input, 'hex') : crypto.createHash(alg).update(input).digest('hex');
}

/** JA3 hash and JA4 of one ClientHello. */
export interface Fingerprints {
  ja3: string;
  ja4: string;
}

/**
 * One remembered ClientHello shape: the inputs of JA3 and JA4 (held by reference; the
 * extractor never mutates a parsed hello's lists) and the fingerprints computed from them.
 */
interface ShapeEntry {
  transport: HelloTransport;
  legacyVersion: number;
  alpn0: string | undefined;
  lists: readonly (readonly number[])[];
  fp: Fingerprints;
}

/** Remembered ClientHello shapes: a device's client libraries repeat a handful of them. */
const SHAPE_MEMO_LIMIT = 1024;
const shapeMemo = new Map<number, ShapeEntry>();

function shapeLists(hello: ClientHelloInfo): readonly (readonly number[])[] {
  return [hello.supportedVersions, hello.cipherSuites, hello.extensionTypes, hello.supportedGroups, hello.ecPointFormats, hello.signatureAlgorithms];
}

/**
 * GREASE values (RFC 8701) stand for one another: both fingerprints drop them, and browsers pick
 * them at random per connection, so a shape that kept them would never repeat.
 */
function shapeValue(v: number): number {
  return isGrease(v) ? 0x0a0a : v;
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && shapeValue(a[i]) !== shapeValue(b[i])) return false;
  return true;
}

function sameLists(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): boolean {
  for (let i = 0; i < a.length; i++) if (!sameList(a[i], b[i])) return false;
  return true;
}

/**
 * JA3 (hash) and JA4 of a ClientHello, memoised on the hello's shape: every input of both
 * fingerprints (GREASE values as one), hashed to a small integer and compared element by element on a hit, so a hit
 * is exact. Building the JA3/JA4 strings (hex, sort, join) cost ~10 µs per hello, ~7% of the
 * benchmark replay, where a device's connections repeat a few client shapes; the hash and the
 * comparison cost well under 1 µs. Bounded; cleared when full.
 */
export function fingerprints(hello: ClientHelloInfo, transport: HelloTransport): Fingerprints {
  const lists = shapeLists(hello);
  const alpn0 = hello.alpn[0];
  let h = Math.imul(hello.legacyVersion ^ transportCode(transport), 0x9e3779b1);
  for (const list of lists) {
    h = Math.imul(h ^ list.length ^ 0x5bd1e995, 0x01000193);
    for (let i = 0; i < list.length; i++) h = Math.imul(h ^ shapeValue(list[i]), 0x01000193);
  }
  if (alpn0 !== undefined) for (let i = 0; i < alpn0.length; i++) h = Math.imul(h ^ alpn0.charCodeAt(i), 0x01000193);
  const key = (h ^ (h >>> 15)) & 0x3fffffff;
  const hit = shapeMemo.get(key);
  if (hit !== undefined && hit.transport === transport && hit.legacyVersion === hello.legacyVersion && hit.alpn0 === alpn0 && sameLists(hit.lists, lists)) {
    return hit.fp;
  }
  const fp: Fingerprints = { ja3: ja3(hello).hash, ja4: ja4Memoised(hello, transport) };
  if (shapeMemo.size >= SHAPE_MEMO_LIMIT) shapeMemo.clear();
  shapeMemo.set(key, { transport, legacyVersion: hello.legacyVersion, alpn0, lists, fp });
  return fp;
}
