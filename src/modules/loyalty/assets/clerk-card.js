// The clerk's member-card till: sign in once, scan the fan's card QR, see the card, charge it.
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
  const money = (fen) => `¥${(fen / 100).toFixed(2)}`;
  const digits = (s) => s.replace(/\D/g, '');
  let code = null;

  function result(lines) {
    const box = $('result');
    box.hidden = false;
    box.replaceChildren(
      ...lines.map(([text, className]) =>
        Object.assign(document.createElement('div'), { textContent: text, className }),
      ),
    );
  }
  function reset() {
    code = null;
    $('charge').hidden = true;
    $('reward').hidden = true;
  }

  async function start() {
    try {
      // The same sign-in as the voucher page; the store, when the clerk is bound to one.
      const store = await api('GET', '/clerk/store').catch((error) => {
        if (error.status === 401) throw error;
        return null;
      });
      if (store) $('store').textContent = store.name;
      $('login').hidden = true;
      $('desk').hidden = false;
      $('code').focus();
      if ('BarcodeDetector' in window && navigator.mediaDevices) $('scan').hidden = false;
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

  async function lookup(raw) {
    showError('');
    reset();
    const typed = digits(raw);
    // Reward codes are 10 digits; card codes 18 (the QR the fan's card page shows).
    if (typed.length === 10) {
      code = typed;
      result([
        [`礼品兑换码 ${typed}`, ''],
        ['核对后点击发放', 'muted'],
      ]);
      $('reward').hidden = false;
      return;
    }
    try {
      const card = await api('POST', '/loyalty/charge/check', { code: typed });
      code = typed;
      result([
        [`会员卡 ${card.number} · ${card.level}`, ''],
        [`储值余额 ${money(card.balance)} · 积分 ${card.points}`, 'ok'],
        [
          `会员码 ${Math.max(0, Math.round((card.expires_at - Date.now()) / 1000))} 秒内有效，仅可使用一次`,
          'muted',
        ],
      ]);
      $('charge').hidden = false;
      $('amount').focus();
    } catch (error) {
      $('result').hidden = true;
      showError(error.message);
    }
  }

  $('lookup').addEventListener('submit', (event) => {
    event.preventDefault();
    lookup($('code').value);
  });

  $('charge').addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!code) return;
    const yuan = $('amount').value.trim();
    if (yuan && !/^\d+(\.\d{1,2})?$/.test(yuan)) return showError('金额格式不对，如 12.50');
    const amount = yuan ? Math.round(Number(yuan) * 100) : 0;
    const points = Number(digits($('points').value) || 0);
    $('confirm-charge').disabled = true;
    try {
      const card = await api('POST', '/loyalty/charge', {
        code,
        amount,
        points,
        note: $('note').value.trim(),
      });
      result([
        ['扣款成功 ✓', 'ok'],
        [`${amount ? `储值 -${money(amount)} ` : ''}${points ? `积分 -${points}` : ''}`, ''],
        [`余额 ${money(card.balance)} · 积分 ${card.points}`, 'muted'],
      ]);
      reset();
      for (const id of ['amount', 'points', 'note', 'code']) $(id).value = '';
      $('code').focus();
    } catch (error) {
      showError(error.message);
    } finally {
      $('confirm-charge').disabled = false;
    }
  });

  $('fulfil').addEventListener('click', async () => {
    if (!code) return;
    try {
      await api('POST', '/loyalty/redemptions/fulfil', { code });
      result([['礼品已发放 ✓', 'ok']]);
      reset();
      $('code').value = '';
    } catch (error) {
      showError(error.message);
    }
  });

  // Phones whose browser reads QR codes natively scan with the camera; others type the code.
  $('scan').addEventListener('click', async () => {
    const video = $('camera');
    const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    const detector = new window.BarcodeDetector({ formats: ['qr_code'] });
    const tick = async () => {
      const [found] = await detector.detect(video).catch(() => []);
      if (!found) return requestAnimationFrame(tick);
      for (const track of stream.getTracks()) track.stop();
      video.hidden = true;
      $('code').value = found.rawValue;
      lookup(found.rawValue);
    };
    tick();
  });

  start();
})();
