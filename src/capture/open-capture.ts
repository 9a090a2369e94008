/**
 * Opens a capture file or standard input, sniffs its magic number and returns the matching
 * reader (dpkt's UniversalReader); a gzip or zstd file is decompressed on the way
 * (compressed-input.ts) and sniffed again. Also owns `CaptureInput`, the chunked byte window both readers
 * walk. Only `openCapture` throws (missing, unreadable, empty or not-a-capture input); once a
 * reader exists, bad bytes and I/O failures become `CaptureIssue`s. Never allocates from a length
 * read out of the file.
 */
import * as fs from 'fs';
import type { AnomalyCounters } from '../anomalies';
import {
  CaptureNotFoundError,
  CapturePermissionError,
  CaptureReadError,
  EmptyCaptureError,
  NotACaptureError,
} from '../errors';
import { DecompressedStream, GunzipStream, ZstdStream, isGzip, isZstd } from './compressed-input';
import { PcapFileReader, PCAP_MAGIC_KUZNETZOV, PCAP_MAGIC_MICROS, PCAP_MAGIC_NANOS } from './pcap-file';
import { PcapngFileReader, PCAPNG_BLOCK_SHB, PCAPNG_BYTE_ORDER_MAGIC } from './pcapng-file';
import type { InputInfo, PacketSource } from './source';

/**
 * Size of the reused read window. Measured on the 1.07 GB bench pcap (1.2 M packets, warm page
 * cache, 2 shared cores): 1 MiB 0.137 s, 2 MiB 0.159 s, 4 MiB 0.171 s, 16 MiB 0.175 s, 64 MiB
 * 0.300 s; a bare readSync loop takes 0.126 s, so the record walk itself costs ~10%. Must stay
 * well above MAX_BUFFERED_BLOCK (~390 KiB): a record always fits after the tail moves to the front.
 */
export const CHUNK_BYTES = 1024 * 1024;

/**
 * Bytes asked of one read (more only when a record needs more). The window is compacted before
 * each read, so the bytes being parsed stay in the same 256 KiB at the front of the buffer,
 * warm in the core's cache when the decoder reads them. Measured on the benchmark replay
 * (medians of 15 alternating runs against filling the whole window each time): 256 KiB -4%,
 * 128 KiB -3%; a read-only walk is the same from 128 KiB to 1 MiB.
 */
export const READ_BYTES = 256 * 1024;

/** How long to sleep when a non-blocking stdin pipe has no data yet (EAGAIN). */
const EAGAIN_SLEEP_MS = 2;
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * A window over a file or stream: `buf[pos, end)` holds the next unread bytes; `offset` is the
 * file offset of `buf[pos]`. Readers advance `pos` themselves and call `ensure(n)` before reading
 * n bytes. One buffer, reused for the whole run; records spanning a chunk boundary are moved to
 * the front (at most one record's bytes are copied per chunk).
 * Never throws: a failed read ends the input and is left in `ioError` for the reader to report.
 */
export class CaptureInput {
  /** The window. Readers index it directly (no per-packet subarray: that halved the walk speed). */
  buf: Buffer;
  /** Next unread byte in `buf`. */
  pos = 0;
  /** One past the last valid byte in `buf`. */
  end = 0;
  /** Message of the read error that ended the input early, if any. */
  ioError: string | null = null;
  private base = 0; // file offset of buf[0]
  private readAt = 0; // file position of the next positional read
  private ended = false;
  private closed = false;
  /** Set for a compressed input: bytes come decompressed from it instead of from `fd`. */
  private readonly decompressor: DecompressedStream | null;

  /**
   * @param fd open descriptor; closed by `close()` only when `ownsFd`.
   * @param positional true for regular files (reads at explicit positions, `skip` seeks);
   *   false for pipes and terminals (reads at the current position, `skip` reads and discards).
   * @param capacity window size in bytes; the default suits files of any size.
   * @param decompressor for a compressed input (then `positional` is false, and offsets count
   *   decompressed bytes).
   */
  constructor(
    private readonly fd: number,
    private readonly positional: boolean,
    private readonly ownsFd: boolean,
    capacity: number = CHUNK_BYTES,
    decompressor: DecompressedStream | null = null,
  ) {
    this.buf = Buffer.allocUnsafe(capacity);
    this.decompressor = decompressor;
  }

  /** 'gzip' or 'zstd' when the bytes are decompressed from a compressed file; null otherwise. */
  get compression(): 'gzip' | 'zstd' | null {
    return this.decompressor === null ? null : this.decompressor.kind;
  }

  /** The readers' `info()` fields of a compressed input (none for a plain one). */
  compressionInfo(): Pick<InputInfo, 'compression' | 'compressedBytes'> {
    const d = this.decompressor;
    return d === null ? {} : { compression: d.kind, compressedBytes: d.compressedRead };
  }

  /** File offset of `buf[pos]` (of the decompressed stream, when compressed), for issue messages. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Largest `n` that `ensure(n)` can satisfy. */
  get capacity(): number {
    return this.buf.length;
  }

  /**
   * Makes at least `n` bytes available at `pos` (n <= capacity, checked by the caller).
   * Returns false when the input ends first; `end - pos` then says how many bytes remain.
   */
  ensure(n: number): boolean {
    if (this.end - this.pos >= n) return true;
    if (n > this.buf.length) return false;
    if (this.pos > 0) this.compact();
    while (this.end < n && !this.ended) this.fill(n - this.end);
    return this.end >= n;
  }

  /**
   * Advances past `n` bytes that may lie beyond the window (skipped pcapng blocks).
   * Returns false when the input ends first. Never buffers the skipped bytes.
   */
  skip(n: number): boolean {
    const have = this.end - this.pos;
    if (n <= have) {
      this.pos += n;
      return true;
    }
    let beyond = n - have;
    this.base += this.end;
    this.pos = 0;
    this.end = 0;
    if (this.positional) {
      // Seek: a length past EOF shows up as a failed ensure() right after.
      this.readAt += beyond;
      this.base = this.readAt;
      return true;
    }
    while (beyond > 0 && !this.ended) {
      this.fill();
      const take = Math.min(beyond, this.end);
      beyond -= take;
      this.base += take;
      this.buf.copyWithin(0, take, this.end);
      this.end -= take;
    }
    return beyond === 0;
  }

  /** Releases the descriptor when this input owns it. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsFd) fs.closeSync(this.fd);
  }

  private compact(): void {
    this.buf.copyWithin(0, this.pos, this.end);
    this.base += this.pos;
    this.end -= this.pos;
    this.pos = 0;
  }

  /**
   * One read into the free tail of the window, of READ_BYTES or `want` bytes if more (never
   * past the window's end); sets `ended` at EOF or on error.
   */
  private fill(want: number = READ_BYTES): void {
    const room = Math.min(this.buf.length - this.end, Math.max(READ_BYTES, want));
    if (room === 0) return;
    let got: number;
    if (this.decompressor !== null) {
      got = this.decompressor.read(this.buf, this.end, room);
      if (got < 0) {
        Atomics.wait(sleepCell, 0, 0, EAGAIN_SLEEP_MS); // a non-blocking pipe with nothing yet
        return;
      }
      if (got === 0) {
        this.ioError = this.decompressor.error;
        this.ended = true;
        return;
      }
      this.end += got;
      return;
    }
    try {
      got = fs.readSync(this.fd, this.buf, this.end, room, this.positional ? this.readAt : null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' || code === 'EWOULDBLOCK') {
        // Non-blocking stdin pipe with nothing to read yet: wait briefly, the caller loops.
        Atomics.wait(sleepCell, 0, 0, EAGAIN_SLEEP_MS);
        return;
      }
      if (code === 'EOF') got = 0; // Windows pipes report EOF as an error
      else {
        this.ioError = (err as Error).message;
        this.ended = true;
        return;
      }
    }
    if (got === 0) {
      this.ended = true;
      return;
    }
    this.end += got;
    this.readAt += got;
  }
}

/**
 * Opens `pathOrDash` ('-' = standard input, read synchronously) and returns a pcap or pcapng
 * reader chosen by the magic number. Anomalies found while reading are counted into `anomalies`.
 * Throws a `CaptureError` when the input is missing, unreadable, empty or not a capture; never
 * throws afterwards. Reading stdin blocks (or sleeps through EAGAIN) until data or EOF arrives.
 */
export function openCapture(pathOrDash: string, anomalies?: AnomalyCounters): PacketSource {
  const isStdin = pathOrDash === '-';
  const name = isStdin ? '<stdin>' : pathOrDash;
  const fd = isStdin ? 0 : openFile(pathOrDash);
  try {
    const stat = fs.fstatSync(fd);
    if (stat.isDirectory()) throw new NotACaptureError(name, 'it is a directory');
    // stdin reads from its current position even when it is a redirected file.
    const positional = !isStdin && stat.isFile();
    let input = new CaptureInput(fd, positional, !isStdin);
    // 12 bytes: pcapng needs the SHB byte-order magic at offset 8 to be told apart from noise.
    input.ensure(12);
    if (input.ioError !== null) throw new CaptureReadError(name, input.ioError);
    const gzip = isGzip(input.buf, input.end);
    if (gzip || isZstd(input.buf, input.end)) {
      // A regular file was read at explicit positions, so its descriptor still stands at 0;
      // standard input's first bytes are gone from the pipe and are decompressed first.
      const prefix = positional ? null : Uint8Array.prototype.slice.call(input.buf, 0, input.end);
      input = new CaptureInput(fd, false, !isStdin, CHUNK_BYTES, gzip ? new GunzipStream(fd, prefix) : new ZstdStream(fd, prefix));
      input.ensure(12);
      if (input.end === 0 && input.ioError !== null) throw new CaptureReadError(name, input.ioError);
    }
    return chooseReader(input, name, anomalies);
  } catch (err) {
    if (!isStdin) fs.closeSync(fd);
    throw err;
  }
}

function openFile(path: string): number {
  try {
    return fs.openSync(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new CaptureNotFoundError(path, err);
    if (code === 'EACCES' || code === 'EPERM') throw new CapturePermissionError(path, err);
    throw new CaptureReadError(path, (err as Error).message, err);
  }
}

function chooseReader(input: CaptureInput, name: string, anomalies?: AnomalyCounters): PacketSource {
  const have = input.end - input.pos;
  const b = input.buf;
  const decompressed = input.compression === null ? '' : ` once decompressed from ${input.compression}`;
  if (have === 0) throw new EmptyCaptureError(name);
  if (have < 4) throw new NotACaptureError(name, `only ${have} byte${have === 1 ? '' : 's'} long${decompressed}`);
  const magicLe = b.readUInt32LE(0);
  const magicBe = b.readUInt32BE(0);
  if (magicLe === PCAP_MAGIC_MICROS || magicBe === PCAP_MAGIC_MICROS || magicLe === PCAP_MAGIC_NANOS || magicBe === PCAP_MAGIC_NANOS ||
    magicLe === PCAP_MAGIC_KUZNETZOV || magicBe === PCAP_MAGIC_KUZNETZOV) {
    return new PcapFileReader(input, name, anomalies);
  }
  if (magicLe === PCAPNG_BLOCK_SHB) {
    // draft-ietf-opsawg-pcapng §4.1: the SHB's Byte-Order Magic tells the section's endianness.
    if (have < 12) return new PcapngFileReader(input, name, anomalies); // reports the truncation
    const bom = b.readUInt32LE(8);
    if (bom === PCAPNG_BYTE_ORDER_MAGIC || b.readUInt32BE(8) === PCAPNG_BYTE_ORDER_MAGIC) {
      return new PcapngFileReader(input, name, anomalies);
    }
    throw new NotACaptureError(name, `starts like pcapng but its byte-order magic is 0x${bom.toString(16).padStart(8, '0')}`);
  }
  throw new NotACaptureError(name, `unknown magic number ${describeStart(b, Math.min(have, 8))}${decompressed}${guessFormat(b, have, decompressed !== '')}`);
}

function describeStart(b: Buffer, n: number): string {
  const hex: string[] = [];
  for (let i = 0; i < n; i++) hex.push(b[i].toString(16).padStart(2, '0'));
  return hex.join(' ');
}

/** A short guess for common non-capture inputs, so the message says more than "bad magic". */
function guessFormat(b: Buffer, have: number, decompressed: boolean): string {
  if (b[0] === 0x1f && b[1] === 0x8b) return decompressed ? ' (gzip again: compressed twice)' : ' (gzip with a method other than deflate)';
  if (b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd) return ' (zstd again: compressed twice)';
  if (b.readUInt32BE(0) === 0x504b0304) return ' (zip archive: unzip it first)';
  if (have >= 6 && b.readUInt32BE(0) === 0xfd377a58 && b[4] === 0x5a && b[5] === 0) return ' (xz: decompress it first)';
  if (b[0] === 0x42 && b[1] === 0x5a && b[2] === 0x68) return ' (bzip2: decompress it first)';
  let printable = 0;
  const n = Math.min(have, 64);
  for (let i = 0; i < n; i++) if ((b[i] >= 0x20 && b[i] < 0x7f) || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09) printable++;
  return printable === n ? ' (looks like text)' : '';
}
