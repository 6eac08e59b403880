import { useContext } from 'react';
import { LangContext } from '../i18n.ts';

/** CRM and inbox pages carry their English beside the Chinese, so they need no shared dictionary edits. */
export function useTr() {
  const lang = useContext(LangContext);
  return (zh: string, en: string) => (lang === 'en' ? en : zh);
}

export interface TagRef {
  id: string;
  name: string;
}

export interface MemberSummary {
  id: string;
  name: string | null;
  phone: string | null;
  region: string | null;
  gender: string | null;
  birthday: string | null;
  unionid: string | null;
  attrs: Record<string, unknown>;
  source_account_id: string | null;
  source_qrcode_id: string | null;
  first_contact_at: number | null;
  last_contact_at: number | null;
  order_count: number;
  spend: number;
  last_order_at: number | null;
  average_order_value: number;
  tags: TagRef[];
  created_at: number;
}

export interface Member extends MemberSummary {
  identities: Array<{ kind: string; value: string }>;
}

export interface TagInfo extends TagRef {
  sync: boolean;
  members: number;
  pending: number;
  wechat: Array<{ account_id: string; wechat_tag_id: number | null; state: string; error: string | null }>;
}

export interface AttributeDef {
  id: string;
  key: string;
  label: string;
  type: 'text' | 'number' | 'date' | 'choice' | 'boolean';
  options: string[] | null;
}

/** A member's display name: the name given, else the end of the first openid. */
export function memberName(m: Pick<MemberSummary, 'name' | 'id'>): string {
  return m.name ?? `会员 ${m.id.slice(-6)}`;
}
