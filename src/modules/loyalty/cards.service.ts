import { randomInt } from 'node:crypto';
import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { cursorPage, found, type Page, type PageRequest } from '../../platform/db/paging.ts';
import { badRequest, conflict } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import { memberOfFan, resolveFan } from '../crm/index.ts';
import { movePoints, moveValue } from './ledger.service.ts';
import type { CardSource, LoyaltyCardsTable } from './loyalty.schema.ts';
import { getProgram, levelFor } from './program.service.ts';

export const CARD = { zh: '会员卡', en: 'Member card' };
export const LEVEL_NOTICE_JOB = 'loyalty.level_notice';

export type CardView = LoyaltyCardsTable;

const numeric = (c: LoyaltyCardsTable): CardView => ({
  ...c,
  points: Number(c.points),
  balance: Number(c.balance),
  total_spend: Number(c.total_spend),
  lifetime_points: Number(c.lifetime_points),
  created_at: Number(c.created_at),
  updated_at: Number(c.updated_at),
});

export async function getCard(ctx: Pick<Ctx, 'db' | 'merchantId'>, id: string): Promise<CardView> {
  const row = await ctx.db
    .selectFrom('loyalty_cards')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return numeric(found(row, CARD));
}

/** The card of the person behind this fan (any of the merchant's accounts), if any. */
export async function cardOfFan(ctx: Ctx, accountId: string, openid: string): Promise<CardView | null> {
  const memberId = await memberOfFan(ctx, accountId, openid);
  if (!memberId) return null;
  const row = await ctx.db
    .selectFrom('loyalty_cards')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('member_id', '=', memberId)
    .executeTakeFirst();
  return row ? numeric(row) : null;
}

export interface IssueInput {
  accountId: string;
  openid: string;
  source: CardSource;
  storeId?: string | null;
}

/**
 * Issues the person's card, or returns the one they hold: the unique (merchant, member) decides
 * between two concurrent issues. A card from a store's QR records that store as home.
 */
export async function issueCard(ctx: Ctx, input: IssueInput): Promise<{ card: CardView; issued: boolean }> {
  const program = await getProgram(ctx);
  if (program.status !== 'active')
    throw conflict('program_paused', '会员卡暂停发放', 'The card program is paused');
  const memberId =
    (await memberOfFan(ctx, input.accountId, input.openid)) ??
    (await resolveFan(ctx, { accountId: input.accountId, openid: input.openid }));
  const first = program.levels[0]?.key ?? 'basic';
  const inserted = await ctx.db
    .insertInto('loyalty_cards')
    .values({
      id: newId('card', ctx.now),
      merchant_id: ctx.merchantId,
      member_id: memberId,
      account_id: input.accountId,
      openid: input.openid,
      // 16 digits, shown on the card; not a credential (the QR is).
      number: `8${String(randomInt(1e9)).padStart(9, '0')}${String(randomInt(1e6)).padStart(6, '0')}`,
      home_store_id: input.storeId ?? null,
      source: input.source,
      level: first,
      points: 0,
      balance: 0,
      total_spend: 0,
      lifetime_points: 0,
      birthday: null,
      created_at: ctx.now,
      updated_at: ctx.now,
    })
    .onConflict((oc) => oc.columns(['merchant_id', 'member_id']).doNothing())
    .executeTakeFirst();
  const row = await ctx.db
    .selectFrom('loyalty_cards')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('member_id', '=', memberId)
    .executeTakeFirstOrThrow();
  return { card: numeric(row), issued: Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0 };
}

export async function listCards(ctx: Ctx, query: PageRequest & { level?: string }): Promise<Page<CardView>> {
  let q = ctx.db.selectFrom('loyalty_cards').selectAll().where('merchant_id', '=', ctx.merchantId);
  if (query.level) q = q.where('level', '=', query.level);
  const page = await cursorPage(q, query);
  return { ...page, items: page.items.map(numeric) };
}

/**
 * Puts the card on the level its lifetime spend and points deserve, inside the caller's
 * transaction; a change is recorded and its notice queued (a job that reads the row by id).
 * Runs on the events that move those figures, so there is no nightly scan.
 */
export async function settleLevel(tx: Ctx, cardId: string, cause: string): Promise<string | null> {
  const program = await getProgram(tx);
  const card = await getCard(tx, cardId);
  const deserved = levelFor(program.levels, card.total_spend, card.lifetime_points).key;
  if (deserved === card.level) return null;
  await tx.db
    .updateTable('loyalty_cards')
    .set({ level: deserved, updated_at: tx.now })
    .where('id', '=', cardId)
    .where('level', '=', card.level)
    .execute();
  const id = newId('lvl', tx.now);
  await tx.db
    .insertInto('loyalty_level_changes')
    .values({
      id,
      merchant_id: tx.merchantId,
      card_id: cardId,
      from_level: card.level,
      to_level: deserved,
      cause,
      notified_at: null,
      created_at: tx.now,
    })
    .execute();
  await enqueueJob(
    tx.db,
    { type: LEVEL_NOTICE_JOB, merchantId: tx.merchantId, key: id, payload: { changeId: id } },
    tx.now,
  );
  return deserved;
}

export interface AdjustInput {
  kind: 'points' | 'balance';
  delta: number;
  reason: string;
}

/** Owner only: a manual change with a written reason; the ledger row is the audit (actor, note). */
export async function adjustCard(ctx: Ctx, cardId: string, input: AdjustInput): Promise<CardView> {
  requireRole(ctx, 'owner');
  const reason = input.reason.trim();
  if (reason.length < 2) throw badRequest('reason_required', '请填写调整原因', 'A reason is required');
  if (!Number.isSafeInteger(input.delta) || input.delta === 0)
    throw badRequest('invalid_delta', '调整数值必须是非零整数', 'The change must be a non-zero integer');
  await getCard(ctx, cardId);
  return inTransaction(ctx.db, async (trx) => {
    const tx = { ...ctx, db: trx };
    const move = {
      cardId,
      delta: input.delta,
      reason: 'adjustment' as const,
      ref: newId('adj', ctx.now),
      note: reason,
    };
    if (input.kind === 'points') await movePoints(tx, move);
    else await moveValue(tx, move);
    return getCard(tx, cardId);
  });
}
