/**
 * Seed captures for the mutation fuzzer: the repository's documented fixtures (captures/) and,
 * when present, the team's shared corpus of real captures (../shared/corpus), each cut down on a
 * record boundary so one mutant replays in milliseconds. Also lists the saved crashers
 * (test/fuzz/corpus/<sha256>.bin), which are replayed on every test run.
 *
 * Test code only; reads files, never writes.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { HAS_SHARED, REPO_ROOT, sharedPath } from '../helpers/shared';
import { trimSeed } from './mutate';

/** A named seed capture. */
export interface Seed {
  name: string;
  bytes: Uint8Array;
}

/** Where crashers are kept (committed; replayed by test/fuzz/regressions.test.ts). */
export const CRASHER_DIR = path.join(REPO_ROOT, 'test', 'fuzz', 'corpus');

function captureFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => /\.(pcap|pcapng)$/.test(f)).sort().map((f) => path.join(dir, f));
}

/**
 * Loads every seed, each trimmed to at most `maxBytes` (on a record boundary).
 * Order is stable (fixtures first, then the shared corpus, each sorted by name).
 */
export function loadSeeds(maxBytes = 64 * 1024): Seed[] {
  const files = [...captureFiles(path.join(REPO_ROOT, 'captures')), ...(HAS_SHARED ? captureFiles(sharedPath('corpus')) : [])];
  return files.map((f) => ({ name: path.basename(f), bytes: trimSeed(new Uint8Array(fs.readFileSync(f)), maxBytes) }));
}

/** Saved crashers (and hand-made hostile files) as `[file name, bytes]`, sorted. */
export function loadCrashers(): Array<[string, Uint8Array]> {
  if (!fs.existsSync(CRASHER_DIR)) return [];
  return fs.readdirSync(CRASHER_DIR).filter((f) => f.endsWith('.bin')).sort()
    .map((f) => [f, new Uint8Array(fs.readFileSync(path.join(CRASHER_DIR, f)))]);
}

/** Saves a crasher as test/fuzz/corpus/<sha256>.bin (idempotent); returns its path. */
export function saveCrasher(bytes: Uint8Array, dir = CRASHER_DIR): string {
  const name = crypto.createHash('sha256').update(bytes).digest('hex') + '.bin';
  fs.mkdirSync(dir, { recursive: true });
  const p = path.join(dir, name);
  if (!fs.existsSync(p)) fs.writeFileSync(p, bytes);
  return p;
}
