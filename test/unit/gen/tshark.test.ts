/**
 * Cross-checks every committed capture with tshark, independently of egress-audit: runs the
 * commands listed in each capture's sidecar and compares the output with what the sidecar
 * recorded when the capture was made (TShark 4.0). Skipped, with the reason in the title,
 * when tshark 4.0 is not installed (other versions format some fields differently).
 *
 * Never writes anything; never runs more than one tshark at a time (shared cores).
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { CAPTURE_DEFINITIONS } from '../../gen/captures';
import { CAPTURES_DIR } from '../../gen/make-captures';

const version = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
const match = /TShark \(Wireshark\) (\d+\.\d+)\./.exec(version.stdout ?? '');
const SKIP_REASON = version.error ? 'tshark not installed' : match?.[1] !== '4.0' ? `tshark ${match?.[1] ?? '?'} is not 4.0` : null;
const describeTshark = SKIP_REASON ? describe.skip : describe;

describeTshark(`captures/ cross-checked with tshark${SKIP_REASON ? ` [skipped: ${SKIP_REASON}]` : ''}`, () => {
  const cases = CAPTURE_DEFINITIONS.flatMap((d) => d.tshark.map((c, i) => [`${d.file} #${i + 1}`, d.file, c] as const));
  test.each(cases)('%s', (_label, file, check) => {
    const r = spawnSync('tshark', ['-r', path.join(CAPTURES_DIR, file), ...check.args], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout.replace(/captures\/|\/.*\/captures\//g, '')).toBe(check.output);
    if (check.stderr) {
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(check.stderr);
    } else {
      expect(r.status).toBe(0);
    }
  });
});
