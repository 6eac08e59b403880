import { createContext, useContext } from 'react';

export type Lang = 'zh' | 'en';

const EN: Record<string, string> = {
  登录: 'Sign in',
  邮箱: 'Email',
  密码: 'Password',
  经营看板: 'Dashboard',
  公众号: 'Accounts',
  自动回复: 'Replies',
  自定义菜单: 'Menu',
  渠道二维码: 'Channel QR codes',
  粉丝: 'Followers',
  退出: 'Sign out',
  新增粉丝: 'New followers',
  粉丝来源: 'Followers by source',
  收到消息: 'Messages in',
  回复消息: 'Replies out',
  消息收发: 'Messages in / out',
  下单与支付: 'Orders placed vs paid',
  销售额: 'Sales',
  下单: 'Placed',
  支付: 'Paid',
  接入公众号: 'Connect an account',
  校验服务器地址: 'Check callback',
  新建规则: 'New rule',
  测试: 'Test',
  保存草稿: 'Save draft',
  发布到微信: 'Publish to WeChat',
  新建二维码: 'New QR code',
  下载: 'Download',
  商品: 'Products',
  门店: 'Stores',
  订单: 'Orders',
  评价: 'Reviews',
  新建商品: 'New product',
  新建门店: 'New store',
  '导出 CSV': 'Export CSV',
  '导入 CSV': 'Import CSV',
  客服消息: 'Inbox',
  会员: 'Members',
  今日关怀: 'Care list',
  分群: 'Segments',
  标签: 'Tags',
};

export const LangContext = createContext<Lang>('zh');

/** zh-CN first; English when switched. Unknown strings fall back to Chinese. */
export function useT() {
  const lang = useContext(LangContext);
  return (zh: string) => (lang === 'en' ? (EN[zh] ?? zh) : zh);
}

/** Whether the signed-in role may change things (owner, operator); agents and clerks look only. */
export const CanEditContext = createContext(true);
export const useCanEdit = () => useContext(CanEditContext);
