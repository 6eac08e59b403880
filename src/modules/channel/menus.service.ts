import type { Ctx } from '../../context.ts';
import type { AppDeps } from '../../deps.ts';
import { requireRole } from '../../platform/auth/roles.ts';
import { badRequest } from '../../platform/http/errors.ts';
import type { ButtonSpec } from '../../wechat/api-client.ts';
import { apiClientFor, getAccount, viaWeChat } from '../accounts/index.ts';

export interface MenuView {
  account_id: string;
  buttons: ButtonSpec[];
  published_at: number | null;
  updated_at: number | null;
}

const bytes = (s: string) => Buffer.byteLength(s);
const LEAF_TYPES = [
  'click',
  'view',
  'scancode_push',
  'scancode_waitmsg',
  'pic_sysphoto',
  'pic_photo_or_album',
  'pic_weixin',
  'location_select',
];

/**
 * WeChat's menu limits, checked before anything is sent so the operator sees which button is
 * wrong: 1–3 top buttons, up to 5 sub-buttons, names ≤ 16 bytes on top (4 汉字) and ≤ 60 below,
 * keys ≤ 128 bytes, links ≤ 1024 bytes.
 */
export function validateMenu(buttons: ButtonSpec[]): void {
  const fail = (zh: string, en: string) => {
    throw badRequest('invalid_menu', zh, en);
  };
  if (buttons.length < 1 || buttons.length > 3) fail('一级菜单需要 1–3 个', 'A menu has 1–3 top buttons');
  const leaf = (b: ButtonSpec, maxName: number, where: string) => {
    if (!b.name || bytes(b.name) > maxName)
      fail(
        `${where}「${b.name ?? ''}」名称过长（最多 ${maxName} 字节）`,
        `${where} name too long (max ${maxName} bytes)`,
      );
    if (!b.type || !LEAF_TYPES.includes(b.type))
      fail(`${where}「${b.name}」类型无效`, `${where} has an invalid type`);
    if (b.type === 'view') {
      if (!b.url || !/^https?:\/\//.test(b.url) || bytes(b.url) > 1024)
        fail(`${where}「${b.name}」链接无效`, `${where} needs an http(s) link`);
    } else if (!b.key || bytes(b.key) > 128) {
      fail(`${where}「${b.name}」需要 1–128 字节的 key`, `${where} needs a key of 1–128 bytes`);
    }
  };
  buttons.forEach((button, i) => {
    const where = `第 ${i + 1} 个菜单`;
    if (button.sub_button?.length) {
      if (!button.name || bytes(button.name) > 16)
        fail(`${where}名称过长（最多 16 字节）`, 'Top button name too long (max 16 bytes)');
      if (button.sub_button.length > 5) fail(`${where}最多 5 个子菜单`, 'At most 5 sub-buttons');
      button.sub_button.forEach((sub, j) => {
        leaf(sub, 60, `${where}的第 ${j + 1} 个子菜单`);
      });
    } else {
      leaf(button, 16, where);
    }
  });
}

export async function getMenu(ctx: Ctx, accountId: string): Promise<MenuView> {
  await getAccount(ctx, accountId);
  const row = await ctx.db
    .selectFrom('menus')
    .selectAll()
    .where('merchant_id', '=', ctx.merchantId)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return row
    ? {
        account_id: accountId,
        buttons: JSON.parse(row.buttons) as ButtonSpec[],
        published_at: row.published_at,
        updated_at: row.updated_at,
      }
    : { account_id: accountId, buttons: [], published_at: null, updated_at: null };
}

/** Saves a draft; nothing reaches fans until it is published. */
export async function saveMenu(ctx: Ctx, accountId: string, buttons: ButtonSpec[]): Promise<MenuView> {
  requireRole(ctx, 'operator');
  await getAccount(ctx, accountId);
  validateMenu(buttons);
  await ctx.db
    .insertInto('menus')
    .values({
      account_id: accountId,
      merchant_id: ctx.merchantId,
      buttons: JSON.stringify(buttons),
      published_at: null,
      updated_at: ctx.now,
    })
    .onConflict((oc) =>
      oc
        .column('account_id')
        .doUpdateSet({ buttons: JSON.stringify(buttons), published_at: null, updated_at: ctx.now }),
    )
    .execute();
  return getMenu(ctx, accountId);
}

export async function publishMenu(
  ctx: Ctx,
  deps: Pick<AppDeps, 'config' | 'cache' | 'wechatFetch' | 'wechatTransport' | 'local'>,
  accountId: string,
): Promise<MenuView> {
  requireRole(ctx, 'operator');
  const account = await getAccount(ctx, accountId);
  const menu = await getMenu(ctx, accountId);
  if (menu.buttons.length === 0)
    throw badRequest('empty_menu', '请先编辑菜单', 'Save a menu before publishing');
  await viaWeChat(() => apiClientFor(deps, account).createMenu(menu.buttons));
  await ctx.db
    .updateTable('menus')
    .set({ published_at: ctx.now })
    .where('merchant_id', '=', ctx.merchantId)
    .where('account_id', '=', accountId)
    .execute();
  return getMenu(ctx, accountId);
}
