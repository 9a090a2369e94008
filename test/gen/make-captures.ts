/**
 * Writes every capture in captures/ and its `.md` sidecar from the definitions in
 * test/gen/captures/. Run: `npx tsc -p . && node dist/test/gen/make-captures.js [OUT_DIR]`
 * (OUT_DIR defaults to the repository's captures/).
 *
 * Test tooling only: deterministic (fixed timestamps, label-keyed pseudo-random bytes), so a
 * second run rewrites identical bytes; never deletes files and never touches anything outside
 * OUT_DIR.
 */
import * as fs from 'fs';
import * as path from 'path';
import { createHash } from 'crypto';
import { REPO_ROOT } from '../helpers/shared';
import { CAPTURE_DEFINITIONS, buildCapture } from './captures';
import { renderIndex, renderSidecar } from './sidecar';

/** What was written for one capture. */
export interface WrittenCapture {
  file: string;
  sha256: string;
  bytes: number;
  sidecarSha256: string;
}

/** The repository's captures/ folder. */
export const CAPTURES_DIR = path.join(REPO_ROOT, 'captures');

/** Builds every capture and writes it plus its sidecar into `outDir` (created if missing), and the index README.md. */
export function generateAll(outDir: string = CAPTURES_DIR): WrittenCapture[] {
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'README.md'), renderIndex(CAPTURE_DEFINITIONS));
  return CAPTURE_DEFINITIONS.map((def) => {
    const built = buildCapture(def);
    const sidecar = renderSidecar(def, built);
    fs.writeFileSync(path.join(outDir, def.file), built.bytes);
    fs.writeFileSync(path.join(outDir, `${def.file}.md`), sidecar);
    return {
      file: def.file,
      sha256: createHash('sha256').update(built.bytes).digest('hex'),
      bytes: built.bytes.length,
      sidecarSha256: createHash('sha256').update(sidecar).digest('hex'),
    };
  });
}

if (require.main === module) {
  const outDir = process.argv[2] ? path.resolve(process.argv[2]) : CAPTURES_DIR;
  for (const w of generateAll(outDir)) console.log(`${w.sha256.slice(0, 12)}  ${String(w.bytes).padStart(7)}  ${path.join(outDir, w.file)}`);
}
