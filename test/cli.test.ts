import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabase } from './support/test-app.ts';

const run = promisify(execFile);
let env: NodeJS.ProcessEnv;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  const db = await testDatabase();
  cleanup = db.cleanup;
  const url =
    db.database.kind === 'sqlite'
      ? db.database.path
      : `${db.database.url}?options=-c%20search_path%3D${db.database.schema}`;
  env = { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'silent' };
});
afterAll(() => cleanup());

async function weiloop(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['src/main.ts', ...args], {
      env,
      timeout: 30_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('weiloop CLI', { timeout: 90_000 }, () => {
  it('lists its commands and explains each one', async () => {
    const help = await weiloop('--help');
    expect(help.stdout).toContain('token create');
    const userHelp = await weiloop('user', 'add', '--help');
    expect(userHelp.code).toBe(0);
    expect(userHelp.stdout).toContain('--role');
  });

  it('sets up a merchant, a login and an API token', async () => {
    expect((await weiloop('migrate')).code).toBe(0);
    expect((await weiloop('merchant', 'add', '--slug', 'cli-shop', '--name', 'CLI 小店')).code).toBe(0);
    const user = await weiloop(
      'user',
      'add',
      '--merchant',
      'cli-shop',
      '--email',
      'boss@cli.test',
      '--password',
      'boss-pass-1',
      '--role',
      'owner',
    );
    expect(user.stdout).toContain('boss@cli.test is now owner of cli-shop');
    const token = await weiloop(
      'token',
      'create',
      '--merchant',
      'cli-shop',
      '--name',
      'erp',
      '--role',
      'operator',
    );
    expect(token.stdout.trim()).toMatch(/^wl_[\w-]{40,}$/);
    const seeded = await weiloop('seed-demo');
    expect(seeded.stdout).toContain('merchant "demo"');
    expect((await weiloop('seed-demo')).stdout).toContain('already there');
  });

  it('fails with one clear line and a non-zero exit', async () => {
    const unknown = await weiloop('frobnicate');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    const missing = await weiloop(
      'token',
      'create',
      '--merchant',
      'no-such-shop',
      '--name',
      'x',
      '--role',
      'owner',
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      'weiloop: no merchant with slug "no-such-shop" (create it with: merchant add --slug no-such-shop --name …)\n',
    );
    const badRole = await weiloop(
      'user',
      'add',
      '--merchant',
      'cli-shop',
      '--email',
      'x@y.z',
      '--role',
      'king',
    );
    expect(badRole.stderr).toContain('--role must be one of');
    const badFlag = await weiloop('migrate', '--fast');
    expect(badFlag.code).toBe(1);
    expect(badFlag.stderr).toMatch(/^weiloop: .*--fast/);
  });
});
