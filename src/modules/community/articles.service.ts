import type { Ctx } from '../../context.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { isUniqueViolation } from '../../platform/db/database.ts';
import { found } from '../../platform/db/paging.ts';
import { badRequest, conflict, notFound } from '../../platform/http/errors.ts';
import { newId } from '../../platform/ids.ts';
import type { PassiveReply } from '../../wechat/messages.ts';
import { getAccount } from '../accounts/index.ts';
import { getProduct } from '../catalog/index.ts';
import { createRule, deleteRule, updateRule } from '../channel/index.ts';
import type { ArticleAccess, ArticleStatus, CommunityArticlesTable } from './community.schema.ts';
import { productIdsIn, safeUrl, sanitizeHtml, textOf } from './sanitize.ts';

export const ARTICLE = { zh: '文章', en: 'Article' };

export interface ArticleInput {
  title: string;
  summary?: string;
  cover_url?: string;
  body: string;
  access: ArticleAccess;
  status: ArticleStatus;
  column_name?: string;
  keyword?: string | null;
  account_id?: string | null;
}

export type ArticleView = Omit<CommunityArticlesTable, 'body'> & { body: string; product_ids: string[] };

const view = (row: CommunityArticlesTable): ArticleView => ({ ...row, product_ids: productIdsIn(row.body) });

export const articleUrl = (ctx: Pick<Ctx, 'deps'>, appid: string, id: string) =>
  `${ctx.deps.config.publicUrl}/shop/${appid}/articles/${id}`;
export const listUrl = (ctx: Pick<Ctx, 'deps'>, appid: string, column: string) =>
  `${ctx.deps.config.publicUrl}/shop/${appid}/articles${column ? `?column=${encodeURIComponent(column)}` : ''}`;

/** The body is cleaned here, once, so every reader gets the same safe HTML; its cards must be ours. */
async function cleanInput(ctx: Ctx, input: ArticleInput) {
  const body = sanitizeHtml(input.body);
  for (const id of productIdsIn(body)) {
    await getProduct(ctx, id).catch(() => {
      throw badRequest(
        'unknown_product',
        `商品卡片中的商品 ${id} 不存在`,
        `The product card names no product ${id}`,
      );
    });
  }
  const cover = input.cover_url?.trim() ? safeUrl(input.cover_url.trim()) : '';
  if (cover === null)
    throw badRequest('invalid_cover', '封面图需为 http(s) 地址', 'The cover must be an http(s) URL');
  const keyword = input.keyword?.trim() || null;
  if (keyword && !input.account_id)
    throw badRequest('account_required', '设置关键词需选择公众号', 'A keyword needs an official account');
  if (input.account_id) await getAccount(ctx, input.account_id);
  return {
    title: input.title.trim(),
    summary: (input.summary?.trim() || textOf(body)).slice(0, 120),
    cover_url: cover,
    body,
    access: input.access,
    status: input.status,
    column_name: input.column_name?.trim() ?? '',
    keyword,
    account_id: input.account_id ?? null,
  };
}

function newsReply(ctx: Ctx, appid: string, article: CommunityArticlesTable): PassiveReply {
  return {
    type: 'news',
    articles: [
      {
        title: `${article.access === 'members' ? '【会员】' : ''}${article.title}`,
        description: article.summary,
        ...(article.cover_url ? { picUrl: article.cover_url } : {}),
        url: articleUrl(ctx, appid, article.id),
      },
    ],
  };
}

/**
 * A published article with a keyword answers it in chat through channel's own rule matching (an
 * exact keyword rule whose reply is the article's card): channel never needs to know community.
 */
async function syncKeywordRule(ctx: Ctx, article: CommunityArticlesTable): Promise<string | null> {
  const wanted = article.status === 'published' && article.keyword && article.account_id;
  if (!wanted) {
    if (article.rule_id) await deleteRule(ctx, article.rule_id).catch(() => undefined);
    return null;
  }
  const account = await getAccount(ctx, article.account_id as string);
  const reply = newsReply(ctx, account.appid, article);
  if (article.rule_id) {
    const kept = await updateRule(ctx, article.rule_id, { keyword: article.keyword, reply }).catch(
      () => null,
    );
    if (kept && kept.account_id === article.account_id) return kept.id;
    await deleteRule(ctx, article.rule_id).catch(() => undefined);
  }
  const rule = await createRule(ctx, {
    account_id: account.id,
    kind: 'keyword',
    match_type: 'exact',
    keyword: article.keyword,
    priority: 50,
    reply,
  });
  return rule.id;
}

export async function createArticle(ctx: Ctx, input: ArticleInput): Promise<ArticleView> {
  requireRole(ctx, 'operator');
  const clean = await cleanInput(ctx, input);
  const row: CommunityArticlesTable = {
    id: newId('art', ctx.now),
    merchant_id: ctx.merchantId,
    ...clean,
    rule_id: null,
    published_at: clean.status === 'published' ? ctx.now : null,
    created_at: ctx.now,
    updated_at: ctx.now,
  };
  row.rule_id = await syncKeywordRule(ctx, row);
  await ctx.db.insertInto('community_articles').values(row).execute();
  return view(row);
}

async function articleRow(ctx: Pick<Ctx, 'db' | 'merchantId'>, id: string) {
  return found(
    await ctx.db
      .selectFrom('community_articles')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', id)
      .executeTakeFirst(),
    ARTICLE,
  );
}

export async function getArticle(ctx: Ctx, id: string): Promise<ArticleView> {
  requireRole(ctx, 'operator', 'agent');
  return view(await articleRow(ctx, id));
}

export async function updateArticle(ctx: Ctx, id: string, input: ArticleInput): Promise<ArticleView> {
  requireRole(ctx, 'operator');
  const current = await articleRow(ctx, id);
  const clean = await cleanInput(ctx, input);
  const next: CommunityArticlesTable = {
    ...current,
    ...clean,
    published_at: clean.status === 'published' ? (current.published_at ?? ctx.now) : current.published_at,
    updated_at: ctx.now,
  };
  next.rule_id = await syncKeywordRule(ctx, next);
  await ctx.db
    .updateTable('community_articles')
    .set({ ...clean, rule_id: next.rule_id, published_at: next.published_at, updated_at: ctx.now })
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .execute();
  return view(next);
}

export async function deleteArticle(ctx: Ctx, id: string): Promise<void> {
  requireRole(ctx, 'operator');
  const current = await articleRow(ctx, id);
  if (current.rule_id) await deleteRule(ctx, current.rule_id).catch(() => undefined);
  await ctx.db
    .deleteFrom('community_articles')
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .execute();
}

/** The console's list (every status), newest first, without bodies. */
export async function listArticles(ctx: Ctx) {
  requireRole(ctx, 'operator', 'agent');
  return ctx.db
    .selectFrom('community_articles')
    .select([
      'id',
      'title',
      'summary',
      'cover_url',
      'access',
      'status',
      'column_name',
      'keyword',
      'account_id',
      'published_at',
      'updated_at',
    ])
    .where('merchant_id', '=', ctx.merchantId)
    .orderBy('id', 'desc')
    .limit(500)
    .execute();
}

/** What a fan may see listed: published articles, newest first, optionally one column's. */
export async function publishedArticles(ctx: Pick<Ctx, 'db' | 'merchantId'>, column?: string) {
  let query = ctx.db
    .selectFrom('community_articles')
    .select(['id', 'title', 'summary', 'cover_url', 'access', 'column_name', 'published_at'])
    .where('merchant_id', '=', ctx.merchantId)
    .where('status', '=', 'published');
  if (column) query = query.where('column_name', '=', column);
  return query.orderBy('published_at', 'desc').limit(100).execute();
}

export async function publishedArticle(ctx: Pick<Ctx, 'db' | 'merchantId'>, id: string) {
  const row = await ctx.db
    .selectFrom('community_articles')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('id', '=', id)
    .where('status', '=', 'published')
    .executeTakeFirst();
  if (!row) throw notFound(ARTICLE);
  return row;
}

/**
 * A menu click that answers with an article list: a channel click rule whose reply is the list's
 * card. The operator puts a click button with this key in the account's menu.
 */
export async function createListReply(
  ctx: Ctx,
  input: { account_id: string; menu_key: string; column_name?: string; title: string },
) {
  requireRole(ctx, 'operator');
  const account = await getAccount(ctx, input.account_id);
  const column = input.column_name?.trim() ?? '';
  const rule = await createRule(ctx, {
    account_id: account.id,
    kind: 'click',
    keyword: input.menu_key,
    priority: 50,
    reply: {
      type: 'news',
      articles: [
        { title: input.title, description: column || '全部文章', url: listUrl(ctx, account.appid, column) },
      ],
    },
  });
  const row = {
    id: newId('alr', ctx.now),
    merchant_id: ctx.merchantId,
    account_id: account.id,
    menu_key: input.menu_key,
    column_name: column,
    title: input.title,
    rule_id: rule.id,
    created_at: ctx.now,
  };
  try {
    await ctx.db.insertInto('community_list_replies').values(row).execute();
  } catch (error) {
    await deleteRule(ctx, rule.id);
    if (isUniqueViolation(error))
      throw conflict('menu_key_taken', '该菜单键已设置文章列表', 'This menu key already answers with a list');
    throw error;
  }
  return row;
}

export async function listListReplies(ctx: Ctx) {
  requireRole(ctx, 'operator', 'agent');
  return ctx.db
    .selectFrom('community_list_replies')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .orderBy('id', 'desc')
    .limit(200)
    .execute();
}

export async function deleteListReply(ctx: Ctx, id: string): Promise<void> {
  requireRole(ctx, 'operator');
  const row = found(
    await ctx.db
      .selectFrom('community_list_replies')
      .selectAll()
      .where('merchant_id', '=', ctx.merchantId)
      .where('id', '=', id)
      .executeTakeFirst(),
    { zh: '菜单文章列表', en: 'Menu article list' },
  );
  await deleteRule(ctx, row.rule_id).catch(() => undefined);
  await ctx.db.deleteFrom('community_list_replies').where('id', '=', row.id).execute();
}
