// The clerk's redeem page: sign in once, then type or scan a code, check it, redeem with one tap.
(() => {
  const $ = (id) => document.getElementById(id);
  const api = async (method, path, body) => {
    const response = await fetch(`/api/v1${path}`, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok)
      throw Object.assign(new Error(data.error?.message ?? '出错了'), { status: response.status });
    return data;
  };
  const showError = (message) => {
    $('error').textContent = message;
  };
  // The bar's own display:flex would beat the hidden attribute, so it is toggled by style.
  const showBar = (visible) => {
    $('redeem-bar').style.display = visible ? '' : 'none';
  };
  showBar(false);
  const money = (fen) => `¥${(fen / 100).toFixed(2)}`;
  const when = (ms) => new Date(ms).toLocaleString('zh-CN', { hour12: false });

  async function start() {
    try {
      const store = await api('GET', '/clerk/store');
      $('store').textContent = store.name;
      $('login').hidden = true;
      $('desk').hidden = false;
      $('code').focus();
      showScan();
    } catch (error) {
      if (error.status === 401) $('login').hidden = false;
      else showError(error.message);
    }
  }

  $('sign-in').addEventListener('click', async () => {
    showError('');
    try {
      await api('POST', '/auth/login', {
        email: $('login').querySelector('[name="email"]').value.trim(),
        password: $('login').querySelector('[name="password"]').value,
      });
      await start();
    } catch (error) {
      showError(error.message);
    }
  });

  // What the redeem button acts on: a voucher (12 digits) or a pickup order (10 digits).
  let current = null;
  const resultBox = () => {
    const box = $('result');
    box.hidden = false;
    box.replaceChildren();
    return (text, className) => {
      const div = document.createElement('div');
      div.textContent = text;
      if (className) div.className = className;
      box.append(div);
    };
  };
  const buyer = (openid) => `买家 ${openid.slice(0, 4)}…${openid.slice(-4)}`;

  function render(check) {
    const v = check.voucher;
    current = check.redeemable ? { kind: 'voucher', code: v.code } : null;
    const line = resultBox();
    line(v.title, '');
    line(`${money(v.price)} · ${buyer(v.openid)}`, 'muted');
    line(v.valid_until ? `有效期至 ${when(v.valid_until)}` : '长期有效', 'muted');
    if (v.status === 'redeemed') line(`已核销 ${when(v.redeemed_at)}`, 'error');
    else if (!check.redeemable) line(check.reason ?? '不可核销', 'error');
    else line('可以核销', 'ok');
    $('redeem').textContent = '确认核销';
    showBar(check.redeemable);
  }

  function renderPickup(check) {
    const o = check.order;
    current = check.collectable ? { kind: 'pickup', code: o.pickup_code } : null;
    const line = resultBox();
    line('到店自提订单', '');
    for (const item of o.items) line(`${item.title} ${item.spec_text} ×${item.quantity}`, '');
    line(`${money(o.total)} · ${buyer(o.openid)}`, 'muted');
    if (o.collected_at) line(`已提货 ${when(o.collected_at)}`, 'error');
    else if (!check.collectable) line(check.reason ?? '不可提货', 'error');
    else line('可以提货', 'ok');
    $('redeem').textContent = '确认提货';
    showBar(check.collectable);
  }

  const isPickup = (code) => code.replace(/\D/g, '').length === 10;

  async function lookup(code) {
    showError('');
    showBar(false);
    try {
      if (isPickup(code)) renderPickup(await api('POST', '/clerk/pickup/check', { code }));
      else render(await api('POST', '/clerk/check', { code }));
    } catch (error) {
      $('result').hidden = true;
      showError(error.message);
    }
  }

  $('lookup').addEventListener('submit', (event) => {
    event.preventDefault();
    lookup($('code').value);
  });

  $('redeem').addEventListener('click', async () => {
    if (!current) return;
    const { kind, code } = current;
    $('redeem').disabled = true;
    try {
      if (kind === 'pickup') {
        const order = await api('POST', '/clerk/pickup/collect', { code });
        renderPickup({ order, collectable: false, reason: null });
      } else {
        const v = await api('POST', '/clerk/redeem', { code });
        render({ voucher: v, redeemable: false, reason: null });
      }
      $('result').prepend(
        Object.assign(document.createElement('div'), {
          className: 'ok',
          textContent: kind === 'pickup' ? '提货成功 ✓' : '核销成功 ✓',
        }),
      );
      $('code').value = '';
      $('code').focus();
    } catch (error) {
      showError(error.message);
    } finally {
      $('redeem').disabled = false;
    }
  });

  // Inside WeChat, WeChat's own scanner (JS-SDK scanQRCode, after wx.config with the server's
  // signature); elsewhere the browser's QR reader where it has one; always the typed code.
  const inWeChat = /MicroMessenger/i.test(navigator.userAgent);
  const canDetect = 'BarcodeDetector' in window && Boolean(navigator.mediaDevices);
  function showScan() {
    if (window.wx?.scanQRCode || canDetect) $('scan').hidden = false;
  }
  if (inWeChat && !window.wx) {
    const sdk = document.createElement('script');
    sdk.src = 'https://res.wx.qq.com/open/js/jweixin-1.6.0.js';
    sdk.onload = showScan;
    document.head.append(sdk);
  }
  // WeChat (and the simulator's phone) announce the bridge once the page can use it.
  document.addEventListener('WeixinJSBridgeReady', showScan);

  let wxReady = null;
  function configureWx() {
    wxReady ??= (async () => {
      const url = location.href.split('#')[0];
      const signed = await api('GET', `/clerk/jssdk?url=${encodeURIComponent(url)}`);
      await new Promise((resolve, reject) => {
        window.wx.config({ debug: false, ...signed, jsApiList: ['scanQRCode'] });
        window.wx.ready(resolve);
        window.wx.error((res) => reject(new Error(res?.errMsg ?? '微信签名失败')));
      });
    })().catch((error) => {
      wxReady = null;
      throw error;
    });
    return wxReady;
  }

  async function scanInWeChat() {
    await configureWx();
    return new Promise((resolve, reject) =>
      window.wx.scanQRCode({
        needResult: 1,
        scanType: ['qrCode', 'barCode'],
        success: (res) =>
          resolve(
            String(res.resultStr ?? '')
              .split(',')
              .pop(),
          ),
        fail: (res) => reject(new Error(res?.errMsg ?? '扫码失败')),
        cancel: () => reject(new Error('已取消扫码')),
      }),
    );
  }

  async function scanWithCamera() {
    const video = $('camera');
    const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    const detector = new window.BarcodeDetector({ formats: ['qr_code'] });
    return new Promise((resolve) => {
      const tick = async () => {
        const [found] = await detector.detect(video).catch(() => []);
        if (!found) return requestAnimationFrame(tick);
        for (const track of stream.getTracks()) track.stop();
        video.hidden = true;
        resolve(found.rawValue);
      };
      tick();
    });
  }

  $('scan').addEventListener('click', async () => {
    showError('');
    try {
      const code = window.wx?.scanQRCode ? await scanInWeChat() : await scanWithCamera();
      $('code').value = code;
      await lookup(code);
    } catch (error) {
      showError(`${error.message}，请输入券码`);
      $('code').focus();
    }
  });

  if ($('login').dataset.signedIn === '1') start();
  else $('login').hidden = false;
})();
