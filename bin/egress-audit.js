#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is a function from argv to an exit code (src/main.ts).
//
// Memory bound: `replay` and `live` with the default caps keep a bounded live set (flow table,
// DNS cache, stream-head budget), but V8 lets its heap grow to several times the live set
// before collecting, so a flood of millions of flows reached 1.2 GB of RSS. Those runs are
// re-executed once with a V8 old-generation cap, which keeps peak RSS under the documented
// 500 MB (measured: 2 M-flow floods at 170–450 MB).
//
// The re-execution costs a second Node start-up (~80 ms), so it is skipped where the cap cannot
// matter: a replay of regular files smaller than CAP_MIN_INPUT_BYTES in total (too few packets to
// build a live set anywhere near the cap). The flags cannot go on the shebang line instead:
// `#!/usr/bin/env -S node ...` fails to start at all under BusyBox env (Alpine, OpenWrt) and the
// BSDs, and a `#!/bin/sh` polyglot breaks npm's Windows shims.
// Runs that keep every record in memory (--format json, --bundle, `report`, `learn`) or raise
// the caps (--max-flows, --max-dns-cache) are never capped: their memory grows with the input
// by design, and a cap would turn that into a crash.
// Those uncapped runs still replay in a worker thread when they write -o FILE from a large input,
// so that Ctrl-C can delete the temporary output file (the main thread then handles the signal).
// The child runs in its own process group so a terminal's Ctrl-C reaches it exactly once
// (forwarded here), which keeps live capture's "second Ctrl-C exits at once" meaning intact.

const HEAP_CAP_MB = 320;
// A 16 MB young generation (V8's default tops out at 8 MB here): records, DNS answers and
// parsed hellos die young, and fewer scavenges promote fewer of them. Measured on the
// benchmark replay: ~4% less wall time, peak RSS unchanged within noise (flow-heavy: 314 →
// 317 MB, 16.6 → 15.7 s).
const YOUNG_SEMI_SPACE_MB = 16;
/** Replays of regular files smaller than this in total run without re-execution (see above). */
const CAP_MIN_INPUT_BYTES = 32 * 1024 * 1024;

/** Total size of the replay's inputs when all are regular files; Infinity for stdin or anything unreadable. */
function replayInputBytes(argv) {
  const fs = require('fs');
  const i = argv.indexOf('replay');
  let total = 0;
  let files = 0;
  for (let j = i + 1; j < argv.length; j++) {
    const a = argv[j];
    if (a === '--') continue;
    if (a.startsWith('-') && a !== '-') {
      // An option: skip its value when it takes one (the values of these flags are never inputs).
      if (!a.includes('=') && VALUE_FLAGS.has(a)) j++;
      continue;
    }
    if (a === '-') return Infinity;
    try {
      const st = fs.statSync(a);
      if (!st.isFile() || isCompressed(fs, a)) return Infinity; // a small .gz or .zst may decompress to any size
      total += st.size;
      files++;
    } catch {
      return Infinity; // let the CLI report it; capping costs nothing then
    }
  }
  return files > 0 ? total : Infinity;
}
/** True when the file starts with gzip's or zstd's magic number (the CLI decompresses such captures while reading). */
function isCompressed(fs, file) {
  const head = Buffer.alloc(4);
  const fd = fs.openSync(file, 'r');
  try {
    const n = fs.readSync(fd, head, 0, 4, 0);
    return (n >= 2 && head[0] === 0x1f && head[1] === 0x8b) || (n === 4 && head.readUInt32LE(0) === 0xfd2fb528);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * `replay` options that take a value (src/main.ts, src/cli/policy-flags.ts). A mistake here only
 * decides whether the run is capped, never what it does.
 */
const VALUE_FLAGS = new Set(['--device', '--format', '-o', '--output', '--max-flows', '--max-dns-cache', '--dns-grace', '--bundle', '--rules', '--set', '--fail-on']);

/**
 * Whether this run gets the heap cap: `replay` or `live` at the default caps, unless the user
 * chose a heap size, or the run keeps every record (`--format json`, `--bundle`; `report` and
 * `learn` too) or raises the caps, or is a replay too small for the cap to matter.
 */
function wantsHeapCap(argv) {
  if (process.env.EGRESS_AUDIT_CHILD === '1' || process.env.EGRESS_AUDIT_HEAP_CAP === '0') return false;
  if ((process.env.NODE_OPTIONS || '').includes('--max-old-space-size')) return false;
  if (process.execArgv.some((a) => a.startsWith('--max-old-space-size'))) return false;
  const command = argv.find((a) => !a.startsWith('-'));
  if (command !== 'replay' && command !== 'live') return false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (/^--(bundle|max-flows|max-dns-cache)(=|$)/.test(a)) return false;
    if (a === '--format=json' || (a === '--format' && argv[i + 1] === 'json')) return false;
  }
  if (asksForHelp(argv)) return false;
  return command === 'live' || replayInputBytes(argv) >= CAP_MIN_INPUT_BYTES;
}

/** `--list` or `--help`: the command prints and exits, nothing to cap or to run in a worker. */
function asksForHelp(argv) {
  return argv.some((a) => a === '--list' || a === '--help' || a === '-h');
}

/**
 * Whether an uncapped replay still runs in a worker thread: one that writes -o FILE from inputs
 * large enough to take a while (`--format json`, `--bundle`, raised caps). The worker is what
 * lets Ctrl-C delete the temporary output file (see runReplayWorker); a run in the main thread
 * cannot handle a signal until its synchronous loop ends.
 */
function wantsUncappedWorker(argv) {
  if (process.env.EGRESS_AUDIT_CHILD === '1') return false;
  if (argv.find((a) => !a.startsWith('-')) !== 'replay') return false;
  if (asksForHelp(argv)) return false;
  let writesFile = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if ((a === '-o' || a === '--output') && argv[i + 1] !== undefined && argv[i + 1] !== '-') writesFile = true;
    if (a.startsWith('--output=') && a !== '--output=-') writesFile = true;
  }
  return writesFile && replayInputBytes(argv) >= CAP_MIN_INPUT_BYTES;
}

const args = process.argv.slice(2);
if (!wantsHeapCap(args)) {
  if (wantsUncappedWorker(args)) runReplayWorker(false);
  else require('../dist/src/main.js').runFromProcess();
} else if (args.find((a) => !a.startsWith('-')) === 'replay') {
  runReplayWorker(true);
} else {
  const young = process.execArgv.some((a) => a.startsWith('--max-semi-space-size')) ? [] : [`--max-semi-space-size=${YOUNG_SEMI_SPACE_MB}`];
  reexec([...process.execArgv, `--max-old-space-size=${HEAP_CAP_MB}`, ...young]);
}

/**
 * A capped replay runs in a worker thread of this process with the same heap limits
 * (resourceLimits), not in a second process: no second Node start-up (a worker starts in
 * ~20 ms, a process in ~80 ms), and a run that outgrows the cap ends with one error line instead
 * of V8's fatal-error dump. Live capture keeps the child process (signals, terminal display).
 * `capped` false: the same worker without the limits (see wantsUncappedWorker).
 */
function runReplayWorker(capped) {
  const { Worker } = require('worker_threads');
  const worker = new Worker(require.resolve('../dist/src/worker-entry.js'), {
    argv: args,
    workerData: { ttys: { 1: process.stdout.isTTY === true, 2: process.stderr.isTTY === true }, columns: process.stdout.isTTY === true ? process.stdout.columns : undefined },
    // V8's young generation is three semi-spaces in size.
    ...(capped ? { resourceLimits: { maxOldGenerationSizeMb: HEAP_CAP_MB, maxYoungGenerationSizeMb: 3 * YOUNG_SEMI_SPACE_MB } } : {}),
  });
  process.stdout.on('error', (err) => { if (err.code === 'EPIPE') process.exit(0); });
  // The worker cannot handle a signal while it replays, and a signal's default action would
  // leave its temporary output file (.<name>.<pid>.tmp) beside the target. This thread can:
  // it stops the worker, deletes what the worker left, then dies of the same signal.
  const temps = new Set();
  worker.on('message', (m) => {
    if (m && typeof m.tempFile === 'string') {
      if (m.live) temps.add(m.tempFile);
      else temps.delete(m.tempFile);
    }
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      worker.terminate().finally(() => {
        for (const t of temps) {
          try { require('fs').unlinkSync(t); } catch { /* renamed into place or already gone */ }
        }
        process.kill(process.pid, sig);
      });
    });
  }
  worker.on('error', (e) => {
    if (e && e.code === 'ERR_WORKER_OUT_OF_MEMORY' && capped) {
      process.stderr.write(`egress-audit: EA_MEMORY: the replay outgrew its ${HEAP_CAP_MB} MB heap cap\n` +
        '  hint: lower --max-flows or --max-dns-cache, or set EGRESS_AUDIT_HEAP_CAP=0 to run without the cap\n');
    } else if (e && e.code === 'ERR_WORKER_OUT_OF_MEMORY') {
      process.stderr.write('egress-audit: EA_MEMORY: the replay ran out of memory\n' +
        '  hint: --format json and --bundle keep every record; use --format ndjson for large captures\n');
    } else {
      process.stderr.write(`egress-audit: EA_INTERNAL: ${e && e.message ? e.message : String(e)}\n`);
    }
    process.exitCode = 2;
  });
  worker.on('exit', (code) => {
    if (process.exitCode === undefined || process.exitCode === 0) process.exitCode = code;
  });
}

/** Re-executes this launcher in a child process with the heap flags (live capture). */
function reexec(nodeFlags) {
  const { spawn } = require('child_process');
  const child = spawn(process.execPath, [...nodeFlags, __filename, ...args], {
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
}
