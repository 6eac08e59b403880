import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { badRequest } from '../../platform/http/errors.ts';
import { PermanentJobError } from '../../platform/jobs/worker.ts';
import { WeChatApiError, WeChatErrorCode } from '../../wechat/api-client.ts';
import { apiClientFor, getAccount, viaWeChat } from '../accounts/index.ts';
import { getSegment, snapshotAudience, snapshotRules } from '../crm/index.ts';
import { getBroadcastRow, wechatTagOf } from './broadcasts.service.ts';
import type { BroadcastsTable } from './messaging.schema.ts';
import { quotaAt } from './quota.ts';
import { scheduleReadPulls } from './results.service.ts';
import { massMessageOf } from './wechat-message.ts';

/** WeChat takes at most 10,000 openids per mass-send call (and at least two). */
export const BATCH_MAX = 10_000;

/** 45009: WeChat's daily API limit. Retried later by the job's backoff, never dropped. */
export class ApiLimitError extends Error {}
/** 45028: no mass sends left in the period. The send stops; what went out stays counted. */
export class MassQuotaError extends PermanentJobError {}

/** Batch `i` of `batches` over `n` recipients: near-equal ranges of seq, so none is below two. */
export function batchRange(n: number, batches: number, i: number): { from: number; to: number } {
  return { from: Math.floor((i * n) / batches), to: Math.floor(((i + 1) * n) / batches) };
}

async function fail(ctx: Ctx, id: string, error: string) {
  await ctx.db
    .updateTable('broadcasts')
    .set({ status: 'failed', error, finished_at: ctx.now, updated_at: ctx.now })
    .where('id', '=', id)
    .execute();
}

/**
 * Freezes the audience (CRM snapshot), numbers the account's openids among its members, and
 * splits them into batches — all rows, the batches and the move to 'sending' in one transaction,
 * so a worker dying here leaves either nothing or the whole plan.
 */
async function prepare(ctx: Ctx, row: BroadcastsTable): Promise<boolean> {
  const account = await getAccount(ctx, row.account_id);
  // Quota again at send time: sends made elsewhere since scheduling count too.
  const quota = await quotaAt(ctx, account, row.scheduled_at ?? ctx.now, row.id);
  if (quota.left <= 0) {
    await fail(ctx, row.id, `45028: no mass sends left this ${quota.period}`);
    return false;
  }
  if (account.type === 'subscription') {
    // One call to everyone or to the tag's WeChat twin; WeChat's finish report gives the count.
    if (
      row.audience_kind === 'tag' &&
      (await wechatTagOf(ctx, row.audience_ref ?? '', account.id)) === null
    ) {
      await fail(ctx, row.id, 'the tag is not mirrored to WeChat on this account yet');
      return false;
    }
    await ctx.db
      .updateTable('broadcasts')
      .set({ status: 'sending', started_at: ctx.now, batches: 1, updated_at: ctx.now })
      .where('id', '=', row.id)
      .where('status', '=', 'scheduled')
      .execute();
    await ctx.db
      .insertInto('broadcast_batches')
      .values({ broadcast_id: row.id, batch_no: 0, size: 0, status: 'pending', msg_id: null, sent_at: null })
      .execute();
    return true;
  }
  const snapshot =
    row.audience_kind === 'segment'
      ? await snapshotRules(
          ctx,
          (await getSegment(ctx, row.audience_ref ?? '')).rules,
          row.audience_ref ?? '',
        )
      : row.audience_kind === 'tag'
        ? await snapshotRules(
            ctx,
            { op: 'and', rules: [{ type: 'tag', tag_id: row.audience_ref ?? '' }] },
            `tag:${row.audience_ref}`,
          )
        : await snapshotRules(ctx, null, 'all');
  const openids: string[] = [];
  const seen = new Set<string>();
  let after: string | undefined;
  for (;;) {
    const page = await snapshotAudience(ctx, snapshot.id, { limit: 2000, after });
    for (const member of page.members)
      for (const o of member.openids)
        if (o.account_id === row.account_id && !seen.has(o.openid)) {
          seen.add(o.openid);
          openids.push(o.openid);
        }
    if (!page.next) break;
    after = page.next;
  }
  if (openids.length < 2) {
    await fail(
      ctx,
      row.id,
      `WeChat sends to at least 2 fans; the audience has ${openids.length} on this account`,
    );
    return false;
  }
  const batches = Math.ceil(openids.length / Math.min(BATCH_MAX, ctx.deps.config.massSendBatch));
  return inTransaction(ctx.db, async (trx) => {
    const moved = await trx
      .updateTable('broadcasts')
      .set({
        status: 'sending',
        snapshot_id: snapshot.id,
        started_at: ctx.now,
        recipients: openids.length,
        batches,
        updated_at: ctx.now,
      })
      .where('id', '=', row.id)
      .where('status', '=', 'scheduled')
      .executeTakeFirst();
    // Cancelled meanwhile: nothing to do.
    if (Number(moved.numUpdatedRows) !== 1) return false;
    for (let i = 0; i < openids.length; i += 500) {
      await trx
        .insertInto('broadcast_recipients')
        .values(openids.slice(i, i + 500).map((openid, k) => ({ broadcast_id: row.id, seq: i + k, openid })))
        .execute();
    }
    await trx
      .insertInto('broadcast_batches')
      .values(
        Array.from({ length: batches }, (_, i) => {
          const { from, to } = batchRange(openids.length, batches, i);
          return {
            broadcast_id: row.id,
            batch_no: i,
            size: to - from,
            status: 'pending' as const,
            msg_id: null,
            sent_at: null,
          };
        }),
      )
      .execute();
    return true;
  });
}

/** Records a batch as sent once; a second record (a resumed worker) changes nothing. */
async function markSent(ctx: Ctx, id: string, batchNo: number, size: number, msgId: string | null) {
  await inTransaction(ctx.db, async (trx) => {
    const done = await trx
      .updateTable('broadcast_batches')
      .set({ status: 'sent', msg_id: msgId, sent_at: ctx.now })
      .where('broadcast_id', '=', id)
      .where('batch_no', '=', batchNo)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (Number(done.numUpdatedRows) !== 1) return;
    await trx
      .updateTable('broadcasts')
      .set((eb) => ({
        batches_done: eb('batches_done', '+', 1),
        sent: eb('sent', '+', size),
        updated_at: ctx.now,
      }))
      .where('id', '=', id)
      .execute();
  });
}

/**
 * Runs (or resumes) a send. Each batch is one mass-send call named `<send>:<batch>` (WeChat's
 * clientmsgid): a batch that went out but was not recorded before a crash is refused by WeChat
 * with 45065 on the retry and recorded then, so no fan gets it twice and none is skipped.
 */
export async function runSend(ctx: Ctx, id: string): Promise<void> {
  let row = await getBroadcastRow(ctx, id);
  if (row.status === 'scheduled') {
    if (!(await prepare(ctx, row))) return;
    row = await getBroadcastRow(ctx, id);
  }
  if (row.status !== 'sending') return;
  const account = await getAccount(ctx, row.account_id);
  const client = apiClientFor(ctx.deps, account);
  const message = await massMessageOf(ctx, row, client);
  const pending = await ctx.db
    .selectFrom('broadcast_batches')
    .select(['batch_no', 'size'])
    .where('broadcast_id', '=', id)
    .where('status', '=', 'pending')
    .orderBy('batch_no')
    .execute();
  for (const batch of pending) {
    const clientMsgId = `${id}:${batch.batch_no}`;
    try {
      let result: { msg_id: number };
      if (account.type === 'subscription') {
        const tagId =
          row.audience_kind === 'tag' ? await wechatTagOf(ctx, row.audience_ref ?? '', account.id) : null;
        if (row.audience_kind === 'tag' && tagId === null) {
          await fail(ctx, id, 'the tag is no longer mirrored to WeChat on this account');
          throw new PermanentJobError('tag not mirrored');
        }
        result = await client.call<{ msg_id: number }>('/cgi-bin/message/mass/sendall', {
          body: {
            filter: tagId === null ? { is_to_all: true } : { is_to_all: false, tag_id: tagId },
            ...message,
            send_ignore_reprint: 0,
            clientmsgid: clientMsgId,
          },
        });
      } else {
        const { from, to } = batchRange(row.recipients, row.batches, batch.batch_no);
        const openids = (
          await ctx.db
            .selectFrom('broadcast_recipients')
            .select('openid')
            .where('broadcast_id', '=', id)
            .where('seq', '>=', from)
            .where('seq', '<', to)
            .orderBy('seq')
            .execute()
        ).map((r) => r.openid);
        result = await client.massSendToOpenids(openids, message, clientMsgId);
      }
      await markSent(
        { ...ctx, now: ctx.deps.clock.now() },
        id,
        batch.batch_no,
        batch.size,
        String(result.msg_id),
      );
    } catch (error) {
      if (error instanceof WeChatApiError) {
        if (error.errcode === WeChatErrorCode.CLIENT_MSG_ID_EXISTS) {
          await markSent({ ...ctx, now: ctx.deps.clock.now() }, id, batch.batch_no, batch.size, null);
          continue;
        }
        if (error.errcode === WeChatErrorCode.QUOTA_EXCEEDED) throw new ApiLimitError(error.message);
        if (error.errcode === WeChatErrorCode.MASS_SEND_QUOTA) {
          await fail(ctx, id, `45028: ${error.errmsg}`);
          throw new MassQuotaError(error.message);
        }
        if (error.errcode !== WeChatErrorCode.SYSTEM_BUSY) {
          await fail(ctx, id, `${error.errcode}: ${error.errmsg}`);
          throw new PermanentJobError(error.message);
        }
      }
      throw error;
    }
  }
  const finishedAt = ctx.deps.clock.now();
  await inTransaction(ctx.db, async (trx) => {
    const done = await trx
      .updateTable('broadcasts')
      .set({ status: 'sent', finished_at: finishedAt, updated_at: finishedAt })
      .where('id', '=', id)
      .where('status', '=', 'sending')
      .executeTakeFirst();
    if (Number(done.numUpdatedRows) === 1) await scheduleReadPulls({ ...ctx, db: trx }, id, finishedAt);
  });
}

/** Shows the message to a test group of fans (1–10 openids) through WeChat's preview API. */
export async function previewBroadcast(ctx: Ctx, id: string, openids: string[]) {
  requireRole(ctx, 'operator');
  if (openids.length < 1 || openids.length > 10)
    throw badRequest('invalid_preview', '预览对象 1–10 位粉丝', 'Preview to 1–10 fans');
  const row = await getBroadcastRow(ctx, id);
  const account = await getAccount(ctx, row.account_id);
  const client = apiClientFor(ctx.deps, account);
  const message = await viaWeChat(() => massMessageOf(ctx, row, client));
  const results: Array<{ openid: string; ok: boolean; error: string | null }> = [];
  for (const openid of openids) {
    try {
      await client.massPreview(openid, message);
      results.push({ openid, ok: true, error: null });
    } catch (error) {
      if (!(error instanceof WeChatApiError)) throw error;
      results.push({ openid, ok: false, error: `${error.errcode}: ${error.errmsg}` });
    }
  }
  return results;
}
