import { CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, engine, type TestApp } from '../../../test/support/test-app.ts';
import { connectAccount, say } from '../../../test/support/wechat-fan.ts';
import { idFloor, newId } from '../../platform/ids.ts';
import { type Account, accountForCallback } from '../accounts/index.ts';
import { activityBetween, followLog } from './log.service.ts';

let t: TestApp;
let account: Account;

beforeAll(async () => {
  t = await createTestApp();
  const { token } = await t.merchant('log-receipts');
  const { appid } = await connectAccount(t, token);
  account = (await accountForCallback(t.deps, appid, t.clock.now()))!.account;
});
afterAll(() => t?.close());

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
        seen.push(...rows.map((r) => r.kind));
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
    expect(seen).not.toContain('template_send_finish');
    expect(seen.filter((k) => k === 'text')).toHaveLength(2);
  });

  it.skipIf(engine === 'postgres')('reads the activity through its own index on SQLite', async () => {
    const { sql, parameters } = activityBetween(
      t.deps.db,
      idFloor('msg', 0),
      idFloor('msg', Date.now()),
      50,
    ).compile();
    const plan = await t.deps.db.executeQuery<{ detail: string }>(
      CompiledQuery.raw(`explain query plan ${sql}`, [...parameters]),
    );
    const detail = plan.rows.map((r) => r.detail).join(' | ');
    expect(detail).toContain('inbound_messages_activity');
    expect(detail).not.toContain('TEMP B-TREE');
  });
});
