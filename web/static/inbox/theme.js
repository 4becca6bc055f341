// Light/dark theme from the user's settings, and the company's branding (colour, logo).

const media = window.matchMedia('(prefers-color-scheme: dark)');
let preference = localStorage.getItem('hub.theme') || 'system';

function resolved(pref) {
  if (pref === 'light' || pref === 'dark') return pref;
  return media.matches ? 'dark' : 'light';
}

export function applyTheme(pref) {
  preference = ['light', 'dark', 'system'].includes(pref) ? pref : 'system';
  localStorage.setItem('hub.theme', preference);
  document.documentElement.dataset.theme = resolved(preference);
  document.documentElement.dataset.themePreference = preference;
}

export const themePreference = () => preference;

media.addEventListener('change', () => applyTheme(preference));
applyTheme(preference); // before the first paint of data, from the last known choice

const HEX = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;

/** Primary colour and logo from company settings (theme.primary, theme.logo). */
export function applyBranding(company) {
  const theme = (company && company.settings && company.settings.theme) || {};
  const root = document.documentElement;
  if (typeof theme.primary === 'string' && HEX.test(theme.primary)) {
    root.style.setProperty('--primary', theme.primary);
  }
  const name = document.getElementById('brand-name');
  if (name && company && company.name) name.textContent = company.name;
  const logo = document.getElementById('brand-logo');
  const mark = document.getElementById('brand-mark');
  if (logo && typeof theme.logo === 'string' && /^(https:|\/|data:image\/)/.test(theme.logo)) {
    logo.src = theme.logo;
    logo.alt = '';
    logo.hidden = false;
    if (mark) mark.hidden = true;
  }
}
