import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callbackSignature } from '../../src/wechat/signature.ts';
import { createTestApp, type TestApp } from '../support/test-app.ts';
import { connectAccount } from '../support/wechat-fan.ts';
import { printable } from './fuzz-support.ts';

// The callback URL every official account gives WeChat: reachable by anyone who learns it.
// Unsigned pushes must change nothing; no push, signed or not, may make a 500.
const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const TOKEN = 'testtoken'; // what connectAccount sets

let t: TestApp;
let plainAppid: string;
let safeAppid: string;

beforeAll(async () => {
  t = await createTestApp();
  const m = await t.merchant('fuzz-callback');
  plainAppid = (await connectAccount(t, m.token, { mode: 'plain' })).appid;
  safeAppid = (await connectAccount(t, m.token, { mode: 'safe' })).appid;
});
afterAll(() => t.close());

async function channelState() {
  const count = async (table: 'followers' | 'inbound_messages' | 'jobs') =>
    Number(
      (
        await t.deps.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirst()
      )?.n,
    );
  return {
    followers: await count('followers'),
    messages: await count('inbound_messages'),
    jobs: await count('jobs'),
  };
}

const value = fc.oneof(
  printable(40),
  fc.string({ maxLength: 40 }),
  fc.constantFrom(']]>', '', '0', '-1', '1e400'),
);
const message = fc
  .record(
    {
      ToUserName: value,
      FromUserName: fc.oneof(fc.constant('o_fuzz_fan'), value),
      CreateTime: fc.oneof(fc.integer().map(String), value),
      MsgType: fc.oneof(
        fc.constantFrom('text', 'image', 'location', 'link', 'event', 'voice', 'video'),
        value,
      ),
      Content: value,
      MsgId: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n }).map(String), value),
      Event: fc.oneof(
        fc.constantFrom('subscribe', 'unsubscribe', 'CLICK', 'VIEW', 'SCAN', 'LOCATION'),
        value,
      ),
      EventKey: value,
      Location_X: value,
      Location_Y: value,
      Encrypt: fc.oneof(fc.base64String({ maxLength: 200 }), value),
    },
    { requiredKeys: [] },
  )
  .map(
    (fields) =>
      `<xml>${Object.entries(fields)
        .map(([k, v]) => `<${k}><![CDATA[${v}]]></${k}>`)
        .join('')}</xml>`,
  );

// Close to what WeChat sends, so signed pushes reach the keyword rules, the catalog and the jobs.
const nearlyValid = fc
  .record({
    type: fc.constantFrom('text', 'event'),
    content: value,
    event: fc.constantFrom(
      'subscribe',
      'unsubscribe',
      'CLICK',
      'VIEW',
      'SCAN',
      'LOCATION',
      'TEMPLATESENDJOBFINISH',
    ),
    msgId: fc.bigInt({ min: 1n, max: 2n ** 63n }).map(String),
    openid: fc.constantFrom('o_fuzz_1', 'o_fuzz_2'),
  })
  .map(
    (m) =>
      `<xml><ToUserName><![CDATA[gh_fuzz]]></ToUserName><FromUserName><![CDATA[${m.openid}]]></FromUserName><CreateTime>${Math.floor(Date.now() / 1000)}</CreateTime><MsgType><![CDATA[${m.type}]]></MsgType>${
        m.type === 'text'
          ? `<Content><![CDATA[${m.content}]]></Content><MsgId>${m.msgId}</MsgId>`
          : `<Event><![CDATA[${m.event}]]></Event><EventKey><![CDATA[${m.content}]]></EventKey>`
      }</xml>`,
  );

const body = fc.oneof(
  { weight: 4, arbitrary: message },
  fc.string({ maxLength: 300 }),
  fc.constantFrom(
    '<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml><Content>&x;</Content></xml>',
    '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><xml><Content>&b;</Content></xml>',
    '<xml><xml><xml></xml></xml>',
    `<xml>${'<a>'.repeat(500)}`,
    '',
  ),
);

const hex40 = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 40, maxLength: 40 });

const query = fc.record(
  {
    signature: fc.oneof(hex40, printable(40)),
    timestamp: fc.oneof(fc.integer({ min: 0 }).map(String), printable(12)),
    nonce: printable(12),
    openid: printable(30),
    encrypt_type: fc.constantFrom('aes', 'raw', 'AES', ''),
    msg_signature: fc.oneof(hex40, printable(40)),
  },
  { requiredKeys: [] },
);

const push = fc.record({
  appid: fc.oneof({ weight: 6, arbitrary: fc.constantFrom('$plain', '$safe') }, printable(20)),
  body,
  query,
  contentType: fc.constantFrom('text/xml', 'application/xml', 'text/plain', 'application/json', undefined),
});

type Push = typeof push extends fc.Arbitrary<infer T> ? T : never;

function send(p: Push, sign = false) {
  const appid = p.appid === '$plain' ? plainAppid : p.appid === '$safe' ? safeAppid : p.appid;
  const q = { ...p.query } as Record<string, string>;
  if (sign) {
    q.timestamp = String(Math.floor(Date.now() / 1000));
    q.nonce = q.nonce || '12345';
    q.signature = callbackSignature(TOKEN, q.timestamp, q.nonce);
  }
  return t.app.inject({
    method: 'POST',
    url: `/wechat/${encodeURIComponent(appid)}?${new URLSearchParams(q)}`,
    headers: p.contentType ? { 'content-type': p.contentType } : {},
    payload: p.body,
  });
}

describe('fuzzing the WeChat callback URL', () => {
  it(`refuses every unsigned push without a 500 or a change, over ${RUNS} pushes`, async () => {
    const before = await channelState();
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(push, async (p) => {
        const response = await send(p);
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        expect(response.statusCode, response.body).toBeLessThan(500);
        expect(response.statusCode, response.body).not.toBe(200);
      }),
      { numRuns: RUNS },
    );
    expect(await channelState()).toEqual(before);
    process.stdout.write(
      `callback fuzz (unsigned): ${RUNS} inputs, statuses ${JSON.stringify(Object.fromEntries(statuses))}\n`,
    );
  });

  it('never answers 500 to a push signed with the right token, whatever its XML', async () => {
    const runs = Math.max(100, Math.floor(RUNS / 4));
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(push, fc.option(nearlyValid, { freq: 2 }), async (p, valid) => {
        const response = await send(
          { ...p, appid: '$plain', body: valid ?? p.body, contentType: valid ? 'text/xml' : p.contentType },
          true,
        );
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        expect(response.statusCode, response.body).toBeLessThan(500);
      }),
      { numRuns: runs },
    );
    await t.worker.drain();
    process.stdout.write(
      `callback fuzz (signed, plain mode): ${runs} inputs, statuses ${JSON.stringify(Object.fromEntries(statuses))}\n`,
    );
  });
});
