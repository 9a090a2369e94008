/**
 * Entry of the worker thread the launcher runs a capped replay in (see bin/egress-audit.js):
 * the same CLI as the main entry, argv from the worker's process.argv, the exit status as the
 * worker's exit code. Never used directly by users.
 */
import { run } from './main';

run(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e) => { process.stderr.write(`egress-audit: EA_INTERNAL: ${String(e)}\n`); process.exitCode = 2; },
);
