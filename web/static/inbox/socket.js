// The live connection: /ws?token=..., reconnect with exponential backoff, catch-up by lastEventId.

import { getToken } from './api.js';

const LAST_ID_KEY = 'hub.lastEventId';
const MAX_DELAY_MS = 30000;
const BASE_DELAY_MS = 500;
const ACTIVITY_EVERY_MS = 60000;
const READY_FALLBACK_MS = 1500;

export class LiveSocket {
  /** onEvent(event) gets every server event; onState('connecting'|'online'|'offline') the link. */
  constructor({ onEvent, onState, onAuthFailed }) {
    this.onEvent = onEvent;
    this.onState = onState || (() => {});
    this.onAuthFailed = onAuthFailed || (() => {});
    this.attempt = 0;
    this.ws = null;
    this.timer = null;
    this.stopped = false;
    const saved = Number(sessionStorage.getItem(LAST_ID_KEY));
    this.lastEventId = Number.isFinite(saved) && saved > 0 ? saved : null;
  }

  url() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const params = new URLSearchParams({ token: getToken() || '' });
    if (this.lastEventId) params.set('lastEventId', String(this.lastEventId));
    return `${proto}//${location.host}/ws?${params}`;
  }

  start() {
    this.stopped = false;
    this.connect();
    // Presence: the server counts an agent away after inactivity; tell it we are here.
    let lastActivity = 0;
    const active = () => {
      const now = Date.now();
      if (now - lastActivity > ACTIVITY_EVERY_MS && this.send({ type: 'activity' })) lastActivity = now;
    };
    for (const name of ['keydown', 'pointerdown', 'focus']) window.addEventListener(name, active, { passive: true });
    window.addEventListener('online', () => this.reconnectNow());
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden && (!this.ws || this.ws.readyState > 1)) this.reconnectNow();
    });
  }

  connect() {
    clearTimeout(this.timer);
    this.onState('connecting');
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch (err) {
      this.schedule();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      // Live once the server says `ready` (catch-up done); a server without it: shortly after.
      clearTimeout(this.readyTimer);
      this.readyTimer = setTimeout(() => this.markReady(ws), READY_FALLBACK_MS);
    };
    ws.onmessage = (ev) => this.receive(ev.data);
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.onState('offline');
      // 4401/4403 and 1008: the server refused the token; reconnecting will not help.
      if ([4401, 4403, 1008].includes(ev.code)) {
        this.onAuthFailed(ev);
        return;
      }
      this.schedule();
    };
    ws.onerror = () => { /* onclose follows and schedules the retry */ };
  }

  receive(raw) {
    let msg;
    try { msg = JSON.parse(raw); } catch { return; }
    if (!msg || typeof msg !== 'object') return;
    if (typeof msg.id === 'number') {
      if (this.lastEventId && msg.id <= this.lastEventId && msg.type !== 'reload') return; // seen
      this.lastEventId = msg.id;
      sessionStorage.setItem(LAST_ID_KEY, String(msg.id));
    }
    if (msg.type === 'ready') this.markReady(this.ws);
    if (msg.type === 'ready' && Number.isFinite(msg.lastEventId)) {
      // Live events start after this id; remember it so a reconnect resumes from here.
      if (!this.lastEventId || msg.lastEventId > this.lastEventId) {
        this.lastEventId = msg.lastEventId;
        sessionStorage.setItem(LAST_ID_KEY, String(msg.lastEventId));
      }
      return;
    }
    if (msg.type === 'pong') return;
    if (msg.type === 'reload') {
      // Our gap is older than the server's history: start fresh from the current state.
      this.lastEventId = msg.lastEventId || msg.id || null;
      if (this.lastEventId) sessionStorage.setItem(LAST_ID_KEY, String(this.lastEventId));
      else sessionStorage.removeItem(LAST_ID_KEY);
    }
    this.onEvent(msg);
  }

  markReady(ws) {
    clearTimeout(this.readyTimer);
    if (ws !== this.ws || this.ready === ws) return;
    this.ready = ws;
    this.onState('online');
  }

  schedule() {
    if (this.stopped) return;
    const delay = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** this.attempt);
    this.attempt += 1;
    const jitter = Math.random() * delay * 0.3;
    this.timer = setTimeout(() => this.connect(), delay + jitter);
  }

  reconnectNow() {
    if (this.stopped || (this.ws && this.ws.readyState <= 1)) return;
    this.attempt = 0;
    this.connect();
  }

  send(obj) {
    if (this.ws && this.ws.readyState === 1) {
      this.ws.send(JSON.stringify(obj));
      return true;
    }
    return false;
  }

  /** Drop the link as a network failure would (tests and "reconnect" in the UI use it). */
  drop() {
    if (this.ws) this.ws.close();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close();
  }
}
