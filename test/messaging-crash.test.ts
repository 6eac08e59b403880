import { type ChildProcess, spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { merchantCtx } from '../src/context.ts';
import { resolveFan } from '../src/modules/crm/index.ts';
import { requestTemplateNotices } from '../src/modules/messaging/index.ts';
import { systemClock } from '../src/platform/clock.ts';
import { massDeliveryCounts } from '../src/simulator/mass-send.routes.ts';
import { createTestApp, type TestApp } from './support/test-app.ts';
import { connectAccount } from './support/wechat-fan.ts';

const FANS = 200;
const BATCH = 20;
let t: TestApp;
let token: string;
let appid: string;
let accountId: string;
let tagId: string;
let merchantId: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  // The worker process keeps real time; so does this one (the log's and the notices' times meet).
  t = await createTestApp({ massSendBatch: BATCH }, { clock: systemClock });
  // The worker process reaches this process's simulator over HTTP.
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const m = await t.merchant('msg-crash');
  token = m.token;
  merchantId = m.id;
  const account = await connectAccount(t, token, { mode: 'plain' });
  appid = account.appid;
  accountId = account.id;
  const ctx = merchantCtx(t.deps, m.id);
  const ids: string[] = [];
  for (let i = 0; i < FANS; i++) {
    t.simulator!.sim.ensureFan(appid, `o_crash_${i}`, undefined, true);
    ids.push(await resolveFan(ctx, { accountId, openid: `o_crash_${i}` }));
  }
  tagId = (await t.call(token, 'POST', '/api/v1/crm/tags', { name: '全员', sync: false })).body.id;
  await t.call(token, 'POST', `/api/v1/crm/tags/${tagId}/members`, { member_ids: ids });
}, 120_000);
afterAll(async () => {
  // Whatever happened, no worker outlives the test.
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await t.close();
});

/** `weiloop worker` as its own process, on this test's database, talking to this simulator. */
function startWorker(): ChildProcess {
  const { config } = t.deps;
  const db = config.database;
  const port = (t.app.server.address() as AddressInfo).port;
  const child = spawn(process.execPath, [join(import.meta.dirname, '..', 'src', 'main.ts'), 'worker'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      DATABASE_URL: db.kind === 'sqlite' ? db.path : `${db.url}?options=-c%20search_path%3D${db.schema}`,
      SIMULATOR: '0',
      WECHAT_API_BASE: `http://127.0.0.1:${port}/sim`,
      LOG_LEVEL: 'silent',
      MASS_SEND_BATCH: String(BATCH),
      ...(config.masterKey.env ? { WEILOOP_MASTER_KEY: config.masterKey.env } : {}),
      ...(config.redisUrl ? { REDIS_URL: config.redisUrl, REDIS_PREFIX: config.redisPrefix } : {}),
    },
  });
  children.push(child);
  return child;
}

const progress = async (id: string) =>
  t.deps.db
    .selectFrom('broadcasts')
    .select(['status', 'batches', 'batches_done', 'sent', 'media_id'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > end) throw new Error(`timed out; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('a worker killed mid-send', { timeout: 120_000 }, () => {
  it('resumes in a new process with 0 duplicates and 0 losses', async () => {
    // WeChat answers each batch slowly, so the kill lands while a call is in flight.
    t.simulator!.sim.app(appid).massSendDelayMs = 120;
    const draft = (
      await t.call(token, 'POST', '/api/v1/broadcasts', {
        account_id: accountId,
        kind: 'news',
        articles: [{ title: '上新', body: '正文', link: 'https://shop.example/p/1' }],
        audience: { kind: 'tag', ref: tagId },
      })
    ).body;
    expect(
      (await t.call(token, 'POST', `/api/v1/broadcasts/${draft.id}/schedule`, { preset: 'now' })).status,
    ).toBe(200);

    const first = startWorker();
    // Kill while WeChat holds a batch: it will deliver it, and the dead worker never records it.
    const simApp = t.simulator!.sim.app(appid);
    const mid = await until(
      () => progress(draft.id),
      (p) => p.batches_done >= 3 && (simApp.massSendsInFlight ?? 0) > 0,
      60_000,
    );
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const killedAt = await progress(draft.id);
    expect(killedAt.status).toBe('sending');
    expect(killedAt.batches_done).toBeLessThan(FANS / BATCH);
    expect(mid.batches).toBe(FANS / BATCH);
    // The call in flight when the worker died still reached WeChat: delivered, never recorded.
    await new Promise((r) => setTimeout(r, 300));
    const media = killedAt.media_id!;
    expect(massDeliveryCounts(t.simulator!.sim, appid, media).size).toBeGreaterThan(killedAt.sent);

    // The dead worker's lease would run out after five minutes; end it now instead of waiting.
    await t.deps.db
      .updateTable('jobs')
      .set({ locked_until: 0 })
      .where('type', '=', 'messaging.send')
      .execute();
    const second = startWorker();
    const done = await until(
      () => progress(draft.id),
      (p) => p.status === 'sent',
      60_000,
    );
    second.kill('SIGTERM');
    expect(done).toMatchObject({ batches_done: FANS / BATCH, sent: FANS });

    const counts = massDeliveryCounts(t.simulator!.sim, appid, media);
    const duplicates = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
    const lost = FANS - counts.size;
    expect({ duplicates, lost }).toEqual({ duplicates: 0, lost: 0 });
  });
});

const noticeCounts = async () => {
  const rows = await t.deps.db
    .selectFrom('notices')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('merchant_id', '=', merchantId)
    .groupBy('status')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)])) as Record<string, number>;
};

describe('a worker killed mid-notice', { timeout: 120_000 }, () => {
  it('settles the calls it had in flight on WeChat’s pushes: 0 duplicates, 0 losses', async () => {
    // WeChat delivers (and pushes TEMPLATESENDJOBFINISH) at once but answers slowly: the kill
    // lands with calls that reached WeChat and whose answers the worker never read.
    const simApp = t.simulator!.sim.app(appid);
    simApp.templateSendDelayMs = 400;
    expect(
      (await t.call(token, 'PUT', '/api/v1/notices/templates/order_paid', { template_id: 'TM_CRASH' }))
        .status,
    ).toBe(200);
    await t.call(token, 'PUT', '/api/v1/notices/settings', { daily_limit: 10_000, per_second: 1_000 });
    const ctx = merchantCtx(t.deps, merchantId);
    const queued = await requestTemplateNotices(
      ctx,
      { kind: 'order_paid', eventKey: 'crash', accountId },
      Array.from({ length: FANS }, (_, i) => ({
        openid: `o_crash_${i}`,
        vars: { order_id: `ord_${i}`, items: '上新', first_item: '上新', total: '¥1.00', link: '' },
      })),
    );
    expect(queued).toBe(FANS);

    const first = startWorker();
    await until(
      async () => simApp.templateSendsInFlight ?? 0,
      (n) => n >= 10,
      60_000,
    );
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const delivered = () =>
      Array.from(
        { length: FANS },
        (_, i) =>
          t.simulator!.sim.fan(appid, `o_crash_${i}`).transcript.filter((e) => e.via === 'template').length,
      );
    const atKill = await noticeCounts();
    // Calls WeChat took, answers never read: the rows say 'sending', the fans have the notice.
    expect(atKill.sending ?? 0).toBeGreaterThan(0);
    expect(delivered().filter((n) => n > 0).length).toBeGreaterThan(0);

    simApp.templateSendDelayMs = 0;
    await t.deps.db
      .updateTable('jobs')
      .set({ locked_until: 0 })
      .where('type', '=', 'messaging.notices')
      .where('status', '=', 'running')
      .execute();
    const second = startWorker();
    const done = await until(noticeCounts, (c) => (c.sent ?? 0) === FANS, 90_000);
    second.kill('SIGTERM');
    expect(done).toEqual({ sent: FANS });

    const counts = delivered();
    const duplicates = counts.reduce((sum, n) => sum + Math.max(0, n - 1), 0);
    const lost = counts.filter((n) => n === 0).length;
    expect({ duplicates, lost }).toEqual({ duplicates: 0, lost: 0 });
    // The settled rows carry the MsgID WeChat pushed for their fan.
    const withoutId = await t.deps.db
      .selectFrom('notices')
      .select('id')
      .where('merchant_id', '=', merchantId)
      .where('msg_id', 'is', null)
      .execute();
    expect(withoutId).toHaveLength(0);
    // Today's allowance counts the calls WeChat took, once each: what the dead worker reserved
    // for calls it never made came back when they were settled.
    const allowance = await t.deps.db
      .selectFrom('notice_daily')
      .select((eb) => eb.fn.sum<number>('used').as('used'))
      .where('merchant_id', '=', merchantId)
      .executeTakeFirstOrThrow();
    expect(Number(allowance.used)).toBe(FANS);
  });
});
