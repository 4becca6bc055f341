// Admin: company settings (branding, chat, routing, visibility, archiving).

import { api } from '../api.js';
import { bootPage, input, act, h } from '../page.js';
import { store } from '../store.js';
import { applyBranding } from '../theme.js';

bootPage(async (root) => {
  const company = store.company || await api(`/api/companies/${store.me.companyId}`);
  const s = company.settings || {};
  const theme = s.theme || {}; const chat = s.chat || {}; const routing = s.routing || {};
  const form = h('form', { class: 'card', 'aria-label': 'Company settings' },
    h('h2', { text: company.name || 'Company' }),
    h('div', { class: 'grid-form' },
      input('Primary colour', 'primary', { type: 'color', value: theme.primary || '#2563eb' }),
      input('Logo URL', 'logo', { value: theme.logo || '', placeholder: 'https://…' }),
      input('File sharing', 'fileSharing', { options: [['true', 'Allowed'], ['false', 'Disabled']], value: String(chat.fileSharing !== false) }),
      input('Max file size (MB)', 'maxFileSize', { type: 'number', value: Math.round((chat.maxFileSize || 10485760) / 1048576) }),
      input('Routing', 'rule', { options: [['round_robin', 'Round-robin'], ['least_open', 'Least open conversations'], ['manual', 'Manual pick-up']], value: routing.rule || 'round_robin' }),
      input('Agents see', 'visibility', { options: [['all', 'All conversations'], ['assigned', 'Only their own']], value: s.visibility || 'all' }),
      input('Archive closed after (days)', 'archiveAfterDays', { type: 'number', value: s.archiveAfterDays ?? 30 }),
      h('button', { type: 'submit', class: 'btn btn--primary', text: 'Save settings' })));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = Object.fromEntries(new FormData(form));
    const body = {
      theme: { primary: f.primary, logo: f.logo || null },
      chat: { ...chat, fileSharing: f.fileSharing === 'true', maxFileSize: Number(f.maxFileSize) * 1048576 },
      routing: { ...routing, rule: f.rule }, visibility: f.visibility,
      archiveAfterDays: Number(f.archiveAfterDays),
    };
    const out = await act(() => api(`/api/companies/${company.id}/settings`, { method: 'PUT', body }), 'Settings saved');
    if (out) applyBranding({ ...company, settings: out.settings || out });
  });
  root.append(form);
});
