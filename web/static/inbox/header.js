// The top bar: branding, notifications, own presence, theme, sign out, live-link state.

import { api, optional, clearToken, errorText } from './api.js';
import { h, clear, $, shortTime, toast } from './dom.js';
import { store, on, emit } from './store.js';
import { applyTheme, applyBranding, themePreference } from './theme.js';
import { saveUserSettings, listOf, isAdmin } from './session.js';

const notifications = new Map();
let unread = 0;

export async function initHeader() {
  applyBranding(store.company);
  const theme = (store.userSettings && store.userSettings.theme) || themePreference();
  applyTheme(theme);
  $('#me-name').textContent = store.me.name || store.me.email;
  document.querySelectorAll('[data-admin-only]').forEach((el) => { el.hidden = !isAdmin(); });
  const page = document.body.dataset.page || '';
  document.querySelectorAll('[data-nav]').forEach((a) => {
    if (page.startsWith(a.dataset.nav)) a.setAttribute('aria-current', 'page');
  });
  initTheme();
  initPresence();
  initNotifications();
  $('#logout-button').addEventListener('click', () => {
    clearToken();
    sessionStorage.clear();
    location.assign('/login');
  });
  on('link', setLinkState);
}

function setLinkState(state) {
  const box = $('#conn-state');
  if (!box) return;
  box.dataset.state = state;
  box.querySelector('.conn__text').textContent =
    state === 'online' ? 'Live' : state === 'connecting' ? 'Connecting…' : 'Offline, retrying';
}

function initTheme() {
  const select = $('#theme-select');
  select.value = themePreference();
  select.addEventListener('change', async () => {
    applyTheme(select.value);
    try {
      await saveUserSettings({ theme: select.value });
    } catch (err) {
      toast(`Theme not saved: ${errorText(err)}`, 'error');
    }
  });
}

function initPresence() {
  const select = $('#presence-select');
  select.value = ['online', 'away', 'offline'].includes(store.me.status) ? store.me.status : 'online';
  select.dataset.status = select.value;
  select.addEventListener('change', async () => {
    try {
      await api(`/api/users/${store.me.id}/status`, { method: 'PUT', body: { status: select.value } });
      store.me.status = select.value;
      select.dataset.status = select.value;
    } catch (err) {
      toast(`Status not changed: ${errorText(err)}`, 'error');
      select.value = store.me.status || 'online';
    }
  });
  on('presence', (p) => {
    if (p && p.userId === store.me.id && p.status) {
      select.value = p.status;
      select.dataset.status = p.status;
    }
  });
}

async function initNotifications() {
  const button = $('#notif-button');
  const panel = $('#notif-panel');
  button.addEventListener('click', () => {
    panel.hidden = !panel.hidden;
    button.setAttribute('aria-expanded', String(!panel.hidden));
  });
  document.addEventListener('click', (e) => {
    if (!panel.hidden && !panel.contains(e.target) && !button.contains(e.target)) {
      panel.hidden = true;
      button.setAttribute('aria-expanded', 'false');
    }
  });
  $('#notif-read-all').addEventListener('click', async () => {
    try {
      await api('/api/notifications/read-all', { method: 'PUT' });
      for (const n of notifications.values()) n.read = true;
      unread = 0;
      render();
    } catch (err) {
      toast(errorText(err), 'error');
    }
  });
  on('notification', (n) => {
    if (!n || !n.id || notifications.has(n.id)) return;
    notifications.set(n.id, n);
    if (!n.read) unread += 1;
    render();
  });
  const data = await optional('/api/notifications').catch(() => null);
  for (const n of listOf(data, 'notifications')) notifications.set(n.id, n);
  unread = data && Number.isFinite(data.unreadCount)
    ? data.unreadCount : [...notifications.values()].filter((n) => !n.read).length;
  render();
}

function render() {
  const badge = $('#notif-count');
  badge.hidden = unread <= 0;
  badge.textContent = unread > 99 ? '99+' : String(unread);
  $('#notif-button').setAttribute('aria-label', `Notifications, ${unread} unread`);
  const list = clear($('#notif-list'));
  const items = [...notifications.values()].sort((a, b) => (b.timestamp || '').localeCompare(a.timestamp || ''));
  if (!items.length) list.appendChild(h('li', { class: 'muted notif__empty', text: 'Nothing new.' }));
  for (const n of items.slice(0, 50)) {
    list.appendChild(h('li', { class: `notif__item${n.read ? '' : ' is-unread'}` },
      h('div', { class: 'notif__title', text: n.title || n.type || 'Notification' }),
      h('div', { class: 'notif__msg', text: n.message || '' }),
      h('div', { class: 'notif__foot' },
        h('time', { text: shortTime(n.timestamp) }),
        n.read ? null : h('button', {
          type: 'button', class: 'link-btn', text: 'Mark read',
          'aria-label': `Mark notification ${n.title || ''} read`,
          onclick: () => markRead(n),
        }))));
  }
}

async function markRead(n) {
  try {
    await api(`/api/notifications/${n.id}/read`, { method: 'PUT' });
    n.read = true;
    unread = Math.max(0, unread - 1);
    render();
  } catch (err) {
    toast(errorText(err), 'error');
  }
}

export { emit };
