// Community pages: join a plan (an order, then the order page's pay sheet), post, reply and report
// on the board. Every write goes to the shop API as JSON (or with no body), never as a form.
(() => {
  const box = document.getElementById('plans') ?? document.getElementById('post-form');
  if (!box) return;
  const { appid } = box.dataset;
  const errorBox = document.getElementById('error');
  const showError = (message) => {
    if (errorBox) errorBox.textContent = message;
  };

  async function call(path, body) {
    const response = await fetch(`/shop/${appid}/api/community${path}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json();
    if (!response.ok) throw new Error(data.error?.message ?? '出错了，请稍后再试');
    return data;
  }

  async function run(button, work) {
    showError('');
    button.disabled = true;
    try {
      await work();
    } catch (error) {
      showError(error.message);
      button.disabled = false;
    }
  }

  for (const button of document.querySelectorAll('button[data-plan]')) {
    button.addEventListener('click', () =>
      run(button, async () => {
        const order = await call(`/plans/${button.dataset.plan}/join`);
        location.href = `/shop/${appid}/orders/${order.id}`;
      }),
    );
  }

  const form = document.getElementById('post-form');
  if (form) {
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = form.querySelector('[name="text"]').value.trim();
      const images = form.querySelector('[name="images"]').value.split(/\s+/).filter(Boolean);
      run(form.querySelector('button'), async () => {
        await call('/posts', { text, images });
        location.reload();
      });
    });
  }
  for (const reply of document.querySelectorAll('.reply-form')) {
    reply.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = reply.querySelector('[name="text"]').value.trim();
      run(reply.querySelector('button'), async () => {
        await call('/posts', { text, parent_id: reply.dataset.parent });
        location.reload();
      });
    });
  }
  for (const button of document.querySelectorAll('button[data-report]')) {
    button.addEventListener('click', () =>
      run(button, async () => {
        await call(`/posts/${button.dataset.report}/report`, { reason: '会员举报' });
        button.textContent = '已举报';
      }),
    );
  }
})();
