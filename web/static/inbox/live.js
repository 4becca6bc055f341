// Server events -> the store. Accepts the hub's event names and the seed documents' names.

import { LiveSocket } from './socket.js';
import { store, emit, upsertConversation, upsertMessage } from './store.js';
import { api } from './api.js';
import { toast } from './dom.js';

let socket = null;
let onReload = () => {};

/** Start the live link; `reload()` is called when the server says our gap is too old. */
export function startLive(reload) {
  onReload = reload;
  socket = new LiveSocket({
    onEvent: handle,
    onState: (s) => emit('link', s),
    onAuthFailed: async () => {
      // A refused token: api() sends to the login page if it is really gone.
      try { await api('/api/auth/me'); setTimeout(() => socket.reconnectNow(), 2000); } catch { /* redirected */ }
    },
  });
  socket.start();
  window.hubSocket = socket; // for the console and the browser tests' drop/reconnect check
  return socket;
}

function messageOf(data) {
  return data && (data.message || data);
}

export function handle(ev) {
  const data = ev.data;
  switch (ev.type) {
    case 'reload':
      onReload();
      return;
    case 'message.created':
    case 'message.updated':
    case 'new_message':
    case 'message': {
      const m = messageOf(data);
      if (!m || !m.id) return;
      if (!m.conversationId) m.conversationId = ev.conversationId || m.sessionId;
      upsertMessage(m);
      bumpConversation(m, ev.type !== 'message.updated');
      return;
    }
    case 'conversation.created':
    case 'conversation.updated':
    case 'conversation_updated':
    case 'session_update': {
      const c = (data && (data.conversation || data.session)) || data;
      if (c && c.id) upsertConversation(c);
      return;
    }
    case 'typing':
      emit('typing', { conversationId: ev.conversationId, ...(data || {}) });
      return;
    case 'presence':
      if (data && data.userId) {
        const u = store.users.get(data.userId);
        if (u) store.users.set(data.userId, { ...u, status: data.status, lastActive: data.lastActive });
        emit('presence', data);
        emit('users');
      }
      return;
    case 'notification.created':
    case 'notification': {
      const n = (data && data.notification) || data;
      emit('notification', n);
      if (n && n.title && store.userSettings && store.userSettings.notifications
          && store.userSettings.notifications.desktop === false) return;
      if (n && n.title) toast(n.title);
      return;
    }
    default:
  }
}

function bumpConversation(m, isNew) {
  const id = m.conversationId;
  const c = store.conversations.get(id);
  if (!c) {
    // A conversation we have not loaded (new, or beyond the first page): fetch it.
    api(`/api/chat/sessions/${encodeURIComponent(id)}`).then(upsertConversation).catch(() => {});
    return;
  }
  if (!isNew || m.isPrivate) return;
  const patch = { id, lastMessage: m.content || (m.attachments && m.attachments.length ? '📎 attachment' : c.lastMessage) };
  if (!c.lastActivity || (m.timestamp && m.timestamp > c.lastActivity)) patch.lastActivity = m.timestamp;
  if (m.direction === 'in' && id !== store.currentId && !m.read) patch.unreadCount = (c.unreadCount || 0) + 1;
  upsertConversation(patch);
}
