import { XMLParser } from 'fast-xml-parser';

export const MAX_XML_BYTES = 64 * 1024;

export class XmlError extends Error {}

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false, // MsgId and openids must stay strings
  processEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: false,
});

/**
 * Parses WeChat's flat `<xml>…</xml>` into a record of strings (nested elements as objects).
 * DOCTYPE and ENTITY declarations are refused outright: no XXE, no billion laughs.
 */
export function parseWeChatXml(text: string): Record<string, unknown> {
  if (Buffer.byteLength(text) > MAX_XML_BYTES) throw new XmlError('xml too large');
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new XmlError('DOCTYPE and entities are not allowed');
  let parsed: unknown;
  try {
    parsed = parser.parse(text, true);
  } catch (error) {
    throw new XmlError(`malformed xml: ${(error as Error).message}`);
  }
  const root = (parsed as { xml?: unknown }).xml;
  if (!root || typeof root !== 'object') throw new XmlError('missing <xml> root');
  return root as Record<string, unknown>;
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
