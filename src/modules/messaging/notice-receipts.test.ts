import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/support/test-app.ts';
import { connectAccount } from '../../../test/support/wechat-fan.ts';
import { merchantCtx } from '../../context.ts';
import { requestTemplateNotices } from './notices.service.ts';

let t: TestApp;
let owner: { id: string; token: string };
let account: { id: string; appid: string };
/** Two pages: the sender's PAGE is 1,000. */
const FANS = 1_001;

beforeAll(async () => {
  t = await createTestApp();
  owner = await t.merchant('notice-receipts');
  account = await connectAccount(t, owner.token, { mode: 'plain' });
  for (let i = 0; i < FANS; i++) t.simulator!.sim.ensureFan(account.appid, `o_r${i}`, undefined, true);
  await t.call(owner.token, 'PUT', '/api/v1/notices/templates/order_paid', { template_id: 'TM_PAID' });
  await t.call(owner.token, 'PUT', '/api/v1/notices/settings', { daily_limit: 10_000, per_second: 10_000 });
});
afterAll(() => t.close());

const finishesInLog = async () =>
  Number(
    (
      await t.deps.db
        .selectFrom('inbound_messages')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('account_id', '=', account.id)
        .where('kind', '=', 'template_send_finish')
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('a sender and its own server’s intake', { timeout: 60_000 }, () => {
  it('waits for a page’s TEMPLATESENDJOBFINISH pushes to reach the log before the next page', async () => {
    // The account's server receives pushes late (busy): without waiting, the sender would run
    // ahead, and a settle after a crash would find no push for calls WeChat took.
    const sim = t.simulator!.sim;
    sim.app(account.appid).pushDelayMs = 400;
    let calls = 0;
    let inLogAtSecondPage: Promise<number> | null = null;
    const record = sim.record.bind(sim);
    sim.record = (fan, entry) => {
      if (entry.via === 'template' && ++calls === 1_001) inLogAtSecondPage = finishesInLog();
      record(fan, entry);
    };
    await requestTemplateNotices(
      merchantCtx(t.deps, owner.id),
      { kind: 'order_paid', eventKey: 'receipts', accountId: account.id },
      Array.from({ length: FANS }, (_, i) => ({
        openid: `o_r${i}`,
        vars: { order_id: `ord_${i}`, items: '上新', first_item: '上新', total: '¥1.00', link: '' },
      })),
    );
    await t.worker.drain();
    sim.record = record;
    expect(calls).toBe(FANS);
    // All but 5% of the first page's pushes were in the log when the second page's call came.
    expect(await inLogAtSecondPage!).toBeGreaterThanOrEqual(950);
  });
});
