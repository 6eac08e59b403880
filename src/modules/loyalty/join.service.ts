import { type Ctx, merchantCtx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { positionIn } from '../../platform/db/cursor-table.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import { getStore } from '../catalog/index.ts';
import { createQrCode, followLog, type LogEntry } from '../channel/index.ts';
import { issueCard } from './cards.service.ts';
import { getProgram } from './program.service.ts';

/** The menu click key that issues the card (a menu entry of type click with this key). */
export const CARD_MENU_KEY = 'LOYALTY_CARD';
export const WELCOME_JOB = 'loyalty.welcome';
const CURSOR = 'loyalty.log';

/**
 * A permanent channel QR for a store's till: a fan who scans it (following or not) gets the card
 * with that store as home. Channel makes the code; loyalty remembers its scene → store.
 */
export async function createStoreCode(ctx: Ctx, input: { account_id: string; store_id: string }) {
  requireRole(ctx, 'operator');
  const store = await getStore(ctx, input.store_id);
  const code = await createQrCode(ctx, ctx.deps, {
    account_id: input.account_id,
    name: `会员卡·${store.name}`,
  });
  await ctx.db
    .insertInto('loyalty_store_codes')
    .values({
      merchant_id: ctx.merchantId,
      account_id: input.account_id,
      scene: code.scene,
      store_id: store.id,
      qrcode_id: code.id,
      created_at: ctx.now,
    })
    .execute();
  return {
    qrcode_id: code.id,
    store_id: store.id,
    store_name: store.name,
    scene: code.scene,
    image_url: code.image_url,
  };
}

export async function listStoreCodes(ctx: Ctx) {
  return ctx.db
    .selectFrom('loyalty_store_codes')
    .select(['account_id', 'scene', 'store_id', 'qrcode_id', 'created_at'])
    .where('merchant_id', '=', ctx.merchantId)
    .orderBy('created_at', 'desc')
    .limit(500)
    .execute();
}

/** Cards issued from chat: a store QR's scan or follow, or the card menu entry. Idempotent on re-read. */
async function applyLog(deps: AppDeps, rows: LogEntry[]): Promise<void> {
  for (const row of rows) {
    const scanned = (row.kind === 'subscribe' || row.kind === 'scan') && row.content;
    const clicked = row.kind === 'click' && row.content === CARD_MENU_KEY;
    if (!scanned && !clicked) continue;
    const ctx = merchantCtx(deps, row.merchant_id);
    let storeId: string | null = null;
    if (scanned) {
      const code = await ctx.db
        .selectFrom('loyalty_store_codes')
        .select('store_id')
        .where('account_id', '=', row.account_id)
        .where('scene', '=', String(row.content))
        .executeTakeFirst();
      if (!code) continue;
      storeId = code.store_id;
    }
    const program = await getProgram(ctx);
    if (!program.configured || program.status !== 'active') continue;
    const { card, issued } = await issueCard(ctx, {
      accountId: row.account_id,
      openid: row.openid,
      source: clicked ? 'menu' : 'store_qr',
      storeId,
    });
    if (issued) {
      await enqueueJob(
        deps.db,
        { type: WELCOME_JOB, merchantId: ctx.merchantId, key: card.id, payload: { cardId: card.id } },
        ctx.now,
      );
      deps.wakeJobs();
    }
  }
}

/** Follows channel's message log (no query on the inbound path), like CRM does. */
export function loyaltyLogTail(deps: AppDeps): () => Promise<void> {
  return followLog(deps, {
    name: CURSOR,
    ...positionIn(deps.db, deps.clock, 'loyalty_cursors', CURSOR),
    apply: (rows) => applyLog(deps, rows),
  });
}
