import { createDecipheriv, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EnvelopeError, openEnvelope, openSealedReply, sealEnvelope } from './envelope.ts';
import { createMessageCrypto, MessageCryptoError } from './message-crypto.ts';
import {
  dedupeKey,
  fromPassiveReplyXml,
  type PassiveReply,
  renderPassiveReply,
  toInboundMessage,
} from './messages.ts';
import { callbackSignature, messageSignature, verifyCallbackSignature } from './signature.ts';
import { parseWeChatXml, renderWeChatXml, XmlError } from './xml.ts';

const AES_KEY = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
const APPID = 'wxb11529c136998cb6';

describe('signatures', () => {
  it('is sha1 of the sorted token, timestamp and nonce', () => {
    // sorted: "1409304348", "pamtest", "xxxxxx" → sha1("1409304348pamtestxxxxxx")
    const expected = createHash('sha1').update('1409304348pamtestxxxxxx').digest('hex');
    expect(callbackSignature('pamtest', '1409304348', 'xxxxxx')).toBe(expected);
    expect(callbackSignature('pamtest', 'xxxxxx', '1409304348')).toBe(expected);
    const sig = callbackSignature('pamtest', '1409304348', 'xxxxxx');
    expect(sig).toMatch(/^[0-9a-f]{40}$/);
    expect(verifyCallbackSignature('pamtest', '1409304348', 'xxxxxx', sig)).toBe(true);
    expect(verifyCallbackSignature('pamtest', '1409304349', 'xxxxxx', sig)).toBe(false);
    expect(verifyCallbackSignature('other', '1409304348', 'xxxxxx', sig)).toBe(false);
    expect(messageSignature('t', '1', 'n', 'enc')).not.toBe(callbackSignature('t', '1', 'n'));
  });
});

describe('safe-mode message crypto', () => {
  const crypto = createMessageCrypto(AES_KEY, APPID);

  it('lays out random(16) + length(4, big-endian) + xml + appid, padded to 32-byte blocks', () => {
    const xml = '<xml><Content><![CDATA[你好]]></Content></xml>';
    const encrypted = crypto.encrypt(xml, Buffer.alloc(16, 7));
    const key = Buffer.from(`${AES_KEY}=`, 'base64');
    const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16)).setAutoPadding(false);
    const plain = Buffer.concat([decipher.update(Buffer.from(encrypted, 'base64')), decipher.final()]);
    expect(plain.length % 32).toBe(0);
    const pad = plain.at(-1)!;
    expect(plain.subarray(0, 16).equals(Buffer.alloc(16, 7))).toBe(true);
    const length = plain.readUInt32BE(16);
    expect(plain.subarray(20, 20 + length).toString()).toBe(xml);
    expect(plain.subarray(20 + length, plain.length - pad).toString()).toBe(APPID);
    expect(crypto.decrypt(encrypted)).toBe(xml);
  });

  it('refuses another appid, bad padding and garbage', () => {
    const other = createMessageCrypto(AES_KEY, 'wx0000000000000000');
    expect(() => crypto.decrypt(other.encrypt('<xml/>'))).toThrow('appid mismatch');
    const bytes = Buffer.from(crypto.encrypt('<xml/>'), 'base64');
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
    expect(() => crypto.decrypt(bytes.toString('base64'))).toThrow(MessageCryptoError);
    expect(() => crypto.decrypt('not base64 at all!')).toThrow(MessageCryptoError);
    expect(() => createMessageCrypto('short', APPID)).toThrow(MessageCryptoError);
  });
});

describe('XML', () => {
  it('refuses DOCTYPE and entities: no XXE, no billion laughs', () => {
    const xxe =
      '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><Content>&e;</Content></xml>';
    expect(() => parseWeChatXml(xxe)).toThrow(XmlError);
    const laughs = `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><xml><a>&lol2;</a></xml>`;
    expect(() => parseWeChatXml(laughs)).toThrow(XmlError);
    expect(() => parseWeChatXml(`<xml><a>${'x'.repeat(70_000)}</a></xml>`)).toThrow('too large');
    expect(() => parseWeChatXml('<notxml/>')).toThrow('missing <xml> root');
  });

  it('keeps ids as strings and survives "]]>" inside CDATA', () => {
    const xml = renderWeChatXml({ MsgId: '1234567890123456789', Content: 'a]]>b', CreateTime: 1 });
    const parsed = parseWeChatXml(xml);
    expect(parsed.MsgId).toBe('1234567890123456789');
    expect(parsed.Content).toBe('a]]>b');
  });
});

const head =
  '<ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o_fan]]></FromUserName><CreateTime>1700000000</CreateTime>';
const inbound = (body: string) => toInboundMessage(parseWeChatXml(`<xml>${head}${body}</xml>`));

describe('every inbound message and event', () => {
  const cases: Array<[string, string, Record<string, unknown>]> = [
    [
      'text',
      '<MsgType>text</MsgType><Content>连衣裙</Content><MsgId>1</MsgId>',
      { kind: 'text', content: '连衣裙', msgId: '1' },
    ],
    [
      'image',
      '<MsgType>image</MsgType><PicUrl>http://p</PicUrl><MediaId>m</MediaId><MsgId>2</MsgId>',
      { kind: 'image', mediaId: 'm' },
    ],
    [
      'voice',
      '<MsgType>voice</MsgType><MediaId>m</MediaId><Format>amr</Format><Recognition>你好</Recognition><MsgId>3</MsgId>',
      { kind: 'voice', recognition: '你好' },
    ],
    [
      'video',
      '<MsgType>video</MsgType><MediaId>m</MediaId><ThumbMediaId>t</ThumbMediaId><MsgId>4</MsgId>',
      { kind: 'video', thumbMediaId: 't' },
    ],
    [
      'shortvideo',
      '<MsgType>shortvideo</MsgType><MediaId>m</MediaId><ThumbMediaId>t</ThumbMediaId><MsgId>5</MsgId>',
      { kind: 'shortvideo' },
    ],
    [
      'location',
      '<MsgType>location</MsgType><Location_X>32.06</Location_X><Location_Y>118.79</Location_Y><Scale>15</Scale><Label>南京</Label><MsgId>6</MsgId>',
      { kind: 'location', latitude: 32.06, longitude: 118.79, label: '南京' },
    ],
    [
      'link',
      '<MsgType>link</MsgType><Title>t</Title><Description>d</Description><Url>http://u</Url><MsgId>7</MsgId>',
      { kind: 'link', url: 'http://u' },
    ],
    [
      'subscribe',
      '<MsgType>event</MsgType><Event>subscribe</Event><EventKey></EventKey>',
      { kind: 'subscribe', scene: null },
    ],
    [
      'subscribe via QR',
      '<MsgType>event</MsgType><Event>subscribe</Event><EventKey>qrscene_counter</EventKey><Ticket>T</Ticket>',
      { kind: 'subscribe', scene: 'counter', ticket: 'T' },
    ],
    ['unsubscribe', '<MsgType>event</MsgType><Event>unsubscribe</Event>', { kind: 'unsubscribe' }],
    [
      'SCAN',
      '<MsgType>event</MsgType><Event>SCAN</Event><EventKey>counter</EventKey><Ticket>T</Ticket>',
      { kind: 'scan', scene: 'counter' },
    ],
    [
      'LOCATION',
      '<MsgType>event</MsgType><Event>LOCATION</Event><Latitude>23.1</Latitude><Longitude>113.3</Longitude><Precision>119</Precision>',
      { kind: 'location_report', latitude: 23.1 },
    ],
    [
      'CLICK',
      '<MsgType>event</MsgType><Event>CLICK</Event><EventKey>NEW</EventKey>',
      { kind: 'click', key: 'NEW' },
    ],
    [
      'VIEW',
      '<MsgType>event</MsgType><Event>VIEW</Event><EventKey>http://shop</EventKey>',
      { kind: 'view', url: 'http://shop' },
    ],
    [
      'scancode_push',
      '<MsgType>event</MsgType><Event>scancode_push</Event><EventKey>s</EventKey><ScanCodeInfo><ScanType>qrcode</ScanType><ScanResult>R</ScanResult></ScanCodeInfo>',
      { kind: 'scancode_push', scanResult: 'R' },
    ],
    [
      'scancode_waitmsg',
      '<MsgType>event</MsgType><Event>scancode_waitmsg</Event><EventKey>s</EventKey><ScanCodeInfo><ScanType>barcode</ScanType><ScanResult>R</ScanResult></ScanCodeInfo>',
      { kind: 'scancode_waitmsg', scanType: 'barcode' },
    ],
    [
      'pic_sysphoto',
      '<MsgType>event</MsgType><Event>pic_sysphoto</Event><EventKey>p</EventKey><SendPicsInfo><Count>1</Count></SendPicsInfo>',
      { kind: 'pic_sysphoto', count: 1 },
    ],
    [
      'pic_photo_or_album',
      '<MsgType>event</MsgType><Event>pic_photo_or_album</Event><EventKey>p</EventKey><SendPicsInfo><Count>2</Count></SendPicsInfo>',
      { kind: 'pic_photo_or_album', count: 2 },
    ],
    [
      'pic_weixin',
      '<MsgType>event</MsgType><Event>pic_weixin</Event><EventKey>p</EventKey><SendPicsInfo><Count>3</Count></SendPicsInfo>',
      { kind: 'pic_weixin', count: 3 },
    ],
    [
      'location_select',
      '<MsgType>event</MsgType><Event>location_select</Event><EventKey>l</EventKey><SendLocationInfo><Location_X>32</Location_X><Location_Y>118</Location_Y><Scale>15</Scale><Label>L</Label><Poiname>P</Poiname></SendLocationInfo>',
      { kind: 'location_select', poiName: 'P' },
    ],
    [
      'TEMPLATESENDJOBFINISH',
      '<MsgType>event</MsgType><Event>TEMPLATESENDJOBFINISH</Event><MsgID>200</MsgID><Status>success</Status>',
      { kind: 'template_send_finish', msgId: '200' },
    ],
    [
      'MASSSENDJOBFINISH',
      '<MsgType>event</MsgType><Event>MASSSENDJOBFINISH</Event><MsgID>300</MsgID><Status>send success</Status><TotalCount>10</TotalCount><FilterCount>9</FilterCount><SentCount>8</SentCount><ErrorCount>1</ErrorCount>',
      { kind: 'mass_send_finish', sentCount: 8, errorCount: 1 },
    ],
  ];
  it.each(cases)('reads %s', (_name, body, expected) => {
    expect(inbound(body)).toMatchObject({
      fromUser: 'o_fan',
      toUser: 'gh_1',
      createTime: 1700000000,
      ...expected,
    });
  });

  it('dedupes messages by MsgId and events by fan, second and event', () => {
    expect(dedupeKey(inbound('<MsgType>text</MsgType><Content>a</Content><MsgId>9</MsgId>'))).toBe('m:9');
    const subscribe = dedupeKey(inbound('<MsgType>event</MsgType><Event>subscribe</Event>'));
    const location = dedupeKey(
      inbound(
        '<MsgType>event</MsgType><Event>LOCATION</Event><Latitude>1</Latitude><Longitude>2</Longitude>',
      ),
    );
    expect(subscribe).toBe('e:o_fan:1700000000:subscribe:');
    expect(location).not.toBe(subscribe);
  });
});

describe('passive replies', () => {
  const replies: PassiveReply[] = [
    { type: 'text', content: '你好 <b>&' },
    { type: 'image', mediaId: 'img1' },
    { type: 'voice', mediaId: 'v1' },
    { type: 'video', mediaId: 'vid', title: 't', description: 'd' },
    {
      type: 'music',
      title: 'm',
      description: 'd',
      musicUrl: 'http://m',
      hqMusicUrl: 'http://hq',
      thumbMediaId: 'th',
    },
    {
      type: 'news',
      articles: [{ title: '连衣裙', description: '¥199', picUrl: 'http://p', url: 'http://u' }],
    },
    { type: 'transfer_customer_service' },
  ];
  it.each(replies.map((r) => [r.type, r] as const))('renders %s as WeChat reads it', (_type, reply) => {
    const xml = renderPassiveReply(reply, 'o_fan', 'gh_1', 1700000000);
    const parsed = parseWeChatXml(xml);
    expect(parsed.ToUserName).toBe('o_fan');
    expect(parsed.FromUserName).toBe('gh_1');
    expect(fromPassiveReplyXml(parsed)).toEqual(reply);
  });
});

describe('envelopes', () => {
  const crypto = createMessageCrypto(AES_KEY, APPID);
  const account = { token: 'tok', mode: 'safe' as const, crypto };
  const inner = `<xml>${head}<MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>`;

  function sealed(ts = '1700000000', nonce = '42') {
    const { encrypted, signature } = sealEnvelope(inner, crypto, 'tok', ts, nonce);
    return {
      body: `<xml><ToUserName><![CDATA[gh_1]]></ToUserName><Encrypt><![CDATA[${encrypted}]]></Encrypt></xml>`,
      query: {
        signature: callbackSignature('tok', ts, nonce),
        timestamp: ts,
        nonce,
        encrypt_type: 'aes',
        msg_signature: signature,
      },
    };
  }

  it('opens a signed, encrypted push', () => {
    const { body, query } = sealed();
    const opened = openEnvelope(body, query, account);
    expect(opened.encrypted).toBe(true);
    expect(opened.message.Content).toBe('hi');
  });

  it('refuses forged signatures, a tampered body and plaintext on a safe-mode account', () => {
    const { body, query } = sealed();
    expect(() => openEnvelope(body, { ...query, signature: 'f'.repeat(40) }, account)).toThrow(EnvelopeError);
    expect(() => openEnvelope(body, { ...query, msg_signature: 'f'.repeat(40) }, account)).toThrow(
      'bad msg_signature',
    );
    const tampered = body.replace(
      /Encrypt><!\[CDATA\[(.)/,
      (_m, c) => `Encrypt><![CDATA[${c === 'A' ? 'B' : 'A'}`,
    );
    expect(() => openEnvelope(tampered, query, account)).toThrow(EnvelopeError);
    const plainQuery = { signature: query.signature, timestamp: query.timestamp, nonce: query.nonce };
    expect(() => openEnvelope(inner, plainQuery, account)).toThrow('encrypted messages only');
    expect(openEnvelope(inner, plainQuery, { ...account, mode: 'compatible' }).encrypted).toBe(false);
  });

  it('seals replies that WeChat can verify and read', () => {
    const reply = renderPassiveReply({ type: 'text', content: '回复' }, 'o_fan', 'gh_1', 1);
    const out = sealEnvelope(reply, crypto, 'tok', '1700000001', '7').xml;
    expect(openSealedReply(out, crypto, 'tok').Content).toBe('回复');
    expect(() => openSealedReply(out, crypto, 'wrong-token')).toThrow(EnvelopeError);
  });
});
