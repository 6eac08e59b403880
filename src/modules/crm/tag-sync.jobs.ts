import { type Ctx, merchantCtx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { PermanentJobError } from '../../platform/jobs/worker.ts';
import { WeChatApiError } from '../../wechat/api-client.ts';
import { type Account, apiClientFor, listAccounts } from '../accounts/index.ts';
import { OPENIDS_PER_CALL, TAG_SYNC_JOB, TAG_UNSYNC_JOB } from './tag-limits.ts';
import { registerTagPullJobs } from './tag-pull.jobs.ts';

const MEMBERS_PER_ROUND = 500;
/** WeChat's codes for "this fan already has 20 tags" and "this account has 100 tags". */
const FAN_TAG_LIMIT = 45059;
const NAME_EXISTS = 45157;

async function openidsOn(ctx: Ctx, account: Account, memberIds: string[]): Promise<string[]> {
  if (memberIds.length === 0) return [];
  const rows = await ctx.db
    .selectFrom('crm_identities')
    .select('value')
    .where('merchant_id', '=', ctx.merchantId)
    .where('kind', '=', 'openid')
    .where('member_id', 'in', memberIds)
    .where('value', 'like', `${account.id}:%`)
    .execute();
  return rows.map((r) => r.value.slice(account.id.length + 1));
}

async function setState(
  ctx: Ctx,
  tagId: string,
  accountId: string,
  patch: { wechat_tag_id?: number; state: 'pending' | 'synced' | 'failed'; error: string | null },
) {
  await ctx.db
    .insertInto('crm_tag_sync')
    .values({
      merchant_id: ctx.merchantId,
      tag_id: tagId,
      account_id: accountId,
      wechat_tag_id: patch.wechat_tag_id ?? null,
      state: patch.state,
      error: patch.error,
      updated_at: ctx.now,
    })
    .onConflict((oc) =>
      oc.columns(['tag_id', 'account_id']).doUpdateSet({
        ...(patch.wechat_tag_id === undefined ? {} : { wechat_tag_id: patch.wechat_tag_id }),
        state: patch.state,
        error: patch.error,
        updated_at: ctx.now,
      }),
    )
    .execute();
}

/** The tag's id in WeChat on this account, creating it there the first time. */
async function wechatTagId(ctx: Ctx, deps: AppDeps, account: Account, tag: { id: string; name: string }) {
  const known = await ctx.db
    .selectFrom('crm_tag_sync')
    .select('wechat_tag_id')
    .where('tag_id', '=', tag.id)
    .where('account_id', '=', account.id)
    .executeTakeFirst();
  if (known?.wechat_tag_id) return known.wechat_tag_id;
  const client = apiClientFor(deps, account);
  let id: number;
  try {
    id = (await client.createTag(tag.name)).tag.id;
  } catch (error) {
    // Created by an earlier attempt whose answer was lost: find it by name.
    if (!(error instanceof WeChatApiError && error.errcode === NAME_EXISTS)) throw error;
    const existing = (await client.listTags()).tags.find((t) => t.name === tag.name);
    if (!existing) throw error;
    id = existing.id;
  }
  await setState(ctx, tag.id, account.id, { wechat_tag_id: id, state: 'pending', error: null });
  return id;
}

/**
 * Mirrors CRM tags to WeChat user tags: creates the tag on each account, then tags the members'
 * openids 50 at a time. Idempotent (WeChat ignores a fan tagged twice), so a retry is safe.
 */
export function registerTagSyncJobs(deps: AppDeps): void {
  registerTagPullJobs(deps);
  deps.jobHandlers.set(TAG_SYNC_JOB, async (job) => {
    if (!job.merchantId) throw new PermanentJobError('tag sync without merchant');
    const ctx = merchantCtx(deps, job.merchantId);
    const tag = await ctx.db
      .selectFrom('crm_tags')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', String(job.payload.tagId))
      .executeTakeFirst();
    if (tag?.sync !== 1) return;
    const accounts = await listAccounts(ctx);
    const ids = new Map<string, number>();
    for (const account of accounts) {
      try {
        ids.set(account.id, await wechatTagId(ctx, deps, account, tag));
      } catch (error) {
        if (!(error instanceof WeChatApiError)) throw error;
        await setState(ctx, tag.id, account.id, {
          state: 'failed',
          error: `${error.errcode} ${error.errmsg}`,
        });
      }
    }
    for (;;) {
      const pending = (
        await ctx.db
          .selectFrom('crm_member_tags')
          .select('member_id')
          .where('tag_id', '=', tag.id)
          .where('synced', '=', 0)
          .limit(MEMBERS_PER_ROUND)
          .execute()
      ).map((r) => r.member_id);
      if (pending.length === 0) break;
      for (const account of accounts) {
        const wechatId = ids.get(account.id);
        if (wechatId === undefined) continue;
        const openids = await openidsOn(ctx, account, pending);
        let failure: string | null = null;
        for (let i = 0; i < openids.length; i += OPENIDS_PER_CALL) {
          try {
            await apiClientFor(deps, account).tagFans(wechatId, openids.slice(i, i + OPENIDS_PER_CALL));
          } catch (error) {
            // A fan at WeChat's 20-tag limit fails the batch; the rest of the tag still syncs.
            if (!(error instanceof WeChatApiError && error.errcode === FAN_TAG_LIMIT)) throw error;
            failure = `${error.errcode} ${error.errmsg}`;
          }
        }
        await setState(ctx, tag.id, account.id, { state: failure ? 'failed' : 'synced', error: failure });
      }
      await ctx.db
        .updateTable('crm_member_tags')
        .set({ synced: 1 })
        .where('tag_id', '=', tag.id)
        .where('member_id', 'in', pending)
        .execute();
    }
  });

  deps.jobHandlers.set(TAG_UNSYNC_JOB, async (job) => {
    if (!job.merchantId) throw new PermanentJobError('tag unsync without merchant');
    const ctx = merchantCtx(deps, job.merchantId);
    const members = String(job.payload.members ?? '')
      .split(',')
      .filter(Boolean);
    const sync = await ctx.db
      .selectFrom('crm_tag_sync')
      .select(['account_id', 'wechat_tag_id'])
      .where('tag_id', '=', String(job.payload.tagId))
      .execute();
    for (const account of await listAccounts(ctx)) {
      const wechatId = sync.find((s) => s.account_id === account.id)?.wechat_tag_id;
      if (!wechatId) continue;
      const openids = await openidsOn(ctx, account, members);
      for (let i = 0; i < openids.length; i += OPENIDS_PER_CALL) {
        await apiClientFor(deps, account).untagFans(wechatId, openids.slice(i, i + OPENIDS_PER_CALL));
      }
    }
  });
}
