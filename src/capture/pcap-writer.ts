/**
 * Classic pcap writer (draft-ietf-opsawg-pcap) for test fixtures and generators: either byte order,
 * microsecond or nanosecond magic. Also holds `ByteSink`, the buffered synchronous file output the
 * pcapng writer shares. Writes exactly what it is given: it never truncates to the snaplen and
 * never validates packet bytes. Not for the read path; nothing here runs per packet of an audit.
 */
import * as fs from 'fs';
import { PCAP_MAGIC_MICROS, PCAP_MAGIC_NANOS } from './pcap-file';

/** Flushes happen in writes of about this size (one syscall per MiB, not per packet). */
const SINK_BYTES = 1024 * 1024;

/**
 * Buffered output to a file path (created/truncated, closed by `close`) or to an open descriptor
 * (left open). Callers `reserve(n)` then write fields with the `put*` methods in `littleEndian` order.
 */
export class ByteSink {
  private buf = Buffer.allocUnsafe(SINK_BYTES);
  private view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  private len = 0;
  private readonly fd: number;
  private readonly ownsFd: boolean;
  private closed = false;
  /** Bytes written to the file by whole flushes: the buffer only ever holds whole blocks, so a file this long ends on one. */
  private flushed = 0;
  /** Byte order used by `put16`/`put32`; the pcapng writer switches it per section. */
  littleEndian = true;

  /** Opens `target` for writing (a path is created or truncated; a descriptor is used as is). */
  constructor(target: number | string) {
    this.ownsFd = typeof target === 'string';
    this.fd = typeof target === 'string' ? fs.openSync(target, 'w') : target;
  }

  /** Makes room for `n` more bytes in the buffer (flushing, or growing for one oversized block). */
  reserve(n: number): void {
    if (this.closed) throw new Error('write after close');
    if (this.len + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) {
      this.buf = Buffer.allocUnsafe(n);
      this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    }
  }

  /** Writes one byte (reserved space only). */
  put8(v: number): void {
    this.buf[this.len++] = v;
  }

  /** Writes a uint16 in `littleEndian` order (reserved space only). */
  put16(v: number): void {
    this.view.setUint16(this.len, v, this.littleEndian);
    this.len += 2;
  }

  /** Writes a uint32 in `littleEndian` order; negative values wrap (two's complement). */
  put32(v: number): void {
    this.view.setUint32(this.len, v >>> 0, this.littleEndian);
    this.len += 4;
  }

  /** Copies `data` into the buffer (reserve it first). */
  putBytes(data: Uint8Array): void {
    this.buf.set(data, this.len);
    this.len += data.length;
  }

  /** Writes zero bytes up to the next multiple of 4 of `n` (pcapng padding). */
  pad4(n: number): void {
    for (let i = n; (i & 3) !== 0; i++) this.buf[this.len++] = 0;
  }

  /**
   * Writes out everything buffered. When the write fails part-way (a full disk), a file this
   * sink created is cut back to the last whole block before the error is thrown, so the
   * evidence stays readable (tshark: no packet "cut short in the middle"); the buffered blocks
   * are dropped.
   */
  flush(): void {
    let off = 0;
    try {
      while (off < this.len) off += fs.writeSync(this.fd, this.buf, off, this.len - off);
    } catch (e) {
      this.len = 0;
      if (this.ownsFd && off > 0) {
        try { fs.ftruncateSync(this.fd, this.flushed); } catch { /* the error below says what failed */ }
      }
      throw e;
    }
    this.flushed += this.len;
    this.len = 0;
  }

  /** Flushes; closes the descriptor when the sink opened it. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.ownsFd) fs.closeSync(this.fd);
  }
}

/** Options for `PcapWriter`. */
export interface PcapWriterOptions {
  /** LINKTYPE_* for the file header. */
  linkType: number;
  /** Snapshot length for the file header; default 262144. Packets are not cut to it. */
  snaplen?: number;
  /** Nanosecond magic (0xa1b23c4d) instead of microseconds. */
  nanos?: boolean;
  /** Byte order of every header field; default little-endian. */
  littleEndian?: boolean;
}

/** Writes a classic pcap: the 24-byte file header at construction, then one record per call. */
export class PcapWriter {
  private readonly sink: ByteSink;
  private readonly nanos: boolean;

  /** Creates/truncates the file at `target` (or uses an open descriptor) and writes the file header. */
  constructor(target: number | string, options: PcapWriterOptions) {
    this.sink = new ByteSink(target);
    this.sink.littleEndian = options.littleEndian ?? true;
    this.nanos = options.nanos ?? false;
    const s = this.sink;
    s.reserve(24);
    s.put32(this.nanos ? PCAP_MAGIC_NANOS : PCAP_MAGIC_MICROS);
    s.put16(2); // version 2.4 (draft-ietf-opsawg-pcap §4)
    s.put16(4);
    s.put32(0); // thiszone
    s.put32(0); // sigfigs
    s.put32(options.snaplen ?? 262144);
    s.put32(options.linkType);
  }

  /** Appends one record; `tsMicros` is µs since the epoch (written as ns × 1000 in a nanosecond file). */
  writePacket(tsMicros: number, data: Uint8Array, wireLength: number = data.length): void {
    const seconds = Math.floor(tsMicros / 1e6);
    const micros = tsMicros - seconds * 1e6;
    this.writeRecord(seconds, this.nanos ? micros * 1000 : micros, data, wireLength);
  }

  /**
   * Appends one record with the raw timestamp fields: `fraction` is µs or ns as the file's magic
   * says. Lets fixtures express sub-µs times and odd values.
   */
  writeRecord(seconds: number, fraction: number, data: Uint8Array, wireLength: number = data.length): void {
    const s = this.sink;
    s.reserve(16 + data.length);
    s.put32(seconds);
    s.put32(fraction);
    s.put32(data.length);
    s.put32(wireLength);
    s.putBytes(data);
  }

  /** Flushes buffered records to the file. */
  flush(): void {
    this.sink.flush();
  }

  /** Flushes and closes (the descriptor is closed only if the writer opened it). Safe to call twice. */
  close(): void {
    this.sink.close();
  }
}
