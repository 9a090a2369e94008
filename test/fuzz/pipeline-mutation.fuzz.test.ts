/**
 * The whole-pipeline mutation fuzz loop, as CI runs it (issue 6 §1): seeded mutants of every
 * capture in captures/ and ../shared/corpus (bit flips, truncation, lying length fields, spliced,
 * duplicated, dropped and swapped records) go through openCapture → Pipeline → records twice,
 * with different canary bytes around each frame. Each must finish in bounded time, never throw,
 * never trip the pipeline's internal-error guard, never report a payload outside the captured
 * bytes, and give the same output with either canary (no read outside the captured bytes).
 *
 * Fixed seed and execution count, so CI is deterministic; `npm run fuzz` runs the same loop for
 * longer with a fresh seed (test/fuzz/run-fuzz.ts). Failing inputs are saved there as
 * test/fuzz/corpus/<sha256>.bin and replayed by regressions.test.ts.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { mutantOptions, runWithCanaries } from './harness';
import { mutate, Rng } from './mutate';
import { loadSeeds } from './seeds';

/** Mutants per CI run (about 10-15 s on two shared cores). */
export const CI_MUTANTS = 4000;
/** Per-input bound: the largest trimmed seed replays twice in well under this. */
const MAX_MS_PER_INPUT = 3000;

let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-fuzz-')); });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test(`${CI_MUTANTS} seeded mutants of the seed captures through the whole pipeline`, () => {
  const seeds = loadSeeds(32 * 1024);
  expect(seeds.length).toBeGreaterThan(10);
  const donors = seeds.map((s) => s.bytes);
  const rng = new Rng(0x6a11);
  const failures: string[] = [];
  let frames = 0;
  for (let i = 0; i < CI_MUTANTS && failures.length < 5; i++) {
    const seed = seeds[i % seeds.length];
    const iterSeed = rng.u32();
    const { bytes, steps } = mutate(seed.bytes, new Rng(iterSeed), donors);
    const out = runWithCanaries(bytes, dir, mutantOptions(iterSeed));
    frames += out.frames;
    const problem = out.problem ?? (out.ms > MAX_MS_PER_INPUT ? `took ${out.ms.toFixed(0)} ms` : null);
    if (problem) failures.push(`${seed.name} [${steps.join(',')}] iter-seed ${iterSeed}: ${problem}\n${(out.error as Error)?.stack ?? ''}`);
  }
  expect(failures).toEqual([]);
  expect(frames).toBeGreaterThan(CI_MUTANTS); // the mutants were mostly readable: the deep layers ran
});
