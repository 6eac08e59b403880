import type { Ctx } from '../../context.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { badRequest, conflict } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import { buyerOf, getOrder } from '../orders/index.ts';
import { cardOfFan, getCard } from './cards.service.ts';
import { scheduleExpiry } from './expiry.service.ts';
import { movePoints } from './ledger.service.ts';
import { getProgram, levelRule } from './program.service.ts';

const DAY = 86_400_000;
export const BIRTHDAY_NOTICE_JOB = 'loyalty.birthday_notice';

/** A review earns the program's review points once per reviewed product (the ledger's ref). */
export async function awardReview(ctx: Ctx, orderId: string, productId: string): Promise<number> {
  const program = await getProgram(ctx);
  if (program.review_points <= 0) return 0;
  const order = await getOrder(ctx, orderId);
  const card = await cardOfFan(ctx, order.account_id, order.openid);
  if (!card) return 0;
  const expiresAt = program.expiry_days > 0 ? ctx.now + program.expiry_days * DAY : null;
  return inTransaction(ctx.db, async (trx) => {
    const tx = { ...ctx, db: trx };
    const applied = await movePoints(tx, {
      cardId: card.id,
      delta: program.review_points,
      reason: 'review',
      ref: `${orderId}:${productId}`.slice(0, 140),
      expiresAt,
    });
    if (applied) await scheduleExpiry(tx, card.id, expiresAt);
    return applied ?? 0;
  });
}

const MMDD = /^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/** The fan gives their birthday (month and day) once; changing it later is the merchant's call. */
export async function setBirthday(ctx: Ctx, birthday: string) {
  const { accountId, openid } = buyerOf(ctx);
  if (!MMDD.test(birthday))
    throw badRequest('invalid_birthday', '生日格式为 月-日，如 05-20', 'Birthday is MM-DD');
  const card = await cardOfFan(ctx, accountId, openid);
  if (!card) throw conflict('no_card', '请先领取会员卡', 'Get the member card first');
  const set = await ctx.db
    .updateTable('loyalty_cards')
    .set({ birthday, updated_at: ctx.now })
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', card.id)
    .where('birthday', 'is', null)
    .executeTakeFirst();
  if (Number(set.numUpdatedRows) === 0)
    throw conflict('birthday_set', '生日已填写，如需修改请联系商家', 'The birthday is already set');
  return getCard(ctx, card.id);
}

/** Today in the merchant's zone (Asia/Shanghai: UTC+8, no daylight saving). */
export function localDay(now: number): { year: number; mmdd: string } {
  const iso = new Date(now + 8 * 3_600_000).toISOString();
  return { year: Number(iso.slice(0, 4)), mmdd: iso.slice(5, 10) };
}

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/**
 * Today's birthdays get their level's gift (and birthday points), once per card and year: the
 * gift row is the "once", its notice a job that reads it by id. 29 February is celebrated on the
 * 28th in other years. Walks the day's cards by id in pages, from the (merchant, birthday) index.
 */
export async function grantBirthdays(ctx: Ctx): Promise<number> {
  const program = await getProgram(ctx);
  if (!program.configured || program.status !== 'active') return 0;
  const { year, mmdd } = localDay(ctx.now);
  const days = mmdd === '02-28' && !isLeap(year) ? ['02-28', '02-29'] : [mmdd];
  let granted = 0;
  let after = '';
  for (;;) {
    const cards = await ctx.db
      .selectFrom('loyalty_cards')
      .select(['id', 'level'])
      .where('merchant_id', '=', ctx.merchantId)
      .where('birthday', 'in', days)
      .where('id', '>', after)
      .orderBy('id')
      .limit(500)
      .execute();
    if (cards.length === 0) return granted;
    after = cards.at(-1)?.id ?? after;
    for (const card of cards) {
      const rule = levelRule(program, card.level);
      const points = rule.birthday_points ?? 0;
      if (!rule.birthday_gift && points <= 0) continue;
      const given = await inTransaction(ctx.db, async (trx) => {
        const tx = { ...ctx, db: trx };
        const id = newId('bdg', ctx.now);
        const inserted = await trx
          .insertInto('loyalty_birthday_gifts')
          .values({
            id,
            merchant_id: ctx.merchantId,
            card_id: card.id,
            year,
            level: card.level,
            gift: rule.birthday_gift,
            points,
            notified_at: null,
            created_at: ctx.now,
          })
          .onConflict((oc) => oc.columns(['card_id', 'year']).doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return false;
        if (points > 0)
          await movePoints(tx, { cardId: card.id, delta: points, reason: 'birthday', ref: String(year) });
        await enqueueJob(
          trx,
          { type: BIRTHDAY_NOTICE_JOB, merchantId: ctx.merchantId, key: id, payload: { giftId: id } },
          ctx.now,
        );
        return true;
      });
      if (given) granted++;
    }
  }
}

/** The card's birthday gifts, newest first (the card page and the console show them). */
export async function birthdayGifts(ctx: Pick<Ctx, 'db' | 'merchantId'>, cardId: string) {
  const rows = await ctx.db
    .selectFrom('loyalty_birthday_gifts')
    .select(['id', 'year', 'level', 'gift', 'points', 'notified_at', 'created_at'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('card_id', '=', cardId)
    .orderBy('year', 'desc')
    .limit(10)
    .execute();
  return rows.map((r) => ({
    ...r,
    points: Number(r.points),
    year: Number(r.year),
    created_at: Number(r.created_at),
    notified_at: r.notified_at === null ? null : Number(r.notified_at),
  }));
}
