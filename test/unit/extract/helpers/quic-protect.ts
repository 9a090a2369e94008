/**
 * Test-only QUIC Initial *protection* (the inverse of src/extract/quic-initial.ts), used to build
 * packets the tests need: ClientHellos split across Initials, coalesced packets, Retry epochs.
 * Checked against RFC 9001 §A.2 (re-protecting the vector's plaintext must give the RFC bytes).
 */
import * as crypto from 'crypto';
import { QuicInitialKeys } from '../../../../src/extract/quic-initial';

/** Encodes `v` as a QUIC varint of the smallest (or the given) length. */
export function varint(v: number, len?: 1 | 2 | 4 | 8): Buffer {
  const n = len ?? (v < 64 ? 1 : v < 16384 ? 2 : v < 2 ** 30 ? 4 : 8);
  const b = Buffer.alloc(n);
  let x = v;
  for (let i = n - 1; i >= 0; i--) {
    b[i] = x % 256;
    x = Math.floor(x / 256);
  }
  b[0] |= { 1: 0x00, 2: 0x40, 4: 0x80, 8: 0xc0 }[n] as number;
  return b;
}

/** A CRYPTO frame (RFC 9000 §19.6). */
export function cryptoFrame(offset: number, data: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([0x06]), varint(offset), varint(data.length), Buffer.from(data)]);
}

export interface InitialSpec {
  version: number;
  /** Type bits as on the wire (0 for v1 Initial, 1 for v2 Initial). */
  typeBits: number;
  dcid: Uint8Array;
  scid?: Uint8Array;
  token?: Uint8Array;
  packetNumber: number;
  pnLength: 1 | 2 | 3 | 4;
  /** Frames; padded with PADDING so the packet has room for the sample. */
  payload: Uint8Array;
  /** Pad the payload to this many bytes (default: just enough for the header-protection sample). */
  padTo?: number;
}

/** Builds and protects one long-header packet (RFC 9001 §5.3–5.4). */
export function protectInitial(spec: InitialSpec, keys: QuicInitialKeys): Buffer {
  const scid = spec.scid ?? new Uint8Array(0);
  const token = spec.token ?? new Uint8Array(0);
  let payload = Buffer.from(spec.payload);
  const minPayload = Math.max(spec.padTo ?? 0, 20 - spec.pnLength);
  if (payload.length < minPayload) payload = Buffer.concat([payload, Buffer.alloc(minPayload - payload.length)]);
  const pnBytes = Buffer.alloc(spec.pnLength);
  for (let i = 0, x = spec.packetNumber; i < spec.pnLength; i++, x = Math.floor(x / 256)) pnBytes[spec.pnLength - 1 - i] = x % 256;
  const first = 0xc0 | (spec.typeBits << 4) | (spec.pnLength - 1);
  const ver = Buffer.alloc(4);
  ver.writeUInt32BE(spec.version >>> 0);
  const header = Buffer.concat([
    Buffer.from([first]), ver,
    Buffer.from([spec.dcid.length]), Buffer.from(spec.dcid),
    Buffer.from([scid.length]), Buffer.from(scid),
    ...(spec.typeBits === (spec.version === 0x6b3343cf ? 1 : 0) ? [varint(token.length), Buffer.from(token)] : []),
    varint(spec.pnLength + payload.length + 16, 2),
    pnBytes,
  ]);
  const nonce = Buffer.from(keys.iv);
  for (let i = 11, x = spec.packetNumber; i >= 4; i--, x = Math.floor(x / 256)) nonce[i] ^= x % 256;
  const c = crypto.createCipheriv('aes-128-gcm', keys.key, nonce, { authTagLength: 16 });
  c.setAAD(header);
  const ct = Buffer.concat([c.update(payload), c.final(), c.getAuthTag()]);
  const pnOffset = header.length - spec.pnLength;
  const sample = ct.subarray(4 - spec.pnLength, 4 - spec.pnLength + 16);
  const e = crypto.createCipheriv('aes-128-ecb', keys.hp, null);
  e.setAutoPadding(false);
  const mask = e.update(sample);
  const out = Buffer.concat([header, ct]);
  out[0] ^= mask[0] & 0x0f;
  for (let i = 0; i < spec.pnLength; i++) out[pnOffset + i] ^= mask[1 + i];
  return out;
}

/** A minimal syntactically valid TLS ClientHello handshake message with the given SNI and filler length. */
export function fakeClientHello(sni: string, fillerBytes = 0): Buffer {
  const name = Buffer.from(sni, 'ascii');
  const sniExt = Buffer.concat([
    Buffer.from([0x00, 0x00]), u16(name.length + 5),
    u16(name.length + 3), Buffer.from([0x00]), u16(name.length), name,
  ]);
  const padExt = fillerBytes > 0 ? Buffer.concat([Buffer.from([0x00, 0x15]), u16(fillerBytes), Buffer.alloc(fillerBytes)]) : Buffer.alloc(0);
  const exts = Buffer.concat([sniExt, padExt]);
  const body = Buffer.concat([
    Buffer.from([0x03, 0x03]), Buffer.alloc(32, 7), Buffer.from([0x00]),
    u16(2), Buffer.from([0x13, 0x01]), Buffer.from([0x01, 0x00]),
    u16(exts.length), exts,
  ]);
  return Buffer.concat([Buffer.from([0x01, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]), body]);
}

function u16(n: number): Buffer {
  return Buffer.from([n >> 8, n & 0xff]);
}
