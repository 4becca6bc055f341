// The sign-in form: POST /api/auth/login, keep the token, go where the user was going.

import { api, setToken, getToken, errorText } from './api.js';
import './theme.js';

function nextPath() {
  const next = new URLSearchParams(location.search).get('next') || '/chat';
  // Only our own paths: "//evil.example" or "https://..." would leave the site.
  return /^\/(?!\/)/.test(next) && !next.startsWith('/login') ? next : '/chat';
}

const form = document.getElementById('login-form');
const error = document.getElementById('login-error');

if (getToken()) {
  api('/api/auth/me', { noRedirect: true }).then(() => location.replace(nextPath())).catch(() => {});
}

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  error.hidden = true;
  const button = document.getElementById('login-submit');
  button.disabled = true;
  try {
    const data = await api('/api/auth/login', {
      method: 'POST', noRedirect: true,
      body: { email: form.elements.email.value.trim(), password: form.elements.password.value },
    });
    setToken(data.accessToken);
    sessionStorage.removeItem('hub.lastEventId');
    location.replace(nextPath());
  } catch (err) {
    error.textContent = err.status === 401 ? 'Wrong email or password.' : errorText(err);
    error.hidden = false;
    button.disabled = false;
  }
});
