#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is a function from argv to an exit code (src/main.ts).
//
// Memory bound: `replay` and `live` with the default caps keep a bounded live set (flow table,
// DNS cache, stream-head budget), but V8 lets its heap grow to several times the live set
// before collecting, so a flood of millions of flows reached 1.2 GB of RSS. Those runs are
// re-executed once with a V8 old-generation cap, which keeps peak RSS under the documented
// 500 MB (measured: 2 M-flow floods at 170–450 MB). Runs that keep every record in memory
// (--format json, --bundle) or raise the caps (--max-flows, --max-dns-cache) are not capped:
// their memory grows with the input by design, and a cap would turn that into a crash.
// The child runs in its own process group so a terminal's Ctrl-C reaches it exactly once
// (forwarded here), which keeps live capture's "second Ctrl-C exits at once" meaning intact.

const HEAP_CAP_MB = 320;

function wantsHeapCap(argv) {
  if (process.env.EGRESS_AUDIT_HEAP_CAP === '0' || process.env.EGRESS_AUDIT_CHILD === '1') return false;
  if (process.execArgv.some((a) => a.startsWith('--max-old-space-size'))) return false;
  if ((process.env.NODE_OPTIONS || '').includes('--max-old-space-size')) return false;
  const command = argv.find((a) => !a.startsWith('-'));
  if (command !== 'replay' && command !== 'live') return false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (/^--(bundle|max-flows|max-dns-cache)(=|$)/.test(a)) return false;
    if (a === '--format=json' || (a === '--format' && argv[i + 1] === 'json')) return false;
    if (a === '--list' || a === '--help' || a === '-h') return false;
  }
  return true;
}

const args = process.argv.slice(2);
if (wantsHeapCap(args)) {
  const { spawn } = require('child_process');
  const child = spawn(process.execPath, [`--max-old-space-size=${HEAP_CAP_MB}`, __filename, ...args], {
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
