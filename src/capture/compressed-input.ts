/**
 * Compressed captures (`capture.pcap.gz`, `capture.pcapng.zst`, `tcpdump -z gzip` rotations,
 * archived CI evidence): synchronous, bounded-memory decompressors behind CaptureInput, so a
 * compressed file is read like any other, one window at a time, and the pcap/pcapng readers
 * never know. Recognised by magic number, never by file name.
 *
 * - gzip (RFC 1952; concatenated members too, and zero padding after the last one, as gzip(1)
 *   accepts it): fflate's streaming Gunzip, fed FEED_BYTES of compressed input per step. Deflate expands at most ~1032:1, so one step produces at most
 *   ~16.5 MB even from a decompression bomb.
 * - zstd (RFC 8878; several frames, skippable frames): this module walks the frame and block
 *   headers itself and hands fzstd one whole block at a time, so one step produces at most
 *   ZSTD_MAX_STEP_OUTPUT whatever the ratio, and refuses what the reference decoder refuses by
 *   default before anything is allocated from it: a window over 128 MiB, reserved bits or block
 *   types, blocks over 128 KiB, frames that need a dictionary.
 *
 * Measured on this machine (90 MB benchmark slice, medians): fflate 75–82 MB/s of output, fzstd
 * ~275 MB/s; Node's native zlib ~200 MB/s, but only as one-shot gunzipSync (the whole file in
 * memory: unbounded) or as an asynchronous stream (the readers are synchronous pull loops; the
 * synchronous chunk API of a zlib stream closes its handle after one call). Node 20 has no zstd.
 * Both libraries load on first use, so plain captures never pay for them.
 *
 * Never throws: a corrupt or cut-short stream ends the input with `error` set, and the bytes
 * decompressed before it stay readable (a truncated .pcap.gz still yields its whole records).
 */
import * as fs from 'fs';
import type { Gunzip } from 'fflate';
import type { Decompress } from 'fzstd';

/** Compressed bytes read and inflated per gzip step (see the module note on bounds). */
export const FEED_BYTES = 16 * 1024;
/** Deflate's largest expansion (RFC 1951: a 258-byte match in as little as ~2 bits), rounded up. */
export const MAX_DEFLATE_RATIO = 1032;
/** RFC 8878 §3.1.1.2.4: Block_Maximum_Size is at most 128 KiB, compressed or not. */
export const ZSTD_MAX_BLOCK = 128 * 1024;
/**
 * Most output of one zstd step: one block, except at a frame's start, where fzstd waits for 18
 * bytes before it reads the header; a 6-byte header and three 4-byte RLE blocks reach that
 * together, so up to three blocks come out at once.
 */
export const ZSTD_MAX_STEP_OUTPUT = 3 * 128 * 1024;
/** The reference decoder's default window limit (ZSTD_WINDOWLOG_LIMIT_DEFAULT = 27). */
export const ZSTD_MAX_WINDOW = 128 * 1024 * 1024;

/** gzip's ID1, ID2 and the deflate compression method (RFC 1952 §2.3.1). */
export function isGzip(b: Uint8Array, have: number): boolean {
  return have >= 3 && b[0] === 0x1f && b[1] === 0x8b && b[2] === 0x08;
}

/** A zstd frame's magic number, 0xFD2FB528 little-endian (RFC 8878 §3.1.1). */
export function isZstd(b: Uint8Array, have: number): boolean {
  return have >= 4 && b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd;
}

/**
 * Decompressed bytes of a stream read sequentially from `fd`, queued as the decompressor
 * produces them and handed out by `read`. Subclasses feed the decompressor one step at a time.
 */
export abstract class DecompressedStream {
  /** Why the stream ended early (corrupt data, cut short, read failure); null while healthy. */
  error: string | null = null;
  abstract readonly kind: 'gzip' | 'zstd';
  /** Compressed bytes taken from the file so far (a progress bar's measure). */
  compressedRead = 0;
  protected inputDone = false;
  private readonly pending: Uint8Array[] = [];
  private head = 0; // bytes of pending[0] already handed out
  private pendingBytes = 0;
  private peakBytes = 0;

  /**
   * @param fd read from its current position (sequential reads only).
   * @param prefix compressed bytes already taken from `fd` (standard input's first bytes), used first.
   */
  constructor(protected readonly fd: number, protected prefix: Uint8Array | null) {}

  /**
   * The most decompressed bytes this stream has held queued at once. A step runs only when the
   * queue is empty, so this is the largest single step's output: the bound the module note
   * promises (gzip FEED_BYTES × MAX_DEFLATE_RATIO, zstd ZSTD_MAX_STEP_OUTPUT).
   */
  get peakBuffered(): number {
    return this.peakBytes;
  }

  /**
   * Copies up to `room` decompressed bytes into `buf` at `off`. Returns the count; 0 at the end
   * of the stream or after an error (then `error` says which); -1 when a non-blocking pipe has
   * no input yet (the caller waits and asks again).
   */
  read(buf: Uint8Array, off: number, room: number): number {
    while (this.pending.length === 0) {
      if (this.inputDone) return 0;
      if (!this.step()) return -1;
    }
    let copied = 0;
    while (copied < room && this.pending.length > 0) {
      const chunk = this.pending[0];
      const n = Math.min(room - copied, chunk.length - this.head);
      buf.set(chunk.subarray(this.head, this.head + n), off + copied);
      copied += n;
      this.head += n;
      this.pendingBytes -= n;
      if (this.head === chunk.length) {
        this.pending.shift();
        this.head = 0;
      }
    }
    return copied;
  }

  /** Decompresses one step of input into `emit`; false when the read would block. */
  protected abstract step(): boolean;

  protected emit(data: Uint8Array): void {
    if (data.length === 0) return;
    this.pending.push(data);
    this.pendingBytes += data.length;
    if (this.pendingBytes > this.peakBytes) this.peakBytes = this.pendingBytes;
  }

  /**
   * Reads up to `room` compressed bytes into `into` at `at` (the prefix first): the count, 0 at
   * the end of input, -1 when it would block. A read error ends the stream with `error` set.
   */
  protected readInput(into: Buffer, at: number, room: number): number {
    if (this.prefix !== null) {
      const n = Math.min(room, this.prefix.length);
      into.set(this.prefix.subarray(0, n), at);
      this.prefix = n === this.prefix.length ? null : this.prefix.subarray(n);
      this.compressedRead += n;
      return n;
    }
    try {
      const n = fs.readSync(this.fd, into, at, room, null);
      this.compressedRead += n;
      return n;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return -1;
      if (code === 'EOF') return 0; // Windows pipes report EOF as an error
      this.fail((err as Error).message);
      return 0;
    }
  }

  protected fail(message: string): void {
    if (this.error === null) this.error = message;
    this.inputDone = true;
  }
}

/** Inflated bytes of a gzip stream. */
export class GunzipStream extends DecompressedStream {
  readonly kind = 'gzip';
  private readonly inflater: Gunzip;
  private readonly feed = Buffer.allocUnsafe(FEED_BYTES);
  /** The last member ended and zeros followed: the rest of the file must be zeros too. */
  private inPadding = false;

  constructor(fd: number, prefix: Uint8Array | null) {
    super(fd, prefix);
    const { Gunzip: GunzipClass } = require('fflate') as typeof import('fflate');
    this.inflater = new GunzipClass((data) => this.emit(data));
  }

  protected step(): boolean {
    const got = this.readInput(this.feed, 0, FEED_BYTES);
    if (got < 0) return false;
    if (this.inputDone) return true; // a read error
    if (this.inPadding) {
      // After the last member, only zeros may follow, to the end of the file.
      if (got === 0) this.inputDone = true;
      else if (this.feed.subarray(0, got).some((b) => b !== 0)) this.fail('gzip: invalid gzip data (trailing garbage after zero padding)');
      return true;
    }
    const final = got === 0;
    // A run of zeros that ends the chunk goes in a push of its own: when fflate, reading it,
    // expects another member's header and finds zeros, the file is padded (a tape or `dd
    // conv=sync` fills its last block with zeros), which gzip(1) accepts without a word; in any
    // other place zeros are data, and two pushes read them like one.
    let z = got;
    while (z > 0 && this.feed[z - 1] === 0) z--;
    try {
      if (z < got && got - z >= 4) {
        this.inflater.push(this.feed.subarray(0, z), false);
        try {
          this.inflater.push(this.feed.subarray(z, got), final);
        } catch (err) {
          if ((err as Error).message !== 'invalid gzip data') throw err;
          this.inPadding = true;
          return true;
        }
      } else {
        this.inflater.push(this.feed.subarray(0, got), final);
      }
    } catch (err) {
      // fflate says "unexpected EOF" for a stream cut short, "invalid …" for corrupt data.
      const message = (err as Error).message;
      this.fail(message === 'unexpected EOF' ? 'gzip: the compressed data ends early (cut short)' : `gzip: ${message}`);
      return true;
    }
    if (final) this.inputDone = true;
    return true;
  }
}

/** Where the zstd walker stands (RFC 8878 §3.1). */
const enum ZstdAt { FrameStart, Block, Skip }

/** zstd frames decompressed one block at a time (see the module note). */
export class ZstdStream extends DecompressedStream {
  readonly kind = 'zstd';
  private readonly fzstd: typeof import('fzstd');
  /** Compressed bytes read but not yet consumed: `inBuf[inPos, inEnd)`. Holds a whole block. */
  private readonly inBuf = Buffer.allocUnsafe(2 * ZSTD_MAX_BLOCK + 64);
  private inPos = 0;
  private inEnd = 0;
  private eof = false;
  private at = ZstdAt.FrameStart;
  private frame: Decompress | null = null;
  private checksum = false;
  private skipLeft = 0;
  /** Offset in the compressed file of inBuf[inPos], for messages. */
  private consumed = 0;

  constructor(fd: number, prefix: Uint8Array | null) {
    super(fd, prefix);
    this.fzstd = require('fzstd') as typeof import('fzstd');
  }

  protected step(): boolean {
    switch (this.at) {
      case ZstdAt.FrameStart: return this.frameStart();
      case ZstdAt.Block: return this.block();
      default: {
        const have = this.fill(1);
        if (have < 0) return false;
        if (have === 0) return this.cutShort();
        const n = Math.min(have, this.skipLeft);
        this.take(n);
        this.skipLeft -= n;
        if (this.skipLeft === 0) this.at = ZstdAt.FrameStart;
        return true;
      }
    }
  }

  /** A frame header, a skippable frame's header, or the clean end of the stream. */
  private frameStart(): boolean {
    const have = this.fill(4);
    if (have < 0) return false;
    if (have === 0) {
      this.inputDone = true;
      return true;
    }
    if (have < 4) return this.cutShort();
    const b = this.inBuf;
    const p = this.inPos;
    const magic = b.readUInt32LE(p);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      // Skippable frame (§3.1.2): 4-byte size, then that many bytes nobody decodes.
      const h = this.fill(8);
      if (h < 0) return false;
      if (h < 8) return this.cutShort();
      this.skipLeft = b.readUInt32LE(p + 4);
      this.take(8);
      this.at = this.skipLeft > 0 ? ZstdAt.Skip : ZstdAt.FrameStart;
      return true;
    }
    if (magic !== 0xfd2fb528) return this.corrupt('not a zstd frame');
    const d = this.fill(5);
    if (d < 0) return false;
    if (d < 5) return this.cutShort();
    const fhd = b[p + 4];
    const single = (fhd & 0x20) !== 0;
    if ((fhd & 0x08) !== 0) return this.corrupt('reserved bit set in a frame header');
    const dictBytes = [0, 1, 2, 4][fhd & 3];
    const fcsBytes = [single ? 1 : 0, 2, 4, 8][fhd >> 6];
    const headerLength = 5 + (single ? 0 : 1) + dictBytes + fcsBytes;
    const h = this.fill(headerLength);
    if (h < 0) return false;
    if (h < headerLength) return this.cutShort();
    let q = p + 5 + (single ? 0 : 1);
    let dict = 0;
    for (let i = 0; i < dictBytes; i++) dict += b[q + i] * 2 ** (8 * i);
    q += dictBytes;
    let window: number;
    if (single) {
      window = 0;
      for (let i = 0; i < fcsBytes; i++) window += b[q + i] * 2 ** (8 * i);
      if (fcsBytes === 2) window += 256;
    } else {
      const wd = b[p + 5];
      const base = 2 ** (10 + (wd >> 3));
      window = base + (base / 8) * (wd & 7);
    }
    if (dict !== 0) return this.corrupt(`the frame needs dictionary ${dict}, which is not in the file`);
    if (window > ZSTD_MAX_WINDOW) return this.corrupt(`a window of ${Math.ceil(window / 2 ** 20)} MiB, over the 128 MiB zstd itself accepts by default`);
    this.checksum = (fhd & 0x04) !== 0;
    this.frame = new this.fzstd.Decompress((data) => this.emit(data));
    if (!this.push(headerLength, false)) return true;
    this.at = ZstdAt.Block;
    return true;
  }

  /**
   * One whole block (3-byte header and content) to the decompressor; the last one with the
   * frame's checksum and as final, so fzstd decodes it even when the whole frame is shorter
   * than the 18 bytes it otherwise waits for before reading a frame header.
   */
  private block(): boolean {
    const have = this.fill(3);
    if (have < 0) return false;
    if (have < 3) return this.cutShort();
    const b = this.inBuf;
    const p = this.inPos;
    const header = b[p] | (b[p + 1] << 8) | (b[p + 2] << 16);
    const last = (header & 1) !== 0;
    const type = (header >> 1) & 3;
    const size = header >>> 3;
    if (type === 3) return this.corrupt('a block of the reserved type');
    if (size > ZSTD_MAX_BLOCK) return this.corrupt(`a block of ${size} bytes, over the 128 KiB maximum`);
    const length = 3 + (type === 1 ? 1 : size) + (last && this.checksum ? 4 : 0);
    const h = this.fill(length);
    if (h < 0) return false;
    if (h < length) return this.cutShort();
    if (!this.push(length, last)) return true;
    if (last) {
      this.frame = null;
      this.at = ZstdAt.FrameStart;
    }
    return true;
  }

  /** Passes the next `n` input bytes (a copy: the decompressor keeps what it is given) to the frame. */
  private push(n: number, final: boolean): boolean {
    const bytes = Uint8Array.prototype.slice.call(this.inBuf, this.inPos, this.inPos + n);
    this.take(n);
    try {
      this.frame!.push(bytes, final);
      return true;
    } catch (err) {
      this.corrupt((err as Error).message);
      return false;
    }
  }

  /**
   * Makes `n` bytes (n <= the buffer) available at inPos unless the input ends first: how many
   * are there, or -1 when a read would block before `n` were there.
   */
  private fill(n: number): number {
    while (this.inEnd - this.inPos < n && !this.eof) {
      if (this.inPos > 0) {
        this.inBuf.copyWithin(0, this.inPos, this.inEnd);
        this.inEnd -= this.inPos;
        this.inPos = 0;
      }
      const got = this.readInput(this.inBuf, this.inEnd, this.inBuf.length - this.inEnd);
      if (got < 0) return -1;
      if (got === 0) this.eof = true;
      this.inEnd += got;
    }
    return Math.min(n, this.inEnd - this.inPos);
  }

  private take(n: number): void {
    this.inPos += n;
    this.consumed += n;
  }

  private cutShort(): boolean {
    if (this.error === null) this.fail('zstd: the compressed data ends early (cut short)');
    return true;
  }

  private corrupt(why: string): boolean {
    this.fail(`zstd: ${why} at compressed byte ${this.consumed}`);
    return true;
  }
}
