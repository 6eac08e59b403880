import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { merchantCtx } from '../../src/context.ts';
import { provisionSimulatedPay } from '../../src/demo-pay.ts';
import { getAccount } from '../../src/modules/accounts/index.ts';
import { createTestApp, engine, type TestApp } from '../support/test-app.ts';
import { AES_KEY, connectAccount } from '../support/wechat-fan.ts';

const run = promisify(execFile);
const apps: TestApp[] = [];
afterAll(async () => {
  for (const app of apps.reverse()) await app.close().catch(() => {});
});

/** What an attacker with a copy of the database sees: the SQLite file and its WAL, or the raw rows. */
async function stored(t: TestApp): Promise<string> {
  const { database } = t.deps.config;
  if (database.kind === 'sqlite') {
    return [database.path, `${database.path}-wal`]
      .filter((file) => existsSync(file))
      .map((file) => readFileSync(file).toString('latin1'))
      .join('\n');
  }
  const accounts = await t.deps.db.selectFrom('official_accounts').selectAll().execute();
  const pay = await t.deps.db.selectFrom('payment_settings').selectAll().execute();
  return JSON.stringify([accounts, pay]);
}

describe('secrets at rest', () => {
  it('are never in the database in clear: AppSecret, Token, AES key, WeChat Pay key and APIv3 key', async () => {
    const t = await createTestApp();
    apps.push(t);
    const m = await t.merchant('vaulted');
    const account = await connectAccount(t, m.token);
    await provisionSimulatedPay(t.deps, m.id);
    const settings = await t.deps.db.selectFrom('payment_settings').selectAll().executeTakeFirstOrThrow();
    const apiV3Key = await t.deps.vault.open(m.id, settings.api_v3_key);
    const privateKey = await t.deps.vault.open(m.id, settings.private_key_pem);
    expect(privateKey).toContain('BEGIN PRIVATE KEY');
    // The app still reads them: the account answers WeChat's URL check with its Token.
    const opened = await getAccount(merchantCtx(t.deps, m.id), account.id);
    expect(opened).toMatchObject({ token: 'testtoken', aes_key: AES_KEY, app_secret: 'test-secret-123456' });

    const raw = await stored(t);
    for (const secret of [
      'testtoken',
      AES_KEY,
      'test-secret-123456',
      apiV3Key,
      'BEGIN PRIVATE KEY',
      privateKey.slice(40, 80),
    ])
      expect(raw).not.toContain(secret);
  });

  it('seals what an earlier version stored in clear, at the next start', async () => {
    const t = await createTestApp();
    apps.push(t);
    const m = await t.merchant('legacy');
    const account = await connectAccount(t, m.token);
    await t.deps.db
      .updateTable('official_accounts')
      .set({ token: 'plaintoken1', app_secret: 'plain-secret-123' })
      .where('id', '=', account.id)
      .execute();
    // Still readable as it is until then…
    expect((await getAccount(merchantCtx(t.deps, m.id), account.id)).token).toBe('plaintoken1');
    const { buildApp } = await import('../../src/app.ts');
    const restarted = await buildApp(t.deps.config, { logger: t.deps.logger });
    try {
      const row = await restarted.deps.db
        .selectFrom('official_accounts')
        .select(['token', 'app_secret'])
        .where('id', '=', account.id)
        .executeTakeFirstOrThrow();
      expect(row.token.startsWith('wl1:')).toBe(true);
      expect(row.app_secret.startsWith('wl1:')).toBe(true);
      const opened = await getAccount(merchantCtx(restarted.deps, m.id), account.id);
      expect(opened).toMatchObject({ token: 'plaintoken1', app_secret: 'plain-secret-123' });
    } finally {
      await restarted.close();
    }
  });

  it.skipIf(engine !== 'sqlite')('survive a master-key rotation (weiloop keys rotate)', async () => {
    const t = await createTestApp();
    apps.push(t);
    const m = await t.merchant('rotating');
    const account = await connectAccount(t, m.token);
    const { database, masterKey } = t.deps.config;
    const before = readFileSync(masterKey.file, 'utf8');
    const rotate = await run(process.execPath, ['src/main.ts', 'keys', 'rotate'], {
      env: {
        ...process.env,
        DATABASE_URL: database.kind === 'sqlite' ? database.path : '',
        LOG_LEVEL: 'silent',
      },
    });
    expect(rotate.stdout).toContain('re-wrapped 1 data key');
    expect(readFileSync(masterKey.file, 'utf8')).not.toBe(before);
    expect(readFileSync(`${masterKey.file}.old`, 'utf8')).toBe(before);
    const { buildApp } = await import('../../src/app.ts');
    const restarted = await buildApp(t.deps.config, { logger: t.deps.logger });
    try {
      const opened = await getAccount(merchantCtx(restarted.deps, m.id), account.id);
      expect(opened.token).toBe('testtoken');
    } finally {
      await restarted.close();
    }
  });
});
