/**
 * The tool's version, read once from the package.json of the package root (found from src/ and
 * from dist/src/ alike). Never throws: an unreadable package gives 0.0.0.
 */
import * as fs from 'fs';
import * as path from 'path';

/** Version printed by --version and written into reports. */
export const VERSION: string = (() => {
  let dir = __dirname;
  for (let i = 0; i < 4; i++) {
    const p = path.join(dir, 'package.json');
    try {
      const pkg = JSON.parse(fs.readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'egress-audit' && pkg.version) return pkg.version;
    } catch {
      // not here: keep walking up
    }
    dir = path.dirname(dir);
  }
  return '0.0.0';
})();
