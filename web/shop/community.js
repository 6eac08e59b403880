// The members' board: post and reply through the shop API (JSON only), then show the board again.
(() => {
  const form = document.getElementById('post-form');
  if (!form) return;
  const { appid } = form.dataset;
  const errorBox = document.getElementById('error');

  async function post(body) {
    const response = await fetch(`/shop/${appid}/api/community/posts`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error((await response.json()).error?.message ?? '发布失败');
  }

  async function submit(event, body, button) {
    event.preventDefault();
    errorBox.textContent = '';
    button.disabled = true;
    try {
      await post(body);
      location.reload();
    } catch (error) {
      errorBox.textContent = error.message;
      button.disabled = false;
    }
  }

  form.addEventListener('submit', (event) => {
    const text = form.querySelector('[name="text"]').value.trim();
    const images = form.querySelector('[name="images"]').value.split(/\s+/).filter(Boolean);
    submit(event, { text, images }, form.querySelector('button'));
  });
  for (const reply of document.querySelectorAll('.reply-form')) {
    reply.addEventListener('submit', (event) => {
      const text = reply.querySelector('[name="text"]').value.trim();
      submit(event, { text, parent_id: reply.dataset.parent }, reply.querySelector('button'));
    });
  }
})();
