/**
 * Test helper for live capture: a throwaway network namespace joined to the root namespace by a
 * veth pair. The namespace end gets a documentation address (RFC 5737, 192.0.2.0/24) and sends
 * UDP to a static neighbour, so frames leave it and arrive on the root end, where tests capture.
 * The root end has no address, so nothing is routed or answered there. It never touches other
 * interfaces, and `destroyVethPair` removes everything it made (call it from afterAll).
 */
import { execFileSync, spawn, spawnSync } from 'child_process';
import { randomBytes } from 'crypto';

/** One namespace + veth pair created by `createVethPair`. */
export interface VethPair {
  /** Namespace name, ea-test-XXXX. */
  ns: string;
  /** veth end in the root namespace (capture here). */
  rootIf: string;
  /** veth end inside the namespace. */
  nsIf: string;
  /** Address of the namespace end (the "device"). */
  nsAddr: string;
  /** Address the namespace sends to; it exists only as a static neighbour entry. */
  peerAddr: string;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Why namespace-based capture tests cannot run here, or null when they can. Probes by creating
 * and deleting a namespace, so a sandbox without CAP_SYS_ADMIN is detected too.
 */
export function netnsSkipReason(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces and packet capture)';
  if (spawnSync('ip', ['-V']).status !== 0) return 'needs iproute2 (ip)';
  const probe = `ea-test-probe${randomBytes(2).toString('hex')}`;
  const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (add.status !== 0) return `cannot create a network namespace: ${add.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  return null;
}

/** Creates the namespace and veth pair; on any failure removes what it made and rethrows. */
export function createVethPair(): VethPair {
  const id = randomBytes(2).toString('hex');
  const pair: VethPair = { ns: `ea-test-${id}`, rootIf: `ea${id}r`, nsIf: `ea${id}n`, nsAddr: '192.0.2.10', peerAddr: '192.0.2.99' };
  try {
    ip('netns', 'add', pair.ns);
    execFileSync('ip', ['netns', 'exec', pair.ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    ip('link', 'add', pair.rootIf, 'type', 'veth', 'peer', 'name', pair.nsIf);
    ip('link', 'set', pair.nsIf, 'netns', pair.ns);
    // No IPv6 on the root end either: router solicitations would add packets the tests did not send.
    execFileSync('sysctl', ['-qw', `net.ipv6.conf.${pair.rootIf}.disable_ipv6=1`]);
    ip('link', 'set', pair.rootIf, 'up');
    ip('-n', pair.ns, 'addr', 'add', `${pair.nsAddr}/24`, 'dev', pair.nsIf);
    ip('-n', pair.ns, 'link', 'set', pair.nsIf, 'up');
    ip('-n', pair.ns, 'neigh', 'add', pair.peerAddr, 'lladdr', '02:00:00:00:00:99', 'dev', pair.nsIf);
  } catch (e) {
    destroyVethPair(pair);
    throw e;
  }
  return pair;
}

/** Removes the namespace and the root end; safe to call twice or after a partial create. */
export function destroyVethPair(pair: VethPair | undefined): void {
  if (pair === undefined) return;
  spawnSync('ip', ['link', 'del', pair.rootIf]);
  spawnSync('ip', ['netns', 'del', pair.ns]);
}

/** True when the namespace or the root end still exists (tests assert cleanup with it). */
/**
 * Inside a describe block: creates a veth pair before the suite and removes it after, checking it
 * is gone (also when a test failed). Returns a getter for the pair.
 */
export function useVethPair(): () => VethPair {
  let pair: VethPair | undefined;
  beforeAll(() => {
    pair = createVethPair();
  });
  afterAll(() => {
    const p = pair;
    destroyVethPair(p);
    if (p !== undefined) expect(vethPairExists(p)).toBe(false);
  });
  return () => pair!;
}

export function vethPairExists(pair: VethPair): boolean {
  const ns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').some((l) => l.split(' ')[0] === pair.ns);
  const link = spawnSync('ip', ['link', 'show', pair.rootIf]).status === 0;
  return ns || link;
}

/** What `sendUdp` sends: `count` datagrams of `size` bytes to peerAddr:`port`; byte 0-3 = sequence number. */
export interface UdpBurst {
  count: number;
  size: number;
  port: number;
}

/**
 * Sends the bursts from inside the namespace (a child node process under `ip netns exec`) and
 * resolves when it has exited. Each payload starts with its 32-bit big-endian sequence number.
 */
export function sendUdp(pair: VethPair, bursts: UdpBurst[]): Promise<void> {
  const script = `
    const s = require('dgram').createSocket('udp4');
    const bursts = ${JSON.stringify(bursts)};
    (async () => {
      for (const b of bursts) for (let i = 0; i < b.count; i++) {
        const p = Buffer.alloc(b.size); p.writeUInt32BE(i, 0);
        await new Promise((r, j) => s.send(p, b.port, ${JSON.stringify(pair.peerAddr)}, (e) => (e ? j(e) : r())));
      }
      s.close();
    })().catch((e) => { console.error(e); process.exit(1); });`;
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', pair.ns, process.execPath, '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`sender exited ${code}: ${err}`))));
  });
}

/** Polls `done` every 10 ms until it is true or `timeoutMs` passes; resolves with its last value. */
export async function waitFor(done: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (!done() && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  return done();
}

/** Frame length on the veth for a UDP payload of `size` bytes: Ethernet 14 + IPv4 20 + UDP 8. */
export function udpFrameLength(size: number): number {
  return 14 + 20 + 8 + size;
}

/**
 * Arguments that make a child node process run a TypeScript file from this repository, the way
 * ts-jest does (transpile only): `spawn(process.execPath, tsChildArgs(file, ...args))`.
 */
export function tsChildArgs(file: string, ...args: string[]): string[] {
  const prelude = `
    const ts = require(${JSON.stringify(require.resolve('typescript'))});
    const fs = require('fs');
    require.extensions['.ts'] = (m, filename) => {
      const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
        fileName: filename,
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      });
      m._compile(out.outputText, filename);
    };
    require(process.argv[1]);`;
  return ['-e', prelude, '--', file, ...args]; // the child sees argv = [node, file, ...args]
}
