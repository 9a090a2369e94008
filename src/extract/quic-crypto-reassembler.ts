/**
 * Reassembly of the client's Initial-level CRYPTO stream (RFC 9000 §19.6, §7.5) up to the end
 * of its TLS ClientHello.
 *
 * What it is for: a ClientHello can be split over several Initial packets (Chrome does this for
 * post-quantum key shares and ECH), the pieces may arrive out of order, be retransmitted, or
 * overlap. This buffer takes CRYPTO frame data at arbitrary offsets and says when the
 * contiguous prefix from offset 0 holds one complete handshake message (type + 3-byte length,
 * RFC 8446 §4).
 *
 * What it must never do: throw, grow past `maxBytes`, or let a later copy of a byte overwrite
 * the first one (first write wins, like a TCP reassembler that keeps what it already acked;
 * a differing retransmission is reported as a conflict instead). It knows nothing about QUIC
 * packets or keys; the per-flow decoder in quic-initial.ts feeds it.
 */

/**
 * Default cap on buffered CRYPTO bytes per flow. Real ClientHellos are 0.3–2.5 KB (a Chrome
 * hello with X25519MLKEM768 and ECH is ~2.2 KB, see the corpus' quic-multiple-initial capture);
 * 64 KiB leaves a 25× margin while keeping 10 000 half-open QUIC flows under 640 MiB worst case.
 * Memory is allocated on demand (doubling from 2 KiB), so typical flows use 2–4 KiB.
 */
export const MAX_CRYPTO_BYTES = 64 * 1024;

/** First allocation; a typical single-packet ClientHello fits. */
const INITIAL_CAPACITY = 2048;

/** TLS HandshakeType client_hello (RFC 8446 §4). */
const HANDSHAKE_CLIENT_HELLO = 1;

/** Outcome of adding one CRYPTO frame's data. */
export type CryptoAddStatus =
  /** Stored (possibly partly, when some bytes were already present and equal). */
  | 'ok'
  /** Offset + length past `maxBytes`: the bytes beyond the cap were dropped. */
  | 'over-limit'
  /** Some bytes were already present with a different value; the first copy was kept. */
  | 'conflict';

/** What the contiguous prefix currently holds. */
export type CryptoPrefixStatus =
  /** Not enough contiguous bytes yet; `needed` is the total prefix length required (≥ 4). */
  | { kind: 'need-more'; needed: number; gap: boolean }
  /** The prefix holds a complete handshake message of `length` bytes (4-byte header included). */
  | { kind: 'complete'; length: number }
  /** The first byte is not HandshakeType client_hello. */
  | { kind: 'not-client-hello'; handshakeType: number }
  /** The declared message length does not fit in `maxBytes`. */
  | { kind: 'too-large'; length: number };

/**
 * Collects CRYPTO data for one flow and one Initial key epoch. Out-of-order and overlapping
 * frames are fine; memory is bounded by `maxBytes`.
 */
export class QuicCryptoReassembler {
  private data: Uint8Array = new Uint8Array(0);
  /** have[i] = 1 when byte i has been received. Same capacity as `data`. */
  private have: Uint8Array = new Uint8Array(0);
  /** Length of the received prefix [0, contiguous). */
  private contiguousEnd = 0;
  /** One past the highest byte received. */
  private highestEnd = 0;
  /** Total CRYPTO payload bytes offered (duplicates included), for diagnostics. */
  bytesOffered = 0;

  /** @param maxBytes cap on stored bytes; offsets at or past it are dropped (see MAX_CRYPTO_BYTES). */
  constructor(readonly maxBytes: number = MAX_CRYPTO_BYTES) {}

  /** Bytes [0, contiguous) have all been received. */
  get contiguous(): number {
    return this.contiguousEnd;
  }

  /** One past the highest stream offset received. */
  get highest(): number {
    return this.highestEnd;
  }

  /** True when bytes beyond the contiguous prefix are held (a hole precedes them). */
  get hasGap(): boolean {
    return this.highestEnd > this.contiguousEnd;
  }

  /** Forgets everything (a new key epoch after Retry restarts the CRYPTO stream at offset 0). */
  reset(): void {
    this.data = new Uint8Array(0);
    this.have = new Uint8Array(0);
    this.contiguousEnd = 0;
    this.highestEnd = 0;
    this.bytesOffered = 0;
  }

  /**
   * Adds `src[srcOff, srcOff + len)` at stream offset `offset`. `offset` may be any
   * non-negative number (a varint from the wire); anything at or past `maxBytes` is dropped.
   */
  add(offset: number, src: Uint8Array, srcOff: number, len: number): CryptoAddStatus {
    if (len <= 0) return 'ok';
    this.bytesOffered += len;
    let status: CryptoAddStatus = 'ok';
    let end = offset + len;
    if (offset >= this.maxBytes) return 'over-limit';
    if (end > this.maxBytes) {
      end = this.maxBytes;
      status = 'over-limit';
    }
    this.ensureCapacity(end);
    const data = this.data;
    const have = this.have;
    let conflict = false;
    for (let i = offset, j = srcOff; i < end; i++, j++) {
      if (have[i] === 0) {
        data[i] = src[j];
        have[i] = 1;
      } else if (data[i] !== src[j]) {
        conflict = true;
      }
    }
    if (end > this.highestEnd) this.highestEnd = end;
    let c = this.contiguousEnd;
    while (c < this.highestEnd && have[c] === 1) c++;
    this.contiguousEnd = c;
    if (conflict && status === 'ok') status = 'conflict';
    return status;
  }

  /** Says whether the contiguous prefix holds a complete handshake message, and if not, why. */
  status(): CryptoPrefixStatus {
    const c = this.contiguousEnd;
    if (c >= 1 && this.data[0] !== HANDSHAKE_CLIENT_HELLO) return { kind: 'not-client-hello', handshakeType: this.data[0] };
    if (c < 4) return { kind: 'need-more', needed: 4, gap: this.hasGap };
    const length = 4 + ((this.data[1] << 16) | (this.data[2] << 8) | this.data[3]);
    if (length > this.maxBytes) return { kind: 'too-large', length };
    if (c < length) return { kind: 'need-more', needed: length, gap: this.hasGap };
    return { kind: 'complete', length };
  }

  /**
   * The buffer holding the stream from offset 0; valid bytes are [0, contiguous). A view, not a
   * copy: it stays valid until the next `add` or `reset`.
   */
  view(): Uint8Array {
    return this.data.subarray(0, this.contiguousEnd);
  }

  private ensureCapacity(end: number): void {
    if (end <= this.data.length) return;
    let cap = Math.max(this.data.length, INITIAL_CAPACITY);
    while (cap < end) cap *= 2;
    if (cap > this.maxBytes) cap = this.maxBytes;
    const data = new Uint8Array(cap);
    data.set(this.data);
    const have = new Uint8Array(cap);
    have.set(this.have);
    this.data = data;
    this.have = have;
  }
}
