/**
 * Facts about the files a report names: size and SHA-256 of each capture and each rules file.
 * The thin I/O shim in front of the pure model builder (src/report/model.ts). Reads files
 * only; must never fail a run: a file that cannot be read (standard input, a live interface)
 * gets null facts.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { resolvePackPath } from '../policy/packs';

/** Hashes in 1 MiB chunks: bounded memory for multi-gigabyte captures. */
const HASH_CHUNK = 1 << 20;

/** Size and SHA-256 of a regular file, or nulls when it is not one (stdin "-", a device). */
export function fileFacts(file: string): { size: number | null; sha256: string | null } {
  try {
    if (file === '-') return { size: null, sha256: null };
    const st = fs.statSync(file);
    if (!st.isFile()) return { size: null, sha256: null };
    const h = createHash('sha256');
    const buf = Buffer.allocUnsafe(HASH_CHUNK);
    const fd = fs.openSync(file, 'r');
    try {
      for (;;) {
        const n = fs.readSync(fd, buf, 0, HASH_CHUNK, null);
        if (n === 0) break;
        h.update(buf.subarray(0, n));
      }
    } finally {
      fs.closeSync(fd);
    }
    return { size: st.size, sha256: h.digest('hex') };
  } catch {
    return { size: null, sha256: null };
  }
}

/** Facts for every input file, keyed by the name as given. */
export function inputFactsOf(files: readonly string[]): Record<string, { size: number | null; sha256: string | null }> {
  return Object.fromEntries(files.map((f) => [f, fileFacts(f)]));
}

/**
 * SHA-256 of each rules file, keyed by pack name (`--rules` values resolved as the loader
 * resolves them).
 */
export function packHashesOf(rulesArgs: readonly string[]): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const a of rulesArgs) {
    try {
      const file = resolvePackPath(a);
      const name = file.split(/[\\/]/).pop()!.replace(/\.(ya?ml)$/i, '');
      out[name] = fileFacts(file).sha256;
    } catch {
      // resolvePacks already reported it
    }
  }
  return out;
}
