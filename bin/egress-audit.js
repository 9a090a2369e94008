#!/usr/bin/env -S node --max-old-space-size=320 --max-semi-space-size=16
'use strict';
// Thin launcher: the CLI is a function from argv to an exit code (src/main.ts).
//
// Memory bound: `replay` and `live` with the default caps keep a bounded live set (flow table,
// DNS cache, stream-head budget), but V8 lets its heap grow to several times the live set
// before collecting, so a flood of millions of flows reached 1.2 GB of RSS. Those runs need a
// V8 old-generation cap, which keeps peak RSS under the documented 500 MB (measured: 2 M-flow
// floods at 170–450 MB).
//
// The cap (and the young-generation size below) comes from the shebang line above, so `egress-audit ...` and `npx egress-audit ...`
// (which execute this file) start capped in one process. Started some other way
// (`node bin/egress-audit.js ...`), the launcher re-executes itself once with the cap: that
// costs a second Node start-up (measured ~80 ms), which is why the shebang carries it.
// Runs that keep every record in memory (--format json, --bundle, `report`, `learn`) or raise
// the caps (--max-flows, --max-dns-cache) must not be capped: their memory grows with the input
// by design, and a cap would turn that into a crash. Started capped by the shebang, they are
// re-executed without it.
// A re-executed child runs in its own process group so a terminal's Ctrl-C reaches it exactly
// once (forwarded here), which keeps live capture's "second Ctrl-C exits at once" meaning intact.

const HEAP_CAP_MB = 320;
const CAP_FLAG = `--max-old-space-size=${HEAP_CAP_MB}`;
// A 16 MB young generation (V8's default tops out at 8 MB here): records, DNS answers and
// parsed hellos die young, and fewer scavenges promote fewer of them. Measured on the
// benchmark replay: ~4% less wall time, peak RSS unchanged within noise (flow-heavy: 314 →
// 317 MB, 16.6 → 15.7 s).
const YOUNG_FLAG = '--max-semi-space-size=16';

/** What this run wants: 'cap' (bounded replay/live), 'uncapped' (memory grows by design), or 'any'. */
function heapWish(argv) {
  const command = argv.find((a) => !a.startsWith('-'));
  if (command === 'report' || command === 'learn') return 'uncapped';
  if (command !== 'replay' && command !== 'live') return 'any';
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (/^--(bundle|max-flows|max-dns-cache)(=|$)/.test(a)) return 'uncapped';
    if (a === '--format=json' || (a === '--format' && argv[i + 1] === 'json')) return 'uncapped';
    if (a === '--list' || a === '--help' || a === '-h') return 'any';
  }
  return 'cap';
}

/** The Node flags to re-execute with, or null to run in this process. */
function reexecFlags(argv) {
  if (process.env.EGRESS_AUDIT_CHILD === '1') return null;
  const userCap = (process.env.NODE_OPTIONS || '').includes('--max-old-space-size')
    || process.execArgv.some((a) => a.startsWith('--max-old-space-size') && a !== CAP_FLAG);
  if (userCap) return null; // the user chose a heap size: respect it
  const ours = process.execArgv.includes(CAP_FLAG);
  const wish = heapWish(argv);
  if (process.env.EGRESS_AUDIT_HEAP_CAP === '0') {
    return ours ? process.execArgv.filter((a) => a !== CAP_FLAG) : null;
  }
  if (wish === 'cap' && !ours) {
    const young = process.execArgv.some((a) => a.startsWith('--max-semi-space-size')) ? [] : [YOUNG_FLAG];
    return [...process.execArgv, CAP_FLAG, ...young];
  }
  if (wish === 'uncapped' && ours) return process.execArgv.filter((a) => a !== CAP_FLAG);
  return null;
}

const args = process.argv.slice(2);
const flags = reexecFlags(args);
if (flags) {
  const { spawn } = require('child_process');
  const child = spawn(process.execPath, [...flags, __filename, ...args], {
    stdio: 'inherit',
    detached: true,
    env: { ...process.env, EGRESS_AUDIT_CHILD: '1' },
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      try { child.kill(sig); } catch { /* already gone */ }
    });
  }
  child.on('error', (e) => {
    process.stderr.write(`egress-audit: EA_INTERNAL: cannot start: ${e.message}\n`);
    process.exit(2);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code === null ? 2 : code);
  });
} else {
  require('../dist/src/main.js').runFromProcess();
}
