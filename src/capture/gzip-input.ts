/**
 * Gzip-compressed captures (`capture.pcap.gz`, `tcpdump -z gzip` rotations, archived CI
 * evidence): a synchronous, bounded-memory inflater behind CaptureInput, so a compressed file
 * is read like any other, one window at a time, and the pcap/pcapng readers never know.
 *
 * Decompression is fflate's streaming Gunzip (RFC 1952 members, concatenated members too), fed
 * at most FEED_BYTES of compressed input per step. Deflate expands at most ~1032:1, so one step
 * produces at most ~16.5 MB even from a decompression bomb, and the window takes it from there.
 * Measured on this machine (90 MB benchmark slice, medians): fflate streaming 75–82 MB/s of
 * output; Node's native zlib ~200 MB/s, but only as one-shot gunzipSync (the whole file in
 * memory: unbounded) or as an asynchronous stream (the readers are synchronous pull loops);
 * the synchronous chunk API of a zlib stream closes its handle after one call.
 *
 * Never throws: a corrupt or cut-short stream ends the input with `error` set, and the bytes
 * inflated before it stay readable (a truncated .pcap.gz still yields its whole records).
 */
import * as fs from 'fs';
import type { Gunzip } from 'fflate';

/** Compressed bytes read and inflated per step (see the module note on bounds). */
export const FEED_BYTES = 16 * 1024;
/** Deflate's largest expansion (RFC 1951: a 258-byte match in as little as ~2 bits), rounded up. */
export const MAX_DEFLATE_RATIO = 1032;

/** gzip's ID1, ID2 and the deflate compression method (RFC 1952 §2.3.1). */
export function isGzip(b: Uint8Array, have: number): boolean {
  return have >= 3 && b[0] === 0x1f && b[1] === 0x8b && b[2] === 0x08;
}

/** Inflated bytes of a gzip stream read sequentially from `fd`. */
export class GunzipStream {
  /** Why the stream ended early (corrupt data, cut short, read failure); null while healthy. */
  error: string | null = null;
  private readonly inflater: Gunzip;
  private readonly feed = Buffer.allocUnsafe(FEED_BYTES);
  private readonly pending: Uint8Array[] = [];
  private head = 0; // bytes of pending[0] already handed out
  private pendingBytes = 0;
  private inputDone = false;

  /**
   * @param fd read from its current position (sequential reads only).
   * @param prefix compressed bytes already taken from `fd` (standard input's first bytes), inflated first.
   */
  constructor(private readonly fd: number, private prefix: Uint8Array | null) {
    // Loaded on first use: only compressed inputs pay for the module (start-up time is measured).
    const { Gunzip: GunzipClass } = require('fflate') as typeof import('fflate');
    this.inflater = new GunzipClass((data) => {
      if (data.length > 0) {
        this.pending.push(data);
        this.pendingBytes += data.length;
      }
    });
  }

  /** Inflated bytes waiting to be read: at most one step's output (FEED_BYTES × MAX_DEFLATE_RATIO) beyond a read. */
  get buffered(): number {
    return this.pendingBytes;
  }

  /**
   * Copies up to `room` inflated bytes into `buf` at `off`. Returns the count; 0 at the end of
   * the stream or after an error (then `error` says which); -1 when a non-blocking pipe has no
   * input yet (the caller waits and asks again).
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

  /**
   * Reads and inflates one piece of compressed input; ends the input at EOF or on any failure.
   * False when the read would block.
   */
  private step(): boolean {
    let piece: Uint8Array;
    if (this.prefix !== null) {
      piece = this.prefix;
      this.prefix = null;
    } else {
      let got: number;
      try {
        got = fs.readSync(this.fd, this.feed, 0, FEED_BYTES, null);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return false;
        if (code === 'EOF') got = 0; // Windows pipes report EOF as an error
        else {
          this.fail((err as Error).message);
          return true;
        }
      }
      if (got === 0) {
        this.push(new Uint8Array(0), true);
        this.inputDone = true;
        return true;
      }
      piece = this.feed.subarray(0, got);
    }
    this.push(piece, false);
    return true;
  }

  private push(piece: Uint8Array, final: boolean): void {
    try {
      this.inflater.push(piece, final);
    } catch (err) {
      // fflate says "unexpected EOF" for a stream cut short, "invalid …" for corrupt data.
      const message = (err as Error).message;
      this.fail(message === 'unexpected EOF' ? 'gzip: the compressed data ends early (cut short)' : `gzip: ${message}`);
    }
  }

  private fail(message: string): void {
    if (this.error === null) this.error = message;
    this.inputDone = true;
  }
}
