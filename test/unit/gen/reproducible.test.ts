/**
 * The committed captures/ are exactly what the generator writes: regenerates every capture and
 * sidecar into a temporary folder and compares sha256 with the files in captures/. Also checks
 * that captures/ holds nothing the generator does not know about, and that each capture is small.
 *
 * Never writes into captures/ (regenerate there with `npx tsc -p . && node dist/test/gen/make-captures.js`).
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CAPTURES_DIR, generateAll } from '../../gen/make-captures';

const sha256 = (file: string): string => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

/** "kilobytes each": the README sample is the largest and stays well under this. */
const MAX_CAPTURE_BYTES = 160 * 1024;

describe('test/gen/make-captures.ts', () => {
  let dir: string;
  let written: ReturnType<typeof generateAll>;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'egress-audit-captures-'));
    written = generateAll(dir);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('regenerated captures and sidecars are byte-identical to the committed ones', () => {
    const differ: string[] = [];
    for (const w of written) {
      for (const name of [w.file, `${w.file}.md`, ...(w === written[0] ? ['README.md'] : [])]) {
        const committed = path.join(CAPTURES_DIR, name);
        if (!fs.existsSync(committed)) differ.push(`${name}: not committed`);
        else if (sha256(committed) !== sha256(path.join(dir, name))) differ.push(`${name}: differs (regenerate and commit)`);
      }
    }
    expect(differ).toEqual([]);
  });

  test('a second run in the same process writes the same bytes', () => {
    const again = generateAll(path.join(dir, 'again'));
    expect(again).toEqual(written);
  });

  test('captures/ holds only generated captures, each with its sidecar, each small', () => {
    const known = new Set(written.flatMap((w) => [w.file, `${w.file}.md`]));
    const extra = fs.readdirSync(CAPTURES_DIR).filter((f) => !known.has(f) && f !== 'README.md');
    expect(extra).toEqual([]);
    for (const w of written) expect(w.bytes).toBeLessThanOrEqual(MAX_CAPTURE_BYTES);
  });
});
