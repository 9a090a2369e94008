/**
 * Replays every saved fuzz input (test/fuzz/corpus/<sha256>.bin: crashers found by
 * `npm run fuzz` and hand-made hostile captures) through the whole pipeline with the canary
 * check, on every test run. A file here once broke a check; it must never break one again.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runWithCanaries } from './harness';
import { loadCrashers } from './seeds';

const crashers = loadCrashers();
let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-fuzz-reg-')); });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('the corpus of saved inputs exists', () => {
  expect(crashers.length).toBeGreaterThan(0);
});

test.each(crashers.map(([name, bytes]) => [name, bytes] as const))('%s replays cleanly', (_name, bytes) => {
  const out = runWithCanaries(bytes, dir);
  expect(out.problem).toBeNull();
  expect(out.ms).toBeLessThan(5000);
});
