/**
 * OutputFile: atomic replace via a temporary file and rename, no overwrite without force,
 * devices and FIFOs written directly, abort keeps the previous file, EPIPE stops output quietly.
 */
import * as fs from 'fs';
import * as path from 'path';
import { spawn, spawnSync } from 'child_process';
import { OutputFile, OutputError } from '../../../src/report/output';
import { tempDir } from '../../helpers/packets';

/** The real `fs` module object (a namespace import is a frozen copy jest cannot spy on). */
const realFs: typeof fs = require('fs');

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => { tmp = tempDir('output'); });
afterEach(() => { jest.restoreAllMocks(); tmp.cleanup(); });

/** Files in the temp dir other than `keep` (leftover temporaries). */
const others = (...keep: string[]): string[] => fs.readdirSync(tmp.dir).filter((f) => !keep.includes(f));

describe('OutputFile: files', () => {
  test('the temporary-file listener hears of a temporary before it exists, and that it is gone after commit', () => {
    const target = path.join(tmp.dir, 'told.ndjson');
    const heard: Array<[string, boolean, boolean]> = [];
    OutputFile.tempFileListener = (p, live) => heard.push([path.basename(p), live, fs.existsSync(p)]);
    try {
      const out = OutputFile.open(target);
      out.write('{}\n');
      out.commit();
    } finally {
      OutputFile.tempFileListener = null;
    }
    const name = `.told.ndjson.${process.pid}.tmp`;
    // Told first, then created: a signal between the two can never leave an unknown file.
    expect(heard).toEqual([[name, true, false], [name, false, false]]);
  });

  test('a temporary that cannot be created is reported gone again', () => {
    const heard: boolean[] = [];
    OutputFile.tempFileListener = (_p, live) => heard.push(live);
    try {
      expect(() => OutputFile.open(path.join(tmp.dir, 'no-such-dir', 'x.ndjson'))).toThrow(OutputError);
    } finally {
      OutputFile.tempFileListener = null;
    }
    expect(heard).toEqual([true, false]);
  });

  test('a new file appears only at commit, complete, with no temporary left behind', () => {
    const target = path.join(tmp.dir, 'out.ndjson');
    const out = OutputFile.open(target);
    out.write('{"a":1}\n');
    out.write('{"b":2}\n');
    out.flush();
    // Before commit the target does not exist: a reader never sees half a report.
    expect(fs.existsSync(target)).toBe(false);
    out.commit();
    expect(fs.readFileSync(target, 'utf8')).toBe('{"a":1}\n{"b":2}\n');
    expect(others('out.ndjson')).toEqual([]);
  });

  test('an existing file is refused without force, with code EA_OUTPUT and a hint, and is left untouched', () => {
    const target = tmp.write('report.json', 'previous');
    let err: unknown;
    try { OutputFile.open(target); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(OutputError);
    expect((err as OutputError).code).toBe('EA_OUTPUT');
    expect((err as OutputError).message).toContain('report.json');
    expect((err as OutputError).hint).toMatch(/--force/);
    expect(fs.readFileSync(target, 'utf8')).toBe('previous');
    expect(others('report.json')).toEqual([]);
  });

  test('with force the file is replaced atomically: the old content stays until commit', () => {
    const target = tmp.write('report.json', 'previous');
    const out = OutputFile.open(target, true);
    out.write('new content\n');
    out.flush();
    expect(fs.readFileSync(target, 'utf8')).toBe('previous');
    out.commit();
    expect(fs.readFileSync(target, 'utf8')).toBe('new content\n');
    expect(others('report.json')).toEqual([]);
  });

  test('abort leaves the previous file as it was and removes the temporary', () => {
    const target = tmp.write('report.json', 'previous');
    const out = OutputFile.open(target, true);
    out.write('x'.repeat(3 << 20)); // large enough to have been flushed to the temporary
    out.abort();
    expect(fs.readFileSync(target, 'utf8')).toBe('previous');
    expect(others('report.json')).toEqual([]);
    // Writes and commit after abort do nothing.
    out.write('late');
    out.commit();
    expect(fs.readFileSync(target, 'utf8')).toBe('previous');
  });

  test('abort of a new file leaves no file at all', () => {
    const target = path.join(tmp.dir, 'never.ndjson');
    const out = OutputFile.open(target);
    out.write('partial');
    out.abort();
    expect(fs.readdirSync(tmp.dir)).toEqual([]);
  });

  test('a missing directory is an EA_OUTPUT error with a hint', () => {
    expect(() => OutputFile.open(path.join(tmp.dir, 'no', 'such', 'dir', 'out.json'))).toThrow(OutputError);
    try { OutputFile.open(path.join(tmp.dir, 'no', 'out.json')); } catch (e) {
      expect((e as OutputError).hint).toBeDefined();
    }
  });

  test('handOver (live --user): a directory the account cannot write fails at once and leaves nothing; else the account gets the file', () => {
    const nobody = 65534;
    const ro = path.join(tmp.dir, 'ro');
    fs.mkdirSync(ro, { mode: 0o755 }); // the test runner's own directory, not writable by another account
    const out = OutputFile.open(path.join(ro, 'report.ndjson'));
    expect(() => out.handOver(nobody, nobody, 'nobody')).toThrow(/not writable by nobody, which the run switches to \(--user\)/);
    expect(fs.readdirSync(ro)).toEqual([]);
    if (process.getuid?.() !== 0) return; // handing the file over needs root, as --user does: checked where the tests run as root (CI)
    // Reachable by the account (mkdtemp makes its directory 0700: nobody could not even reach a
    // directory inside it, and canCreateIn says so), writable by all, sticky, as /tmp is.
    fs.chmodSync(tmp.dir, 0o711);
    const open = path.join(tmp.dir, 'open');
    fs.mkdirSync(open);
    fs.chmodSync(open, 0o1777);
    const ok = OutputFile.open(path.join(open, 'report.ndjson'));
    ok.handOver(nobody, nobody, 'nobody');
    const [tmpFile] = fs.readdirSync(open);
    expect(fs.statSync(path.join(open, tmpFile)).uid).toBe(nobody);
    ok.abort();
    // The same directory out of the account's reach: refused, as a rename into it would fail at the end.
    fs.chmodSync(tmp.dir, 0o700);
    const unreachable = OutputFile.open(path.join(open, 'report.ndjson'));
    expect(() => unreachable.handOver(nobody, nobody, 'nobody')).toThrow(/not writable by nobody/);
  });

  test('a directory as the target is an EA_OUTPUT error, not a crash', () => {
    fs.mkdirSync(path.join(tmp.dir, 'adir'));
    expect(() => OutputFile.open(path.join(tmp.dir, 'adir'), true)).toThrow(OutputError);
  });

  test('large output (several flushes) arrives whole and in order', () => {
    const target = path.join(tmp.dir, 'big.ndjson');
    const out = OutputFile.open(target);
    const lines: string[] = [];
    for (let i = 0; i < 60_000; i++) {
      const l = `{"i":${i},"pad":"${'p'.repeat(i % 40)}"}\n`;
      lines.push(l);
      out.write(l);
    }
    out.commit();
    expect(fs.readFileSync(target, 'utf8')).toBe(lines.join(''));
  });

  test('non-ASCII text is written as UTF-8', () => {
    const target = path.join(tmp.dir, 'u.txt');
    const out = OutputFile.open(target);
    out.write('bücher.example ✓\n');
    out.commit();
    expect(fs.readFileSync(target, 'utf8')).toBe('bücher.example ✓\n');
  });
});

describe('OutputFile: devices and pipes', () => {
  test('/dev/null is written directly, even without force (it exists but is not a regular file)', () => {
    const out = OutputFile.open('/dev/null');
    expect(out.target).toBeNull();
    out.write('discarded\n');
    out.commit();
    expect(fs.statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  test('a FIFO is written directly and its reader sees end-of-file at commit', async () => {
    const fifo = path.join(tmp.dir, 'fifo');
    if (spawnSync('mkfifo', [fifo]).status !== 0) return; // no mkfifo on this platform
    const reader = spawn('cat', [fifo]);
    let got = '';
    reader.stdout.on('data', (d: Buffer) => { got += d.toString(); });
    const done = new Promise<number | null>((resolve) => reader.on('close', resolve));
    const out = OutputFile.open(fifo); // blocks until cat has opened the FIFO
    out.write('line 1\nline 2\n');
    out.commit();
    // If commit kept the descriptor open, cat would never see EOF and this would time out.
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([done, new Promise<string>((r) => (timer = setTimeout(() => r('timeout'), 5000)))]);
    clearTimeout(timer); // a pending 5 s timer kept the jest worker alive after the suite ("failed to exit gracefully")
    if (code === 'timeout') reader.kill();
    expect(code).toBe(0);
    expect(got).toBe('line 1\nline 2\n');
    expect(fs.statSync(fifo).isFIFO()).toBe(true); // not replaced by a regular file
  });

  test('EPIPE (the reader went away) sets brokenPipe, does not throw, and drops later writes', () => {
    const out = OutputFile.open(null);
    const spy = jest.spyOn(realFs, 'writeSync').mockImplementation(() => {
      throw Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    });
    out.write('a\n');
    expect(() => out.flush()).not.toThrow();
    expect(out.brokenPipe).toBe(true);
    out.write('b\n');
    out.flush();
    out.commit();
    expect(spy).toHaveBeenCalledTimes(1);
  });

  test('EAGAIN (a non-blocking pipe is full) is retried until everything is written', () => {
    const out = OutputFile.open(null);
    const chunks: string[] = [];
    let calls = 0;
    jest.spyOn(realFs, 'writeSync').mockImplementation(((_fd: number, buf: Buffer, off: number, len: number) => {
      calls++;
      if (calls % 2 === 1) throw Object.assign(new Error('EAGAIN'), { code: 'EAGAIN' });
      const n = Math.min(len, 3); // short writes too
      chunks.push(buf.subarray(off, off + n).toString());
      return n;
    }) as unknown as typeof fs.writeSync);
    out.write('hello, pipe\n');
    out.flush();
    expect(chunks.join('')).toBe('hello, pipe\n');
    expect(out.brokenPipe).toBe(false);
  });

  test('any other write error (disk full) is an EA_OUTPUT error', () => {
    const out = OutputFile.open(null);
    jest.spyOn(realFs, 'writeSync').mockImplementation(() => {
      throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
    });
    out.write('x');
    expect(() => out.flush()).toThrow(/ENOSPC/);
  });

  test('a device given with -o that cannot take the report (/dev/full): EA_OUTPUT names that device, not standard output', () => {
    if (!fs.existsSync('/dev/full')) return; // Linux's always-full device; nothing to write to elsewhere
    const out = OutputFile.open('/dev/full');
    out.write('x\n');
    let err: Error | undefined;
    try { out.flush(); } catch (e) { err = e as Error; }
    expect(err?.message).toBe('cannot write /dev/full: no space left on device (ENOSPC)');
    out.abort();
  });

  test('a full disk part-way through a report: EA_OUTPUT naming the file, with a hint; once failed, the report can never be committed, even if space comes back', () => {
    const target = path.join(tmp.dir, 'report.ndjson');
    const out = OutputFile.open(target);
    const realWrite = realFs.writeSync;
    let full = true;
    const spy = jest.spyOn(realFs, 'writeSync').mockImplementation(((fd: number, buf: Buffer, off: number, len: number) => {
      if (full) {
        realWrite(fd, buf, off, Math.min(len, 5)); // a short write, then the disk is full
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      return realWrite(fd, buf, off, len);
    }) as unknown as typeof fs.writeSync);
    out.write('{"type":"flow","id":1}\n');
    let err: OutputError | undefined;
    try {
      out.flush();
    } catch (e) {
      err = e as OutputError;
    }
    expect(err).toBeInstanceOf(OutputError);
    expect(err?.code).toBe('EA_OUTPUT');
    expect(err?.message).toBe(`cannot write ${target}: no space left on device (ENOSPC)`);
    expect(err?.hint).toMatch(/unfinished report was removed; free space where report.ndjson goes \(df /);
    // Space comes back (another process deleted a file): a summary written now would sit after
    // the hole the failed write left. Every later write and the commit fail with the same error.
    full = false;
    expect(() => out.write('{"type":"summary"}\n')).toThrow(err!);
    expect(() => out.commit()).toThrow(err!);
    spy.mockRestore();
    out.abort();
    expect(fs.existsSync(target)).toBe(false);
    expect(others()).toEqual([]);
  });

  test('a failure at fsync or rename (a full disk some file systems only report there) is EA_OUTPUT; the temporary is removed, the previous report kept', () => {
    for (const call of ['fsyncSync', 'renameSync'] as const) {
      const target = path.join(tmp.dir, `${call}.ndjson`);
      fs.writeFileSync(target, 'previous\n');
      const out = OutputFile.open(target, true);
      out.write('{"type":"summary"}\n');
      const spy = jest.spyOn(realFs, call).mockImplementation(() => {
        throw Object.assign(new Error('EIO: i/o error'), { code: call === 'fsyncSync' ? 'ENOSPC' : 'EIO' });
      });
      expect(() => out.commit()).toThrow(expect.objectContaining({ code: 'EA_OUTPUT', hint: expect.stringContaining('unfinished report was removed') }) as unknown as Error);
      spy.mockRestore();
      out.abort(); // the CLI aborts after any error: harmless twice
      expect(fs.readFileSync(target, 'utf8')).toBe('previous\n');
      expect(others(`${call}.ndjson`, 'fsyncSync.ndjson')).toEqual([]);
    }
  });

  test('"-" and null both mean standard output', () => {
    expect(OutputFile.open('-').target).toBeNull();
    expect(OutputFile.open(null).target).toBeNull();
  });
});
