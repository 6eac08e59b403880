import { Spin } from 'antd';
import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { type Account, get } from './api.ts';
import type { Lang } from './i18n.ts';
import { isPage, type Page } from './page-list.ts';
import { LoginPage } from './pages/LoginPage.tsx';
import type { Me } from './Shell.tsx';

// The signed-in console (layout, pages, charts) loads after the login form is up: a visitor
// who is not signed in downloads only what the form needs.
const Shell = lazy(() => import('./Shell.tsx'));

function currentPage(): Page {
  const hash = location.hash.replace(/^#\/?/, '');
  return isPage(hash) ? hash : 'dashboard';
}

const spinner = <Spin style={{ margin: 80 }} />;

export function App({ lang, onLang }: { lang: Lang; onLang: (lang: Lang) => void }) {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const [page, setPage] = useState<Page>(currentPage());
  const [accounts, setAccounts] = useState<Account[]>([]);
  const [accountId, setAccountId] = useState<string | undefined>();

  const load = useCallback(async () => {
    try {
      // Ask first, so a signed-out visit shows the login without a 401 in the browser console.
      const session = await get<{ signed_in: boolean }>('/auth/session');
      if (!session.signed_in) {
        setMe(null);
        return;
      }
      setMe(await get<Me>('/auth/me'));
      const list = await get<Account[]>('/accounts');
      setAccounts(list);
      setAccountId((current) => current ?? list[0]?.id);
    } catch {
      setMe(null);
    }
  }, []);

  useEffect(() => {
    void load();
    const onHash = () => setPage(currentPage());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, [load]);

  if (me === undefined) return spinner;
  if (me === null) return <LoginPage onLogin={load} />;
  return (
    <Suspense fallback={spinner}>
      <Shell
        me={me}
        page={page}
        accounts={accounts}
        accountId={accountId}
        lang={lang}
        onLang={onLang}
        onAccount={setAccountId}
        onReload={load}
        onSignedOut={() => setMe(null)}
      />
    </Suspense>
  );
}
