/**
 * `npm run fuzz`: the long-running whole-pipeline mutation fuzzer. Mutates the seed captures
 * (see seeds.ts, mutate.ts), replays every mutant through openCapture → Pipeline → records with
 * the canary check (harness.ts), and saves each input that fails a check as
 * test/fuzz/corpus/<sha256>.bin, which the normal test run then replays for ever.
 *
 *   node dist/test/fuzz/run-fuzz.js [--seconds N] [--seed S] [--max-seed-bytes B] [--slow-ms MS]
 *
 * Exit status 0 when nothing failed, 1 when at least one crasher was saved. Prints one line per
 * crasher and a summary with executions per second. Writes only to a temporary directory and
 * to test/fuzz/corpus/.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { mutantOptions, runWithCanaries } from './harness';
import { mutate, Rng } from './mutate';
import { loadSeeds, saveCrasher } from './seeds';

/** Parsed command line. */
interface FuzzArgs {
  seconds: number;
  seed: number;
  maxSeedBytes: number;
  slowMs: number;
}

function parseArgs(argv: string[]): FuzzArgs {
  const a: FuzzArgs = { seconds: 300, seed: Date.now() >>> 0, maxSeedBytes: 64 * 1024, slowMs: 5000 };
  for (let i = 0; i < argv.length; i++) {
    const v = Number(argv[i + 1]);
    switch (argv[i]) {
      case '--seconds': a.seconds = v; i++; break;
      case '--seed': a.seed = v >>> 0; i++; break;
      case '--max-seed-bytes': a.maxSeedBytes = v; i++; break;
      case '--slow-ms': a.slowMs = v; i++; break;
      default:
        process.stderr.write(`run-fuzz: unknown argument ${argv[i]}\nusage: run-fuzz [--seconds N] [--seed S] [--max-seed-bytes B] [--slow-ms MS]\n`);
        process.exit(2);
    }
    if (!Number.isFinite(v)) {
      process.stderr.write(`run-fuzz: ${argv[i - 1]} needs a number\n`);
      process.exit(2);
    }
  }
  return a;
}

/** Runs the loop; returns the number of crashers found. */
export function fuzz(args: FuzzArgs, log: (line: string) => void): { execs: number; crashers: number } {
  const seeds = loadSeeds(args.maxSeedBytes);
  const donors = seeds.map((s) => s.bytes);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'egress-audit-fuzz-'));
  const rng = new Rng(args.seed);
  const deadline = Date.now() + args.seconds * 1000;
  let execs = 0;
  let crashers = 0;
  const seen = new Set<string>();
  try {
    log(`fuzz: seed ${args.seed}, ${seeds.length} seed captures, ${args.seconds} s`);
    while (Date.now() < deadline) {
      const seed = seeds[rng.below(seeds.length)];
      const iterSeed = rng.u32();
      const { bytes, steps } = mutate(seed.bytes, new Rng(iterSeed), donors);
      const out = runWithCanaries(bytes, dir, mutantOptions(iterSeed));
      execs++;
      let problem = out.problem;
      if (!problem && out.ms > args.slowMs) problem = `slow: ${out.ms.toFixed(0)} ms for ${bytes.length} bytes`;
      if (problem) {
        const key = problem.replace(/\d+/g, 'N').slice(0, 160);
        const file = saveCrasher(bytes);
        crashers++;
        if (!seen.has(key)) {
          seen.add(key);
          log(`CRASHER ${path.basename(file)} from ${seed.name} [${steps.join(',')}] iter-seed ${iterSeed}: ${problem}`);
          if (out.error instanceof Error && out.error.stack) log(out.error.stack.split('\n').slice(0, 6).join('\n'));
        }
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  log(`fuzz: ${execs} executions (${(execs / args.seconds).toFixed(0)}/s, each replayed twice for the canary check), ${crashers} failing inputs saved`);
  return { execs, crashers };
}

if (require.main === module) {
  const r = fuzz(parseArgs(process.argv.slice(2)), (l) => process.stdout.write(l + '\n'));
  process.exitCode = r.crashers > 0 ? 1 : 0;
}
