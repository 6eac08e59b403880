import { type ChildProcess, spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { merchantCtx } from '../src/context.ts';
import { resolveFan } from '../src/modules/crm/index.ts';
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
const children: ChildProcess[] = [];

beforeAll(async () => {
  t = await createTestApp({ massSendBatch: BATCH });
  // The worker process reaches this process's simulator over HTTP.
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const m = await t.merchant('msg-crash');
  token = m.token;
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
