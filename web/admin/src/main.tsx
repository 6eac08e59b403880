import { ConfigProvider } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { type Lang, LangContext } from './i18n.ts';

function Root() {
  const [lang, setLang] = useState<Lang>(localStorage.getItem('weiloop-lang') === 'en' ? 'en' : 'zh');
  const switchLang = (next: Lang) => {
    localStorage.setItem('weiloop-lang', next);
    setLang(next);
  };
  return (
    <ConfigProvider locale={lang === 'en' ? enUS : zhCN} theme={{ token: { colorPrimary: '#07c160' } }}>
      <LangContext.Provider value={lang}>
        <App lang={lang} onLang={switchLang} />
      </LangContext.Provider>
    </ConfigProvider>
  );
}

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
