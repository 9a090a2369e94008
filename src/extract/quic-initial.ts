/**
 * QUIC client Initial decryption: from the client's first UDP datagrams of a QUIC flow to the
 * TLS ClientHello they carry (server name, ALPN, …), so a QUIC flow is named the same way as a
 * TLS-over-TCP one.
 *
 * Why this is possible: Initial packets are protected with keys derived only from public values,
 * a per-version salt and the Destination Connection ID the client chose (RFC 9001 §5.2). Anyone
 * on the path can remove that protection; it protects against off-path tampering only. This
 * module removes it for client Initials and nothing else: Handshake and 1-RTT keys come out of
 * the TLS key exchange and are out of reach by design.
 *
 * Pipeline position: per flow, client→server UDP datagrams only. `QuicInitialDecoder.feed` is the
 * front door; the functions it is built from (header parser, key derivation, packet decryption,
 * frame walker) are exported for tests and tools.
 *
 * Versions (`quicVersionInfo`): QUIC v1 (RFC 9000), v2 (RFC 9369), IETF drafts 22–34,
 * Facebook mvfst 0xfaceb001/0xfaceb002/0xfaceb00e, and Google's encrypted-Initial versions Q050,
 * T050 and T051 (IETF long header and Initial protection with their own salts, Google QUIC
 * framing inside: a CHLO for Q050, a TLS ClientHello for T05x). The plaintext Google QUIC
 * versions (Q024–Q046) are routed to ./gquic.ts.
 * Any other version is "unsupported": reported as such, never counted as a decryption failure.
 *
 * What this module must never do: throw on packet bytes (every outcome is a status); read
 * outside `[off, off + len)`; write into the caller's buffer (the AAD is a private copy);
 * keep more than MAX_CRYPTO_BYTES of CRYPTO data or MAX_KEY_SETS key sets per flow; or decide
 * whether QUIC is acceptable (facts only — policy lives in src/policy).
 */
import * as crypto from 'crypto';
import { A, AnomalyCounters } from '../anomalies';
import { ClientHelloInfo, parseClientHelloMessage } from './tls-client-hello';
import { QuicCryptoReassembler, MAX_CRYPTO_BYTES } from './quic-crypto-reassembler';
import { newVarintCursor, readVarint, VarintCursor } from './quic-varint';
import { chloMessageLength, GquicChlo, isGquicVersion, parseChloMessage, parseGquicPacket } from './gquic';
import { Aes128Key, aes128EncryptBlock, aes128Key, hmac, HmacKey, hmacKey } from './initial-crypto';

export { QuicCryptoReassembler, MAX_CRYPTO_BYTES } from './quic-crypto-reassembler';

// ---------------------------------------------------------------------------------------------
// Limits
// ---------------------------------------------------------------------------------------------

/** Largest UDP payload: 65 535 (IP length field) − 8 (UDP header). Anything longer is not one datagram. */
export const MAX_UDP_PAYLOAD = 65527;
/** Connection IDs are at most 20 bytes in every version we decrypt (RFC 9000 §17.2). */
export const MAX_CID_LEN = 20;
/**
 * Long-header packets looked at per datagram. Coalescing (RFC 9000 §12.2) puts at most one packet
 * per packet type in a datagram in practice (Initial, 0-RTT, Handshake); 8 leaves room for odd
 * stacks while bounding the work a crafted datagram of tiny packets can cause.
 */
export const MAX_COALESCED_PACKETS = 8;
/**
 * Distinct Initial key sets tried per flow: the first DCID, one after a Retry (RFC 9000 §17.2.5),
 * plus slack for a client that reuses the 5-tuple for a new connection. Each extra set costs one
 * HKDF derivation and one failed AES-GCM open per packet at worst.
 */
export const MAX_KEY_SETS = 4;
/**
 * Client Initial packets decrypted per flow before giving up on finding a ClientHello. A 64 KiB
 * CRYPTO cap over 1 200-byte Initials is ~55 packets; real hellos take 1–3.
 */
export const MAX_INITIALS_PER_FLOW = 64;
/** AES-128-GCM tag length (RFC 9001 §5.3; AEAD_AES_128_GCM, RFC 5116 §5.1). */
const TAG_LEN = 16;
/** Header-protection sample length (RFC 9001 §5.4.2). */
const SAMPLE_LEN = 16;
/** The header-protection mask of the packet being opened (used within one call only). */
const HP_MASK = new Uint8Array(16);

// ---------------------------------------------------------------------------------------------
// Versions and their constants
// ---------------------------------------------------------------------------------------------

/** Per-version constants for Initial protection. */
export interface QuicVersionInfo {
  version: number;
  /** Human-readable name, e.g. "v1", "v2", "draft-29", "mvfst-27". */
  name: string;
  /** The initial_salt (RFC 9001 §5.2 / RFC 9369 §3.3.1 / the drafts' §5.2). */
  salt: Buffer;
  /** Label stem for key/iv/hp: "quic" (v1 and drafts) or "quicv2" (RFC 9369 §3.3.2). */
  labelStem: 'quic' | 'quicv2';
  /** Wire value of the long-header type bits of an Initial: 0 (v1, RFC 9000 §17.2) or 1 (v2, RFC 9369 §3.2). */
  initialTypeBits: number;
  /**
   * What the decrypted Initial carries: IETF frames and a TLS ClientHello (`tls`), Google QUIC
   * frames and a TLS ClientHello (`gquic-tls`: T050, T051), or Google QUIC frames and a QUIC
   * Crypto CHLO (`gquic-chlo`: Q050).
   */
  payload: 'tls' | 'gquic-tls' | 'gquic-chlo';
}

function hex(s: string): Buffer {
  return Buffer.from(s, 'hex');
}

/** RFC 9001 §5.2; also drafts 33 and 34. */
const SALT_V1 = hex('38762cf7f55934b34d179ae6a4c80cadccbb7f0a');
/** RFC 9369 §3.3.1. */
const SALT_V2 = hex('0dede3def700a6db819381be6e269dcbf9bd2ed9');
/** draft-ietf-quic-tls-23 … -28 §5.2. */
const SALT_DRAFT_23 = hex('c3eef712c72ebb5a11a7d2432bb46365bef9f502');
/** draft-ietf-quic-tls-29 … -32 §5.2. */
const SALT_DRAFT_29 = hex('afbfec289993d24c9e9786f19c6111e04390a899');
/** draft-ietf-quic-tls-22 §5.2 (also mvfst 0xfaceb001). */
const SALT_DRAFT_22 = hex('7fbcdb0e7c66bbe9193a96cd21519ebd7a02644a');
/**
 * Google QUIC Q050, T050 and T051 Initial salts (Chromium's quic_versions, as Wireshark's and
 * nDPI's QUIC dissectors carry them).
 */
const SALT_Q050 = hex('504574efd066fe2f9d945cfcdbd3a7f0d3b56b45');
const SALT_T050 = hex('7ff579e5acd072915580304c43a2367c60488310');
const SALT_T051 = hex('7a4edef4e7ccee5fa4506c19124fc8ccda6e033d');
/** Version tags as the wire carries them ("Q050", "T050", "T051" in ASCII). */
export const GQUIC_Q050 = 0x51303530;
export const GQUIC_T050 = 0x54303530;
export const GQUIC_T051 = 0x54303531;

export const QUIC_V1 = 0x00000001;
export const QUIC_V2 = 0x6b3343cf;

/** RFC 9000 §15: versions 0x?a?a?a?a are reserved, to force version negotiation. */
function isReservedVersion(v: number): boolean {
  return (v & 0x0f0f0f0f) === 0x0a0a0a0a;
}

/** A reserved version's constants with v1's salt (the second salt tried for these versions). */
function reservedWithV1Salt(info: QuicVersionInfo): QuicVersionInfo {
  return { ...info, name: 'reserved-v1-salt', salt: SALT_V1 };
}

/**
 * Constants for `version`, or null when we cannot decrypt that version's Initials.
 *
 * Facebook's mvfst versions follow the draft they were built on (as Wireshark's and nDPI's
 * `quic_draft_version` map them): 0xfaceb001 is draft-22, 0xfaceb002 and the experimental alias
 * 0xfaceb00e are draft-27 (so the draft-23 salt). The corpus' ndpi__quic-mvfst-27 capture
 * (0xfaceb002) decrypts with it.
 */
export function quicVersionInfo(version: number): QuicVersionInfo | null {
  const v = version >>> 0;
  if (v === QUIC_V1) return { version: v, name: 'v1', salt: SALT_V1, labelStem: 'quic', initialTypeBits: 0, payload: 'tls' };
  if (v === QUIC_V2) return { version: v, name: 'v2', salt: SALT_V2, labelStem: 'quicv2', initialTypeBits: 1, payload: 'tls' };
  if (v >>> 8 === 0xff0000) {
    const draft = v & 0xff;
    const salt = draftSalt(draft);
    return salt === null ? null : { version: v, name: `draft-${draft}`, salt, labelStem: 'quic', initialTypeBits: 0, payload: 'tls' };
  }
  if (v === 0xfaceb001) return { version: v, name: 'mvfst-22', salt: SALT_DRAFT_22, labelStem: 'quic', initialTypeBits: 0, payload: 'tls' };
  if (v === 0xfaceb002 || v === 0xfaceb00e) return { version: v, name: 'mvfst-27', salt: SALT_DRAFT_23, labelStem: 'quic', initialTypeBits: 0, payload: 'tls' };
  if (v === GQUIC_Q050) return { version: v, name: 'Q050', salt: SALT_Q050, labelStem: 'quic', initialTypeBits: 0, payload: 'gquic-chlo' };
  if (v === GQUIC_T050) return { version: v, name: 'T050', salt: SALT_T050, labelStem: 'quic', initialTypeBits: 0, payload: 'gquic-tls' };
  if (v === GQUIC_T051) return { version: v, name: 'T051', salt: SALT_T051, labelStem: 'quic', initialTypeBits: 0, payload: 'gquic-tls' };
  if (isReservedVersion(v)) {
    // RFC 9000 §15: 0x?a?a?a?a versions are reserved to force version negotiation. A client
    // that sends one still protects its Initial, with draft-29's salt as the QUIC interop
    // runner's clients do (nDPI's quic_interop_V trace names its servers that way); Wireshark's
    // and nDPI's dissectors take the same salt for these versions.
    return { version: v, name: 'reserved', salt: SALT_DRAFT_29, labelStem: 'quic', initialTypeBits: 0, payload: 'tls' };
  }
  return null;
}

/**
 * Salt by draft number. Drafts before 22 used a different long header (connection-ID length
 * nibbles) and are not decrypted.
 */
function draftSalt(draft: number): Buffer | null {
  if (draft === 22) return SALT_DRAFT_22;
  if (draft >= 23 && draft <= 28) return SALT_DRAFT_23;
  if (draft >= 29 && draft <= 32) return SALT_DRAFT_29;
  if (draft === 33 || draft === 34) return SALT_V1;
  return null;
}

/** Long-header packet types, normalised to the RFC 9000 §17.2 numbering. */
export const PACKET_INITIAL = 0;
export const PACKET_0RTT = 1;
export const PACKET_HANDSHAKE = 2;
export const PACKET_RETRY = 3;

/**
 * Maps the wire type bits to the RFC 9000 numbering. RFC 9369 §3.2 permutes them for v2:
 * Initial 0b01, 0-RTT 0b10, Handshake 0b11, Retry 0b00.
 */
function normaliseType(info: QuicVersionInfo, bits: number): number {
  if (info.initialTypeBits === 0) return bits;
  return (bits + 3) & 3;
}

// ---------------------------------------------------------------------------------------------
// Long header (RFC 9000 §17.2, RFC 8999 §5.1)
// ---------------------------------------------------------------------------------------------

/** A parsed long header. Offsets are into the buffer given to `parseQuicLongHeader`. */
export interface QuicLongHeader {
  /** Offset of the packet's first byte. */
  start: number;
  /** First byte as sent (still header-protected in its low 4 bits). */
  firstByte: number;
  version: number;
  /** Constants for the version, or null when it is not one we decrypt. */
  info: QuicVersionInfo | null;
  /** PACKET_INITIAL/0RTT/HANDSHAKE/RETRY, or -1 when the version is unknown (or 0 = Version Negotiation). */
  packetType: number;
  dcidOff: number;
  dcidLen: number;
  scidOff: number;
  scidLen: number;
  /** Token (Initial only); length 0 otherwise. */
  tokenOff: number;
  tokenLen: number;
  /** The Length field (packet number + protected payload), or -1 when the packet has none. */
  length: number;
  /** Offset of the (protected) packet number, or -1 when the packet has none. */
  pnOffset: number;
  /** One past the packet's last byte: where the next coalesced packet starts. */
  end: number;
}

/** Outcome of `parseQuicLongHeader`. Truncated (more bytes were promised) is kept apart from malformed. */
export type LongHeaderResult =
  | { kind: 'ok'; header: QuicLongHeader }
  | { kind: 'not-long-header' }
  | { kind: 'truncated' }
  | { kind: 'malformed'; reason: string };

/**
 * Parses the long header at `buf[off]`, where the packet may extend to `off + len` (the rest of
 * the datagram). For versions we know, the Length field bounds the packet (`end`), so coalesced
 * packets are found by calling again at `header.end` (RFC 9000 §12.2). For unknown versions only
 * the invariant fields are parsed (RFC 8999 §5.1) and `end` is the end of the datagram.
 */
export function parseQuicLongHeader(buf: Uint8Array, off: number, len: number): LongHeaderResult {
  if (!(off >= 0 && len >= 0 && off + len <= buf.length)) return { kind: 'malformed', reason: 'range outside buffer' };
  const end = off + len;
  if (len < 1 || (buf[off] & 0x80) === 0) return { kind: 'not-long-header' };
  // Invariant part: first byte, 32-bit version, DCID length + DCID, SCID length + SCID.
  if (len < 7) return { kind: 'truncated' };
  const firstByte = buf[off];
  const version = ((buf[off + 1] << 24) | (buf[off + 2] << 16) | (buf[off + 3] << 8) | buf[off + 4]) >>> 0;
  const info = version === 0 ? null : quicVersionInfo(version);
  let p = off + 5;
  const dcidLen = buf[p++];
  if (info !== null && dcidLen > MAX_CID_LEN) return { kind: 'malformed', reason: 'dcid longer than 20 bytes' };
  const dcidOff = p;
  p += dcidLen;
  if (p + 1 > end) return { kind: 'truncated' };
  const scidLen = buf[p++];
  if (info !== null && scidLen > MAX_CID_LEN) return { kind: 'malformed', reason: 'scid longer than 20 bytes' };
  const scidOff = p;
  p += scidLen;
  if (p > end) return { kind: 'truncated' };
  const header: QuicLongHeader = {
    start: off, firstByte, version, info, packetType: -1,
    dcidOff, dcidLen, scidOff, scidLen, tokenOff: p, tokenLen: 0,
    length: -1, pnOffset: -1, end,
  };
  if (info === null) return { kind: 'ok', header };
  const type = normaliseType(info, (firstByte >> 4) & 3);
  header.packetType = type;
  if (type === PACKET_RETRY) return { kind: 'ok', header }; // Retry has no Length: it fills the datagram.
  const cur = newVarintCursor();
  if (type === PACKET_INITIAL) {
    if (!readVarint(buf, p, end, cur)) return { kind: 'truncated' };
    if (cur.value > end - cur.next) return { kind: 'truncated' };
    header.tokenOff = cur.next;
    header.tokenLen = cur.value;
    p = cur.next + cur.value;
  }
  if (!readVarint(buf, p, end, cur)) return { kind: 'truncated' };
  header.length = cur.value;
  header.pnOffset = cur.next;
  if (cur.value > end - cur.next) return { kind: 'truncated' };
  header.end = cur.next + cur.value;
  return { kind: 'ok', header };
}

// ---------------------------------------------------------------------------------------------
// Keys (RFC 9001 §5.1–5.2, RFC 8446 §7.1, RFC 5869)
// ---------------------------------------------------------------------------------------------

/** Client Initial keys for one (version, DCID). */
export interface QuicInitialKeys {
  /** client_initial_secret (32 bytes). */
  secret: Buffer;
  /** AEAD key (16), IV (12) and header-protection key (16). */
  key: Buffer;
  iv: Buffer;
  hp: Buffer;
  /** `hp` expanded for AES-128 (the header-protection mask is one block encryption). */
  hpRounds: Aes128Key;
}

/** HMAC key states of each version salt (a handful of constant buffers), computed once. */
const saltKeys = new Map<Uint8Array, HmacKey>();

/** HKDF-Extract with SHA-256 (RFC 5869 §2.2): HMAC(salt, ikm). */
export function hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Buffer {
  let k = saltKeys.get(salt);
  if (k === undefined) {
    k = hmacKey(salt);
    if (saltKeys.size < 16) saltKeys.set(salt, k);
  }
  return Buffer.from(hmac(k, ikm).buffer);
}

/**
 * TLS 1.3 HKDF-Expand-Label with SHA-256 and an empty context (RFC 8446 §7.1): the HkdfLabel is
 * uint16 length ‖ opaque label<7..255> = "tls13 " + label ‖ opaque context<0..255> = "".
 * `length` ≤ 32, so HKDF-Expand (RFC 5869 §2.3) needs a single block T(1) = HMAC(prk, info ‖ 0x01).
 */
export function hkdfExpandLabel(secret: Uint8Array, label: string, length: number): Buffer {
  return expand(hmacKey(secret), labelInfo(label, length), length);
}

/** HKDF-Expand's single block: the first `length` bytes of HMAC(prk, info ‖ 0x01); `info` ends with the 0x01. */
function expand(prk: HmacKey, info: Uint8Array, length: number): Buffer {
  return Buffer.from(hmac(prk, info, length).buffer);
}

/** The HkdfLabel for (label, length) followed by the HKDF-Expand block counter 0x01. */
function labelInfo(label: string, length: number): Uint8Array {
  const full = Buffer.from('tls13 ' + label, 'latin1');
  const info = new Uint8Array(2 + 1 + full.length + 1 + 1);
  info[0] = length >>> 8;
  info[1] = length & 0xff;
  info[2] = full.length;
  info.set(full, 3);
  info[3 + full.length] = 0; // empty context
  info[4 + full.length] = 1; // HKDF-Expand block counter
  return info;
}

/**
 * Derives the client Initial keys (RFC 9001 §5.2; RFC 9369 §3.3.1–3.3.2 for v2's salt and labels):
 * initial_secret = HKDF-Extract(salt, DCID); client_initial_secret = Expand-Label(…, "client in", 32);
 * key/iv/hp = Expand-Label(client_initial_secret, "<stem> key"/"<stem> iv"/"<stem> hp").
 * Fourteen SHA-256 blocks in all: the salt's and the secret's padded-key states are absorbed once.
 */
export function deriveClientInitialKeys(info: QuicVersionInfo, dcid: Uint8Array): QuicInitialKeys {
  const initial = hkdfExtract(info.salt, dcid);
  const secret = expand(hmacKey(initial), LABEL_CLIENT_IN, 32);
  const prk = hmacKey(secret);
  const labels = info.labelStem === 'quic' ? LABELS_V1 : LABELS_V2;
  const hp = expand(prk, labels.hp, 16);
  return {
    secret,
    key: expand(prk, labels.key, 16),
    iv: expand(prk, labels.iv, 12),
    hp,
    hpRounds: aes128Key(hp),
  };
}

/** HkdfLabel bytes of the labels the derivation uses, built once. */
const LABEL_CLIENT_IN = labelInfo('client in', 32);
const LABELS_V1 = { key: labelInfo('quic key', 16), iv: labelInfo('quic iv', 12), hp: labelInfo('quic hp', 16) };
const LABELS_V2 = { key: labelInfo('quicv2 key', 16), iv: labelInfo('quicv2 iv', 12), hp: labelInfo('quicv2 hp', 16) };

/**
 * True when the datagram at `buf[off, off + len)` starts with an Initial that opens under the
 * client keys of its own DCID: a client's first flight (or its first after a Retry). A server's
 * Initials are protected with the server's keys (RFC 9001 §5.2), so a server Initial — which is
 * padded to 1200 bytes like a client's (RFC 9000 §14.1) — never passes. One derivation and one
 * decryption; for telling which side of a flow is the client, not for the per-datagram path.
 */
export function opensAsClientInitial(buf: Uint8Array, off: number, len: number): boolean {
  if (!(off >= 0 && len > 0 && off + len <= buf.length)) return false;
  const r = parseQuicLongHeader(buf, off, len);
  if (r.kind !== 'ok' || r.header.info === null || r.header.packetType !== PACKET_INITIAL) return false;
  const h = r.header;
  const info = h.info!;
  const dcid = buf.subarray(h.dcidOff, h.dcidOff + h.dcidLen);
  if (decryptInitialPacket(buf, h, deriveClientInitialKeys(info, dcid)).kind === 'ok') return true;
  return info.name === 'reserved' && decryptInitialPacket(buf, h, deriveClientInitialKeys(reservedWithV1Salt(info), dcid)).kind === 'ok';
}

// ---------------------------------------------------------------------------------------------
// Packet protection (RFC 9001 §5.3–5.4)
// ---------------------------------------------------------------------------------------------

/** Outcome of `decryptInitialPacket`. */
export type InitialDecryptResult =
  | {
      kind: 'ok';
      /** Full packet number (RFC 9000 §17.1 / Appendix A.3). */
      packetNumber: number;
      /** Length of the packet-number field, 1–4. */
      pnLength: number;
      /** The unprotected header (first byte and packet number in clear). */
      header: Buffer;
      /** Decrypted frames. */
      payload: Buffer;
    }
  /** The packet is too short for the header-protection sample plus tag (RFC 9001 §5.4.2). */
  | { kind: 'too-short' }
  /** AES-GCM authentication failed: wrong keys (other DCID) or damaged bytes. */
  | { kind: 'auth-failed' };

/**
 * Removes header protection and decrypts one Initial packet whose header `h` was parsed from
 * `buf`. `largestPn` is the largest packet number decrypted so far on this flow (−1 for none),
 * used to expand the truncated packet number (RFC 9000 Appendix A.3). Never throws.
 */
export function decryptInitialPacket(buf: Uint8Array, h: QuicLongHeader, keys: QuicInitialKeys, largestPn = -1): InitialDecryptResult {
  const pnOffset = h.pnOffset;
  if (pnOffset < 0 || h.length < 4 + SAMPLE_LEN || pnOffset + 4 + SAMPLE_LEN > h.end) return { kind: 'too-short' };
  // RFC 9001 §5.4.2: the sample starts 4 bytes after the start of the packet number field.
  const mask = HP_MASK;
  aes128EncryptBlock(keys.hpRounds, buf, pnOffset + 4, mask);
  // §5.4.1: long headers protect the low 4 bits of the first byte; the low 2 give pn length − 1.
  const first = h.firstByte ^ (mask[0] & 0x0f);
  // RFC 9000 §17.2 (and RFC 9369 §3): the two Reserved Bits (0x0c) of a long header are 0 once
  // protection is removed. A passive observer may check them before AES-GCM: a packet with them
  // set cannot be a valid client Initial, and skipping the trial decryption rejects 3 of 4
  // random datagrams for the price of one AES block (measured on the benchmark's random UDP 443).
  if ((first & 0x0c) !== 0) return { kind: 'auth-failed' };
  const pnLength = (first & 0x03) + 1;
  const headerLen = pnOffset - h.start + pnLength;
  if (h.length < pnLength + TAG_LEN) return { kind: 'too-short' };
  const header = Buffer.allocUnsafe(headerLen);
  header.set(buf.subarray(h.start, pnOffset + pnLength));
  header[0] = first;
  let truncated = 0;
  for (let i = 0; i < pnLength; i++) {
    const b = buf[pnOffset + i] ^ mask[1 + i];
    header[pnOffset - h.start + i] = b;
    truncated = truncated * 256 + b;
  }
  const packetNumber = decodePacketNumber(largestPn, truncated, pnLength * 8);
  // §5.3: nonce = iv XOR packet number (left-padded to the IV length).
  const nonce = Buffer.from(keys.iv);
  let pn = packetNumber;
  for (let i = 11; i >= 4 && pn > 0; i--) {
    nonce[i] ^= pn % 256;
    pn = Math.floor(pn / 256);
  }
  const ctStart = pnOffset + pnLength;
  const ctEnd = h.end - TAG_LEN;
  // An authentication failure surfaces as an exception from final(); capturing its stack trace
  // costs more than the decryption, so stack traces are off for this one call.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    const d = crypto.createDecipheriv('aes-128-gcm', keys.key, nonce, { authTagLength: TAG_LEN });
    d.setAAD(header);
    d.setAuthTag(buf.subarray(ctEnd, h.end));
    const head = d.update(buf.subarray(ctStart, ctEnd));
    const tail = d.final();
    const payload = tail.length === 0 ? head : Buffer.concat([head, tail]);
    return { kind: 'ok', packetNumber, pnLength, header, payload };
  } catch {
    return { kind: 'auth-failed' };
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** RFC 9000 Appendix A.3: the packet number closest to largestPn + 1 whose low `bits` match. */
export function decodePacketNumber(largestPn: number, truncated: number, bits: number): number {
  const expected = largestPn + 1;
  const win = 2 ** bits;
  const hwin = win / 2;
  const candidate = expected - (expected % win) + truncated;
  if (candidate <= expected - hwin && candidate < 2 ** 62 - win) return candidate + win;
  if (candidate > expected + hwin && candidate >= win) return candidate - win;
  return candidate;
}

// ---------------------------------------------------------------------------------------------
// Frames allowed in Initial packets (RFC 9000 §12.4 Table 3, §19)
// ---------------------------------------------------------------------------------------------

/** A CRYPTO frame's data, as offsets into the plaintext. */
export interface CryptoFrameRef {
  /** Offset of the data in the CRYPTO stream. */
  streamOffset: number;
  /** Where the data sits in the plaintext buffer. */
  dataOff: number;
  dataLen: number;
}

/** What an Initial packet's plaintext contains. */
export interface InitialFrames {
  crypto: CryptoFrameRef[];
  /** Counts of the other frames seen (facts for diagnostics). */
  padding: number;
  ping: number;
  ack: number;
  connectionClose: number;
  /** Type of the first frame we could not walk (not allowed in Initials, RFC 9000 §12.4), or −1. */
  unknownFrameType: number;
  /** True when a frame ran past the end of the plaintext or had an impossible field. */
  malformed: boolean;
}

/** Frame types (RFC 9000 §19). */
const F_PADDING = 0x00;
const F_PING = 0x01;
const F_ACK = 0x02;
const F_ACK_ECN = 0x03;
const F_CRYPTO = 0x06;
const F_CONNECTION_CLOSE = 0x1c;
const F_CONNECTION_CLOSE_APP = 0x1d;
/**
 * ACK ranges walked per frame. Each range costs 2 varints (≥ 2 bytes) so a 1 200-byte packet can
 * hold ~600; the bound only stops a pathological plaintext from looping long.
 */
const MAX_ACK_RANGES = 1024;

/**
 * Walks the frames of a decrypted Initial payload `buf[off, off + len)`. Stops at the first
 * frame type not allowed in Initial packets (reported in `unknownFrameType`) or at the first
 * frame that does not fit (`malformed`); what was read before is kept.
 */
export function parseInitialFrames(buf: Uint8Array, off: number, len: number): InitialFrames {
  const out: InitialFrames = { crypto: [], padding: 0, ping: 0, ack: 0, connectionClose: 0, unknownFrameType: -1, malformed: false };
  if (!(off >= 0 && len >= 0 && off + len <= buf.length)) {
    out.malformed = true;
    return out;
  }
  const end = off + len;
  const cur = newVarintCursor();
  let p = off;
  while (p < end) {
    if (!readVarint(buf, p, end, cur)) return fail(out);
    const type = cur.value;
    p = cur.next;
    switch (type) {
      case F_PADDING:
        out.padding++;
        while (p < end && buf[p] === 0) p++; // a run of PADDING counts once
        break;
      case F_PING:
        out.ping++;
        break;
      case F_ACK:
      case F_ACK_ECN: {
        // Largest Acknowledged, ACK Delay, ACK Range Count, First ACK Range, then
        // (Gap, ACK Range Length) × count, then 3 ECN counts for type 0x03 (§19.3).
        const q = skipVarints(buf, p, end, 3, cur);
        if (q < 0) return fail(out);
        const rangeCount = cur.value; // value of the third varint
        if (rangeCount > MAX_ACK_RANGES) return fail(out);
        const r = skipVarints(buf, q, end, 1 + 2 * rangeCount + (type === F_ACK_ECN ? 3 : 0), cur);
        if (r < 0) return fail(out);
        p = r;
        out.ack++;
        break;
      }
      case F_CRYPTO:
        p = readCryptoFrame(buf, p, end, cur, out);
        if (p < 0) return fail(out);
        break;
      case F_CONNECTION_CLOSE:
      case F_CONNECTION_CLOSE_APP: {
        // Error Code, [Frame Type (0x1c only)], Reason Phrase Length, Reason Phrase (§19.19).
        const q = skipVarints(buf, p, end, type === F_CONNECTION_CLOSE ? 3 : 2, cur);
        if (q < 0) return fail(out);
        if (cur.value > end - q) return fail(out);
        p = q + cur.value;
        out.connectionClose++;
        break;
      }
      default:
        out.unknownFrameType = type;
        return out;
    }
  }
  return out;
}

function fail(out: InitialFrames): InitialFrames {
  out.malformed = true;
  return out;
}

/**
 * The body of a CRYPTO frame at `p` (varint offset, varint length, data; RFC 9000 §19.6, and the
 * same in Google framing): appends it to `out.crypto` and returns the offset after it, or −1 when
 * it does not fit.
 */
function readCryptoFrame(buf: Uint8Array, p: number, end: number, cur: VarintCursor, out: InitialFrames): number {
  if (!readVarint(buf, p, end, cur)) return -1;
  const streamOffset = cur.value;
  if (!readVarint(buf, cur.next, end, cur)) return -1;
  const dataLen = cur.value;
  const dataOff = cur.next;
  if (dataLen > end - dataOff) return -1;
  out.crypto.push({ streamOffset, dataOff, dataLen });
  return dataOff + dataLen;
}

/** Google QUIC frame types found in Q050/T05x client Initials (Chromium's QuicFramer, Google framing). */
const G_PADDING = 0x00;
const G_PING = 0x07;
const G_CRYPTO = 0x08;
/** Bytes of the largest-acked and block-length fields of a Google ACK frame, by their 2-bit codes. */
const G_ACK_FIELD_BYTES = [1, 2, 4, 6];

/**
 * Walks the frames of a decrypted Q050/T050/T051 Initial, which use Google QUIC framing: PADDING
 * (0x00), PING (0x07), CRYPTO (0x08: varint offset, varint length, data, as in IETF QUIC) and
 * ACK (type 0b01ntllmm: largest acked, 2-byte delay, optional block count, first block, more
 * blocks of gap + length, then timestamps), which a client sends when it repeats its CHLO.
 * Same contract as parseInitialFrames: stops at a frame type it does not walk (reported in
 * `unknownFrameType`) or at one that does not fit (`malformed`), keeping what came before.
 */
export function parseGquicInitialFrames(buf: Uint8Array, off: number, len: number): InitialFrames {
  const out: InitialFrames = { crypto: [], padding: 0, ping: 0, ack: 0, connectionClose: 0, unknownFrameType: -1, malformed: false };
  if (!(off >= 0 && len >= 0 && off + len <= buf.length)) return fail(out);
  const end = off + len;
  const cur = newVarintCursor();
  let p = off;
  while (p < end) {
    const type = buf[p++];
    if (type === G_PADDING) {
      out.padding++;
      while (p < end && buf[p] === 0) p++;
    } else if (type === G_PING) {
      out.ping++;
    } else if (type === G_CRYPTO) {
      p = readCryptoFrame(buf, p, end, cur, out);
      if (p < 0) return fail(out);
    } else if ((type & 0xc0) === 0x40) {
      const largest = G_ACK_FIELD_BYTES[(type >> 2) & 3];
      const block = G_ACK_FIELD_BYTES[type & 3];
      p += largest + 2;
      let blocks = 0;
      if ((type & 0x20) !== 0) {
        if (p >= end) return fail(out);
        blocks = buf[p++];
      }
      p += block + blocks * (1 + block);
      if (p >= end) return fail(out);
      const timestamps = buf[p++];
      if (timestamps > 0) p += 5 + (timestamps - 1) * 3;
      if (p > end) return fail(out);
      out.ack++;
    } else {
      out.unknownFrameType = type;
      return out;
    }
  }
  return out;
}

/** Skips `n` varints from `p`; returns the offset after them (cursor holds the last value) or −1. */
function skipVarints(buf: Uint8Array, p: number, end: number, n: number, cur: VarintCursor): number {
  for (let i = 0; i < n; i++) {
    if (!readVarint(buf, p, end, cur)) return -1;
    p = cur.next;
  }
  return p;
}

/**
 * Whether a long header of a version we do not know still looks like QUIC rather than random UDP
 * (a DNS ID with its top bit set parses as a "long header" too). RFC 8999 promises nothing beyond
 * the invariant fields, so this is a heuristic: the fixed bit set (a client's first packets cannot
 * know whether the server accepts RFC 9287 greasing) and connection IDs no longer than 20 bytes
 * (the limit of every QUIC version published so far).
 */
function plausibleUnknown(h: QuicLongHeader): boolean {
  return (h.firstByte & 0x40) !== 0 && h.dcidLen <= MAX_CID_LEN && h.scidLen <= MAX_CID_LEN;
}

// ---------------------------------------------------------------------------------------------
// Per-flow decoder: the front door for the pipeline
// ---------------------------------------------------------------------------------------------

/** Outcome of feeding one client datagram. */
export type QuicResult =
  /** Not a QUIC long-header datagram we recognise (short header, Version Negotiation, garbage). */
  | { kind: 'not-quic' }
  /** A long header of a version we cannot decrypt (not an anomaly: we just cannot look inside). */
  | { kind: 'unsupported'; version: number }
  /** QUIC Initial(s) understood, ClientHello not complete yet. `gap`: later CRYPTO bytes wait on a hole. */
  | { kind: 'need-more'; version: number; gap: boolean }
  /** The ClientHello, decrypted and parsed. `packets`: client Initials it took. */
  | { kind: 'found'; version: number; hello: ClientHelloInfo; packets: number }
  /** A Google QUIC CHLO (plaintext versions; see ./gquic.ts). */
  | { kind: 'gquic'; version: number; chlo: GquicChlo }
  /**
   * Something went wrong. `anomaly` is an index into ANOMALY_NAMES. When `terminal` is false the
   * flow may still succeed on a later datagram (e.g. one Initial we could not decrypt).
   */
  | { kind: 'failed'; version: number; anomaly: number; terminal: boolean };

interface KeySet {
  dcid: Buffer;
  version: number;
  /** The salt the keys come from (a reserved version is tried with two). */
  salt: QuicVersionInfo['salt'];
  keys: QuicInitialKeys;
}

/**
 * Decrypts one flow's client Initials and reassembles their CRYPTO data until a ClientHello is
 * complete. One instance per flow, fed the client→server UDP payloads in capture order.
 *
 * Key selection: keys come from the DCID of the client's first Initial (RFC 9001 §5.2). Later
 * client Initials may carry the server's connection ID as DCID but stay under the same keys, so
 * the current key set is tried first; keys for the packet's own DCID are derived (and cached,
 * at most MAX_KEY_SETS) only when that fails. A successful decryption under a new DCID's keys
 * starts a new epoch (after a Retry, RFC 9000 §17.2.5.2, the client restarts its CRYPTO stream).
 */
export class QuicInitialDecoder {
  /** The CRYPTO stream of the current key epoch. */
  readonly crypto: QuicCryptoReassembler;
  /** Client Initial packets decrypted so far (all epochs). */
  initialsDecrypted = 0;
  private keySets: KeySet[] = [];
  private epoch: KeySet | null = null;
  private largestPn = -1;
  private done: QuicResult | null = null;
  private version = 0;

  /**
   * @param anomalies optional run counters: secondary anomalies (gaps, conflicts, stray frames)
   *   are counted here; the result of `feed` carries only the one that ends or fails a datagram.
   * @param maxCryptoBytes cap for the CRYPTO reassembler (MAX_CRYPTO_BYTES).
   */
  constructor(private readonly anomalies?: AnomalyCounters, maxCryptoBytes: number = MAX_CRYPTO_BYTES) {
    this.crypto = new QuicCryptoReassembler(maxCryptoBytes);
  }

  /**
   * Feeds one client→server UDP payload `buf[off, off + len)`. Once a result is final
   * (`found`, `gquic`, or `failed` with `terminal`) the same result is returned for every later
   * call, so a caller can stop feeding at that point.
   */
  feed(buf: Uint8Array, off: number, len: number): QuicResult {
    if (this.done !== null) return this.done;
    if (!(off >= 0 && len >= 0 && off + len <= buf.length) || len > MAX_UDP_PAYLOAD || len < 1) return { kind: 'not-quic' };
    const b0 = buf[off];
    // Google QUIC in plaintext: public header with a version (b0 & 0x80 clear) or Q044–Q046
    // long header. Q050/T05x have encrypted Initials and go the IETF way below.
    const v0 = this.versionAt(buf, off, len);
    if ((b0 & 0x80) === 0 || (isGquicVersion(v0) && quicVersionInfo(v0) === null)) {
      const g = parseGquicPacket(buf, off, len);
      if (g.kind === 'found') return this.settle({ kind: 'gquic', version: g.chlo.versionNumber, chlo: g.chlo });
      if (g.kind === 'encrypted' || g.kind === 'no-chlo') return { kind: 'unsupported', version: g.versionNumber };
      // A short-header packet of a flow already known to be QUIC is just "more".
      return this.epoch !== null ? this.needMore() : { kind: 'not-quic' };
    }
    let p = off;
    const end = off + len;
    let sawInitial = false;
    let failure: QuicResult | null = null;
    for (let n = 0; n < MAX_COALESCED_PACKETS && p < end; n++) {
      const r = parseQuicLongHeader(buf, p, end - p);
      if (r.kind === 'not-long-header') break; // a short-header packet (or zero padding) ends the long ones
      if (r.kind !== 'ok') {
        // A damaged header is an anomaly only when the packet claims a version we decrypt (or
        // the flow is already known to be QUIC); otherwise it is just not QUIC.
        if (n === 0 && this.epoch === null && !this.versionClaimed(buf, off, len)) return { kind: 'not-quic' };
        this.count(A['quic.malformed']);
        if (n === 0) return { kind: 'failed', version: this.versionAt(buf, off, len), anomaly: A['quic.malformed'], terminal: false };
        break;
      }
      const h = r.header;
      if (h.info === null) {
        // Version Negotiation (version 0) is server→client; other versions we cannot decrypt.
        if (n === 0) return h.version === 0 || !plausibleUnknown(h) ? { kind: 'not-quic' } : { kind: 'unsupported', version: h.version };
        break;
      }
      this.version = h.version;
      if (h.packetType === PACKET_INITIAL) {
        sawInitial = true;
        const res = this.handleInitial(buf, h);
        if (res !== null) {
          if (res.kind === 'found' || (res.kind === 'failed' && res.terminal)) return res;
          failure = res;
        }
      }
      if (h.packetType === PACKET_RETRY || h.end <= p) break;
      p = h.end;
    }
    if (failure !== null) return failure;
    if (!sawInitial && this.epoch === null) return { kind: 'need-more', version: this.version, gap: false };
    return this.needMore();
  }

  /**
   * Ends the flow: when CRYPTO data arrived but never formed a ClientHello, counts and returns
   * `quic.crypto_gap` (a hole remained) or −1 when there is nothing to say.
   */
  finish(): number {
    if (this.done === null && this.crypto.highest > 0 && this.crypto.hasGap) {
      this.count(A['quic.crypto_gap']);
      return A['quic.crypto_gap'];
    }
    return -1;
  }

  /** Records a final result: every later `feed` returns it. */
  private settle(result: QuicResult): QuicResult {
    this.done = result;
    return result;
  }

  /**
   * The complete ClientHello handshake message (4-byte header included) once the CRYPTO prefix
   * holds it, as a copy; null before that. Independent of the TLS parser's verdict.
   */
  clientHelloBytes(): Uint8Array | null {
    const s = this.crypto.status();
    if (s.kind !== 'complete') return null;
    return Uint8Array.from(this.crypto.view().subarray(0, s.length));
  }

  private handleInitial(buf: Uint8Array, h: QuicLongHeader): QuicResult | null {
    const info = h.info as QuicVersionInfo;
    // So many Initials without a complete ClientHello means the CRYPTO stream has a hole that
    // never fills (or is not a handshake at all): stop spending AES on this flow.
    if (this.initialsDecrypted >= MAX_INITIALS_PER_FLOW) {
      return this.settle({ kind: 'failed', version: h.version, anomaly: A['quic.crypto_gap'], terminal: true });
    }
    const dcid = buf.subarray(h.dcidOff, h.dcidOff + h.dcidLen);
    let dec: InitialDecryptResult = { kind: 'auth-failed' };
    let used: KeySet | null = null;
    // 1. the current epoch's keys (covers Initials sent to the server's connection ID)
    if (this.epoch !== null && this.epoch.version === h.version) {
      dec = decryptInitialPacket(buf, h, this.epoch.keys, this.largestPn);
      if (dec.kind === 'ok') used = this.epoch;
    }
    // 2. keys of the packet's own DCID (first Initial, or a new epoch after Retry)
    if (used === null && dec.kind !== 'too-short') {
      const own = this.keysFor(info, dcid);
      if (own !== this.epoch) {
        dec = decryptInitialPacket(buf, h, own.keys, this.largestPn);
        if (dec.kind === 'ok') used = own;
      }
    }
    // 3. a reserved version (0x?a?a?a?a) protected with v1's salt, as quic-go protects every
    //    version it does not know (the Initial that forces Version Negotiation)
    if (used === null && dec.kind === 'auth-failed' && info.name === 'reserved') {
      const v1 = this.keysFor(reservedWithV1Salt(info), dcid);
      dec = decryptInitialPacket(buf, h, v1.keys, this.largestPn);
      if (dec.kind === 'ok') used = v1;
    }
    // A reserved version no key opens is a version we cannot decrypt, not a failed decryption:
    // the server answers it with Version Negotiation and the client starts again in one we know,
    // however many times it sent it before (it counts towards the flow's datagram bound only).
    if (dec.kind === 'auth-failed' && info.name === 'reserved') return { kind: 'unsupported', version: h.version };
    if (dec.kind !== 'ok' || used === null) {
      const anomaly = dec.kind === 'too-short' ? A['quic.malformed'] : A['quic.decrypt_failed'];
      this.count(anomaly);
      return { kind: 'failed', version: h.version, anomaly, terminal: false };
    }
    if (used !== this.epoch) {
      if (this.epoch !== null) this.crypto.reset();
      this.epoch = used;
    }
    this.initialsDecrypted++;
    if (dec.packetNumber > this.largestPn) this.largestPn = dec.packetNumber;
    const frames = info.payload === 'tls'
      ? parseInitialFrames(dec.payload, 0, dec.payload.length)
      : parseGquicInitialFrames(dec.payload, 0, dec.payload.length);
    for (const f of frames.crypto) {
      const st = this.crypto.add(f.streamOffset, dec.payload, f.dataOff, f.dataLen);
      if (st === 'conflict') this.count(A['stream.overlap_conflict']);
      else if (st === 'over-limit') this.count(A['tls.client_hello_too_large']);
    }
    if (frames.malformed || frames.unknownFrameType >= 0) this.count(A['quic.malformed']);
    return info.payload === 'gquic-chlo' ? this.checkChlo(h.version) : this.checkHello(h.version);
  }

  /** Q050: the CRYPTO stream holds a QUIC Crypto CHLO (tag-value message), not a TLS ClientHello. */
  private checkChlo(version: number): QuicResult | null {
    const view = this.crypto.view();
    const have = this.crypto.contiguous;
    const total = chloMessageLength(view, 0, have);
    if (total < 0) return this.settle({ kind: 'failed', version, anomaly: A['tls.malformed_client_hello'], terminal: true });
    if (total > this.crypto.maxBytes) return this.settle({ kind: 'failed', version, anomaly: A['tls.client_hello_too_large'], terminal: true });
    if (total === 0 || have < total) return null;
    const chlo = parseChloMessage(view, 0, total, version);
    if (chlo === null) return this.settle({ kind: 'failed', version, anomaly: A['tls.malformed_client_hello'], terminal: true });
    return this.settle({ kind: 'gquic', version, chlo });
  }

  private checkHello(version: number): QuicResult | null {
    const s = this.crypto.status();
    switch (s.kind) {
      case 'need-more':
        return null;
      case 'not-client-hello':
        return this.settle({ kind: 'failed', version, anomaly: A['tls.malformed_client_hello'], terminal: true });
      case 'too-large':
        return this.settle({ kind: 'failed', version, anomaly: A['tls.client_hello_too_large'], terminal: true });
      case 'complete': {
        const r = parseClientHelloMessage(this.crypto.view(), 0, s.length);
        if (r.kind === 'found') return this.settle({ kind: 'found', version, hello: r.hello, packets: this.initialsDecrypted });
        const anomaly = r.kind === 'malformed' ? r.anomaly : A['tls.malformed_client_hello'];
        return this.settle({ kind: 'failed', version, anomaly, terminal: true });
      }
    }
  }

  private needMore(): QuicResult {
    return { kind: 'need-more', version: this.version, gap: this.crypto.hasGap };
  }

  /** Cached keys for (version, DCID); derives and caches (bounded, oldest non-epoch evicted). */
  private keysFor(info: QuicVersionInfo, dcid: Uint8Array): KeySet {
    for (const k of this.keySets) if (k.version === info.version && k.salt === info.salt && k.dcid.equals(dcid)) return k;
    const set: KeySet = { dcid: Buffer.from(dcid), version: info.version, salt: info.salt, keys: deriveClientInitialKeys(info, dcid) };
    if (this.keySets.length >= MAX_KEY_SETS) {
      const victim = this.keySets.findIndex((k) => k !== this.epoch);
      this.keySets.splice(victim < 0 ? 0 : victim, 1);
    }
    this.keySets.push(set);
    return set;
  }

  /** True when the datagram's first packet names a version we decrypt (so damage is an anomaly). */
  private versionClaimed(buf: Uint8Array, off: number, len: number): boolean {
    return len >= 5 && quicVersionInfo(this.versionAt(buf, off, len)) !== null;
  }

  private versionAt(buf: Uint8Array, off: number, len: number): number {
    return len >= 5 ? ((buf[off + 1] << 24) | (buf[off + 2] << 16) | (buf[off + 3] << 8) | buf[off + 4]) >>> 0 : 0;
  }

  private count(id: number): void {
    if (this.anomalies !== undefined) this.anomalies.add(id);
  }
}
