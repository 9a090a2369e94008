/**
 * Small ClientHello builder for the extractor tests: extensions, handshake message, records
 * (with any fragmentation), presets that look like real clients (TLS 1.2 plain, TLS 1.3 with
 * GREASE, post-quantum ~1.8 KB, ECH) and a hexdump for test comments.
 * Test tooling only: deterministic (no Math.random, no clock); never imported by src/.
 */

export interface TlsExt {
  type: number;
  data: Uint8Array;
}

export interface HelloSpec {
  legacyVersion?: number;
  sessionId?: Uint8Array;
  ciphers: number[];
  compression?: number[];
  /** null: omit the extensions block entirely (pre-TLS 1.3 style). */
  extensions: TlsExt[] | null;
}

/** Hex string (whitespace ignored) → bytes. */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function u8(n: number): Uint8Array {
  return Uint8Array.of(n & 0xff);
}
function u16(n: number): Uint8Array {
  return Uint8Array.of((n >> 8) & 0xff, n & 0xff);
}
function u24(n: number): Uint8Array {
  return Uint8Array.of((n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}
function u16List(values: number[]): Uint8Array {
  return concat(...values.map(u16));
}
/** Deterministic filler bytes (key shares, ECH payloads): i*31+seed mod 256. */
export function filler(n: number, seed = 7): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}
function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
}

/** Extension constructors, each cited where the wire format is defined. */
export const ext = {
  raw: (type: number, data: Uint8Array = new Uint8Array(0)): TlsExt => ({ type, data }),
  /** RFC 6066 §3: ServerNameList of one host_name. */
  sni: (name: string | Uint8Array): TlsExt => {
    const n = typeof name === 'string' ? ascii(name) : name;
    return { type: 0, data: concat(u16(n.length + 3), u8(0), u16(n.length), n) };
  },
  /** RFC 7301 §3.1 */
  alpn: (protocols: (string | Uint8Array)[]): TlsExt => {
    const items = protocols.map((p) => (typeof p === 'string' ? ascii(p) : p)).map((p) => concat(u8(p.length), p));
    const list = concat(...items);
    return { type: 16, data: concat(u16(list.length), list) };
  },
  /** RFC 8446 §4.2.7 */
  groups: (g: number[]): TlsExt => ({ type: 10, data: concat(u16(g.length * 2), u16List(g)) }),
  /** RFC 8422 §5.1.2 */
  pointFormats: (f: number[]): TlsExt => ({ type: 11, data: concat(u8(f.length), Uint8Array.from(f)) }),
  /** RFC 8446 §4.2.3 */
  sigAlgs: (a: number[]): TlsExt => ({ type: 13, data: concat(u16(a.length * 2), u16List(a)) }),
  /** RFC 8446 §4.2.1 (ClientHello form) */
  versions: (v: number[]): TlsExt => ({ type: 43, data: concat(u8(v.length * 2), u16List(v)) }),
  /** RFC 8446 §4.2.8: entries of (group, key_exchange of `len` bytes). */
  keyShare: (entries: [group: number, len: number][]): TlsExt => {
    const list = concat(...entries.map(([g, n]) => concat(u16(g), u16(n), filler(n, g))));
    return { type: 51, data: concat(u16(list.length), list) };
  },
  /** draft-ietf-tls-esni §5: outer ECH, type 0 (outer), HPKE suite, config id, enc, payload. */
  ech: (payloadLen = 208): TlsExt => ({
    type: 0xfe0d,
    data: concat(u8(0), u16(1), u16(1), u8(0x42), u16(32), filler(32, 3), u16(payloadLen), filler(payloadLen, 5)),
  }),
  psk_modes: (): TlsExt => ({ type: 45, data: Uint8Array.of(1, 1) }),
  grease: (type: number, data: Uint8Array = new Uint8Array(0)): TlsExt => ({ type, data }),
};

/** Handshake message: type 1 + uint24 length + ClientHello body (RFC 8446 §4.1.2). */
export function clientHelloMessage(spec: HelloSpec): Uint8Array {
  const sid = spec.sessionId ?? new Uint8Array(0);
  const comp = spec.compression ?? [0];
  const parts = [
    u16(spec.legacyVersion ?? 0x0303),
    filler(32, 1),
    u8(sid.length),
    sid,
    u16(spec.ciphers.length * 2),
    u16List(spec.ciphers),
    u8(comp.length),
    Uint8Array.from(comp),
  ];
  if (spec.extensions !== null) {
    const exts = concat(...spec.extensions.map((e) => concat(u16(e.type), u16(e.data.length), e.data)));
    parts.push(u16(exts.length), exts);
  }
  const body = concat(...parts);
  return concat(u8(1), u24(body.length), body);
}

/**
 * Wraps a handshake message in handshake records (RFC 8446 §5.1). `fragments` gives the body
 * size of each record in order (the last one takes the rest); default: one record.
 */
export function records(msg: Uint8Array, fragments: number[] = [], recordVersion = 0x0301): Uint8Array {
  const out: Uint8Array[] = [];
  let o = 0;
  for (const f of fragments) {
    if (o >= msg.length) break;
    const n = Math.min(f, msg.length - o);
    out.push(concat(u8(22), u16(recordVersion), u16(n), msg.subarray(o, o + n)));
    o += n;
  }
  if (o < msg.length) out.push(concat(u8(22), u16(recordVersion), u16(msg.length - o), msg.subarray(o)));
  return concat(...out);
}

/** Classic 16-bytes-per-line hexdump, for test comments and failure messages. */
export function hexdump(bytes: Uint8Array, maxLines = Infinity): string {
  const lines: string[] = [];
  for (let o = 0; o < bytes.length && lines.length < maxLines; o += 16) {
    const row = bytes.subarray(o, o + 16);
    const h = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const a = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${o.toString(16).padStart(4, '0')}  ${h.padEnd(47)}  ${a}`);
  }
  return lines.join('\n');
}

// ---- presets -------------------------------------------------------------------------------

const SIGALGS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];
const CHROME_CIPHERS = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035];

/** TLS 1.2 client, no GREASE, SNI first: the OpenSSL s_client -tls1_2 shape. */
export function tls12Plain(sni = 'example.org'): HelloSpec {
  return {
    legacyVersion: 0x0303,
    ciphers: [0xc02c, 0xc02b, 0xc030, 0xc02f, 0x009f, 0x009e],
    extensions: [
      ext.sni(sni),
      ext.pointFormats([0, 1, 2]),
      ext.groups([0x001d, 0x0017, 0x0018]),
      ext.raw(0x0023),
      ext.sigAlgs([0x0403, 0x0503, 0x0603, 0x0804]),
      ext.raw(0x0017),
    ],
  };
}

/** TLS 1.3 browser-style hello with GREASE ciphers, extensions, groups and versions. */
export function tls13Grease(sni = 'www.example.com'): HelloSpec {
  return {
    sessionId: filler(32, 9),
    ciphers: [0x4a4a, ...CHROME_CIPHERS],
    extensions: [
      ext.grease(0x2a2a),
      ext.sni(sni),
      ext.raw(0x0017),
      ext.raw(0xff01, Uint8Array.of(0)),
      ext.groups([0x3a3a, 0x001d, 0x0017, 0x0018]),
      ext.pointFormats([0]),
      ext.raw(0x0023),
      ext.alpn(['h2', 'http/1.1']),
      ext.raw(0x0005, Uint8Array.of(1, 0, 0, 0, 0)),
      ext.sigAlgs(SIGALGS),
      ext.raw(0x0012),
      ext.keyShare([[0x3a3a, 1], [0x001d, 32]]),
      ext.psk_modes(),
      ext.versions([0x5a5a, 0x0304, 0x0303]),
      ext.raw(0x001b, Uint8Array.of(2, 0, 2)),
      ext.grease(0x1a1a, Uint8Array.of(0)),
    ],
  };
}

/**
 * Post-quantum Chrome-like hello: X25519MLKEM768 (1216-byte share) + X25519, ECH outer,
 * SNI in the middle of a shuffled list. About 1.8 KB, so it spans 2–4 TCP segments.
 */
export function pqHello(sni = 'lh3.google.com'): HelloSpec {
  return {
    sessionId: filler(32, 11),
    ciphers: [0xdada, ...CHROME_CIPHERS],
    extensions: [
      ext.grease(0xcaca),
      ext.raw(0x0023),
      ext.sigAlgs(SIGALGS),
      ext.pointFormats([0]),
      ext.groups([0x8a8a, 0x11ec, 0x001d, 0x0017, 0x0018]),
      ext.raw(0x001b, Uint8Array.of(2, 0, 2)),
      ext.raw(0x44cd, Uint8Array.of(0, 3, 2, 0x68, 0x32)),
      ext.keyShare([[0x8a8a, 1], [0x11ec, 1216], [0x001d, 32]]),
      ext.alpn(['h2', 'http/1.1']),
      ext.versions([0x8a8a, 0x0304, 0x0303]),
      ext.raw(0x0017),
      ext.raw(0xff01, Uint8Array.of(0)),
      ext.raw(0x0005, Uint8Array.of(1, 0, 0, 0, 0)),
      ext.psk_modes(),
      ext.ech(208),
      ext.raw(0x0012),
      ext.sni(sni),
      ext.grease(0x4a4a, Uint8Array.of(0)),
    ],
  };
}
