// The simulator's WeChat JS-SDK (what res.wx.qq.com/open/js/jweixin serves in WeChat): wx.config
// is checked against the simulator's jsapi_ticket like WeChat does, and a page's share card is
// handed to the phone around it, which then lets the fan send it to a friend.
(() => {
  const sim = (document.currentScript?.src ?? '').replace(/\/assets\/jweixin\.js.*$/, '');
  const ready = [];
  const failed = [];
  let state = 'idle';
  let error = null;
  const tell = (kind, data) => {
    if (window.parent !== window) window.parent.postMessage({ source: 'weiloop-sim-jssdk', kind, data }, '*');
  };
  const settle = (ok, message) => {
    state = ok ? 'ready' : 'failed';
    error = ok ? null : { errMsg: `config:fail ${message}` };
    for (const fn of (ok ? ready : failed).splice(0)) fn(error ?? undefined);
  };
  const permitted = (api, options) => {
    if (state === 'ready') return true;
    options.fail?.({ errMsg: `${api}:fail permission denied` });
    return false;
  };
  const shareApi =
    (api, kind) =>
    (options = {}) => {
      if (!permitted(api, options)) return;
      tell(kind, {
        title: options.title ?? '',
        desc: options.desc ?? '',
        link: options.link ?? location.href,
      });
      options.success?.({ errMsg: `${api}:ok` });
    };
  window.wx = {
    config(c) {
      state = 'checking';
      fetch(`${sim}/jssdk/verify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          appId: c.appId,
          timestamp: c.timestamp,
          nonceStr: c.nonceStr,
          signature: c.signature,
          url: location.href.split('#')[0],
        }),
      })
        .then((r) => r.json())
        .then((body) => settle(body.ok === true, body.errmsg ?? 'invalid signature'))
        .catch(() => settle(false, 'network'));
    },
    ready(fn) {
      if (state === 'ready') fn();
      else ready.push(fn);
    },
    error(fn) {
      if (state === 'failed') fn(error);
      else failed.push(fn);
    },
    updateAppMessageShareData: shareApi('updateAppMessageShareData', 'share'),
    updateTimelineShareData: shareApi('updateTimelineShareData', 'timeline'),
    // WeChat's 扫一扫: the person holding the phone says what the camera sees.
    scanQRCode(options = {}) {
      if (!permitted('scanQRCode', options)) return;
      const seen = prompt('微信扫一扫：摄像头看到的二维码内容');
      if (!seen) return options.cancel?.({ errMsg: 'scanQRCode:cancel' });
      options.success?.({ errMsg: 'scanQRCode:ok', resultStr: seen.trim() });
    },
  };
})();
