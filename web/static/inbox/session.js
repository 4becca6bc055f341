// Who is signed in: the profile, the company, and the user's own settings.

import { api, optional, getToken, goToLogin } from './api.js';
import { store } from './store.js';

// Paths the user-settings endpoint may live at; the first that answers is remembered.
const SETTINGS_PATHS = () => ['/api/users/me/settings'];
let settingsPath = null;

export async function loadSession() {
  if (!getToken()) {
    goToLogin();
    throw new Error('not signed in');
  }
  const me = await api('/api/auth/me');
  store.me = me;
  const [company, settings, users] = await Promise.all([
    me.companyId ? optional(`/api/companies/${me.companyId}`).catch(() => null) : null,
    loadUserSettings(me.id),
    optional('/api/users').catch(() => null),
  ]);
  store.company = company;
  store.userSettings = settings;
  for (const u of listOf(users, 'users')) store.users.set(u.id, u);
  store.users.set(me.id, { ...store.users.get(me.id), ...me });
  return me;
}

async function loadUserSettings(userId) {
  for (const path of SETTINGS_PATHS(userId)) {
    const data = await optional(path).catch(() => null);
    if (data) {
      settingsPath = path;
      return data.settings || data;
    }
  }
  return null;
}

/** Save part of the user's settings (e.g. {theme: 'dark'}); false when no endpoint exists. */
export async function saveUserSettings(patch) {
  if (!settingsPath) return false;
  const data = await api(settingsPath, { method: 'PUT', body: patch });
  store.userSettings = (data && (data.settings || data)) || { ...store.userSettings, ...patch };
  return true;
}

/** The items of a list answer, whatever its envelope ({key: []}, {items: []} or []). */
export function listOf(data, key) {
  if (!data) return [];
  if (Array.isArray(data)) return data;
  for (const k of [key, 'items', 'data', 'results']) {
    if (k && Array.isArray(data[k])) return data[k];
  }
  return [];
}

export const isAdmin = () => Boolean(store.me && store.me.role === 'admin');
