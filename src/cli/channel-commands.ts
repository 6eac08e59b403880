import { loadConfig } from '../config.ts';
import { accountForCallback, accountView, createAccount } from '../modules/accounts/index.ts';
import { createRule, type RuleKind, setSingletonRule } from '../modules/channel/index.ts';
import {
  asAccountOwner,
  type CliCtx,
  type Command,
  cliMerchantCtx,
  merchantBySlug,
  optional,
  required,
  UsageError,
  withDatabase,
  write,
} from './command.ts';

async function accountByAppId(ctx: CliCtx, appid: string) {
  const account = (await accountForCallback(ctx.deps, appid, ctx.now))?.account;
  if (!account) throw new UsageError(`no account with AppID ${appid} (connect it with: account add …)`);
  return account;
}

/** With the simulator on, register the account in the running server's simulated WeChat. */
async function registerInSimulator(account: {
  appid: string;
  app_secret: string;
  name: string;
  type: string;
  verified: number;
  token: string;
  aes_key: string | null;
  mode: string;
}) {
  const config = loadConfig(process.env);
  if (!config.simulator) return;
  const sim = process.env.SIM_URL || `${config.publicUrl}/sim`;
  try {
    await asAccountOwner(account.appid, (auth) => register({ 'content-type': 'application/json', ...auth }));
  } catch {
    write(
      `simulator: not reachable at ${sim}; the account is saved, start the server and add it again to register it there`,
    );
  }

  async function register(json: Record<string, string>) {
    await fetch(`${sim}/apps`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        appId: account.appid,
        secret: account.app_secret,
        name: account.name,
        type: account.type,
        verified: account.verified === 1,
      }),
      signal: AbortSignal.timeout(3000),
    });
    const server = await fetch(`${sim}/apps/${account.appid}/server`, {
      method: 'PUT',
      headers: json,
      body: JSON.stringify({
        url: `${config.publicUrl}/wechat/${account.appid}`,
        token: account.token,
        aesKey: account.aes_key,
        mode: account.mode,
      }),
      signal: AbortSignal.timeout(6000),
    });
    write(
      server.ok
        ? `simulator: ${account.appid} registered and its server URL verified`
        : `simulator: ${await server.text()}`,
    );
  }
}

export const channelCommands: Record<string, Command> = {
  'account add': {
    summary: 'Connect an official account (公众号) to a merchant',
    usage:
      'account add --merchant demo --type service|subscription --appid wx… --secret … --token … [--aes-key … --mode plain|compatible|safe] [--name …] [--unverified]',
    options: {
      merchant: { type: 'string', description: 'Merchant slug' },
      type: { type: 'string', description: 'service or subscription' },
      appid: { type: 'string', description: 'AppID from WeChat' },
      secret: { type: 'string', description: 'AppSecret from WeChat' },
      token: { type: 'string', description: 'The Token you also enter in WeChat (3–32 letters/digits)' },
      'aes-key': { type: 'string', description: 'EncodingAESKey (43 characters), for compatible/safe mode' },
      mode: {
        type: 'string',
        description: 'plain, compatible or safe (default: safe with a key, else plain)',
      },
      name: { type: 'string', description: 'Display name' },
      unverified: { type: 'boolean', description: 'The account is not verified (认证) by WeChat' },
    },
    async run(values) {
      const type = required(values, 'type');
      if (type !== 'service' && type !== 'subscription')
        throw new UsageError('--type must be service or subscription');
      const aesKey = optional(values, 'aes-key');
      const mode = optional(values, 'mode') ?? (aesKey ? 'safe' : 'plain');
      if (mode !== 'plain' && mode !== 'compatible' && mode !== 'safe')
        throw new UsageError('--mode must be plain, compatible or safe');
      const config = loadConfig(process.env);
      const account = await withDatabase(async (ctx) => {
        const merchant = await merchantBySlug(ctx, required(values, 'merchant'));
        return createAccount(
          cliMerchantCtx(ctx, merchant.id),
          {},
          {
            name: optional(values, 'name') ?? required(values, 'appid'),
            appid: required(values, 'appid'),
            secret: required(values, 'secret'),
            type,
            verified: values.unverified !== true,
            token: required(values, 'token'),
            aes_key: aesKey ?? null,
            mode,
          },
        );
      });
      const view = accountView(account, config.publicUrl);
      write(`connected ${view.name} (${view.appid}, ${view.type}, ${view.mode} mode) as ${view.id}`);
      write(`callback URL (服务器地址): ${view.callback_url}`);
      await registerInSimulator(account);
    },
  },
  'reply add': {
    summary: 'Add a keyword reply, or set the default / welcome reply',
    usage:
      'reply add --appid wx… (--match exact|contains|regex --keyword … | --default | --welcome | --click KEY) --text … [--tag 新客户] [--priority N]',
    options: {
      appid: { type: 'string', description: 'The account' },
      match: { type: 'string', description: 'exact (default), contains or regex' },
      keyword: { type: 'string', description: 'What the fan sends' },
      click: { type: 'string', description: 'Reply to this menu CLICK key instead' },
      default: { type: 'boolean', description: 'Set the reply for messages no rule matches' },
      welcome: { type: 'boolean', description: 'Set the reply to a new follower' },
      text: { type: 'string', description: 'The reply text' },
      tag: { type: 'string', description: 'Also tag the fan with this (e.g. 新客户)' },
      priority: { type: 'string', description: 'Higher wins when several rules match (default 0)' },
    },
    async run(values) {
      const kind: RuleKind = values.default
        ? 'default'
        : values.welcome
          ? 'welcome'
          : values.click
            ? 'click'
            : 'keyword';
      const priority = optional(values, 'priority');
      if (priority !== undefined && !/^-?\d+$/.test(priority))
        throw new UsageError('--priority must be an integer');
      const match = optional(values, 'match') ?? 'exact';
      if (!['exact', 'contains', 'regex'].includes(match))
        throw new UsageError('--match must be exact, contains or regex');
      const rule = await withDatabase(async (ctx) => {
        const account = await accountByAppId(ctx, required(values, 'appid'));
        const serviceCtx = cliMerchantCtx(ctx, account.merchant_id);
        const input = {
          account_id: account.id,
          kind,
          match_type: match as 'exact' | 'contains' | 'regex',
          keyword:
            kind === 'click'
              ? optional(values, 'click')
              : kind === 'keyword'
                ? required(values, 'keyword')
                : null,
          priority: priority === undefined ? 0 : Number(priority),
          reply: { type: 'text' as const, content: required(values, 'text') },
          tag_fan: optional(values, 'tag') ?? null,
        };
        return kind === 'default' || kind === 'welcome'
          ? setSingletonRule(serviceCtx, { ...input, kind })
          : createRule(serviceCtx, input);
      });
      write(
        `added ${rule.kind} rule ${rule.id}${rule.keyword ? ` (${rule.match_type ?? 'click'}: ${rule.keyword})` : ''}`,
      );
    },
  },
};
