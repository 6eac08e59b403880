/**
 * A member-card program with one level and 100 points to ¥1, nothing earned by check-in or review
 * and nothing expiring: the plainest card, for tests that only need points to exist.
 */
export function pointsCardProgram(
  names: { card: string; level: string } = { card: '积分卡', level: '普通会员' },
) {
  return {
    name: names.card,
    cover_url: '',
    color: '#7c2d12',
    terms: '',
    levels: [
      {
        key: 'basic',
        name: names.level,
        min_spend: 0,
        min_points: 0,
        earn_rate: 1,
        discount_pct: 0,
        free_shipping: false,
        birthday_gift: '',
        store_perks: {},
      },
    ],
    points_per_yuan: 100,
    excluded_categories: [],
    checkin_points: 0,
    review_points: 0,
    expiry_days: 0,
    issue_on_first_order: false,
    topup_rules: [],
    status: 'active',
  };
}
