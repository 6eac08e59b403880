import { Tabs } from 'antd';
import type { Account } from '../api.ts';
import { CommunityArticles } from './CommunityArticles.tsx';
import { CommunityBoard } from './CommunityBoard.tsx';
import { CommunityMembership } from './CommunityMembership.tsx';
import { useTr } from './crmText.ts';

/** Community: articles, the paid membership and its sales, board moderation. */
export function CommunityPage({ accounts }: { accounts: Account[] }) {
  const tr = useTr();
  return (
    <Tabs
      items={[
        {
          key: 'articles',
          label: tr('文章', 'Articles'),
          children: <CommunityArticles accounts={accounts} />,
        },
        { key: 'membership', label: tr('付费会员', 'Paid membership'), children: <CommunityMembership /> },
        { key: 'board', label: tr('社区管理', 'Board moderation'), children: <CommunityBoard /> },
      ]}
    />
  );
}
