import { type Ctx, merchantCtx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { positionIn } from '../../platform/db/cursor-table.ts';
import { inTransaction, SQLITE_CACHE_MIB, withSqliteCache } from '../../platform/db/database.ts';
import { PermanentJobError } from '../../platform/jobs/worker.ts';
import { getProduct } from '../catalog/index.ts';
import { AGENT_KIND, FAN_EVENTS, followerOf, followLog, type LogEntry } from '../channel/index.ts';
import { getOrder, ORDER_EVENTS } from '../orders/index.ts';
import { queueAutotag, registerAutotagJobs } from './autotag.service.ts';
import { memberOfFan, resolveFan } from './identities.service.ts';
import { IMPORT_JOB, importNextChunk } from './import.service.ts';
import { addEvent } from './member-events.ts';
import { touchContact } from './members.service.ts';

/** Log rows that are not the fan reaching out (system reports, our own messages). */
const NOT_CONTACT = new Set([AGENT_KIND, 'unsubscribe', 'template_send_finish', 'mass_send_finish']);
const CURSOR = 'crm.log';

/** The member for a fan; on first sight CRM asks channel where the fan came from. */
async function memberFor(ctx: Ctx, accountId: string, openid: string): Promise<string> {
  const known = await memberOfFan(ctx, accountId, openid);
  if (known) return known;
  const follower = await followerOf(ctx, accountId, openid);
  return resolveFan(ctx, {
    accountId,
    openid,
    unionid: follower?.unionid,
    sourceQrcodeId: follower?.source_qrcode_id,
    firstContactAt: follower?.first_subscribed_at ?? follower?.created_at ?? null,
  });
}

async function applyLog(deps: AppDeps, rows: LogEntry[]): Promise<void> {
  const fans = new Map<
    string,
    { merchantId: string; accountId: string; openid: string; first: number; last: number }
  >();
  for (const row of rows) {
    if (NOT_CONTACT.has(row.kind)) continue;
    const key = `${row.account_id}:${row.openid}`;
    const fan = fans.get(key);
    if (fan) {
      fan.first = Math.min(fan.first, row.created_at);
      fan.last = Math.max(fan.last, row.created_at);
    } else {
      fans.set(key, {
        merchantId: row.merchant_id,
        accountId: row.account_id,
        openid: row.openid,
        first: row.created_at,
        last: row.created_at,
      });
    }
  }
  const touched = new Map<string, string[]>();
  // One transaction per batch, not per fan: a commit is most of a small write's cost, and a
  // burst of thousands of new fans (a trial, a red-packet rush) must not mean thousands of them.
  await inTransaction(deps.db, async (trx) => {
    for (const fan of fans.values()) {
      const tx = { ...merchantCtx(deps, fan.merchantId), db: trx };
      const memberId = await memberFor(tx, fan.accountId, fan.openid);
      await touchContact(tx, memberId, fan.first, fan.last);
      const ids = touched.get(fan.merchantId) ?? [];
      ids.push(memberId);
      touched.set(fan.merchantId, ids);
    }
  });
  // "Talked to us in the last 48 h" and "silent for N days" segments follow contact.
  for (const [merchantId, ids] of touched) await queueAutotag(merchantCtx(deps, merchantId), ids);
  if (touched.size > 0) deps.wakeJobs();
}

/**
 * Brings CRM up to date with channel's message log: members for new fans, first/last contact.
 * Follows the log after each recorder batch (no query on the inbound path).
 */
export function logTail(deps: AppDeps): () => Promise<void> {
  return followLog(deps, {
    name: CURSOR,
    ...positionIn(deps.db, deps.clock, 'crm_cursors', CURSOR),
    apply: (rows) => applyLog(deps, rows),
  });
}

/** Order figures, the unionid join and the log tail: how CRM learns what other modules did. */
export function registerCrmJobs(deps: AppDeps): void {
  logTail(deps);
  registerAutotagJobs(deps);

  deps.jobHandlers.set(IMPORT_JOB, async (job) => {
    if (!job.merchantId) throw new PermanentJobError('import without merchant');
    const importId = String(job.payload.importId);
    const ctx = merchantCtx(deps, job.merchantId);
    // One chunk per transaction; a crash resumes at the first chunk not committed. The hot index
    // pages of a large import stay in SQLite's cache, whatever cache the process keeps otherwise.
    await withSqliteCache(deps, SQLITE_CACHE_MIB, async () => {
      while (await importNextChunk(ctx, importId)) {}
    });
  });

  deps.events.subscribe(FAN_EVENTS.profiled, 'crm.unionid', async (event) => {
    const ctx = merchantCtx(deps, event.merchantId);
    await resolveFan(ctx, {
      accountId: String(event.payload.accountId),
      openid: String(event.payload.openid),
      unionid: String(event.payload.unionid),
    });
  });

  deps.events.subscribe(ORDER_EVENTS.paid, 'crm.order_paid', async (event) => {
    const ctx = merchantCtx(deps, event.merchantId);
    const order = await getOrder(ctx, String(event.payload.orderId)).catch(() => null);
    if (!order) throw new PermanentJobError(`order ${String(event.payload.orderId)} is gone`);
    const categories = new Set<string>();
    for (const item of order.items) {
      const product = await getProduct(ctx, item.product_id).catch(() => null);
      if (product?.category) categories.add(product.category);
    }
    await inTransaction(ctx.db, async (trx) => {
      const tx = { ...ctx, db: trx };
      const memberId = await memberFor(tx, order.account_id, order.openid);
      const paidAt = order.paid_at ?? ctx.now;
      const inserted = await trx
        .insertInto('crm_member_orders')
        .values({
          order_id: order.id,
          merchant_id: ctx.merchantId,
          member_id: memberId,
          total: order.total,
          refunded: 0,
          paid_at: paidAt,
          categories: `|${[...categories].join('|')}|`,
        })
        .onConflict((oc) => oc.column('order_id').doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return;
      await trx
        .updateTable('crm_members')
        .set((eb) => ({
          order_count: eb('order_count', '+', 1),
          spend: eb('spend', '+', order.total),
          last_order_at: eb
            .case()
            .when('last_order_at', 'is', null)
            .then(paidAt)
            .when('last_order_at', '<', paidAt)
            .then(paidAt)
            .else(eb.ref('last_order_at'))
            .end(),
        }))
        .where('id', '=', memberId)
        .execute();
      await addEvent(tx, memberId, 'order_paid', { order_id: order.id, total: order.total });
      await queueAutotag(tx, [memberId]);
    });
  });

  deps.events.subscribe(ORDER_EVENTS.refunded, 'crm.order_refunded', async (event) => {
    const ctx = merchantCtx(deps, event.merchantId);
    const orderId = String(event.payload.orderId);
    await inTransaction(ctx.db, async (trx) => {
      const row = await trx
        .selectFrom('crm_member_orders')
        .select(['member_id', 'total'])
        .where('order_id', '=', orderId)
        .where('merchant_id', '=', ctx.merchantId)
        .where('refunded', '=', 0)
        .executeTakeFirst();
      if (!row) return;
      await trx
        .updateTable('crm_member_orders')
        .set({ refunded: row.total })
        .where('order_id', '=', orderId)
        .execute();
      await trx
        .updateTable('crm_members')
        .set((eb) => ({ spend: eb('spend', '-', row.total) }))
        .where('id', '=', row.member_id)
        .execute();
      await addEvent({ ...ctx, db: trx }, row.member_id, 'order_refunded', {
        order_id: orderId,
        total: Number(row.total),
      });
      await queueAutotag({ ...ctx, db: trx }, [row.member_id]);
    });
  });
}
