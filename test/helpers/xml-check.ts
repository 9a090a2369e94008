/**
 * A strict XML 1.0 well-formedness checker for tests (no dependency): parses the document
 * back into elements, checking name syntax, quoted attributes, entity references, balanced
 * tags and the characters XML forbids. Returns the element tree; throws on the first error.
 */

/** One parsed element. */
export interface XmlElement { name: string; attrs: Record<string, string>; children: XmlElement[]; text: string }

const NAME = /^[A-Za-z_:][A-Za-z0-9_:.-]*/;
const FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(s: string, at: number): string {
  if (s.includes('<')) throw new Error(`'<' in text or attribute near offset ${at}`);
  return s.replace(/&([^;]*);|&/g, (m, ent: string | undefined) => {
    if (ent === undefined) throw new Error(`bare '&' near offset ${at}`);
    if (ent in ENTITIES) return ENTITIES[ent];
    const num = /^#(x[0-9a-fA-F]+|[0-9]+)$/.exec(ent);
    if (!num) throw new Error(`unknown entity &${ent}; near offset ${at}`);
    const c = num[1][0] === 'x' ? parseInt(num[1].slice(1), 16) : Number(num[1]);
    if (c !== 9 && c !== 10 && c !== 13 && (c < 0x20 || c === 0xfffe || c === 0xffff)) throw new Error(`character reference to forbidden character ${c}`);
    return String.fromCodePoint(c);
  });
}

/** Parses `xml`; throws with a reason when it is not well-formed. */
export function parseXml(xml: string): XmlElement {
  if (FORBIDDEN.test(xml)) throw new Error(`forbidden character at offset ${xml.search(FORBIDDEN)}`);
  let i = 0;
  if (xml.startsWith('<?xml')) i = xml.indexOf('?>') + 2;
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = lt < 0 ? xml.slice(i) : xml.slice(i, lt);
    if (stack.length > 0) stack[stack.length - 1].text += decode(text, i);
    else if (text.trim() !== '') throw new Error(`text outside the root element at ${i}`);
    if (lt < 0) break;
    i = lt;
    if (xml.startsWith('</', i)) {
      const m = NAME.exec(xml.slice(i + 2));
      const close = xml.indexOf('>', i);
      const top = stack.pop();
      if (!m || !top || top.name !== m[0] || xml.slice(i + 2 + m[0].length, close).trim() !== '') throw new Error(`mismatched close tag at ${i}`);
      i = close + 1;
      continue;
    }
    const m = NAME.exec(xml.slice(i + 1));
    if (!m) throw new Error(`bad tag name at ${i}`);
    const el: XmlElement = { name: m[0], attrs: {}, children: [], text: '' };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else if (root === null) root = el;
    else throw new Error('two root elements');
    i += 1 + m[0].length;
    for (;;) {
      const ws = /^\s*/.exec(xml.slice(i))![0];
      i += ws.length;
      if (xml.startsWith('/>', i)) { i += 2; break; }
      if (xml[i] === '>') { i += 1; stack.push(el); break; }
      if (ws.length === 0) throw new Error(`attributes need whitespace before them at ${i}`);
      const am = /^([A-Za-z_:][A-Za-z0-9_:.-]*)="([^"]*)"/.exec(xml.slice(i));
      if (!am) throw new Error(`bad attribute at ${i}: ${xml.slice(i, i + 30)}`);
      if (am[1] in el.attrs) throw new Error(`duplicate attribute ${am[1]} at ${i}`);
      el.attrs[am[1]] = decode(am[2], i);
      i += am[0].length;
    }
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack[stack.length - 1].name}>`);
  if (!root) throw new Error('no root element');
  return root;
}
