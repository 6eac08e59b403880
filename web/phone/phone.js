// The simulator's phone: chat with an official account as a fan, the way WeChat shows it.
(() => {
  const $ = (selector) => document.querySelector(selector);
  const base = document.body.dataset.sim;
  const state = {
    appid: '',
    openid: localStorage.getItem('sim-openid') || 'o_demo_fan_1',
    app: null,
    seen: 0,
    share: null,
  };

  async function json(url, options) {
    const response = await fetch(url, options);
    const body = await response.json();
    if (response.status === 401) showSignIn();
    if (!response.ok) throw new Error(body.error?.message ?? `HTTP ${response.status}`);
    return body;
  }

  // Playing a fan takes a console sign-in of the merchant that owns the account.
  function showSignIn() {
    const note = document.createElement('div');
    note.className = 'system';
    note.id = 'sign-in';
    const link = document.createElement('a');
    link.href = '/console/';
    link.target = '_blank';
    link.textContent = '请先登录该公众号所属商户的控制台，再刷新本页 / Sign in to the console, then reload';
    note.append(link);
    if (!$('#sign-in')) $('#chat').replaceChildren(note);
  }

  function setFan(openid) {
    state.openid = openid;
    localStorage.setItem('sim-openid', openid);
    // WeChat knows who holds the phone: pages opened from chat sign in as this fan.
    // biome-ignore lint/suspicious/noDocumentCookie: the simulated OAuth reads this plain cookie
    document.cookie = `sim_fan=${encodeURIComponent(openid)}; path=/; SameSite=Lax`;
    $('#openid').value = openid;
    state.seen = 0;
    $('#chat').replaceChildren();
  }

  function linkify(parent, text) {
    const pattern = /<a href="([^"]+)">([^<]*)<\/a>/g;
    let last = 0;
    for (const match of text.matchAll(pattern)) {
      parent.append(text.slice(last, match.index));
      const a = document.createElement('a');
      a.href = match[1];
      a.textContent = match[2];
      a.addEventListener('click', (event) => {
        event.preventDefault();
        openPage(match[1]);
      });
      parent.append(a);
      last = match.index + match[0].length;
    }
    parent.append(text.slice(last));
  }

  function bubble(entry) {
    const row = document.createElement('div');
    row.className = `msg ${entry.from === 'fan' ? 'me' : 'them'}`;
    const box = document.createElement('div');
    box.className = 'bubble';
    const m = entry.message;
    if (entry.from === 'fan') {
      box.textContent =
        m.type === 'text'
          ? m.content
          : m.type === 'location'
            ? `[位置] ${m.label || `${m.latitude},${m.longitude}`}`
            : `[${({ subscribe: '关注', unsubscribe: '取消关注', click: '点击菜单', scan: '扫码' })[m.type] ?? m.type}] ${m.key ?? m.ticket ?? ''}`;
    } else if (m.type === 'text') {
      linkify(box, m.content);
    } else if (m.type === 'news') {
      for (const article of m.articles ?? []) {
        const card = document.createElement('div');
        card.className = 'news';
        const title = document.createElement('b');
        title.textContent = article.title;
        const description = document.createElement('div');
        description.className = 'muted';
        description.textContent = article.description ?? '';
        card.append(title, description);
        card.addEventListener('click', () => article.url && openPage(article.url));
        box.append(card);
      }
    } else if (m.type === 'template') {
      box.className = 'bubble template';
      const title = document.createElement('b');
      title.textContent = m.data?.first?.value ?? '模板消息';
      box.append(title);
      for (const [key, value] of Object.entries(m.data ?? {})) {
        if (key === 'first') continue;
        const line = document.createElement('div');
        line.textContent = value.value;
        box.append(line);
      }
      if (m.url) box.addEventListener('click', () => openPage(m.url));
    } else {
      box.textContent = `[${m.type}]`;
    }
    row.append(box);
    return row;
  }

  async function refresh() {
    if (!state.appid) return;
    try {
      const entries = await json(
        `${base}/apps/${state.appid}/fans/${encodeURIComponent(state.openid)}/transcript`,
      );
      const chat = $('#chat');
      for (const entry of entries.slice(state.seen)) chat.append(bubble(entry));
      if (entries.length !== state.seen) chat.scrollTop = chat.scrollHeight;
      state.seen = entries.length;
      const fans = await json(`${base}/apps/${state.appid}/fans`);
      const me = fans.find((f) => f.openid === state.openid);
      $('#follow').textContent = me?.subscribed ? '取消关注' : '关注';
    } catch {
      // The fan is new: nothing to show yet.
    }
  }

  async function act(action) {
    $('#error').textContent = '';
    try {
      await json(`${base}/apps/${state.appid}/fans/${encodeURIComponent(state.openid)}/actions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(action),
      });
    } catch (error) {
      $('#error').textContent = error.message;
    }
    await refresh();
  }

  function renderMenu() {
    const menu = $('#menu');
    menu.replaceChildren();
    for (const button of state.app?.menu ?? []) {
      const item = document.createElement('div');
      item.className = 'menu-item';
      const label = document.createElement('button');
      label.textContent = button.name;
      item.append(label);
      const leaves = button.sub_button?.length ? button.sub_button : null;
      if (leaves) {
        const list = document.createElement('div');
        list.className = 'sub';
        for (const leaf of leaves) {
          const sub = document.createElement('button');
          sub.textContent = leaf.name;
          sub.addEventListener('click', () => press(leaf));
          list.append(sub);
        }
        item.append(list);
        label.addEventListener('click', () => list.classList.toggle('open'));
      } else {
        label.addEventListener('click', () => press(button));
      }
      menu.append(item);
    }
  }

  function press(button) {
    if (button.type === 'view') openPage(button.url);
    else if (button.type === 'location_select') sendLocation();
    else act({ type: 'click', key: button.key });
  }

  function sendLocation() {
    const value = prompt('发送位置（纬度,经度）', '32.0417,118.7843');
    if (!value) return;
    const [latitude, longitude] = value.split(',').map(Number);
    act({ type: 'location', latitude, longitude, label: '我的位置' });
  }

  // Each fan has their own WeChat: the first shop page a fan opens on this phone signs in through
  // OAuth again, so a page never shows the previous fan's session after the phone changed hands.
  const signedInAs = {};
  function openPage(url) {
    let target = url;
    try {
      const parsed = new URL(url, location.href);
      const shop = /^\/shop\/([^/]+)\//.exec(parsed.pathname);
      if (parsed.origin === location.origin && shop && signedInAs[shop[1]] !== state.openid) {
        signedInAs[shop[1]] = state.openid;
        target = `/shop/${shop[1]}/oauth?next=${encodeURIComponent(parsed.pathname + parsed.search)}`;
      }
    } catch {
      // Not a URL the phone can parse: open it as it is.
    }
    $('#browser-frame').src = target;
    $('#browser').hidden = false;
  }

  // WeChat's in-app browser gives pages the JS-SDK: a page of this server (same origin) gets a
  // `wx` whose config is checked by the simulator like WeChat checks it, and whose scanQRCode
  // asks the person holding the phone what the camera sees.
  function jsSdkFor(page) {
    let verified = null;
    const ready = [];
    const failed = [];
    return {
      config(cfg) {
        const url = page.location.href.split('#')[0];
        verified = json(`${base}/jssdk/verify`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ...cfg, url }),
        }).then(
          (r) => r,
          () => ({ ok: false, errMsg: 'config:fail' }),
        );
        verified.then((r) => {
          for (const fn of r.ok ? ready : failed) fn(r.ok ? undefined : { errMsg: r.errMsg });
        });
      },
      ready(fn) {
        if (verified) verified.then((r) => r.ok && fn());
        else ready.push(fn);
      },
      error(fn) {
        if (verified) verified.then((r) => !r.ok && fn({ errMsg: r.errMsg }));
        else failed.push(fn);
      },
      async scanQRCode(options) {
        const result = verified ? await verified : { ok: false };
        if (!result.ok) return options.fail?.({ errMsg: 'scanQRCode:permission denied' });
        const seen = prompt('微信扫一扫：摄像头看到的二维码内容');
        if (!seen) return options.cancel?.({ errMsg: 'scanQRCode:cancel' });
        options.success?.({ errMsg: 'scanQRCode:ok', resultStr: seen.trim() });
      },
    };
  }

  $('#browser-frame').addEventListener('load', () => {
    try {
      const page = $('#browser-frame').contentWindow;
      if (!page || page.location.origin !== location.origin || page.wx) return;
      page.wx = jsSdkFor(page);
      page.document.dispatchEvent(new page.Event('WeixinJSBridgeReady'));
    } catch {
      // Another origin's page: no JS-SDK from this phone.
    }
  });

  async function loadApps() {
    const apps = await json(`${base}/apps`);
    const select = $('#account');
    select.replaceChildren(
      ...apps.map((app) => {
        const option = document.createElement('option');
        option.value = app.appId;
        option.textContent = `${app.name}（${app.type === 'service' ? '服务号' : '订阅号'}）`;
        return option;
      }),
    );
    const wanted = new URLSearchParams(location.search).get('appid');
    if (wanted) select.value = wanted;
    await chooseApp(select.value);
  }

  async function chooseApp(appid) {
    state.appid = appid;
    state.app = appid ? await json(`${base}/apps/${appid}`) : null;
    state.seen = 0;
    $('#chat').replaceChildren();
    $('#title').textContent = state.app?.name ?? '';
    const codes = Object.entries(state.app?.qrcodes ?? {});
    $('#scan').hidden = codes.length === 0;
    renderMenu();
    await refresh();
  }

  $('#account').addEventListener('change', (event) => chooseApp(event.target.value));
  $('#openid').addEventListener('change', (event) => setFan(event.target.value.trim() || 'o_demo_fan_1'));
  $('#send').addEventListener('submit', (event) => {
    event.preventDefault();
    const text = $('#text').value.trim();
    if (!text) return;
    $('#text').value = '';
    act({ type: 'text', content: text });
  });
  $('#location').addEventListener('click', sendLocation);
  // A store clerk's phone: the redeem page, with WeChat's scanner.
  $('#clerk').addEventListener('click', () => openPage('/clerk'));
  $('#follow').addEventListener('click', () =>
    act({ type: $('#follow').textContent === '关注' ? 'subscribe' : 'unsubscribe' }),
  );
  $('#scan').addEventListener('click', () => {
    const codes = Object.entries(state.app?.qrcodes ?? {});
    const list = codes.map(([, code], i) => `${i + 1}. ${code.scene}`).join('\n');
    const pick = Number(prompt(`扫描哪个渠道二维码？\n${list}`, '1'));
    const chosen = codes[pick - 1];
    if (chosen) act({ type: 'scan', ticket: chosen[0] });
  });
  // A page in the browser set its share card through the JS-SDK: the fan may now send it to a
  // friend, who opens it in their own WeChat (the phone becomes that friend).
  window.addEventListener('message', (event) => {
    if (event.source !== $('#browser-frame').contentWindow) return;
    const data = event.data;
    if (data?.source !== 'weiloop-sim-jssdk' || data.kind !== 'share') return;
    state.share = data.data;
    $('#share-friend').hidden = false;
  });
  $('#share-friend').addEventListener('click', () => {
    const card = state.share;
    if (!card?.link) return;
    const friend = prompt(
      `把「${card.title}」发送给哪位朋友？（好友的 openid）`,
      `o_friend_${Date.now() % 10000}`,
    );
    if (!friend?.trim()) return;
    setFan(friend.trim());
    state.share = null;
    $('#share-friend').hidden = true;
    openPage(card.link);
  });
  $('#close-browser').addEventListener('click', () => {
    state.share = null;
    $('#share-friend').hidden = true;
    $('#browser').hidden = true;
    $('#browser-frame').src = 'about:blank';
    refresh();
  });

  setFan(state.openid);
  loadApps().catch(() => {});
  setInterval(refresh, 1000);
})();
