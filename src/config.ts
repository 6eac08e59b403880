import { dirname, join, resolve } from 'node:path';
import type { DatabaseConfig } from './platform/db/database.ts';
import type { MasterKeySource } from './platform/vault/master-key.ts';

export interface Config {
  port: number;
  host: string;
  /** `postgres://…` or a SQLite file path. */
  database: DatabaseConfig;
  redisUrl: string | null;
  /** Prefix of every Redis key, so several deployments (or test files) can share one Redis. */
  redisPrefix: string;
  publicUrl: string;
  logLevel: string;
  /** Run the fake WeChat API, Pay and phone page inside this process at /sim. */
  simulator: boolean;
  /** Where WeChat's API lives: the real one in production, the simulator otherwise. */
  wechatApiBase: string;
  /** Seed the demo merchant when the database is empty. */
  demo: boolean;
  /** Run the job worker inside `serve`. */
  worker: boolean;
  /** Openids per mass-send call: WeChat's 10,000 at most; smaller only to exercise batching. */
  massSendBatch: number;
  bodyLimitBytes: number;
  /**
   * Which proxies' X-Forwarded-For to believe for the client's IP (per-IP sign-in limits, logs):
   * false (none: the socket's address), true (any), a hop count, or addresses/CIDRs.
   */
  trustProxy: boolean | number | string;
  version: string;
  /** The master key that wraps every merchant's data key: WEILOOP_MASTER_KEY, else a key file. */
  masterKey: MasterKeySource;
}

export class ConfigError extends Error {}

function intSetting(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

function boolSetting(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'on', 'yes'].includes(raw)) return true;
  if (['0', 'false', 'off', 'no'].includes(raw)) return false;
  throw new ConfigError(`${name} must be on or off, got "${env[name]}"`);
}

function urlSetting(name: string, raw: string, protocols: string[]): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL: "${raw}"`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(`${name} must start with ${protocols.join(' or ')}, got "${url.protocol}"`);
  }
  return url;
}

function trustProxySetting(env: NodeJS.ProcessEnv): Config['trustProxy'] {
  const raw = env.TRUST_PROXY?.trim();
  if (!raw) return false;
  if (/^\d+$/.test(raw)) return Number(raw);
  const lower = raw.toLowerCase();
  if (['on', 'true', 'yes', '1'].includes(lower)) return true;
  if (['off', 'false', 'no', '0'].includes(lower)) return false;
  return raw;
}

export const VERSION = '0.1.0';

/** Whether only this machine can reach an address the server listens on. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Beside the SQLite file (backed up with it, never inside it); ./data for PostgreSQL. */
const keyDirectory = (database: DatabaseConfig) =>
  database.kind === 'sqlite' && database.path !== ':memory:' ? dirname(database.path) : 'data';

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const port = intSetting(env, 'PORT', 3000, 0, 65535);
  const host = env.HOST || '127.0.0.1';
  const databaseUrl = env.DATABASE_URL?.trim();
  let database: Config['database'];
  if (databaseUrl && /^postgres(ql)?:/.test(databaseUrl)) {
    urlSetting('DATABASE_URL', databaseUrl, ['postgres:', 'postgresql:']);
    database = { kind: 'postgres', url: databaseUrl };
  } else if (databaseUrl) {
    const path = databaseUrl.replace(/^sqlite:(\/\/)?/, '');
    database = { kind: 'sqlite', path: path === ':memory:' ? path : resolve(path) };
  } else {
    database = { kind: 'sqlite', path: resolve(env.SQLITE_PATH || 'data/weiloop.db') };
  }
  const redisUrl = env.REDIS_URL?.trim() || null;
  if (redisUrl) urlSetting('REDIS_URL', redisUrl, ['redis:', 'rediss:']);
  const effectivePort = overrides.port ?? port;
  const publicUrl = (env.PUBLIC_URL || `http://127.0.0.1:${effectivePort}`).replace(/\/+$/, '');
  urlSetting('PUBLIC_URL', publicUrl, ['http:', 'https:']);
  // The simulator lets anyone who reaches it play WeChat (be any fan, pay): on by default only when
  // nobody but this machine can reach the server.
  const simulator = boolSetting(env, 'SIMULATOR', isLoopback(host));
  const wechatApiBase = (
    env.WECHAT_API_BASE || (simulator ? `${publicUrl}/sim` : 'https://api.weixin.qq.com')
  ).replace(/\/+$/, '');
  urlSetting('WECHAT_API_BASE', wechatApiBase, ['http:', 'https:']);
  return {
    port,
    host,
    database,
    redisUrl,
    redisPrefix: env.REDIS_PREFIX || 'weiloop:',
    publicUrl,
    logLevel: env.LOG_LEVEL || 'info',
    simulator,
    wechatApiBase,
    demo: boolSetting(env, 'DEMO', true),
    worker: boolSetting(env, 'WORKER', true),
    bodyLimitBytes: intSetting(env, 'BODY_LIMIT_BYTES', 1_048_576, 1024, 64 * 1_048_576),
    trustProxy: trustProxySetting(env),
    massSendBatch: intSetting(env, 'MASS_SEND_BATCH', 10_000, 2, 10_000),
    version: VERSION,
    masterKey: {
      env: env.WEILOOP_MASTER_KEY?.trim() || null,
      file: resolve(
        env.WEILOOP_MASTER_KEY_FILE || join(keyDirectory(overrides.database ?? database), 'master.key'),
      ),
    },
    ...overrides,
  };
}
