// The inbox SPA: session, header, the three panels, routing with the History API, live events.

import { $, toast } from './dom.js';
import { loadSession } from './session.js';
import { initHeader } from './header.js';
import { store, upsertConversation, on } from './store.js';
import { initConversations, render as renderList } from './conversations.js';
import { initThread, openThread } from './thread.js';
import { initComposer } from './composer.js';
import { initTemplates } from './templates.js';
import { initContactPanel, showContact } from './contact-panel.js';
import { startLive } from './live.js';
import { api, errorText } from './api.js';

const inbox = () => $('#main');

function idFromPath() {
  const m = /^\/chat\/([^/]+)\/?$/.exec(location.pathname);
  return m ? decodeURIComponent(m[1]) : null;
}

/** Narrow screens show one panel at a time: list, thread or contact. */
function setView(view) {
  inbox().dataset.view = view;
}

async function open(id, { push = true } = {}) {
  if (push && idFromPath() !== id) history.pushState({ id }, '', id ? `/chat/${encodeURIComponent(id)}` : '/chat');
  setView(id ? 'thread' : 'list');
  await openThread(id);
  renderList();
  showContact(id);
  if (id) {
    const c = store.conversations.get(id);
    document.title = `${(c && c.contact && c.contact.name) || 'Conversation'} · Inbox`;
  } else {
    document.title = 'Inbox · Hub';
  }
}

function bindLayout() {
  $('#back-to-list').addEventListener('click', () => open(null));
  $('#contact-back').addEventListener('click', () => setView('thread'));
  const toggle = $('#toggle-contact');
  const wide = () => window.matchMedia('(min-width: 900px)').matches;
  toggle.addEventListener('click', () => {
    if (!wide()) { setView('contact'); return; }
    const hidden = inbox().classList.toggle('contact-hidden');
    toggle.setAttribute('aria-expanded', String(!hidden));
    localStorage.setItem('hub.contactHidden', hidden ? '1' : '');
  });
  if (localStorage.getItem('hub.contactHidden')) {
    inbox().classList.add('contact-hidden');
    toggle.setAttribute('aria-expanded', 'false');
  }
  window.addEventListener('popstate', () => open(idFromPath(), { push: false }));
}

async function reloadAll() {
  // Too much was missed while offline: refetch the list and the open thread.
  const f = $('#filters');
  f.dispatchEvent(new Event('change'));
  if (store.currentId) await openThread(store.currentId);
}

async function boot() {
  try {
    await loadSession();
  } catch (err) {
    if (err.status !== 401 && err.message !== 'not signed in') toast(errorText(err), 'error');
    return;
  }
  await initHeader();
  initThread();
  initComposer();
  initTemplates();
  initContactPanel();
  bindLayout();
  initConversations((id) => open(id));
  startLive(reloadAll);
  // What changed between the first page load and the socket going live: fetch the list again.
  let refreshed = false;
  on('link', (state) => {
    if (state === 'online' && !refreshed) { refreshed = true; $('#filters').dispatchEvent(new Event('change')); }
  });
  const id = idFromPath();
  if (id) {
    history.replaceState({ id }, '', location.pathname);
    await open(id, { push: false });
  }
  document.body.dataset.ready = 'true';
}

export { api, upsertConversation };
boot();
