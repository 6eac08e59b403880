import type { PassiveReply } from '../../wechat/messages.ts';
import type { CompiledRule } from './rule-matcher.ts';

/** The answer decided for one push. */
export interface Routed {
  rule: CompiledRule | null;
  reply: PassiveReply | null;
  /** Sent right after through the customer-service API: WeChat allows one passive reply. */
  followup?: PassiveReply | null;
  /** This message is the fan's review of what was delivered; written with the message. */
  review?: string;
}
