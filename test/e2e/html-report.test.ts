/**
 * The HTML report in a real browser (issue 5): Debian's Chromium, driven by playwright-core
 * with `executablePath` (no browser download). It renders, the numbers on the page match
 * audit.json, a hostile SNI shows as text and no dialog fires, printing to PDF works on A4
 * and Letter, and JUnit parses in the browser's XML parser. Screenshots and PDFs are kept in
 * test-artifacts/; docs/report-screenshot.png (the README's) is written when absent or when
 * UPDATE_DOCS_SCREENSHOT=1.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { VERSION } from '../../src/main';
import { renderHtml } from '../../src/report/html';
import { renderJunit } from '../../src/report/junit';
import { renderAuditJson, type AuditReport } from '../../src/report/model';
import { tempDir } from '../helpers/packets';
import { HOSTILE_SNI, HOSTILE_SNI_SPACED, hostileCapture, reportOf } from '../helpers/report-fixture';
import { REPO_ROOT } from '../helpers/shared';

const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = fs.existsSync(CHROMIUM);
const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts');
const DOCS_SCREENSHOT = path.join(REPO_ROOT, 'docs', 'report-screenshot.png');

const suite = HAS_CHROMIUM ? describe : describe.skip;
suite(HAS_CHROMIUM ? 'HTML report in headless Chromium' : `HTML report in headless Chromium (skipped: ${CHROMIUM} is not installed; apt-get install chromium)`, () => {
  let ctx: BrowserContext;
  let profile: string;
  let tmp: ReturnType<typeof tempDir>;
  let sample: AuditReport;
  let hostile: AuditReport;
  const dialogs: string[] = [];

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    tmp = tempDir('html-report');
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'ea-chromium-profile-'));
    sample = reportOf([path.join('captures', 'sample-device.pcapng')], ['nebra-hotspot'], ['192.0.2.10', '2001:db8::10'], VERSION);
    hostile = reportOf([tmp.write('hostile.pcap', hostileCapture())]);
    // A fresh profile per run (launchPersistentContext passes it as --user-data-dir).
    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1000, height: 1300 },
    });
  });
  afterAll(async () => {
    await ctx?.close();
    fs.rmSync(profile, { recursive: true, force: true });
    tmp.cleanup();
  });

  async function open(html: string, name: string): Promise<Page> {
    const file = path.join(ARTIFACTS, name);
    fs.writeFileSync(file, html);
    const page = await ctx.newPage();
    page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
    await page.goto(`file://${file}`);
    await page.waitForLoadState('load');
    return page;
  }

  const text = (page: Page, sel: string) => page.$eval(sel, (e) => e.textContent ?? '');

  test('renders; the numbers on the page are those of audit.json', async () => {
    fs.writeFileSync(path.join(ARTIFACTS, 'audit.json'), renderAuditJson(sample));
    const page = await open(renderHtml(sample), 'report.html');
    expect(await text(page, '#m-findings')).toBe(String(sample.findings.length));
    expect(await text(page, '#m-flows')).toBe(String(sample.flows.length));
    expect(await text(page, '#m-declared')).toBe(String(sample.verdicts.declared));
    expect(await text(page, '#m-undeclared')).toBe(String(sample.verdicts.undeclared));
    expect(await text(page, '#m-packets')).toBe(String(sample.capture.packets));
    expect(await text(page, '#m-named-flows')).toBe(String(sample.attribution.named_flows));
    expect(await page.$$eval('#findings-table tbody tr.finding', (rows) => rows.length)).toBe(sample.findings.length);
    const dests = await page.$$eval('#findings-table td.dest', (tds) => tds.map((td) => td.querySelector('.name')?.textContent));
    expect(dests).toEqual(sample.findings.map((f) => f.destination));
    expect(await page.$$eval('svg', (s) => s.length)).toBe(3);
    await page.screenshot({ path: path.join(ARTIFACTS, 'report.png'), fullPage: true });
    if (!fs.existsSync(DOCS_SCREENSHOT) || process.env.UPDATE_DOCS_SCREENSHOT === '1') {
      fs.mkdirSync(path.dirname(DOCS_SCREENSHOT), { recursive: true });
      await page.screenshot({ path: DOCS_SCREENSHOT, clip: { x: 0, y: 0, width: 1000, height: 1000 } });
    }
    await page.close();
  });

  test('a hostile name is text: no element from it, no dialog', async () => {
    // The payload is live: unescaped, it fires a dialog in this browser.
    const control = await open(`<!DOCTYPE html><body>${HOSTILE_SNI}</body>`, 'control-unescaped.html');
    await control.waitForTimeout(300);
    expect(dialogs).toEqual(['1']);
    dialogs.length = 0;
    await control.close();

    const page = await open(renderHtml(hostile), 'report-hostile.html');
    await page.waitForTimeout(300);
    expect(dialogs).toEqual([]);
    expect(await page.$$eval('img, script, iframe, object, embed', (e) => e.length)).toBe(0);
    const dests = await page.$$eval('#findings-table td.dest', (tds) => tds.map((td) => td.querySelector('.name')?.textContent));
    expect(dests).toContain(HOSTILE_SNI);
    expect(dests).toContain(HOSTILE_SNI_SPACED); // spaces are text in names, as the extractor reads them
    await page.screenshot({ path: path.join(ARTIFACTS, 'report-hostile.png'), fullPage: true });
    await page.close();
  });

  test('prints to PDF on A4 and Letter', async () => {
    const page = await open(renderHtml(sample), 'report-print.html');
    await page.emulateMedia({ media: 'print' });
    for (const format of ['A4', 'Letter'] as const) {
      const pdf = await page.pdf({ format, printBackground: true });
      fs.writeFileSync(path.join(ARTIFACTS, `report-${format}.pdf`), pdf);
      expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
      const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
      expect(pages).toBeGreaterThanOrEqual(1);
      expect(pages).toBeLessThan(10);
    }
    // Nothing wider than the printable area (A4 is the narrower: 210 mm minus 24 mm of margins).
    await page.setViewportSize({ width: Math.floor((186 / 25.4) * 96), height: 1000 });
    const overflow = await page.evaluate(() => {
      const el = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
      return el.scrollWidth - el.clientWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    await page.close();
  });

  test('JUnit parses in the browser XML parser, hostile names included', async () => {
    const page = await ctx.newPage();
    const xml = renderJunit(hostile);
    const result = await page.evaluate((x) => {
      type Doc = { getElementsByTagName(n: string): { length: number } };
      const P = (globalThis as unknown as { DOMParser: new () => { parseFromString(s: string, t: string): Doc } }).DOMParser;
      const doc = new P().parseFromString(x, 'application/xml');
      return { error: doc.getElementsByTagName('parsererror').length, cases: doc.getElementsByTagName('testcase').length };
    }, xml);
    expect(result).toEqual({ error: 0, cases: hostile.rules.length + hostile.findings.length });
    await page.close();
  });
});
