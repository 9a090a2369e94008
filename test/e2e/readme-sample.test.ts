/**
 * The README's quick start, run as a new user runs it: the audit of the shipped sample against
 * the built-in Nebra pack exits 1 (undeclared traffic), and the tables the README shows are the
 * ones it prints (COLUMNS unset, output not a terminal: laid out for 100 columns). A change to
 * the tables, the sample, the pack or the verdicts that leaves the README stale fails here.
 */
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { REPO_ROOT } from '../helpers/shared';

const BIN = path.join(REPO_ROOT, 'bin', 'egress-audit.js');

test('the quick start prints the tables the README shows, and exits 1', () => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.COLUMNS;
  const r = spawnSync(process.execPath, [BIN, 'replay', 'captures/sample-device.pcapng', '--rules', 'nebra-hotspot'], {
    cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000, env,
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(1);
  const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  // The README shows the output from the per-rule table on (the top-destinations table before it is left out).
  const shown = /```\n(Traffic per rule\n[\s\S]*?)```/.exec(readme);
  expect(shown).not.toBeNull();
  const printed = r.stdout.slice(r.stdout.indexOf('Traffic per rule\n'));
  expect(printed).toBe(shown![1]);
});
