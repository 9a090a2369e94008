/*
 * Install script for egress-audit-native: builds the libpcap addon with node-gyp when it can,
 * and otherwise prints one notice line and exits 0. It must never fail the install: replay and
 * every non-live feature work without the addon, and live capture falls back to tcpdump.
 *
 * Env: EGRESS_AUDIT_NATIVE=0 skips the build; EGRESS_AUDIT_PCAP_INCLUDE=dir[:dir] replaces the
 * directories searched for pcap.h (point it at an empty directory to simulate missing headers).
 * The reason for a skip is kept in build/SKIPPED, so live.ts can repeat it in its error.
 */
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const BUILD_DIR = path.join(__dirname, 'build');
const SKIPPED = path.join(BUILD_DIR, 'SKIPPED');
const ADDON = path.join(BUILD_DIR, 'Release', 'egress_audit_native.node');
const FIX = 'apt-get install libpcap-dev, then npm rebuild';

function skip(reason) {
  fs.mkdirSync(BUILD_DIR, { recursive: true });
  fs.writeFileSync(SKIPPED, reason + '\n');
  console.error(`egress-audit-native: not built (${reason}); live capture will fall back to tcpdump.`);
  process.exit(0);
}

/** Directories that may hold pcap.h: the override, else pkg-config's plus the usual prefixes. */
function includeDirs() {
  if (process.env.EGRESS_AUDIT_PCAP_INCLUDE !== undefined) {
    return process.env.EGRESS_AUDIT_PCAP_INCLUDE.split(path.delimiter).filter(Boolean);
  }
  const dirs = [];
  const pc = spawnSync('pkg-config', ['--cflags-only-I', 'libpcap'], { encoding: 'utf8' });
  if (pc.status === 0) for (const flag of pc.stdout.trim().split(/\s+/)) if (flag.startsWith('-I')) dirs.push(flag.slice(2));
  return dirs.concat(['/usr/include', '/usr/local/include', '/opt/homebrew/include', '/opt/local/include']);
}

/** node-gyp as npm provides it to lifecycle scripts, else the copy bundled with npm, else PATH. */
function nodeGypCommand() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  for (const c of candidates) if (c && fs.existsSync(c)) return [process.execPath, [c]];
  return ['node-gyp', []];
}

function main() {
  if (process.env.EGRESS_AUDIT_NATIVE === '0') skip('EGRESS_AUDIT_NATIVE=0');
  const dir = includeDirs().find((d) => fs.existsSync(path.join(d, 'pcap.h')) || fs.existsSync(path.join(d, 'pcap', 'pcap.h')));
  if (dir === undefined) skip(`pcap.h not found; ${FIX}`);

  const log = path.join(os.tmpdir(), `egress-audit-native-build-${process.pid}.log`);
  const [cmd, pre] = nodeGypCommand();
  const res = spawnSync(cmd, [...pre, 'rebuild'], {
    cwd: __dirname,
    env: { ...process.env, EGRESS_AUDIT_PCAP_INCLUDE: dir },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  fs.writeFileSync(log, `${res.stdout ?? ''}${res.stderr ?? ''}${res.error ? String(res.error) : ''}`);
  if (res.status !== 0) skip(`node-gyp build failed, log in ${log}`);

  const check = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(ADDON)})`], { encoding: 'utf8' });
  if (check.status !== 0) skip(`built but does not load: ${(check.stderr.trim().split('\n').find((l) => /Error/.test(l)) ?? 'unknown error')}`);
  fs.rmSync(SKIPPED, { force: true });
  fs.rmSync(log, { force: true });
}

main();
