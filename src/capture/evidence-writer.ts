/**
 * Evidence files for `live --write`: every captured packet, unchanged, in pcapng files that
 * rotate by size — `capture.pcapng`, then `capture.1.pcapng`, `capture.2.pcapng`, ... in the
 * order they were written. Each file is a complete pcapng (SHB + IDB) that replays on its own,
 * and ends with an Interface Statistics Block carrying the capture's received/dropped counters.
 *
 * Per packet it only copies bytes into the writer's buffer. It never deletes or overwrites
 * evidence (an existing file is refused unless `force`), and never truncates a packet.
 */
import * as fs from 'fs';
import * as path from 'path';
import { LiveCaptureError } from '../errors';
import { canCreateIn, writableBy } from './privileges';
import { PcapngWriter } from './pcapng-writer';
import { DEFAULT_WRITE_MAX_BYTES } from './evidence-limits';
export { DEFAULT_WRITE_MAX_BYTES };

/** pcapng Interface Statistics Block (draft-ietf-opsawg-pcapng §4.6) and its options. */
const PCAPNG_BLOCK_ISB = 0x00000005;
const ISB_IFRECV = 4;
const ISB_IFDROP = 5;


/** Counters written into each file's closing statistics block. */
export interface EvidenceCounters { received: number; dropped: number }

/** What the files hold and describe. */
export interface EvidenceOptions {
  /** Link type and snapshot length of the capture (the interface block). */
  linkType: number;
  snaplen: number;
  /** Soft size limit of one file (default DEFAULT_WRITE_MAX_BYTES). */
  maxBytes?: number;
  /** Replace existing files instead of refusing them. */
  force?: boolean;
  /** The capture's counters so far, for the statistics block that ends a file at rotation. */
  counters?: () => EvidenceCounters;
  /** Written into every file so it says where it came from: the interface (if_name), the capture filter (if_filter), the writing application (shb_userappl). */
  iface?: string;
  filter?: string;
  application?: string;
}

/**
 * Writes packets to size-rotated pcapng files. `maxBytes` is a soft limit: a file is rotated
 * before the packet that would cross it (a single packet larger than the limit still gets a file).
 */
export class EvidenceWriter {
  /** Every file started so far, in order. */
  readonly files: string[] = [];
  private readonly maxBytes: number;
  private writer: PcapngWriter | null = null;
  /** Bytes of the current file's section and interface blocks (a file holding only them is never rotated). */
  private headerBytes = 0;
  private closed = false;

  /**
   * Opens the first file at once (so a bad path fails before capture starts, and so the file is
   * created before `--user` drops root). Throws EA_CAPTURE_FAILED naming the file on failure.
   */
  constructor(readonly basePath: string, private readonly o: EvidenceOptions) {
    this.maxBytes = o.maxBytes ?? DEFAULT_WRITE_MAX_BYTES;
    const earlier = EvidenceWriter.rotatedFiles(basePath);
    if (o.force !== true) {
      // A rotated file an earlier run left would stop the evidence at the first rotation, hours
      // in: refuse it now, as the first file is refused.
      if (earlier.length > 0) {
        throw new LiveCaptureError('EA_CAPTURE_FAILED', `--write: ${earlier[0]} already exists (a rotated file of an earlier run; the files of this run would stop there)`, {
          hint: 'move the earlier files away or choose another name, or pass --force to replace them',
        });
      }
    } else {
      // --force replaces the earlier run's evidence: all of it. Rotations this run never reaches
      // (an earlier run was longer) would otherwise sit beside its files and be read as its tail.
      for (const file of earlier) {
        try {
          fs.unlinkSync(file);
        } catch (e) {
          throw new LiveCaptureError('EA_CAPTURE_FAILED', `--write: cannot remove ${file}, a rotated file of an earlier run (${(e as NodeJS.ErrnoException).code ?? String(e)})`, {
            hint: 'remove the rotated files of the earlier run, or choose another --write path',
          });
        }
      }
    }
    this.rotate();
  }

  /** Files in the directory named as rotations of `basePath` (`capture.1.pcapng`, ...), in no particular order. */
  static rotatedFiles(basePath: string): string[] {
    const dir = path.dirname(basePath);
    const ext = path.extname(basePath);
    const stem = path.basename(basePath, ext);
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return [];
    }
    return names.filter((n) => n.startsWith(`${stem}.`) && n.endsWith(ext) && /^\d+$/.test(n.slice(stem.length + 1, n.length - ext.length))).map((n) => path.join(dir, n));
  }

  /** The n-th file name: `capture.pcapng`, `capture.1.pcapng`, ... (extension kept last). */
  static fileName(basePath: string, n: number): string {
    if (n === 0) return basePath;
    const ext = path.extname(basePath);
    return ext === '' ? `${basePath}.${n}` : `${basePath.slice(0, -ext.length)}.${n}${ext}`;
  }

  /** Appends one packet; `data` is copied. Rotates first when the file would pass `maxBytes`. */
  write(tsMicros: number, data: Uint8Array, wireLength: number): void {
    if (this.closed) return;
    const blockBytes = 32 + ((data.length + 3) & ~3);
    if (this.writer!.written + blockBytes > this.maxBytes && this.writer!.written > this.headerBytes) this.rotate();
    this.writer!.writePacket(0, tsMicros, data, wireLength);
  }

  /** Writes buffered packets to disk (called about once a second so evidence survives a crash). */
  flush(): void {
    if (!this.closed) this.writer?.flush();
  }

  /** Ends the current file with a statistics block and closes it. Safe to call twice. */
  close(counters?: EvidenceCounters): void {
    if (this.closed) return;
    this.closed = true;
    this.finishFile(counters);
  }

  private finishFile(counters?: EvidenceCounters): void {
    const w = this.writer;
    if (w === null) return;
    if (counters) w.writeBlock(PCAPNG_BLOCK_ISB, isbBody(counters));
    w.close();
    this.writer = null;
  }

  private rotate(): void {
    // A rotated file ends with the counters as they stand, as the last file ends with the final ones.
    if (this.writer !== null) this.finishFile(this.o.counters?.());
    const file = EvidenceWriter.fileName(this.basePath, this.files.length);
    if (this.o.force !== true && fs.existsSync(file)) {
      throw new LiveCaptureError('EA_CAPTURE_FAILED', `--write: ${file} already exists`, { hint: 'choose another name, or pass --force to replace it' });
    }
    try {
      this.writer = new PcapngWriter(file, { userAppl: this.o.application });
    } catch (e) {
      throw new LiveCaptureError('EA_CAPTURE_FAILED', `--write: cannot create ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
        hint: 'check that the directory exists and is writable (by the --user account too, when files rotate after the switch)',
        cause: e,
      });
    }
    this.writer.addInterface(this.o.linkType, this.o.snaplen, { name: this.o.iface, filter: this.o.filter });
    this.files.push(file);
    this.headerBytes = this.writer.written;
  }
}

/**
 * Before `live --user` gives root up: the files after the first are created as that account, when
 * the first reaches `--write-max-bytes`. Checks now that it can create them in the directory (and,
 * with `force`, replace the rotated files an earlier run left there), so a rotation hours into
 * the run cannot fail for want of permission. Throws EA_CAPTURE_WRITE with a hint; nothing is
 * created. Per run.
 */
export function checkEvidenceTargetFor(basePath: string, user: { uid: number; gid: number; name: string }, force: boolean): void {
  const dir = path.dirname(path.resolve(basePath));
  // (A missing directory passes here: the first file's creation says so, with its own message.)
  if (!canCreateIn(dir, user.uid, user.gid)) {
    throw new LiveCaptureError('EA_CAPTURE_WRITE', `--write: ${dir} is not writable (or not reachable) by ${user.name}, which the run switches to (--user): the files after ${path.basename(basePath)} could not be created`, {
      hint: `give ${user.name} a directory it can write (e.g. chown ${user.name} ${dir}), or choose another --write path`,
    });
  }
  if (!force) return; // without --force, the writer refuses rotated files of an earlier run anyway
  for (const file of EvidenceWriter.rotatedFiles(basePath)) {
    let fst: fs.Stats;
    try {
      fst = fs.statSync(file);
    } catch {
      continue;
    }
    if (!writableBy(fst, user.uid, user.gid)) {
      throw new LiveCaptureError('EA_CAPTURE_WRITE', `--write: ${file} exists and ${user.name}, which the run switches to (--user), cannot replace it`, {
        hint: 'remove the rotated files of the earlier run, or choose another --write path',
      });
    }
  }
}

/** ISB body: interface 0, timestamp now (µs), isb_ifrecv and isb_ifdrop as u64, opt_endofopt. Little-endian, as the writer's sections. */
function isbBody(c: EvidenceCounters): Uint8Array {
  const b = Buffer.alloc(12 + 12 + 12 + 4);
  const ts = Date.now() * 1000;
  b.writeUInt32LE(0, 0);
  b.writeUInt32LE(Math.floor(ts / 4294967296), 4);
  b.writeUInt32LE(ts % 4294967296, 8);
  b.writeUInt16LE(ISB_IFRECV, 12);
  b.writeUInt16LE(8, 14);
  b.writeBigUInt64LE(BigInt(Math.max(0, Math.floor(c.received))), 16);
  b.writeUInt16LE(ISB_IFDROP, 24);
  b.writeUInt16LE(8, 26);
  b.writeBigUInt64LE(BigInt(Math.max(0, Math.floor(c.dropped))), 28);
  b.writeUInt32LE(0, 36);
  return b;
}
