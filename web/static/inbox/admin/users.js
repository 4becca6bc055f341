// Admin: the company's users, their roles and presence; add a user.

import { api } from '../api.js';
import { bootPage, table, input, act, h, clear } from '../page.js';
import { listOf } from '../session.js';
import { shortTime } from '../dom.js';

bootPage(async (root) => {
  root.append(h('div', { class: 'card' }, h('h2', { text: 'Users' }), h('div', { id: 'user-list' })));
  const form = h('form', { class: 'card', 'aria-label': 'Add a user' }, h('h2', { text: 'Add a user' }),
    h('div', { class: 'grid-form' },
      input('Name', 'name', { required: true }), input('Email', 'email', { type: 'email', required: true }),
      input('Password (10+ characters)', 'password', { type: 'password', required: true }),
      input('Role', 'role', { options: [['support', 'Support agent'], ['admin', 'Admin'], ['user', 'User']], value: 'support' }),
      h('button', { type: 'submit', class: 'btn btn--primary', text: 'Add user' })));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = Object.fromEntries(new FormData(form));
    if (await act(() => api('/api/users', { method: 'POST', body }), 'User added')) { form.reset(); refresh(); }
  });
  root.append(form);
  await refresh();
});

async function refresh() {
  const data = await api('/api/users');
  clear(document.getElementById('user-list')).appendChild(table(listOf(data, 'users'), [
    { label: 'Name', value: (u) => u.name },
    { label: 'Email', value: (u) => u.email },
    { label: 'Role', value: (u) => u.role },
    { label: 'Status', value: (u) => h('span', { class: `pill pill--${u.status === 'online' ? 'active' : 'closed'}`, text: u.status || 'offline' }) },
    { label: 'Last active', value: (u) => shortTime(u.lastActive) },
  ]));
}
