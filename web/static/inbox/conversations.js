// Left panel: the conversation list with filters, search and infinite scroll.

import { api, errorText } from './api.js';
import { h, clear, $, shortTime, debounce, toast } from './dom.js';
import { store, on, upsertConversation, sortedConversations, userName } from './store.js';
import { channelIcon, channelLabel } from './icons.js';
import { listOf } from './session.js';

const PAGE_SIZE = 30;
const state = { page: 0, totalPages: 1, loading: false, generation: 0, filters: {} };
let onOpen = () => {};

export function initConversations(openConversation) {
  onOpen = openConversation;
  const form = $('#filters');
  form.addEventListener('submit', (e) => e.preventDefault());
  const reload = debounce(() => reset(), 250);
  form.addEventListener('input', reload);
  form.addEventListener('change', reload);
  const saved = JSON.parse(sessionStorage.getItem('hub.filters') || '{}');
  for (const [k, v] of Object.entries(saved)) if (form.elements[k]) form.elements[k].value = v;

  const sentinel = $('#conversation-sentinel');
  new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) loadMore();
  }, { root: $('#conversation-list').parentElement, rootMargin: '200px' }).observe(sentinel);

  on('conversation', () => renderSoon());
  on('users', () => renderSoon());
  reset();
}

function readFilters() {
  const f = $('#filters').elements;
  const filters = {
    q: f.q.value.trim(), status: f.status.value, channel: f.channel.value,
    tag: f.tag.value.trim(), scope: f.scope.value,
  };
  sessionStorage.setItem('hub.filters', JSON.stringify(filters));
  return filters;
}

function query(filters, page) {
  const q = { page, limit: PAGE_SIZE, status: filters.status, channel: filters.channel,
              tag: filters.tag, q: filters.q };
  if (filters.scope === 'mine') q.assignee = 'me';
  if (filters.scope === 'unassigned') q.assignee = 'unassigned';
  return q;
}

/** Whether a conversation belongs in the list under the current filters (for live updates). */
export function matchesFilters(c) {
  const f = state.filters;
  if (f.status && c.status !== f.status) return false;
  if (f.channel && (c.platform || (c.channel && c.channel.kind)) !== f.channel) return false;
  if (f.tag && !(c.tags || []).includes(f.tag)) return false;
  if (f.scope === 'mine' && c.agentId !== store.me.id) return false;
  if (f.scope === 'unassigned' && c.agentId) return false;
  if (f.q) {
    const hay = [c.contact && c.contact.name, c.contact && c.contact.phone, c.lastMessage, c.subject]
      .filter(Boolean).join(' ').toLowerCase();
    if (!hay.includes(f.q.toLowerCase())) return false;
  }
  return true;
}

async function reset() {
  state.filters = readFilters();
  state.page = 0;
  state.totalPages = 1;
  state.generation += 1;
  for (const [id] of store.conversations) if (id !== store.currentId) store.conversations.delete(id);
  render();
  await loadMore();
}

async function loadMore() {
  if (state.loading || state.page >= state.totalPages) return;
  state.loading = true;
  const generation = state.generation;
  $('#conversation-sentinel').dataset.loading = 'true';
  try {
    const data = await api('/api/chat/sessions', { query: query(state.filters, state.page + 1) });
    if (generation !== state.generation) return; // filters changed meanwhile
    state.page += 1;
    state.totalPages = data.totalPages || Math.ceil((data.totalCount || 0) / PAGE_SIZE) || state.page;
    for (const c of listOf(data, 'sessions')) upsertConversation(c);
  } catch (err) {
    toast(`Conversations not loaded: ${errorText(err)}`, 'error');
    state.totalPages = state.page; // stop the scroll loop; a filter change retries
  } finally {
    state.loading = false;
    $('#conversation-sentinel').dataset.loading = 'false';
    render();
  }
  // Fill a tall screen: keep loading while the sentinel is still in view.
  const sentinel = $('#conversation-sentinel');
  const list = $('#conversation-list').parentElement;
  if (state.page < state.totalPages && sentinel.getBoundingClientRect().top < list.getBoundingClientRect().bottom + 200) {
    loadMore();
  }
}

let pending = false;
function renderSoon() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => { pending = false; render(); });
}

export function render() {
  const list = $('#conversation-list');
  const items = sortedConversations().filter((c) => c.id === store.currentId || matchesFilters(c));
  clear(list);
  for (const c of items) list.appendChild(item(c));
  $('#conversation-empty').hidden = items.length > 0 || state.loading;
}

function item(c) {
  const kind = c.platform || (c.channel && c.channel.kind) || 'internal';
  const name = (c.contact && (c.contact.name || c.contact.phone)) || c.subject || 'Conversation';
  const active = c.id === store.currentId;
  const assignee = userName(c.agentId);
  const link = h('a', {
    class: 'conv', href: `/chat/${encodeURIComponent(c.id)}`,
    'aria-current': active ? 'true' : null, dataset: { id: c.id },
    'aria-label': `${name}, ${channelLabel(kind)}${c.unreadCount ? `, ${c.unreadCount} unread` : ''}`,
    onclick: (e) => {
      if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
      e.preventDefault();
      onOpen(c.id);
    },
  },
  h('span', { class: 'conv__avatar', 'aria-hidden': 'true', text: initials(name) }, channelIcon(kind, 16)),
  h('span', { class: 'conv__body' },
    h('span', { class: 'conv__top' },
      h('span', { class: 'conv__name', text: name }),
      h('time', { class: 'conv__time', datetime: c.lastActivity || '', text: shortTime(c.lastActivity) })),
    h('span', { class: 'conv__last', text: c.lastMessage || '' }),
    h('span', { class: 'conv__meta' },
      h('span', { class: `pill pill--${c.status}`, text: c.status === 'active' ? 'open' : c.status }),
      assignee ? h('span', { class: 'conv__assignee', text: `→ ${assignee}` }) : h('span', { class: 'conv__assignee muted', text: 'unassigned' }),
      (c.tags || []).slice(0, 2).map((t) => h('span', { class: 'tag', text: t })),
      c.unreadCount ? h('span', { class: 'badge badge--inline', text: String(c.unreadCount), 'aria-hidden': 'true' }) : null)));
  return h('li', {}, link);
}

function initials(name) {
  const parts = String(name).trim().split(/\s+/).filter(Boolean);
  return ((parts[0] || '?')[0] + (parts[1] ? parts[1][0] : '')).toUpperCase();
}
