// Settings: profile (name, bio, avatar), password, blocked accounts (when the API has
// blocks) and logging out.

import { session, request, put, get } from './api.js';
import { h, clear, field, showErrors, toast, avatar } from './dom.js';
import { requireLogin, logout } from './auth.js';
import { hasBlocks, block } from './actions.js';
import { pagedList, userRow } from './grid.js';

/** settingsView renders /settings. */
export function settingsView(main) {
  const page = h('section.page.settings-page', h('h1.page-title', 'Settings'));
  clear(main, page);
  document.title = 'Settings · gotok';
  if (!session.signedIn) {
    page.append(h('div.state.state-empty', h('p', 'Log in to change your profile and password.'),
      h('button.btn.primary', { type: 'button', onclick: () => requireLogin() }, 'Log in')));
    return null;
  }
  const me = session.user;
  page.append(profileForm(me), passwordForm(),
    h('section.card-section', h('h2', 'Session'), h('p.muted', 'Logging out ends your sessions on every device.'),
      h('button.btn.danger', { type: 'button', onclick: logout }, 'Log out')));
  hasBlocks().then((ok) => { if (ok && page.isConnected) page.append(blockedSection()); });
  return null;
}

function profileForm(me) {
  const name = field('Name', { name: 'name', maxlength: 50, value: me.name || '', autocomplete: 'name' });
  const bio = field('Bio', { name: 'bio', maxlength: 500, rows: 3 }, { textarea: true, hint: 'Up to 500 characters.' });
  bio.input.value = me.bio || '';
  const file = h('input', { type: 'file', name: 'avatar', id: 'avatar-file', accept: 'image/jpeg,image/png,image/webp,image/gif' });
  const pic = h('div.avatar-preview', avatar(me, 'lg'));
  let previewURL = '';
  file.addEventListener('change', () => {
    const f = file.files[0];
    if (previewURL) URL.revokeObjectURL(previewURL);
    if (!f) return;
    previewURL = URL.createObjectURL(f);
    clear(pic, h('img.avatar.avatar-lg', { src: previewURL, alt: 'New avatar preview' }));
  });
  const avatarField = h('div.field', h('label', { for: 'avatar-file' }, 'Avatar (JPEG, PNG, WebP or GIF, up to 5 MB)'), h('div.row', pic, file), h('p.field-error', { id: 'avatar-file-err' }));
  const alert = h('p.form-alert', { role: 'alert' });
  const ok = h('p.form-ok', { role: 'status' });
  const form = h('form.form.card-section', { novalidate: true }, h('h2', 'Profile'), avatarField, name.wrap, bio.wrap, alert, ok,
    h('button.btn.primary', { type: 'submit' }, 'Save profile'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    alert.textContent = '';
    ok.textContent = '';
    const data = new FormData();
    data.append('name', name.input.value.trim());
    data.append('bio', bio.input.value.trim());
    if (file.files[0]) data.append('avatar', file.files[0]);
    const btn = form.querySelector('[type=submit]');
    btn.disabled = true;
    try {
      const user = await request('PUT', `/api/users/${me.id}`, { body: data });
      session.updateUser(user);
      ok.textContent = 'Profile saved.';
      toast('Profile saved');
    } catch (err) {
      alert.textContent = showErrors(form, err);
    } finally {
      btn.disabled = false;
    }
  });
  return form;
}

function passwordForm() {
  const current = field('Current password', { name: 'currentPassword', type: 'password', autocomplete: 'current-password', required: true });
  const next = field('New password', { name: 'newPassword', type: 'password', autocomplete: 'new-password', required: true, minlength: 8 }, { hint: 'At least 8 characters. Other devices will be logged out.' });
  const alert = h('p.form-alert', { role: 'alert' });
  const ok = h('p.form-ok', { role: 'status' });
  const form = h('form.form.card-section', { novalidate: true }, h('h2', 'Password'), h('input', { type: 'text', name: 'username', autocomplete: 'username', value: session.user?.username || '', hidden: true }), current.wrap, next.wrap, alert, ok,
    h('button.btn.primary', { type: 'submit' }, 'Change password'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    alert.textContent = '';
    ok.textContent = '';
    const btn = form.querySelector('[type=submit]');
    btn.disabled = true;
    try {
      const res = await put('/api/users/me/password', { currentPassword: current.input.value, newPassword: next.input.value });
      session.replaceToken(res.token);
      form.reset();
      ok.textContent = res.message || 'Password changed.';
    } catch (err) {
      alert.textContent = showErrors(form, err);
    } finally {
      btn.disabled = false;
    }
  });
  return form;
}

function blockedSection() {
  const sec = h('section.card-section', h('h2', 'Blocked accounts'));
  pagedList(sec, {
    listClass: 'user-list',
    label: 'Blocked accounts',
    empty: 'You have not blocked anyone.',
    load: async (cursor) => {
      const res = await get('/api/users/me/blocks', { limit: 20, cursor });
      return { items: res.users || res.blocks || res.blocked || [], nextCursor: res.pagination?.nextCursor };
    },
    render: (u) => {
      const btn = h('button.btn', { type: 'button' }, 'Unblock');
      btn.addEventListener('click', async () => { if (await block(u, false)) btn.closest('li').remove(); });
      return userRow(u, btn);
    },
  });
  return sec;
}


