/**
 * Locates ../shared (the team's read-only test data) for tests and benchmarks.
 * Tests that need it use `describeShared`, which reports the suite as skipped — with the
 * reason in its title — when the folder is absent; it never passes silently.
 */
import * as fs from 'fs';
import * as path from 'path';

function findRepoRoot(start: string): string {
  let dir = start;
  for (let i = 0; i < 8; i++) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'src'))) return dir;
    dir = path.dirname(dir);
  }
  return path.resolve(start, '../..');
}

/** Repository root (works from test/ sources and from dist/test/). */
export const REPO_ROOT = findRepoRoot(__dirname);
/** The shared test-data folder: $EGRESS_AUDIT_SHARED or ../shared beside the repository. */
export const SHARED_DIR = process.env.EGRESS_AUDIT_SHARED ?? path.resolve(REPO_ROOT, '..', 'shared');
export const HAS_SHARED = fs.existsSync(path.join(SHARED_DIR, 'corpus'));

/**
 * `describe` when ../shared exists. Otherwise the suite body is never run (it may list files
 * in ../shared while collecting tests) and one skipped test says why, so the run reports the
 * suite as skipped with its reason instead of passing silently.
 */
export const describeShared: (name: string, fn: () => void) => void = HAS_SHARED
  ? (name, fn) => describe(name, fn)
  : (name) => describe(name, () => {
    test.skip(`skipped: needs the ../shared test data, not found at ${SHARED_DIR}`, () => undefined);
  });

/** Path inside ../shared. */
export function sharedPath(...parts: string[]): string {
  return path.join(SHARED_DIR, ...parts);
}
