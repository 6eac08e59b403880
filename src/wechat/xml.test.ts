import fc from 'fast-check';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { parseWeChatXml, renderWeChatXml, XmlError, type XmlNode } from './xml.ts';

// What parseWeChatXml used before it had its own reader: the oracle its output must match.
const oracle = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  processEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  trimValues: false,
});
const viaOracle = (xml: string) => (oracle.parse(xml, true) as { xml: Record<string, unknown> }).xml;

const text = fc.string({ unit: 'grapheme', maxLength: 40 });
/** Text as WeChat writes it bare (numbers, ids, event keys): never '<' or '&'. */
const bare = fc.string({ maxLength: 20 }).map((s) => s.replace(/[<&]/g, '_'));
const id = fc.stringMatching(/^[A-Za-z0-9_-]{6,28}$/);
const time = fc.integer({ min: 1_000_000_000, max: 2_000_000_000 });
const coordinate = fc.double({ min: -180, max: 180, noNaN: true }).map((n) => n.toFixed(6));

const head = fc.record({ ToUserName: id, FromUserName: id, CreateTime: time });
const bodies: fc.Arbitrary<XmlNode> = fc.oneof(
  fc.record({ MsgType: fc.constant('text'), Content: text, MsgId: id }),
  fc.record({ MsgType: fc.constant('image'), PicUrl: text, MediaId: id, MsgId: id }),
  fc.record({ MsgType: fc.constant('voice'), MediaId: id, Format: fc.constant('amr'), MsgId: id }),
  fc.record({
    MsgType: fc.constant('location'),
    Location_X: coordinate,
    Location_Y: coordinate,
    Scale: fc.integer({ min: 1, max: 20 }),
    Label: text,
    MsgId: id,
  }),
  fc.record({ MsgType: fc.constant('link'), Title: text, Description: text, Url: text, MsgId: id }),
  fc.record({
    MsgType: fc.constant('event'),
    Event: fc.constantFrom('subscribe', 'unsubscribe', 'SCAN', 'CLICK', 'VIEW'),
    EventKey: text,
  }),
  fc.record({
    MsgType: fc.constant('event'),
    Event: fc.constantFrom('scancode_push', 'scancode_waitmsg'),
    EventKey: text,
    ScanCodeInfo: fc.record({ ScanType: fc.constantFrom('qrcode', 'barcode'), ScanResult: text }),
  }),
  fc.record({
    MsgType: fc.constant('event'),
    Event: fc.constantFrom('pic_sysphoto', 'pic_photo_or_album', 'pic_weixin'),
    EventKey: text,
    SendPicsInfo: fc.array(fc.record({ PicMd5Sum: id }), { minLength: 1, maxLength: 5 }).map((items) => ({
      Count: items.length,
      PicList: { item: items.length === 1 ? items[0]! : items },
    })),
  }),
  fc.record({
    MsgType: fc.constant('event'),
    Event: fc.constant('location_select'),
    EventKey: text,
    SendLocationInfo: fc.record({
      Location_X: coordinate,
      Location_Y: coordinate,
      Scale: fc.integer({ min: 1, max: 20 }),
      Label: text,
      Poiname: text,
    }),
  }),
  fc.record({ ToUserName: id, Encrypt: fc.base64String({ minLength: 4, maxLength: 200 }) }),
);
const message = fc.tuple(head, bodies).map(([h, b]) => ({ ...h, ...b }) as XmlNode);

/** The same node written bare (no CDATA), as some senders and WeChat's own samples do. */
function renderBare(node: XmlNode, gap: string): string {
  let out = '';
  for (const [key, value] of Object.entries(node)) {
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) {
      const inner = typeof item === 'object' ? renderBare(item, gap) : String(item);
      out += `${gap}<${key}>${inner}</${key}>`;
    }
  }
  return `${out}${gap}`;
}

const written = fc.oneof(
  message.map((m) => renderWeChatXml(m)),
  fc
    .tuple(message, fc.constantFrom('', '\n', '\n  ', '\r\n\t'), fc.boolean())
    .map(
      ([m, gap, declared]) =>
        `${declared ? '<?xml version="1.0" encoding="UTF-8"?>\n' : ''}<xml>${renderBare(
          JSON.parse(JSON.stringify(m, (_k, v) => (typeof v === 'string' ? v.replace(/[<&]/g, '_') : v))),
          gap,
        )}</xml>`,
    ),
  fc
    .tuple(head, bare, bare)
    .map(([h, key, ticket]) =>
      renderWeChatXml({ ...h, MsgType: 'event', Event: 'SCAN', EventKey: key, Ticket: ticket }),
    ),
);

describe('WeChat XML reader', () => {
  it('reads thousands of generated WeChat messages exactly as fast-xml-parser does', () => {
    fc.assert(
      fc.property(written, (xml) => {
        expect(parseWeChatXml(xml)).toEqual(viaOracle(xml));
      }),
      { numRuns: 4000 },
    );
  });

  const fragments = fc.constantFrom(
    '<xml>',
    '</xml>',
    '<a>',
    '</a>',
    '<b/>',
    '<![CDATA[',
    ']]>',
    '<!--',
    '-->',
    '<?xml version="1.0"?>',
    '<!DOCTYPE x>',
    '<!ENTITY e "x">',
    '&e;',
    '&amp;',
    '<__proto__>',
    '<constructor>',
    '<a x="1>">',
    "<a y='/'>",
    '<',
    '>',
    '/',
    '"',
    ' ',
    '\n',
    '文',
  );
  const hostile = fc.oneof(
    fc.array(fragments, { maxLength: 30 }).map((parts) => parts.join('')),
    fc.array(fc.oneof(fragments, fc.string({ maxLength: 5 })), { maxLength: 30 }).map((p) => p.join('')),
    fc.string({ unit: 'binary', maxLength: 200 }),
    written.chain((xml) =>
      fc
        .tuple(fc.nat(xml.length), fc.nat(xml.length))
        .map(([from, to]) => xml.slice(0, Math.min(from, to)) + xml.slice(Math.max(from, to) + 1)),
    ),
  );

  it('answers hostile input with a value or a clean XmlError, and agrees with the oracle when both read it', () => {
    fc.assert(
      fc.property(hostile, (xml) => {
        let ours: Record<string, unknown> | null = null;
        try {
          ours = parseWeChatXml(xml);
        } catch (error) {
          expect(error).toBeInstanceOf(XmlError);
        }
        if (ours === null) return;
        let theirs: unknown = null;
        try {
          theirs = viaOracle(xml);
        } catch {
          return;
        }
        expect(ours).toEqual(theirs);
      }),
      { numRuns: 4000 },
    );
  });

  it('refuses what today refuses: DTDs, entities, two roots, unclosed or crossed tags, no <xml> root', () => {
    for (const xml of [
      '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><a>&e;</a></xml>',
      '<xml><a>1</a></xml><xml><a>2</a></xml>',
      '<xml><a>1</xml>',
      '<xml><a>1</b></xml>',
      '<xml><a>1</a>',
      'junk<xml></xml>',
      '<xml><__proto__>1</__proto__></xml>',
      '<other><a>1</a></other>',
      '<xml></xml>',
      `<xml>${'<a>'.repeat(100)}</xml>`,
    ])
      expect(() => parseWeChatXml(xml), xml).toThrow(XmlError);
  });
});
