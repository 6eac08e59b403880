import { merchantCtx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { idFloor } from '../../platform/ids.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import { PermanentJobError } from '../../platform/jobs/worker.ts';
import { type CustomMessage, WeChatApiError } from '../../wechat/api-client.ts';
import type { PassiveReply } from '../../wechat/messages.ts';
import { apiClientFor, getAccount } from '../accounts/index.ts';
import { FETCH_PROFILE_JOB, FOLLOWUP_JOB, LATE_REPLY_JOB } from './inbound.service.ts';
import { FAN_EVENTS } from './log.service.ts';

export const PRUNE_MESSAGES_JOB = 'channel.prune_messages';
/** The message log is history for the inbox and analytics; rows older than this are deleted. */
export const MESSAGE_RETENTION_MS = 90 * 24 * 3_600_000;

function asCustomMessage(reply: PassiveReply): CustomMessage | null {
  switch (reply.type) {
    case 'text':
      return { msgtype: 'text', text: { content: reply.content } };
    case 'image':
      return { msgtype: 'image', image: { media_id: reply.mediaId } };
    case 'news':
      return {
        msgtype: 'news',
        news: {
          articles: reply.articles.map((a) => ({
            title: a.title,
            description: a.description,
            url: a.url,
            picurl: a.picUrl,
          })),
        },
      };
    default:
      return null;
  }
}

export function registerChannelJobs(deps: AppDeps): void {
  /** The account a job's row belongs to, read through the accounts module. */
  const accountOf = async (merchantId: string, accountId: string) => {
    const account = await getAccount(merchantCtx(deps, merchantId), accountId).catch(() => null);
    if (!account) throw new PermanentJobError(`account ${accountId} is gone`);
    return account;
  };
  const sender = (column: 'reply' | 'followup') => async (job: { payload: Record<string, unknown> }) => {
    const messageId = String(job.payload.messageId);
    const row = await deps.db
      .selectFrom('inbound_messages')
      .select(['merchant_id', 'account_id', 'openid', `${column} as to_send`])
      .where('id', '=', messageId)
      .executeTakeFirst();
    if (!row?.to_send) throw new PermanentJobError(`message ${messageId} has no ${column} to send`);
    const message = asCustomMessage(JSON.parse(row.to_send) as PassiveReply);
    if (!message) return;
    const account = await accountOf(row.merchant_id, row.account_id);
    try {
      await apiClientFor(deps, account).sendCustomMessage(row.openid, message);
    } catch (error) {
      // Outside the 48-hour window, unfollowed, or an account without the API: retrying cannot help.
      if (
        error instanceof WeChatApiError &&
        (error.isOutOfWindow || error.isUnsubscribed || error.isUnauthorized)
      ) {
        throw new PermanentJobError(error.message);
      }
      throw error;
    }
  };
  deps.jobHandlers.set(FETCH_PROFILE_JOB, async (job) => {
    const followerId = String(job.payload.followerId);
    const row = await deps.db
      .selectFrom('followers')
      .select(['merchant_id', 'account_id', 'openid'])
      .where('id', '=', followerId)
      .executeTakeFirst();
    if (!row) throw new PermanentJobError(`follower ${followerId} is gone`);
    const account = await accountOf(row.merchant_id, row.account_id);
    try {
      const info = await apiClientFor(deps, account).userInfo(row.openid);
      if (info.unionid) {
        const unionid = info.unionid;
        await inTransaction(deps.db, async (trx) => {
          await trx.updateTable('followers').set({ unionid }).where('id', '=', followerId).execute();
          await deps.events.publish(
            trx,
            {
              name: FAN_EVENTS.profiled,
              merchantId: row.merchant_id,
              key: followerId,
              payload: { accountId: row.account_id, openid: row.openid, unionid },
            },
            deps.clock.now(),
          );
        });
      }
    } catch (error) {
      if (error instanceof WeChatApiError && error.isUnauthorized) throw new PermanentJobError(error.message);
      throw error;
    }
  });
  deps.jobHandlers.set(LATE_REPLY_JOB, sender('reply'));
  deps.jobHandlers.set(FOLLOWUP_JOB, sender('followup'));

  deps.jobHandlers.set(PRUNE_MESSAGES_JOB, async () => {
    const now = deps.clock.now();
    // Ids sort by creation time, so the primary key serves as the time index.
    await deps.db
      .deleteFrom('inbound_messages')
      .where('id', '<', idFloor('msg', now - MESSAGE_RETENTION_MS))
      .execute();
    await scheduleMessagePruning(deps, now + DAY_MS);
  });
}

const DAY_MS = 24 * 3_600_000;

/** Queues the daily message-log pruning; one job per day whatever the number of processes. */
export async function scheduleMessagePruning(deps: Pick<AppDeps, 'db'>, at: number): Promise<void> {
  const day = new Date(at).toISOString().slice(0, 10);
  await enqueueJob(deps.db, { type: PRUNE_MESSAGES_JOB, key: day, runAt: at }, at);
}
