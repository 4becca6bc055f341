// Admin: canned responses agents insert with /shortcut.

import { api, optional } from '../api.js';
import { bootPage, table, input, act, h, clear } from '../page.js';
import { listOf } from '../session.js';

bootPage(async (root) => {
  root.append(h('div', { class: 'card' }, h('h2', { text: 'Canned responses' }), h('div', { id: 'canned-table' })));
  const form = h('form', { class: 'card', 'aria-label': 'Add a canned response' }, h('h2', { text: 'Add a canned response' }),
    h('div', { class: 'grid-form' },
      input('Shortcut', 'shortcut', { required: true, placeholder: 'hours' }), input('Title', 'title', { required: true }),
      input('Text', 'content', { required: true }),
      h('button', { type: 'submit', class: 'btn btn--primary', text: 'Save' })));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = Object.fromEntries(new FormData(form));
    body.shortcut = body.shortcut.replace(/^\//, '');
    if (await act(() => api('/api/canned-responses', { method: 'POST', body }), 'Saved')) { form.reset(); refresh(); }
  });
  root.append(form);
  await refresh();
});

async function refresh() {
  const box = clear(document.getElementById('canned-table'));
  const data = await optional('/api/canned-responses');
  if (data === null) { box.appendChild(h('p', { class: 'muted', text: 'The canned responses API is not available on this hub yet.' })); return; }
  box.appendChild(table(listOf(data, 'cannedResponses'), [
    { label: 'Shortcut', value: (c) => h('code', { class: 'code', text: `/${c.shortcut}` }) },
    { label: 'Title', value: (c) => c.title },
    { label: 'Text', wrap: true, value: (c) => c.content },
    { label: '', value: (c) => h('button', { type: 'button', class: 'btn btn--small btn--danger', text: 'Delete', 'aria-label': `Delete /${c.shortcut}`,
      onclick: async () => { if (await act(() => api(`/api/canned-responses/${c.id}`, { method: 'DELETE' }), 'Deleted') !== undefined) refresh(); } }) },
  ], 'No canned responses yet.'));
}
