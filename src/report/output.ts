/**
 * OutputFile: where a report goes — standard output, or a file written atomically (a temporary
 * file beside it, renamed into place only when the run completes), so a crash or kill leaves
 * the previous report or none, never half of one.
 *
 * Writes are buffered and synchronous (whole lines only: NDJSON consumers never see a partial
 * record). A closed pipe on stdout (EPIPE) stops output quietly; it is not an error. Never
 * overwrites an existing file unless `force` is set.
 */
import * as fs from 'fs';
import * as path from 'path';
import { canCreateIn } from '../capture/privileges';
import { EgressAuditError } from '../errors';
import { isTty } from '../tty';

/** Output cannot be written (exists without --force, directory missing, disk full). */
export class OutputError extends EgressAuditError {
  readonly code = 'EA_OUTPUT';
}

/** What the system error of a failed write means, for the message ("no space left on device (ENOSPC)"). */
const WRITE_ERRORS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large for the file system',
  EIO: 'input/output error',
  EROFS: 'read-only file system',
};

/** What a failed write's system error means: "no space left on device (ENOSPC)", else the code (or the error's text). */
export function writeErrorText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  return code !== undefined ? (WRITE_ERRORS[code] ? `${WRITE_ERRORS[code]} (${code})` : code) : String(e);
}

/** Whether a failed write's error says the file system (or the user's quota) is full. */
export function isFullDisk(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG';
}

/**
 * The error for a write, fsync, close or rename of the report that failed: the file, what the
 * system said, and what to do. A report file is never left behind looking complete (the caller
 * removes the temporary file), so the hint says so.
 */
function writeFailure(target: string | null, stream: string, e: unknown): OutputError {
  const what = writeErrorText(e);
  const where = target ?? stream;
  const full = isFullDisk(e);
  const hint = target === null
    ? 'the output stopped here: write the report to a file with -o on a file system with room'
    : full
      ? `the unfinished report was removed; free space where ${path.basename(target)} goes (df ${path.dirname(target)}) or write it elsewhere with -o`
      : `the unfinished report was removed; check the file system that holds ${path.dirname(target)} (dmesg), or write the report elsewhere with -o`;
  return new OutputError(`cannot write ${where}: ${what}`, { hint, cause: e });
}

/** Output buffer: few syscalls, bounded memory. */
const OUT_BUFFER_BYTES = 1 << 20;

/**
 * Told when a temporary output file appears (`live` true) and when it is gone (renamed into place
 * or deleted). The launcher runs large replays in a worker thread, which cannot handle signals
 * while it replays; the worker passes these to the launcher's thread, which deletes what is left
 * when a signal ends the run (bin/egress-audit.js). Never set elsewhere.
 */
export type TempFileListener = (path: string, live: boolean) => void;

/** A buffered, atomic text sink. */
export class OutputFile {
  /** See TempFileListener; null when nobody needs to know. */
  static tempFileListener: TempFileListener | null = null;

  /** The reader went away (EPIPE); further writes are dropped. */
  brokenPipe = false;
  private readonly buf = Buffer.allocUnsafe(OUT_BUFFER_BYTES);
  private used = 0;
  private closed = false;
  /**
   * The first write that failed (a full disk). Sticky: every later write, flush and commit throws
   * it again, so a report with a hole in it (records lost in the failed write, the summary
   * written once space came back) can never be renamed into place.
   */
  private failure: OutputError | null = null;
  private aborted = false;
  /** What a failed write names when there is no file to replace: standard output, or the device or FIFO given with -o. */
  private stream = 'standard output';

  private constructor(private readonly fd: number, readonly target: string | null, private readonly tmp: string | null) {}

  /** Opens `file` (or stdout when null or '-'). */
  static open(file: string | null, force = false): OutputFile {
    if (file === null || file === '-') return new OutputFile(1, null, null);
    const abs = path.resolve(file);
    const st = statOrNull(abs);
    if (st && !st.isFile()) {
      // A device or pipe (/dev/null, a FIFO): nothing to replace atomically, write straight to it.
      try {
        const out = new OutputFile(fs.openSync(abs, 'w'), null, null);
        out.stream = file;
        return out;
      } catch (e) {
        throw new OutputError(`cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { cause: e });
      }
    }
    if (!force && st) {
      throw new OutputError(`output file ${file} already exists`, { hint: 'choose another name, or pass --force to replace it' });
    }
    const tmp = path.join(path.dirname(abs), `.${path.basename(abs)}.${process.pid}.tmp`);
    // Told before the file exists, not after: a signal that lands between the two would
    // otherwise leave a file nobody knew of (seen once in CI under load: the launcher stopped
    // the worker after it created the file and before it said so).
    OutputFile.tempFileListener?.(tmp, true);
    let fd: number;
    try {
      fd = fs.openSync(tmp, 'w', 0o644);
    } catch (e) {
      OutputFile.tempFileListener?.(tmp, false);
      throw new OutputError(`cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { hint: 'check that the directory exists and is writable', cause: e });
    }
    return new OutputFile(fd, abs, tmp);
  }

  /**
   * Before `live --user` gives root up: the account that will finish the run must be able to
   * rename the temporary file into place, which needs write access to the directory (and, in a
   * sticky directory such as /tmp, owning the file). Gives it the file and checks the directory's
   * mode bits for that account's uid and primary group (the only group left after the switch),
   * so a directory it cannot write fails now, with a hint, not after the whole capture.
   */
  handOver(uid: number, gid: number, user: string): void {
    if (this.tmp === null || this.target === null) return;
    const dir = path.dirname(this.target);
    if (!canCreateIn(dir, uid, gid)) {
      this.abort();
      throw new OutputError(`cannot write ${this.target}: the directory is not writable by ${user}, which the run switches to (--user)`, {
        hint: `write the report to a directory ${user} can write, or make ${dir} writable by it`,
      });
    }
    fs.fchownSync(this.fd, uid, gid);
  }

  /** Whether output goes to a terminal (for colour-free tables and progress decisions). */
  get isTty(): boolean {
    return this.fd === 1 && isTty(1);
  }

  /**
   * Appends text; flushes when the buffer is full. Text is UTF-8-encoded straight into one
   * reused 1 MiB buffer (measured: joining strings and re-encoding them cost more GC than the
   * JSON rendering itself on a million-flow run).
   */
  write(text: string): void {
    if (this.failure !== null) throw this.failure;
    if (this.brokenPipe || this.closed) return;
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    if (text.length * 3 > OUT_BUFFER_BYTES - this.used) {
      this.flush();
      if (text.length * 3 > OUT_BUFFER_BYTES) {
        this.writeAll(Buffer.from(text, 'utf8'));
        return;
      }
    }
    this.used += this.buf.write(text, this.used, 'utf8');
  }

  /**
   * Direct access for the byte encoder (NdjsonEncoder): the buffer, and how much of it is used.
   * The encoder writes whole lines at `rawUsed` and then advances it; nothing else may.
   */
  get rawBuffer(): Buffer {
    return this.buf;
  }

  get rawUsed(): number {
    return this.used;
  }

  set rawUsed(n: number) {
    this.used = n;
  }

  /** False once output is closed or its reader went away: writes are dropped. */
  get writable(): boolean {
    return !this.brokenPipe && !this.closed;
  }

  /** Writes buffered text to the descriptor. */
  flush(): void {
    if (this.failure !== null) throw this.failure;
    if (this.used === 0) return;
    const n = this.used;
    this.used = 0;
    if (this.brokenPipe) return;
    this.writeAll(this.buf.subarray(0, n));
  }

  private writeAll(data: Buffer): void {
    let off = 0;
    while (off < data.length) {
      try {
        off += fs.writeSync(this.fd, data, off, data.length - off);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') { sleepMs(2); continue; }
        if (code === 'EPIPE') { this.brokenPipe = true; return; }
        this.failure = writeFailure(this.target, this.stream, e);
        throw this.failure;
      }
    }
  }

  /**
   * Flushes, closes and moves the file into place. Throws EA_OUTPUT (the temporary file removed,
   * the target untouched) when any of it fails: on some file systems a full disk only shows at
   * fsync or close.
   */
  commit(): void {
    if (this.closed) return;
    this.flush();
    if (this.tmp && this.target) {
      try {
        fs.fsyncSync(this.fd);
        fs.closeSync(this.fd);
        this.closed = true;
        fs.renameSync(this.tmp, this.target);
      } catch (e) {
        this.failure = writeFailure(this.target, this.stream, e);
        this.abort();
        throw this.failure;
      }
      this.closed = true;
      OutputFile.tempFileListener?.(this.tmp, false);
      return;
    }
    this.closed = true;
    if (this.fd !== 1) {
      // A device or FIFO we opened: close it so a reader on the other end sees end-of-file.
      fs.closeSync(this.fd);
    }
  }

  /** Discards a file output (error path): the target is left untouched. */
  abort(): void {
    // Once committed there is nothing to discard; a commit that failed part-way still has its
    // temporary file (and maybe its descriptor) to clean up.
    if (this.aborted || (this.closed && this.failure === null)) return;
    this.aborted = true;
    const wasClosed = this.closed;
    this.closed = true;
    if (this.fd !== 1 && !wasClosed) {
      try { fs.closeSync(this.fd); } catch { /* already closed */ }
    }
    if (this.tmp) {
      try { fs.unlinkSync(this.tmp); } catch { /* already gone */ }
      OutputFile.tempFileListener?.(this.tmp, false);
    }
  }
}

function statOrNull(p: string): fs.Stats | null {
  try {
    return fs.statSync(p);
  } catch {
    return null;
  }
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
function sleepMs(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}
