import { type Ctx, merchantCtx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { inTransaction } from '../../platform/db/database.ts';
import { newId } from '../../platform/ids.ts';
import { enqueueJob } from '../../platform/jobs/jobs.ts';
import { PermanentJobError } from '../../platform/jobs/worker.ts';
import { WeChatApiError } from '../../wechat/api-client.ts';
import { type Account, apiClientFor, listAccounts, listAllAccountIds } from '../accounts/index.ts';
import { queueAutotag } from './autotag.service.ts';
import { openidKey, resolveFan } from './identities.service.ts';
import { addEvent } from './member-events.ts';
import { TAG_PULL_EVERY_MS, TAG_PULL_JOB, TAG_PULL_SWEEP_JOB, TAG_REMOTE_JOB } from './tag-limits.ts';

const IN_LIST = 400;

/** The local tag for a WeChat tag: linked before, else the same name, else a new synced tag. */
async function localTagFor(ctx: Ctx, account: Account, remote: { id: number; name: string }) {
  const linked = await ctx.db
    .selectFrom('crm_tag_sync')
    .innerJoin('crm_tags', 'crm_tags.id', 'crm_tag_sync.tag_id')
    .select(['crm_tags.id', 'crm_tags.name'])
    .where('crm_tag_sync.merchant_id', '=', ctx.merchantId)
    .where('crm_tag_sync.account_id', '=', account.id)
    .where('crm_tag_sync.wechat_tag_id', '=', remote.id)
    .executeTakeFirst();
  if (linked) {
    if (linked.name !== remote.name) {
      // Renamed on WeChat's side: follow, unless another local tag has that name already.
      const clash = await ctx.db
        .selectFrom('crm_tags')
        .select('id')
        .where('merchant_id', '=', ctx.merchantId)
        .where('name', '=', remote.name)
        .executeTakeFirst();
      if (!clash)
        await ctx.db
          .updateTable('crm_tags')
          .set({ name: remote.name })
          .where('merchant_id', '=', ctx.merchantId)
          .where('id', '=', linked.id)
          .execute();
    }
    return { id: linked.id, name: remote.name };
  }
  let tag = await ctx.db
    .selectFrom('crm_tags')
    .select(['id', 'name'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('name', '=', remote.name)
    .executeTakeFirst();
  if (!tag) {
    tag = { id: newId('tag', ctx.now), name: remote.name };
    await ctx.db
      .insertInto('crm_tags')
      .values({ ...tag, merchant_id: ctx.merchantId, sync: 1, created_at: ctx.now })
      .execute();
  } else {
    await ctx.db.updateTable('crm_tags').set({ sync: 1 }).where('id', '=', tag.id).execute();
  }
  await ctx.db
    .insertInto('crm_tag_sync')
    .values({
      merchant_id: ctx.merchantId,
      tag_id: tag.id,
      account_id: account.id,
      wechat_tag_id: remote.id,
      state: 'synced',
      error: null,
      updated_at: ctx.now,
    })
    .onConflict((oc) =>
      oc
        .columns(['tag_id', 'account_id'])
        .doUpdateSet({ wechat_tag_id: remote.id, state: 'synced', error: null, updated_at: ctx.now }),
    )
    .execute();
  return tag;
}

/** Fans WeChat says carry the tag get it in CRM (members made for fans CRM has not met yet). */
async function pullFans(ctx: Ctx, account: Account, tag: { id: string; name: string }, openids: string[]) {
  const owners = new Map<string, string>();
  for (let i = 0; i < openids.length; i += IN_LIST) {
    const rows = await ctx.db
      .selectFrom('crm_identities')
      .select(['value', 'member_id'])
      .where('merchant_id', '=', ctx.merchantId)
      .where('kind', '=', 'openid')
      .where(
        'value',
        'in',
        openids.slice(i, i + IN_LIST).map((o) => openidKey(account.id, o)),
      )
      .execute();
    for (const r of rows) owners.set(r.value, r.member_id);
  }
  const memberIds: string[] = [];
  for (const openid of openids) {
    memberIds.push(
      owners.get(openidKey(account.id, openid)) ?? (await resolveFan(ctx, { accountId: account.id, openid })),
    );
  }
  const added: string[] = [];
  await inTransaction(ctx.db, async (trx) => {
    const tx = { ...ctx, db: trx };
    for (let i = 0; i < memberIds.length; i += IN_LIST) {
      const rows = await trx
        .insertInto('crm_member_tags')
        .values(
          memberIds.slice(i, i + IN_LIST).map((member_id) => ({
            merchant_id: ctx.merchantId,
            member_id,
            tag_id: tag.id,
            synced: 1,
            created_at: ctx.now,
          })),
        )
        .onConflict((oc) => oc.columns(['member_id', 'tag_id']).doNothing())
        .returning('member_id')
        .execute();
      added.push(...rows.map((r) => r.member_id));
    }
    for (const memberId of added)
      await addEvent(tx, memberId, 'tag_added', { tag_id: tag.id, name: tag.name, via: 'wechat' });
    await queueAutotag(tx, added);
  });
  return added.length;
}

/**
 * Reads every account's tags and their fans back from WeChat: tags made or renamed there appear
 * in CRM, fans tagged there carry the tag here; a link to a tag deleted there is dropped.
 */
export async function pullTags(ctx: Ctx, accountId?: string): Promise<{ tags: number; tagged: number }> {
  let tags = 0;
  let tagged = 0;
  const accounts = (await listAccounts(ctx)).filter((a) => !accountId || a.id === accountId);
  for (const account of accounts) {
    const client = apiClientFor(ctx.deps, account);
    let remote: Array<{ id: number; name: string }>;
    try {
      remote = (await client.listTags()).tags;
    } catch (error) {
      // A subscription account without the tag API: nothing to read there.
      if (error instanceof WeChatApiError && error.errcode === 48001) continue;
      throw error;
    }
    for (const r of remote) {
      const tag = await localTagFor(ctx, account, r);
      tags += 1;
      let next = '';
      for (;;) {
        const page = await client.fansOfTag(r.id, next);
        const openids = page.data?.openid ?? [];
        if (openids.length > 0) tagged += await pullFans(ctx, account, tag, openids);
        if (!page.next_openid || openids.length === 0) break;
        next = page.next_openid;
      }
    }
    const live = remote.map((r) => r.id);
    await ctx.db
      .deleteFrom('crm_tag_sync')
      .where('merchant_id', '=', ctx.merchantId)
      .where('account_id', '=', account.id)
      .where('wechat_tag_id', 'is not', null)
      .where('wechat_tag_id', 'not in', live.length ? live : [-1])
      .execute();
  }
  return { tags, tagged };
}

export function registerTagPullJobs(deps: AppDeps): void {
  deps.jobHandlers.set(TAG_PULL_JOB, async (job) => {
    if (!job.merchantId) throw new PermanentJobError('tag pull without merchant');
    const accountId = typeof job.payload.account_id === 'string' ? job.payload.account_id : undefined;
    await pullTags(merchantCtx(deps, job.merchantId), accountId);
    deps.wakeJobs();
  });

  // Every few hours, each account's own pull, spread over the interval so a thousand accounts
  // do not all call WeChat in the same minute; then the next sweep.
  deps.jobHandlers.set(TAG_PULL_SWEEP_JOB, async () => {
    const slot = Math.floor(deps.clock.now() / TAG_PULL_EVERY_MS) * TAG_PULL_EVERY_MS;
    for (const account of await listAllAccountIds(deps.db)) {
      await enqueueJob(
        deps.db,
        {
          type: TAG_PULL_JOB,
          key: `${account.id}:${slot}`,
          merchantId: account.merchant_id,
          payload: { account_id: account.id },
          runAt: slot + spread(account.id),
          // A failed pull waits for the next round rather than retrying against the quota.
          maxAttempts: 2,
        },
        deps.clock.now(),
      );
    }
    await scheduleTagPulls(deps, slot + TAG_PULL_EVERY_MS);
    deps.wakeJobs();
  });

  // Renames and deletions made in CRM, carried to each account's WeChat twin.
  deps.jobHandlers.set(TAG_REMOTE_JOB, async (job) => {
    if (!job.merchantId) throw new PermanentJobError('tag change without merchant');
    const ctx = merchantCtx(deps, job.merchantId);
    const accounts = new Map((await listAccounts(ctx)).map((a) => [a.id, a]));
    for (const pair of String(job.payload.twins ?? '')
      .split(',')
      .filter(Boolean)) {
      const [accountId, wechatId] = pair.split(':');
      const account = accounts.get(accountId ?? '');
      if (!account) continue;
      const client = apiClientFor(deps, account);
      try {
        if (job.payload.op === 'delete') await client.deleteTag(Number(wechatId));
        else await client.renameTag(Number(wechatId), String(job.payload.name));
      } catch (error) {
        // Already gone on WeChat's side (45058): the change is done.
        if (!(error instanceof WeChatApiError && error.errcode === 45058)) throw error;
      }
    }
  });
}

/** A stable offset inside the interval for an account (its id's hash), so pulls are spread out. */
function spread(accountId: string): number {
  let hash = 0;
  for (let i = 0; i < accountId.length; i++) hash = (hash * 31 + accountId.charCodeAt(i)) >>> 0;
  return hash % TAG_PULL_EVERY_MS;
}

/** Queues the sweep that schedules every account's tag pull; one per interval whatever the number of processes. */
export async function scheduleTagPulls(deps: Pick<AppDeps, 'db' | 'clock'>, at?: number): Promise<void> {
  const now = deps.clock.now();
  const runAt = at ?? Math.floor(now / TAG_PULL_EVERY_MS) * TAG_PULL_EVERY_MS;
  await enqueueJob(deps.db, { type: TAG_PULL_SWEEP_JOB, key: String(runAt), runAt }, now);
}
