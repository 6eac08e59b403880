import type { NoticeKind } from './notices.schema.ts';

/**
 * What each notice kind can say: the variables a merchant's field texts may use, the fields sent
 * when the merchant maps only a template id (WeChat's classic first / keyword1… / remark), and,
 * for kinds a fan expects even without a template, a customer-service text (sent only inside
 * WeChat's 48-hour window).
 */
export interface KindSpec {
  label: { zh: string; en: string };
  variables: readonly string[];
  defaultFields: Record<string, string>;
  chat?: string;
}

const ORDER_VARS = ['order_id', 'items', 'first_item', 'total', 'next_step', 'link'] as const;

export const KINDS: Record<NoticeKind, KindSpec> = {
  order_paid: {
    label: { zh: '订单支付成功', en: 'Order paid' },
    variables: ORDER_VARS,
    defaultFields: {
      first: '您的订单已支付成功',
      keyword1: '{order_id}',
      keyword2: '{items}',
      keyword3: '{total}',
      remark: '{next_step}',
    },
  },
  order_shipped: {
    label: { zh: '订单发货', en: 'Order shipped' },
    variables: [...ORDER_VARS, 'carrier', 'tracking_no'],
    defaultFields: {
      first: '您的订单已发货',
      keyword1: '{order_id}',
      keyword2: '{carrier}',
      keyword3: '{tracking_no}',
      remark: '收到后直接回复本公众号说说感受，即可完成评价。',
    },
  },
  order_refunded: {
    label: { zh: '退款成功', en: 'Refunded' },
    variables: ORDER_VARS,
    defaultFields: {
      first: '您的退款已原路退回',
      keyword1: '{order_id}',
      keyword2: '{total}',
      remark: '到账时间以微信支付为准。',
    },
  },
  voucher_issued: {
    label: { zh: '团购券到账', en: 'Vouchers issued' },
    variables: ['order_id', 'vouchers', 'count', 'link'],
    defaultFields: {
      first: '您的团购券已到账',
      keyword1: '{vouchers}',
      keyword2: '{count} 张',
      remark: '到店出示券码即可使用。',
    },
    chat: '您的团购券已到账，到店出示券码即可使用：\n{vouchers}\n<a href="{link}">查看二维码</a>',
  },
  unpaid_reminder: {
    label: { zh: '待付款提醒', en: 'Unpaid reminder' },
    variables: ORDER_VARS,
    defaultFields: {
      first: '您的订单还未支付，稍后将自动取消',
      keyword1: '{order_id}',
      keyword2: '{items}',
      keyword3: '{total}',
      remark: '点击立即支付。',
    },
    chat: '您的订单（{first_item} 等，{total}）还未支付，稍后将自动取消。<a href="{link}">立即支付</a>',
  },
  birthday: {
    label: { zh: '生日祝福', en: 'Birthday' },
    variables: ['name', 'link'],
    defaultFields: {
      first: '{name}，生日快乐！',
      keyword1: '{name}',
      remark: '店里为您准备了一份生日心意。',
    },
  },
};

/** Fills `{variable}` placeholders; unknown names stay as typed, so a typo shows in the preview. */
export function fill(text: string, vars: Record<string, string>): string {
  return text.replace(/\{([a-z_]+)\}/g, (whole, name: string) => vars[name] ?? whole);
}

/** The field texts refer only to the kind's variables (checked when the merchant saves them). */
export function unknownVariables(kind: NoticeKind, fields: Record<string, string>): string[] {
  const known = new Set(KINDS[kind].variables);
  const unknown = new Set<string>();
  for (const text of Object.values(fields))
    for (const [, name] of text.matchAll(/\{([a-z_]+)\}/g)) if (!known.has(name!)) unknown.add(name!);
  return [...unknown];
}

/** WeChat's template data: each field as { value }; a value is at most 200 characters. */
export function templateData(fields: Record<string, string>, vars: Record<string, string>) {
  return Object.fromEntries(
    Object.entries(fields).map(([name, text]) => [name, { value: fill(text, vars).slice(0, 200) }]),
  );
}
