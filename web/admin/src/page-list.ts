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

/**
 * Pages only some roles can use (the API refuses the others): the menu leaves them out. Growth's
 * campaigns are the operators'; distribution shows agents (customer service) its list and tree.
 */
const PAGE_ROLES: Partial<Record<Page, readonly string[]>> = {
  // Sales figures: not a store clerk's (the clerk's page is /clerk on the phone).
  dashboard: ['owner', 'operator', 'agent'],
  growth: ['owner', 'operator'],
  // Follower analytics: operators and customer service read it; only operators pull from WeChat.
  'follower-stats': ['owner', 'operator', 'agent'],
  distribution: ['owner', 'operator', 'agent'],
};

export const canSeePage = (page: Page, role: string): boolean => PAGE_ROLES[page]?.includes(role) ?? true;
