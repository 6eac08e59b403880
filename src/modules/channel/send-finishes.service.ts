import { sql } from 'kysely';
import type { Ctx } from '../../context.ts';
import { idFloor } from '../../platform/ids.ts';

/**
 * WeChat's TEMPLATESENDJOBFINISH pushes as channel recorded them (the inbound log row: the fan's
 * openid, MsgID in the dedupe key, Status in the content), read by whoever sent the notices.
 */
export interface TemplateFinish {
  openid: string;
  msgId: string;
  status: string;
  at: number;
}

const PREFIX = 'e:template_send_finish:';
/** Rows per IN list: well under SQLite's bound-parameter limit. */
const CHUNK = 500;

/**
 * Written out, not bound: as in the inbound_messages_receipts index's predicate, so that the
 * planners can use that index (with a parameter they cannot tell it applies).
 */
const IS_TEMPLATE_RECEIPT = sql<boolean>`kind = 'template_send_finish'`;

function finishesQuery(ctx: Pick<Ctx, 'db' | 'merchantId'>, accountId: string) {
  return ctx.db
    .selectFrom('inbound_messages')
    .select(['openid', 'dedupe_key', 'content', 'created_at'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('account_id', '=', accountId)
    .where(IS_TEMPLATE_RECEIPT);
}

const toFinish = (r: { openid: string; dedupe_key: string; content: string | null; created_at: number }) => ({
  openid: r.openid,
  msgId: r.dedupe_key.slice(PREFIX.length),
  status: r.content ?? '',
  at: Number(r.created_at),
});

/** The query of templateFinishesBetween (its plan is tested). */
export function finishesBetweenQuery(
  ctx: Pick<Ctx, 'db' | 'merchantId'>,
  accountId: string,
  from: number,
  to: number,
) {
  // The log's ids begin with their time: a range of inbound_messages_receipts, not a scan.
  return finishesQuery(ctx, accountId)
    .where('id', '>=', idFloor('msg', from))
    .where('id', '<', idFloor('msg', to + 1));
}

/** The pushes channel received in [from, to] (a window WECHAT_EVENTS.templateFinishes names). */
export async function templateFinishesBetween(
  ctx: Pick<Ctx, 'db' | 'merchantId'>,
  accountId: string,
  from: number,
  to: number,
): Promise<TemplateFinish[]> {
  return (await finishesBetweenQuery(ctx, accountId, from, to).execute()).map(toFinish);
}

/** The pushes for these MsgIDs, those that have arrived (a push may beat the API's answer). */
export async function templateFinishesOf(
  ctx: Pick<Ctx, 'db' | 'merchantId'>,
  accountId: string,
  msgIds: string[],
): Promise<TemplateFinish[]> {
  const out: TemplateFinish[] = [];
  for (let i = 0; i < msgIds.length; i += CHUNK) {
    const keys = msgIds.slice(i, i + CHUNK).map((id) => `${PREFIX}${id}`);
    const rows = await finishesQuery(ctx, accountId).where('dedupe_key', 'in', keys).execute();
    out.push(...rows.map(toFinish));
  }
  return out;
}

/**
 * The pushes about these fans since `since`: evidence that a template call whose answer was
 * lost (the caller died mid-call) did reach WeChat, since the push names the fan.
 */
export async function templateFinishesForFans(
  ctx: Pick<Ctx, 'db' | 'merchantId'>,
  accountId: string,
  openids: string[],
  since: number,
): Promise<TemplateFinish[]> {
  const out: TemplateFinish[] = [];
  for (let i = 0; i < openids.length; i += CHUNK) {
    const rows = await finishesQuery(ctx, accountId)
      .where('openid', 'in', openids.slice(i, i + CHUNK))
      .where('id', '>=', idFloor('msg', since))
      .orderBy('id')
      .execute();
    out.push(...rows.map(toFinish));
  }
  return out;
}
