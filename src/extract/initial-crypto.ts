/**
 * The two small cryptographic primitives QUIC Initial key derivation and header protection
 * need, in plain TypeScript: HMAC-SHA-256 (FIPS 180-4 §6.2, RFC 2104) for HKDF, and one
 * AES-128 block encryption (FIPS 197) for the header-protection mask (RFC 9001 §5.4.3).
 *
 * Why not node:crypto: every QUIC-looking datagram on UDP 443 derives a key set (five HMACs)
 * and one mask before anything else can be checked. Through node:crypto each HMAC costs an
 * object, a key import and a native call — measured 8–10 µs each inside a replay (2 µs in a
 * tight loop), ~90 µs per Initial with the cipher, 7% of the benchmark replay. Here an HMAC
 * whose key is fixed (the version's salt) reuses its padded-key states, and a whole derivation
 * is 14 SHA-256 blocks. AES-GCM decryption (needed only once the header checks pass) stays in
 * node:crypto.
 *
 * These are public-value computations (Initial secrets are derived from what is on the wire),
 * so constant-time execution is not a concern here; this module must never be used for keys
 * that are secret. It must never read past the inputs it is given, and never allocate per
 * block: working state lives in module-level typed arrays (single-threaded use).
 */

// ---------------------------------------------------------------------------------------------
// SHA-256 (FIPS 180-4 §6.2)
// ---------------------------------------------------------------------------------------------

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);
const H0 = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);

/** Message schedule, reused by every block. */
const W = new Int32Array(64);
/** One padded block being assembled. */
const BLOCK = new Uint8Array(64);

/** Compresses the 64-byte block `b[off, off + 64)` into `h` (eight words). */
function compress(h: Int32Array, b: Uint8Array, off: number): void {
  const w = W;
  for (let i = 0; i < 16; i++) {
    const p = off + 4 * i;
    w[i] = (b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3];
  }
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15];
    const y = w[i - 2];
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
  }
  let a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (hh + S1 + ch + K[i] + w[i]) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & bb) ^ (a & c) ^ (bb & c);
    const t2 = (S0 + maj) | 0;
    hh = g; g = f; f = e; e = (d + t1) | 0;
    d = c; c = bb; bb = a; a = (t1 + t2) | 0;
  }
  h[0] = (h[0] + a) | 0; h[1] = (h[1] + bb) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + d) | 0;
  h[4] = (h[4] + e) | 0; h[5] = (h[5] + f) | 0; h[6] = (h[6] + g) | 0; h[7] = (h[7] + hh) | 0;
}

/**
 * Finishes a SHA-256 computation whose state `h` has absorbed `prefixBlocks` whole blocks:
 * absorbs `m[off, off + len)` with the final padding (FIPS 180-4 §5.1.1), leaving the digest
 * in `h`.
 */
function finish(h: Int32Array, prefixBlocks: number, m: Uint8Array, off: number, len: number): void {
  let p = off;
  const end = off + len;
  while (end - p >= 64) { compress(h, m, p); p += 64; }
  const rest = end - p;
  const blk = BLOCK;
  blk.fill(0);
  for (let i = 0; i < rest; i++) blk[i] = m[p + i];
  blk[rest] = 0x80;
  if (rest >= 56) { compress(h, blk, 0); blk.fill(0); }
  // Length in bits; messages here are far below 2^32 bytes, so the top word is len >>> 29 bits.
  const bytes = prefixBlocks * 64 + len;
  const hi = Math.floor(bytes / 0x20000000);
  const lo = (bytes * 8) >>> 0;
  blk[56] = hi >>> 24; blk[57] = hi >>> 16; blk[58] = hi >>> 8; blk[59] = hi;
  blk[60] = lo >>> 24; blk[61] = lo >>> 16; blk[62] = lo >>> 8; blk[63] = lo;
  compress(h, blk, 0);
}

/** SHA-256 of `m` (used for HMAC keys longer than a block, and by the tests). */
export function sha256(m: Uint8Array): Uint8Array {
  const h = Int32Array.from(H0);
  finish(h, 0, m, 0, m.length);
  return wordsToBytes(h, 32);
}

function wordsToBytes(h: Int32Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = h[i >>> 2] >>> (24 - 8 * (i & 3));
  return out;
}

// ---------------------------------------------------------------------------------------------
// HMAC-SHA-256 (RFC 2104) with precomputed key states
// ---------------------------------------------------------------------------------------------

/** An HMAC key absorbed once: the SHA-256 states after (K ⊕ ipad) and after (K ⊕ opad). */
export interface HmacKey {
  readonly inner: Int32Array;
  readonly outer: Int32Array;
}

/** Prepares `key` for any number of HMAC computations. */
export function hmacKey(key: Uint8Array): HmacKey {
  const k = key.length > 64 ? sha256(key) : key;
  const blk = new Uint8Array(64);
  const inner = Int32Array.from(H0);
  const outer = Int32Array.from(H0);
  for (let i = 0; i < 64; i++) blk[i] = (i < k.length ? k[i] : 0) ^ 0x36;
  compress(inner, blk, 0);
  for (let i = 0; i < 64; i++) blk[i] = (i < k.length ? k[i] : 0) ^ 0x5c;
  compress(outer, blk, 0);
  return { inner, outer };
}

const HI = new Int32Array(8);
const HO = new Int32Array(8);
const INNER_DIGEST = new Uint8Array(32);

/** HMAC-SHA-256(key, m) truncated to `length` ≤ 32 bytes. */
export function hmac(key: HmacKey, m: Uint8Array, length = 32): Uint8Array {
  HI.set(key.inner);
  finish(HI, 1, m, 0, m.length);
  for (let i = 0; i < 32; i++) INNER_DIGEST[i] = HI[i >>> 2] >>> (24 - 8 * (i & 3));
  HO.set(key.outer);
  finish(HO, 1, INNER_DIGEST, 0, 32);
  return wordsToBytes(HO, length);
}

// ---------------------------------------------------------------------------------------------
// AES-128, encryption of one block (FIPS 197)
// ---------------------------------------------------------------------------------------------

/** The S-box and four round tables (SubBytes, ShiftRows and MixColumns folded, big-endian words). */
const SBOX = new Uint8Array(256);
const T0 = new Int32Array(256);
const T1 = new Int32Array(256);
const T2 = new Int32Array(256);
const T3 = new Int32Array(256);

(function buildTables(): void {
  // FIPS 197 §5.1.1: the multiplicative inverse in GF(2^8) followed by the affine transform,
  // computed by walking generator 3's powers (p) alongside its inverse's (q).
  let p = 1, q = 1;
  do {
    p = p ^ ((p << 1) & 0xff) ^ (p & 0x80 ? 0x1b : 0);
    q ^= q << 1; q ^= q << 2; q ^= q << 4; q &= 0xff;
    if (q & 0x80) q ^= 0x09;
    const x = q ^ rotl8(q, 1) ^ rotl8(q, 2) ^ rotl8(q, 3) ^ rotl8(q, 4);
    SBOX[p] = (x ^ 0x63) & 0xff;
  } while (p !== 1);
  SBOX[0] = 0x63;
  for (let i = 0; i < 256; i++) {
    const s = SBOX[i];
    const s2 = ((s << 1) ^ (s & 0x80 ? 0x1b : 0)) & 0xff;
    const s3 = s2 ^ s;
    const t = (s2 << 24) | (s << 16) | (s << 8) | s3;
    T0[i] = t;
    T1[i] = (t >>> 8) | (t << 24);
    T2[i] = (t >>> 16) | (t << 16);
    T3[i] = (t >>> 24) | (t << 8);
  }
})();

function rotl8(x: number, n: number): number {
  return ((x << n) | (x >>> (8 - n))) & 0xff;
}

/** An expanded AES-128 key: 44 round-key words (FIPS 197 §5.2). */
export type Aes128Key = Int32Array;

const RCON = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36];

/** Expands a 16-byte key. */
export function aes128Key(key: Uint8Array): Aes128Key {
  if (key.length !== 16) throw new RangeError('AES-128 needs a 16-byte key');
  const w = new Int32Array(44);
  for (let i = 0; i < 4; i++) w[i] = (key[4 * i] << 24) | (key[4 * i + 1] << 16) | (key[4 * i + 2] << 8) | key[4 * i + 3];
  for (let i = 4; i < 44; i++) {
    let t = w[i - 1];
    if (i % 4 === 0) {
      // RotWord, SubWord, Rcon.
      t = (SBOX[(t >>> 16) & 0xff] << 24) | (SBOX[(t >>> 8) & 0xff] << 16) | (SBOX[t & 0xff] << 8) | SBOX[t >>> 24];
      t ^= RCON[i / 4 - 1] << 24;
    }
    w[i] = w[i - 4] ^ t;
  }
  return w;
}

/** Encrypts the block `input[off, off + 16)` under `rk` into `out[0, 16)`. */
export function aes128EncryptBlock(rk: Aes128Key, input: Uint8Array, off: number, out: Uint8Array): void {
  const word = (i: number): number => (input[off + i] << 24) | (input[off + i + 1] << 16) | (input[off + i + 2] << 8) | input[off + i + 3];
  let s0 = word(0) ^ rk[0], s1 = word(4) ^ rk[1], s2 = word(8) ^ rk[2], s3 = word(12) ^ rk[3];
  let k = 4;
  for (let round = 1; round < 10; round++, k += 4) {
    const t0 = T0[s0 >>> 24] ^ T1[(s1 >>> 16) & 0xff] ^ T2[(s2 >>> 8) & 0xff] ^ T3[s3 & 0xff] ^ rk[k];
    const t1 = T0[s1 >>> 24] ^ T1[(s2 >>> 16) & 0xff] ^ T2[(s3 >>> 8) & 0xff] ^ T3[s0 & 0xff] ^ rk[k + 1];
    const t2 = T0[s2 >>> 24] ^ T1[(s3 >>> 16) & 0xff] ^ T2[(s0 >>> 8) & 0xff] ^ T3[s1 & 0xff] ^ rk[k + 2];
    const t3 = T0[s3 >>> 24] ^ T1[(s0 >>> 16) & 0xff] ^ T2[(s1 >>> 8) & 0xff] ^ T3[s2 & 0xff] ^ rk[k + 3];
    s0 = t0; s1 = t1; s2 = t2; s3 = t3;
  }
  // Final round: SubBytes, ShiftRows, AddRoundKey (no MixColumns).
  const S = SBOX;
  const f0 = ((S[s0 >>> 24] << 24) | (S[(s1 >>> 16) & 0xff] << 16) | (S[(s2 >>> 8) & 0xff] << 8) | S[s3 & 0xff]) ^ rk[40];
  const f1 = ((S[s1 >>> 24] << 24) | (S[(s2 >>> 16) & 0xff] << 16) | (S[(s3 >>> 8) & 0xff] << 8) | S[s0 & 0xff]) ^ rk[41];
  const f2 = ((S[s2 >>> 24] << 24) | (S[(s3 >>> 16) & 0xff] << 16) | (S[(s0 >>> 8) & 0xff] << 8) | S[s1 & 0xff]) ^ rk[42];
  const f3 = ((S[s3 >>> 24] << 24) | (S[(s0 >>> 16) & 0xff] << 16) | (S[(s1 >>> 8) & 0xff] << 8) | S[s2 & 0xff]) ^ rk[43];
  putWord(out, 0, f0); putWord(out, 4, f1); putWord(out, 8, f2); putWord(out, 12, f3);
}

function putWord(out: Uint8Array, p: number, w: number): void {
  out[p] = w >>> 24; out[p + 1] = w >>> 16; out[p + 2] = w >>> 8; out[p + 3] = w;
}
