// Join and check-in post with no body: the shop takes JSON or nothing, never a form.
for (const button of document.querySelectorAll('button[data-post]')) {
  button.addEventListener('click', async () => {
    button.disabled = true;
    const response = await fetch(button.dataset.post, { method: 'POST', credentials: 'same-origin' });
    if (response.ok) return location.reload();
    button.disabled = false;
    const box = document.getElementById('post-error');
    if (box) box.textContent = (await response.json().catch(() => ({}))).error?.message ?? '操作失败';
  });
}

// The member card page: the birthday (once) and rewards bought with points, through the shop API.
(() => {
  const page = document.getElementById('member-card');
  if (!page) return;
  const api = `/shop/${page.dataset.appid}/api/loyalty`;
  const errorBox = document.getElementById('card-error');
  async function send(method, path, body) {
    const response = await fetch(`${api}${path}`, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error((await response.json()).error?.message ?? '操作失败');
  }
  const run = async (work) => {
    errorBox.textContent = '';
    try {
      await work();
      location.reload();
    } catch (error) {
      errorBox.textContent = error.message;
    }
  };
  document.getElementById('birthday-form')?.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = event.target.querySelector('[name="birthday"]').value; // YYYY-MM-DD from the date input
    run(() => send('PUT', '/birthday', { birthday: value.slice(5, 10) }));
  });
  for (const button of document.querySelectorAll('button[data-reward]')) {
    button.addEventListener('click', () =>
      run(() => send('POST', `/rewards/${button.dataset.reward}/redeem`)),
    );
  }
})();
