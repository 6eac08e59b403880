import { describe, expect, it } from 'vitest';
import { hashToken } from '../../platform/auth/secrets.ts';
import { type Cache, memoryCache } from '../../platform/cache/cache.ts';
import { createLocalState } from '../../platform/local-state.ts';
import { cachedApiToken, forgetApiToken } from './api-token-cache.ts';

// Two processes sharing one Redis: an in-process cache standing in for it, marked as Redis.
const sharedRedis = (): Cache => ({ ...memoryCache(() => 0), kind: 'redis' });

describe('the API-token cache', () => {
  it('reads the database once per token, and a revocation stops the token here at once and elsewhere within a second', async () => {
    const cache = sharedRedis();
    const a = { local: createLocalState(), cache };
    const b = { local: createLocalState(), cache };
    let revoked = false;
    let reads = 0;
    const resolve = async () => {
      reads++;
      return revoked ? null : { merchantId: 'mch_1' };
    };
    expect(await cachedApiToken(a, 0, 'wl_x', resolve)).toEqual({ merchantId: 'mch_1' });
    expect(await cachedApiToken(a, 100, 'wl_x', resolve)).toEqual({ merchantId: 'mch_1' });
    expect(await cachedApiToken(b, 100, 'wl_x', resolve)).toEqual({ merchantId: 'mch_1' });
    expect(reads).toBe(2);

    // Process b revokes (the database says so from now on) and forgets the token.
    revoked = true;
    await forgetApiToken(b, hashToken('wl_x'));
    expect(await cachedApiToken(b, 200, 'wl_x', resolve)).toBeNull();
    // Process a checks the shared epoch at most once a second: by then it has dropped the token.
    expect(await cachedApiToken(a, 1_100, 'wl_x', resolve)).toBeNull();
  });

  it('clears other processes even when the shared epoch was lost (key expired, Redis restarted empty)', async () => {
    const cache = sharedRedis();
    const a = { local: createLocalState(), cache };
    const b = { local: createLocalState(), cache };
    let revoked = false;
    const resolve = async () => (revoked ? null : { merchantId: 'mch_1' });
    await forgetApiToken(b, hashToken('wl_other'));
    expect(await cachedApiToken(a, 0, 'wl_w', resolve)).toEqual({ merchantId: 'mch_1' });
    // Redis forgets the epoch a saw; then b revokes wl_w. A counter would be back at the value a saw.
    await cache.delete('tenants:api_token_epoch');
    revoked = true;
    await forgetApiToken(b, hashToken('wl_w'));
    expect(await cachedApiToken(a, 1_000, 'wl_w', resolve)).toBeNull();
  });

  it('does not keep a token whose read began before it was revoked', async () => {
    const deps = { local: createLocalState(), cache: memoryCache() };
    let release: () => void = () => {};
    const slowRead = cachedApiToken(deps, 0, 'wl_y', async () => {
      await new Promise<void>((r) => {
        release = r;
      });
      return { merchantId: 'mch_1' };
    });
    await forgetApiToken(deps, 'whatever was revoked');
    release();
    await slowRead;
    let reads = 0;
    await cachedApiToken(deps, 10, 'wl_y', async () => {
      reads++;
      return null;
    });
    expect(reads).toBe(1);
  });

  it('never keeps a refusal: a token is read again until it is valid', async () => {
    const deps = { local: createLocalState(), cache: memoryCache() };
    let reads = 0;
    const none = async () => {
      reads++;
      return null;
    };
    await cachedApiToken(deps, 0, 'wl_z', none);
    await cachedApiToken(deps, 1, 'wl_z', none);
    expect(reads).toBe(2);
  });
});
