/**
 * The console's pages, in menu order. Its own small file so the login screen can read the URL's
 * page without loading the signed-in shell.
 */
export const PAGES = [
  'dashboard',
  'accounts',
  'replies',
  'menu',
  'qrcodes',
  'followers',
  'follower-stats',
  'inbox',
  'broadcasts',
  'members',
  'care',
  'segments',
  'tags',
  'catalog',
  'stores',
  'orders',
  'reviews',
  'coupons',
  'vouchers',
  'flash',
  'growth',
  'distribution',
  'loyalty',
  'community',
] as const;
export type Page = (typeof PAGES)[number];

export const isPage = (value: string): value is Page => (PAGES as readonly string[]).includes(value);
