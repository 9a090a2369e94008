/**
 * The width the terminal tables fit (src/tty.ts), also inside the launcher's worker thread, whose
 * standard output is a pipe to the main thread: there the launcher's terminal width arrives in
 * workerData, and without it a table was laid out for 100 columns on any terminal.
 */
import * as path from 'path';
import { Worker } from 'worker_threads';
import { DEFAULT_COLUMNS, terminalColumns } from '../../src/tty';
import { REPO_ROOT } from '../helpers/shared';

/** terminalColumns() as a worker thread started with `workerData` sees it, with COLUMNS unset. */
function columnsInWorker(workerData: unknown): Promise<number> {
  // The compiled module, as the launcher's worker loads it (`npm test` compiles first).
  const tty = path.join(REPO_ROOT, 'dist', 'src', 'tty.js');
  const code = `const { parentPort } = require('worker_threads'); parentPort.postMessage(require(${JSON.stringify(tty)}).terminalColumns());`;
  const env = { ...process.env };
  delete env.COLUMNS;
  return new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData, env });
    w.once('message', (m: number) => { resolve(m); void w.terminate(); });
    w.once('error', reject);
  });
}

describe('terminalColumns', () => {
  const saved = process.env.COLUMNS;
  afterEach(() => {
    if (saved === undefined) delete process.env.COLUMNS;
    else process.env.COLUMNS = saved;
  });

  test('COLUMNS, when a positive whole number, decides', () => {
    process.env.COLUMNS = '123';
    expect(terminalColumns()).toBe(123);
    process.env.COLUMNS = 'wide';
    expect(terminalColumns()).toBe(process.stdout.isTTY === true ? process.stdout.columns : DEFAULT_COLUMNS);
  });

  test('in the launcher worker, the terminal width the launcher passed', async () => {
    expect(await columnsInWorker({ ttys: { 1: true, 2: true }, columns: 77 })).toBe(77);
  });

  test('in a worker told stdout is no terminal, the default width', async () => {
    expect(await columnsInWorker({ ttys: { 1: false, 2: false } })).toBe(DEFAULT_COLUMNS);
  });
});
