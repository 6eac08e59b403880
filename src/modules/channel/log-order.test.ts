import { CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, engine, type TestApp } from '../../../test/support/test-app.ts';
import { connectAccount, say } from '../../../test/support/wechat-fan.ts';
import { idFloor, newId } from '../../platform/ids.ts';
import { type Account, accountForCallback } from '../accounts/index.ts';
import { activityBetween, followLog, type LogEntry } from './log.service.ts';
import { createRecorder } from './recorder.service.ts';
import { finishesBetweenQuery } from './send-finishes.service.ts';

let t: TestApp;
let account: Account;

beforeAll(async () => {
  t = await createTestApp();
  const { token } = await t.merchant('log-order');
  const { appid } = await connectAccount(t, token);
  account = (await accountForCallback(t.deps, appid, t.clock.now()))!.account;
});
afterAll(() => t?.close());

describe('the message log under a burst', () => {
  it('a push whose batch is written seconds after it arrived is still read by a reader that moved on', async () => {
    const seen: LogEntry[] = [];
    const catchUp = followLog(t.deps, {
      name: 'test-order',
      load: async () => null,
      save: async () => {},
      apply: async (rows) => {
        seen.push(...rows);
      },
    });
    const arrivedAt = t.clock.now();
    // Others' messages are written and read while this push waits for routing and its batch.
    t.clock.advance(5_000);
    await say(t, account.appid, 'o_quick', '先到');
    await catchUp();
    expect(seen.map((r) => r.openid)).toContain('o_quick');

    const record = createRecorder(t.deps);
    const late = await record({
      account,
      message: {
        kind: 'text',
        content: '晚到',
        toUser: account.original_id ?? 'gh_log_order',
        fromUser: 'o_late',
        createTime: Math.floor(arrivedAt / 1000),
        msgId: '900000000001',
      },
      routed: { rule: null, reply: null },
      now: arrivedAt,
    });
    expect(late.duplicate).toBe(false);
    await catchUp();
    expect(seen.map((r) => r.openid)).toContain('o_late');
  });

  it('applies a push that waited long for its batch once, however often the reader runs after', async () => {
    const applied = new Map<string, number>();
    const catchUp = followLog(t.deps, {
      name: 'test-once',
      load: async () => null,
      save: async () => {},
      apply: async (rows) => {
        for (const row of rows) applied.set(row.openid, (applied.get(row.openid) ?? 0) + 1);
      },
    });
    await catchUp();
    const arrivedAt = t.clock.now();
    // Its batch is written three seconds after it arrived (a busy server).
    t.clock.advance(3_000);
    const record = createRecorder(t.deps);
    await record({
      account,
      message: {
        kind: 'text',
        content: '等了很久',
        toUser: account.original_id ?? 'gh_log_order',
        fromUser: 'o_waited',
        createTime: Math.floor(arrivedAt / 1000),
        msgId: '900000000002',
      },
      routed: { rule: null, reply: null },
      now: arrivedAt,
    });
    await catchUp();
    // Others keep writing while the reader runs again and again.
    for (let i = 0; i < 3; i++) {
      t.clock.advance(200);
      await say(t, account.appid, `o_after_${i}`, '后来的');
      await catchUp();
    }
    expect(applied.get('o_waited')).toBe(1);
  });

  it('finds a row another process committed behind what it read, within a second, and only then', async () => {
    const seen: string[] = [];
    const catchUp = followLog(t.deps, {
      name: 'test-behind',
      load: async () => null,
      save: async () => {},
      apply: async (rows) => {
        seen.push(...rows.map((r) => r.openid));
      },
    });
    await say(t, account.appid, 'o_first', '第一条');
    await catchUp();
    const readAt = t.clock.now();
    t.clock.advance(100);
    await say(t, account.appid, 'o_second', '第二条');
    // Another process's row with an id older than the newest this reader read, committed now.
    await t.deps.db
      .insertInto('inbound_messages')
      .values({
        id: newId('msg', readAt - 50),
        merchant_id: account.merchant_id,
        account_id: account.id,
        dedupe_key: 'm:other-process-1',
        openid: 'o_other_process',
        kind: 'text',
        content: '另一个进程',
        reply: null,
        followup: null,
        created_at: readAt - 50,
      })
      .execute();
    await catchUp();
    expect(seen).toContain('o_second');
    // Runs right after go on from the newest row read (no re-read of the last second each time)…
    expect(seen).not.toContain('o_other_process');
    // …and the second's window is read again once a second.
    await new Promise((r) => setTimeout(r, 1_050));
    await catchUp();
    expect(seen.filter((o) => o === 'o_other_process')).toHaveLength(1);
    expect(seen.filter((o) => o === 'o_second')).toHaveLength(1);
  });

  it('finds a row whose id was made just before a sweep and committed just after it', async () => {
    const seen: string[] = [];
    const catchUp = followLog(t.deps, {
      name: 'test-straddle',
      load: async () => null,
      save: async () => {},
      apply: async (rows) => {
        seen.push(...rows.map((r) => r.openid));
      },
    });
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    await say(t, account.appid, 'o_s1', '一');
    await catchUp();
    await sleep(1_050);
    t.clock.advance(1_000);
    await say(t, account.appid, 'o_s2', '二');
    await catchUp(); // a sweep
    const sweptAt = t.clock.now();
    // Another writer made its id 150 ms before that sweep and commits only now.
    await t.deps.db
      .insertInto('inbound_messages')
      .values({
        id: newId('msg', sweptAt - 150),
        merchant_id: account.merchant_id,
        account_id: account.id,
        dedupe_key: 'm:straddle-1',
        openid: 'o_straddle',
        kind: 'text',
        content: '晚提交',
        reply: null,
        followup: null,
        created_at: sweptAt - 150,
      })
      .execute();
    // Traffic goes on for the rest of the second, then through the next sweep and past it.
    for (let i = 0; i < 5; i++) {
      t.clock.advance(200);
      await say(t, account.appid, `o_st${i}`, '后来的');
      await catchUp();
      await sleep(150);
    }
    await sleep(400);
    await catchUp();
    await sleep(1_050);
    t.clock.advance(1_000);
    await say(t, account.appid, 'o_s3', '三');
    await catchUp();
    expect(seen.filter((o) => o === 'o_straddle')).toHaveLength(1);
  });
});

async function planOf(query: { compile(): CompiledQuery }): Promise<string> {
  const { sql, parameters } = query.compile();
  const plan = await t.deps.db.executeQuery<{ detail: string }>(
    CompiledQuery.raw(`explain query plan ${sql}`, [...parameters]),
  );
  return plan.rows.map((r) => r.detail).join(' | ');
}

/** WeChat's reports on a template send, as channel logs them (one row each). */
async function logReceipts(n: number) {
  const at = t.clock.now();
  for (let i = 0; i < n; i += 500)
    await t.deps.db
      .insertInto('inbound_messages')
      .values(
        Array.from({ length: Math.min(500, n - i) }, (_, k) => ({
          id: newId('msg', at),
          merchant_id: account.merchant_id,
          account_id: account.id,
          dedupe_key: `e:template_send_finish:${at}${i + k}`,
          openid: `o_receipt_${i + k}`,
          kind: 'template_send_finish',
          content: 'success',
          reply: null,
          followup: null,
          created_at: at,
        })),
      )
      .execute();
}

describe("the log's readers and WeChat's receipts", () => {
  it('a reader gets the fans’ activity, never the receipts, and its position moves past a run of them', async () => {
    const seen: string[] = [];
    const saved: string[] = [];
    const catchUp = followLog(t.deps, {
      name: 'test-receipts',
      live: true,
      load: async () => saved.at(-1) ?? null,
      save: async (position) => {
        saved.push(position);
      },
      apply: async (rows) => {
        seen.push(...rows.map((r) => `${r.kind}:${r.openid}`));
      },
    });
    await say(t, account.appid, 'o_before', '之前');
    await catchUp();
    // More receipts than a reader's batch, and nothing else.
    await logReceipts(2_500);
    const lastReceipt = (
      await t.deps.db
        .selectFrom('inbound_messages')
        .select('id')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirstOrThrow()
    ).id;
    t.clock.advance(20_000);
    await catchUp();
    // The saved position trails the clock by the re-read window, so after 20 s it is where the
    // reader got to: past every receipt, although none was applied.
    expect(saved.at(-1)! >= lastReceipt).toBe(true);
    await say(t, account.appid, 'o_after', '之后');
    await catchUp();
    expect(seen.filter((k) => k.startsWith('template_send_finish'))).toEqual([]);
    expect(seen.filter((k) => k === 'text:o_before' || k === 'text:o_after')).toEqual([
      'text:o_before',
      'text:o_after',
    ]);
  });

  it.skipIf(engine === 'postgres')('reads the activity through its own index on SQLite', async () => {
    const plan = await planOf(activityBetween(t.deps.db, idFloor('msg', 0), idFloor('msg', Date.now()), 50));
    expect(plan).toContain('inbound_messages_activity');
    expect(plan).not.toContain('TEMP B-TREE');
  });

  // Through (account, openid, id), every second's window read all of the account's log.
  it.skipIf(engine === 'postgres')(
    "reads a second's receipts as a range of their own index on SQLite",
    async () => {
      const ctx = { db: t.deps.db, merchantId: account.merchant_id };
      const plan = await planOf(finishesBetweenQuery(ctx, account.id, Date.now() - 1000, Date.now()));
      expect(plan).toContain('inbound_messages_receipts (account_id=? AND id>? AND id<?)');
    },
  );
});
