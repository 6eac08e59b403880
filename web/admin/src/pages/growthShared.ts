import { useEffect, useState } from 'react';
import { get } from '../api.ts';

/** What the share and lucky-draw editors share: coupon campaigns to pick, links, dates. */
export interface CouponCampaign {
  id: string;
  name: string;
}

export const epoch = (v: unknown) => (v as { valueOf(): number }).valueOf();
export const shopLink = (appid: string | undefined, path: string) =>
  appid ? `${location.origin}/shop/${appid}${path}` : '';

export function useCoupons() {
  const [coupons, setCoupons] = useState<CouponCampaign[]>([]);
  useEffect(() => {
    void get<CouponCampaign[]>('/coupon-campaigns').then(setCoupons, () => setCoupons([]));
  }, []);
  return coupons;
}
