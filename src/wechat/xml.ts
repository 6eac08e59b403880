export const MAX_XML_BYTES = 64 * 1024;

export class XmlError extends Error {}

/**
 * Parses WeChat's flat `<xml>…</xml>` into a record of strings (nested elements as objects).
 * DOCTYPE and ENTITY declarations are refused outright: no XXE, no billion laughs.
 */
export function parseWeChatXml(text: string): Record<string, unknown> {
  if (text.length > MAX_XML_BYTES || Buffer.byteLength(text) > MAX_XML_BYTES)
    throw new XmlError('xml too large');
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new XmlError('DOCTYPE and entities are not allowed');
  let parsed: Record<string, unknown>;
  try {
    parsed = readXml(text);
  } catch (error) {
    if (error instanceof XmlSyntaxError) throw new XmlError(`malformed xml: ${error.message}`);
    throw error;
  }
  const root = parsed.xml;
  if (!root || typeof root !== 'object' || Array.isArray(root)) throw new XmlError('missing <xml> root');
  return root as Record<string, unknown>;
}

/**
 * A reader for the XML WeChat actually sends: one `<xml>` root, elements with text or CDATA, a
 * few nested event structures (ScanCodeInfo, SendPicsInfo, SendLocationInfo). One pass over the
 * string with indexOf, no regular expressions, no entity expansion (`&amp;` stays as written),
 * no DTDs. Output has fast-xml-parser's shape (with ignoreAttributes, no value parsing, no
 * trimming): a leaf is its text, a parent an object of its children (text between them joined
 * under `#text`), a repeated tag an array.
 */

class XmlSyntaxError extends Error {}

type Value = string | Record<string, unknown>;

interface Open {
  name: string;
  text: string;
  children: Record<string, unknown> | null;
}

const MAX_DEPTH = 32;
// Keys that would reach Object.prototype through a plain object.
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

function isNameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 58;
}
function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57) || c === 45 || c === 46;
}
function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

function fail(message: string, at: number): never {
  throw new XmlSyntaxError(`${message} at ${at}`);
}

function attach(parent: Open, name: string, value: Value): void {
  parent.children ??= {};
  const children = parent.children;
  const existing = children[name];
  if (existing === undefined) children[name] = value;
  else if (Array.isArray(existing)) existing.push(value);
  else children[name] = [existing, value];
}

function close(element: Open): Value {
  if (!element.children) return element.text;
  if (element.text) element.children['#text'] = element.text;
  return element.children;
}

/** The document's root elements by name, as fast-xml-parser returns them; throws XmlSyntaxError. */
function readXml(source: string): Record<string, unknown> {
  // XML's own line-end rule: \r\n and a lone \r are read as \n, in text and CDATA alike.
  const text = source.includes('\r') ? source.replace(/\r\n?/g, '\n') : source;
  const document: Open = { name: '', text: '', children: null };
  const stack: Open[] = [document];
  let roots = 0;
  let i = 0;
  const length = text.length;
  while (i < length) {
    const lt = text.indexOf('<', i);
    const end = lt === -1 ? length : lt;
    if (end > i) {
      const top = stack[stack.length - 1]!;
      if (top === document) {
        for (let k = i; k < end; k++) if (!isSpace(text.charCodeAt(k))) fail('text outside the root', k);
      } else {
        top.text += text.slice(i, end);
      }
    }
    if (lt === -1) break;
    const next = text.charCodeAt(lt + 1);
    if (next === 33 /* ! */) {
      if (text.startsWith('<![CDATA[', lt)) {
        const stop = text.indexOf(']]>', lt + 9);
        if (stop === -1) fail('unclosed CDATA', lt);
        if (stack.length === 1) fail('CDATA outside the root', lt);
        stack[stack.length - 1]!.text += text.slice(lt + 9, stop);
        i = stop + 3;
      } else if (text.startsWith('<!--', lt)) {
        const stop = text.indexOf('-->', lt + 4);
        if (stop === -1) fail('unclosed comment', lt);
        i = stop + 3;
      } else {
        fail('declarations are not allowed', lt);
      }
    } else if (next === 63 /* ? */) {
      const stop = text.indexOf('?>', lt + 2);
      if (stop === -1) fail('unclosed processing instruction', lt);
      i = stop + 2;
    } else if (next === 47 /* / */) {
      let k = lt + 2;
      while (k < length && isNameChar(text.charCodeAt(k))) k++;
      const name = text.slice(lt + 2, k);
      while (k < length && isSpace(text.charCodeAt(k))) k++;
      if (text.charCodeAt(k) !== 62 /* > */) fail('malformed closing tag', lt);
      const element = stack.pop()!;
      if (element === document || element.name !== name) fail(`unexpected </${name}>`, lt);
      attach(stack[stack.length - 1]!, name, close(element));
      if (stack.length === 1) roots++;
      i = k + 1;
    } else {
      let k = lt + 1;
      if (!isNameStart(text.charCodeAt(k))) fail('malformed tag', lt);
      while (k < length && isNameChar(text.charCodeAt(k))) k++;
      const name = text.slice(lt + 1, k);
      if (FORBIDDEN.has(name)) fail(`forbidden name ${name}`, lt);
      if (stack.length === 1 && roots > 0) fail('more than one root', lt);
      // Attributes are skipped (WeChat sends none), quoted values may hold '>' or '/'.
      let selfClosing = false;
      for (;;) {
        if (k >= length) fail('unclosed tag', lt);
        const c = text.charCodeAt(k);
        if (c === 62 /* > */) break;
        if (c === 34 || c === 39) {
          const quote = text.indexOf(c === 34 ? '"' : "'", k + 1);
          if (quote === -1) fail('unclosed attribute value', k);
          k = quote + 1;
          continue;
        }
        if (c === 47 /* / */) {
          if (text.charCodeAt(k + 1) !== 62) fail('malformed tag', k);
          selfClosing = true;
          k++;
          break;
        }
        if (c === 60 /* < */) fail('malformed tag', k);
        k++;
      }
      if (selfClosing) {
        attach(stack[stack.length - 1]!, name, '');
        if (stack.length === 1) roots++;
      } else {
        if (stack.length > MAX_DEPTH) fail('nested too deep', lt);
        stack.push({ name, text: '', children: null });
      }
      i = k + 1;
    }
  }
  if (stack.length > 1) fail(`unclosed <${stack[stack.length - 1]!.name}>`, length);
  return document.children ?? {};
}

function cdata(value: string): string {
  // "]]>" cannot appear inside CDATA; split it across two sections.
  return `<![CDATA[${value.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

export type XmlValue = string | number | XmlNode | XmlNode[];
export interface XmlNode {
  [key: string]: XmlValue;
}

function renderNode(node: XmlNode): string {
  let out = '';
  for (const [key, value] of Object.entries(node)) {
    if (Array.isArray(value)) {
      for (const item of value) out += `<${key}>${renderNode(item)}</${key}>`;
    } else if (typeof value === 'object') {
      out += `<${key}>${renderNode(value)}</${key}>`;
    } else {
      out += `<${key}>${typeof value === 'number' ? value : cdata(value)}</${key}>`;
    }
  }
  return out;
}

/** Renders `<xml>` the way WeChat writes it: strings in CDATA, numbers bare, arrays as repeated tags. */
export function renderWeChatXml(node: XmlNode): string {
  return `<xml>${renderNode(node)}</xml>`;
}
