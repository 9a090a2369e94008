/**
 * Test lab for `egress-audit live`: two throwaway network namespaces joined by a veth pair, a
 * "device" side (192.0.2.10/24) and a "far" side (198.51.100.0/24: .53 dnsmasq, .10 and .20 a
 * TLS server (openssl s_server) and an HTTP server (node)), plus helpers to run commands in the
 * device namespace and the CLI under `ip netns exec`. Only documentation addresses (RFC 5737).
 * `destroyLab` kills every process it started and removes both namespaces; tests call it from
 * afterAll so it also runs on failure. Every wait is bounded in time.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { tsChildArgs } from '../unit/native/netns';

/** Addresses on the far side. */
export const FAR = { dns: '198.51.100.53', nebra: '198.51.100.10', tracker: '198.51.100.20', gw: '198.51.100.1' } as const;
/** The device's address. */
export const DEVICE_IP = '192.0.2.10';

/** What dnsmasq answers. */
export const DNS_NAMES: Record<string, string> = {
  'api.nebra.com': FAR.nebra,
  'telemetry.example-tracker.com': FAR.tracker,
  'stream.example-tracker.com': FAR.tracker,
};

/** One lab: namespace and interface names, temp dir, and the server processes. */
export interface Lab {
  devNs: string;
  farNs: string;
  devIf: string;
  farIf: string;
  dir: string;
  servers: ChildProcess[];
}

/** Why the lab cannot run here (not root, missing tools, no namespaces), or null. */
export function labSkipReason(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces and packet capture)';
  for (const [tool, arg] of [['ip', '-V'], ['dnsmasq', '--version'], ['openssl', 'version'], ['curl', '--version'], ['dig', '-v']] as const) {
    const r = spawnSync(tool, [arg], { stdio: 'ignore' });
    if (r.error || r.status !== 0) return `needs ${tool} (apt-get install iproute2 dnsmasq openssl curl dnsutils)`;
  }
  const probe = `ea-live-probe${randomBytes(2).toString('hex')}`;
  const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (add.status !== 0) return `cannot create a network namespace: ${add.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return null;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Creates the namespaces, the link and the servers; on failure removes what it made and rethrows. */
export async function createLab(): Promise<Lab> {
  const id = randomBytes(3).toString('hex');
  const lab: Lab = { devNs: `ea-dev-${id}`, farNs: `ea-far-${id}`, devIf: `ead${id}`, farIf: `eaf${id}`, dir: fs.mkdtempSync(path.join(os.tmpdir(), 'ea-live-')), servers: [] };
  try {
    ip('netns', 'add', lab.devNs);
    ip('netns', 'add', lab.farNs);
    for (const ns of [lab.devNs, lab.farNs]) {
      // IPv4 only: router solicitations and DAD would add packets the tests did not send.
      execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    ip('link', 'add', lab.devIf, 'type', 'veth', 'peer', 'name', lab.farIf);
    ip('link', 'set', lab.devIf, 'netns', lab.devNs);
    ip('link', 'set', lab.farIf, 'netns', lab.farNs);
    ip('-n', lab.devNs, 'addr', 'add', `${DEVICE_IP}/24`, 'dev', lab.devIf);
    ip('-n', lab.farNs, 'addr', 'add', `${FAR.gw}/24`, 'dev', lab.farIf);
    for (const a of [FAR.dns, FAR.nebra, FAR.tracker]) ip('-n', lab.farNs, 'addr', 'add', `${a}/32`, 'dev', lab.farIf);
    ip('-n', lab.devNs, 'link', 'set', lab.devIf, 'up');
    ip('-n', lab.farNs, 'link', 'set', lab.farIf, 'up');
    ip('-n', lab.devNs, 'route', 'add', '198.51.100.0/24', 'dev', lab.devIf);
    ip('-n', lab.farNs, 'route', 'add', '192.0.2.0/24', 'dev', lab.farIf);
    await startServers(lab);
  } catch (e) {
    destroyLab(lab);
    throw e;
  }
  return lab;
}

async function startServers(lab: Lab): Promise<void> {
  const cert = path.join(lab.dir, 'cert.pem');
  const key = path.join(lab.dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=lab.example'], { stdio: 'ignore' });
  const far = (cmd: string, ...args: string[]): ChildProcess => {
    const child = spawn('ip', ['netns', 'exec', lab.farNs, cmd, ...args], { stdio: ['pipe', 'ignore', 'ignore'] });
    lab.servers.push(child);
    return child;
  };
  const dnsArgs = ['--no-daemon', '--no-resolv', '--no-hosts', '--conf-file=/dev/null', `--listen-address=${FAR.dns}`, '--bind-interfaces', '--port=53', `--pid-file=${path.join(lab.dir, 'dnsmasq.pid')}`];
  for (const [name, addr] of Object.entries(DNS_NAMES)) dnsArgs.push(`--address=/${name}/${addr}`);
  far('dnsmasq', ...dnsArgs);
  far('openssl', 's_server', '-accept', '443', '-cert', cert, '-key', key, '-www', '-quiet');
  far(process.execPath, '-e', `require('http').createServer((q, r) => r.end('ok\\n')).listen(80, '${FAR.tracker}')`);
  // Ready when each port answers from the device side (bounded).
  const until = Date.now() + 15_000;
  for (;;) {
    const dns = dev(lab, 'dig', `@${FAR.dns}`, '+time=1', '+tries=1', '+short', 'api.nebra.com').stdout.trim() === FAR.nebra;
    const http = dev(lab, 'curl', '-s', '-m', '2', `http://${FAR.tracker}/`).stdout === 'ok\n';
    const tls = dev(lab, 'curl', '-sk', '-m', '2', '-o', '/dev/null', '-w', '%{http_code}', `https://${FAR.nebra}/`).stdout === '200';
    if (dns && http && tls) return;
    if (Date.now() > until) throw new Error(`lab servers not ready (dns ${dns}, http ${http}, tls ${tls})`);
    await sleep(200);
  }
}

/** Runs a command in the device namespace (bounded: 20 s). */
export function dev(lab: Lab, cmd: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('ip', ['netns', 'exec', lab.devNs, cmd, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Kills the servers, removes both namespaces and the temp dir; safe to call twice. */
export function destroyLab(lab: Lab | undefined): void {
  if (lab === undefined) return;
  for (const s of lab.servers) {
    try {
      if (s.pid !== undefined) process.kill(s.pid, 'SIGKILL'); // `ip netns exec` execs the server: this pid is the server
    } catch {
      // already gone
    }
  }
  spawnSync('ip', ['netns', 'del', lab.devNs]);
  spawnSync('ip', ['netns', 'del', lab.farNs]);
  fs.rmSync(lab.dir, { recursive: true, force: true });
}

/** True when either namespace still exists. */
export function labExists(lab: Lab): boolean {
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]);
  return list.includes(lab.devNs) || list.includes(lab.farNs);
}

/** A running `egress-audit live` child. */
export interface LiveChild {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit status (or the signal name) when the child exits. */
  exited: Promise<number | string>;
}

const CLI_ENTRY = path.resolve(__dirname, '../helpers/cli-entry.ts');

/** Starts `egress-audit live <iface> ...args` in the device namespace (`ip netns exec`), with extra environment; the device veth unless told another interface. */
export function startLive(lab: Lab, args: string[], env: Record<string, string> = {}, iface = lab.devIf): LiveChild {
  const child = spawn('ip', ['netns', 'exec', lab.devNs, process.execPath, ...tsChildArgs(CLI_ENTRY, 'live', iface, ...args)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, sig) => resolve(code ?? sig ?? -1)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Polls `done` every 50 ms for at most `ms`; resolves with its last value. */
export async function waitUntil(done: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (!done() && Date.now() < until) await sleep(50);
  return done();
}

/** Resolves with the exit status, or 'timeout' after `ms` (the child is then killed). */
export async function waitExit(live: LiveChild, ms: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  const r = await Promise.race([live.exited, timeout]);
  clearTimeout(timer);
  if (r === 'timeout') live.child.kill('SIGKILL');
  return r;
}

/** Parses NDJSON text (complete lines only). */
export function parseNdjson(text: string): Record<string, unknown>[] {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
