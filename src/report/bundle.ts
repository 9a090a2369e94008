/**
 * The report bundle: every format rendered from one AuditReport into a directory
 * (`--bundle DIR` on replay and live). The only module in src/report that writes files.
 *
 * Atomic: the files are written into a temporary directory beside DIR and renamed into place
 * when all are done, so a reader sees the old bundle or the whole new one, never a mix. Must
 * never overwrite an existing non-empty DIR unless `force` is set.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderFindingsCsv, renderFlowsCsv } from './csv';
import { renderHtml } from './html';
import { renderJunit } from './junit';
import { renderMarkdown } from './markdown';
import { renderAuditJson, type AuditReport } from './model';
import { isFullDisk, OutputError, writeErrorText } from './output';
import { renderSarif } from './sarif';

/** Formats `egress-audit report --format` accepts, and the bundle file each becomes. */
export const REPORT_FORMATS = {
  html: { file: 'report.html', render: renderHtml },
  md: { file: 'report.md', render: renderMarkdown },
  csv: { file: 'findings.csv', render: renderFindingsCsv },
  'flows-csv': { file: 'flows.csv', render: renderFlowsCsv },
  json: { file: 'audit.json', render: renderAuditJson },
  sarif: { file: 'audit.sarif', render: (r: AuditReport) => renderSarif(r) },
  junit: { file: 'junit.xml', render: renderJunit },
} as const satisfies Record<string, { file: string; render: (r: AuditReport) => string }>;

/** One report format name. */
export type ReportFormat = keyof typeof REPORT_FORMATS;

/** Renders one format (pure). */
export function renderReport(model: AuditReport, format: ReportFormat): string {
  return REPORT_FORMATS[format].render(model);
}

/** Options of `writeBundle`. */
export interface BundleOptions {
  /** Replace an existing non-empty directory. */
  force?: boolean;
}

/** The files a bundle holds, in the order they are written. */
export const BUNDLE_FILES: readonly string[] = Object.values(REPORT_FORMATS).map((f) => f.file);

/**
 * Checks before a run that `dir` can take a bundle: absent, an empty directory, or (with
 * `force`) any directory. Throws OutputError (EA_OUTPUT) otherwise, so a run is not wasted.
 */
export function checkBundleTarget(dir: string, force = false): void {
  const st = statOrNull(path.resolve(dir));
  if (st && !st.isDirectory()) throw new OutputError(`bundle directory ${dir} exists and is not a directory`, { hint: 'choose another --bundle path' });
  if (st && !force && fs.readdirSync(dir).length > 0) throw new OutputError(`bundle directory ${dir} already exists and is not empty`, { hint: 'choose another directory, or pass --force to replace it' });
  if (!st && !statOrNull(path.dirname(path.resolve(dir)))) throw new OutputError(`cannot write bundle ${dir}: its parent directory does not exist`, { hint: 'create the parent directory first' });
}

/**
 * Writes report.html, report.md, findings.csv, flows.csv, audit.json, audit.sarif and
 * junit.xml into `dir`, atomically. Throws OutputError (EA_OUTPUT) when `dir` exists and is
 * not empty without `force`, or cannot be written. Returns the paths written.
 */
export function writeBundle(dir: string, model: AuditReport, opts: BundleOptions = {}): string[] {
  const target = path.resolve(dir);
  const existing = statOrNull(target);
  if (existing && !existing.isDirectory()) throw new OutputError(`bundle directory ${dir} exists and is not a directory`, { hint: 'choose another --bundle path' });
  const nonEmpty = existing !== null && fs.readdirSync(target).length > 0;
  if (nonEmpty && !opts.force) throw new OutputError(`bundle directory ${dir} already exists and is not empty`, { hint: 'choose another directory, or pass --force to replace it' });
  const parent = path.dirname(target);
  const tmp = path.join(parent, `.${path.basename(target)}.${process.pid}.tmp`);
  try {
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp, { recursive: false });
    for (const f of Object.values(REPORT_FORMATS)) {
      const p = path.join(tmp, f.file);
      const fd = fs.openSync(p, 'w', 0o644);
      try {
        fs.writeFileSync(fd, f.render(model), 'utf8');
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
    }
    if (existing) {
      // rename() replaces an empty directory in one step; a full one is moved aside first.
      const old = path.join(parent, `.${path.basename(target)}.${process.pid}.old`);
      if (nonEmpty) fs.renameSync(target, old);
      else fs.rmdirSync(target);
      fs.renameSync(tmp, target);
      if (nonEmpty) fs.rmSync(old, { recursive: true, force: true });
    } else {
      fs.renameSync(tmp, target);
    }
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (e instanceof OutputError) throw e;
    // The temporary directory is gone and DIR is as it was: say so, and what to do.
    const hint = isFullDisk(e)
      ? `nothing was replaced; free space where ${path.basename(target)} goes (df ${parent}) or choose another --bundle path`
      : 'nothing was replaced; check that the parent directory exists and is writable';
    throw new OutputError(`cannot write bundle ${dir}: ${writeErrorText(e)}`, { hint, cause: e });
  }
  return BUNDLE_FILES.map((f) => path.join(target, f));
}

function statOrNull(p: string): fs.Stats | null {
  try {
    return fs.statSync(p);
  } catch {
    return null;
  }
}
