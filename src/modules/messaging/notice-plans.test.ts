import { CompiledQuery } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, engine, type TestApp } from '../../../test/support/test-app.ts';
import { merchantCtx } from '../../context.ts';
import { pendingPage } from './notice-sender.ts';
import { unfinishedByMsgId } from './notice-settle.ts';

let t: TestApp;
let merchantId: string;

beforeAll(async () => {
  t = await createTestApp();
  merchantId = (await t.merchant('notice-plans')).id;
});
afterAll(() => t.close());

async function planOf(query: { compile(): CompiledQuery }): Promise<string> {
  const { sql, parameters } = query.compile();
  const rows = await t.deps.db.executeQuery<{ detail: string }>(
    CompiledQuery.raw(`explain query plan ${sql}`, [...parameters]),
  );
  return rows.rows.map((r) => r.detail).join(' | ');
}

// SQLite keeps no statistics here, so its planner goes by the shape of indexes alone; a plan
// through (merchant_id, created_at) reads every notice the merchant ever had, for each page.
describe.skipIf(engine === 'postgres')('notice queries on SQLite read the narrow index', () => {
  it("a sender's page is a range of notices_batch, already in id order", async () => {
    const plan = await planOf(pendingPage(merchantCtx(t.deps, merchantId), 'batch_1', ''));
    expect(plan).toContain('notices_batch');
    expect(plan).not.toContain('TEMP B-TREE');
  });

  it("WeChat's finish pushes find their notices through (account, msg_id)", async () => {
    const plan = await planOf(unfinishedByMsgId(merchantCtx(t.deps, merchantId), 'acc_1', ['1', '2', '3']));
    expect(plan).toContain('notices_msg');
  });
});
