// Signing up, logging in and out. The token is kept in localStorage (as the original
// frontend does); the page's CSP (no inline or foreign script, Trusted Types) is what keeps
// scripts that could read it out.

import { session, post, get } from './api.js';
import { h, sheet, field, showErrors, toast, errorText } from './dom.js';

/** authDialog opens the log in / sign up dialog; resolves true once signed in. */
export function authDialog(mode = 'login', reason = '') {
  return new Promise((resolve) => {
    let done = false;
    const s = sheet(mode === 'login' ? 'Log in' : 'Sign up', { cls: 'auth-sheet', onClose: () => resolve(done) });
    const render = (m) => {
      mode = m;
      s.dialog.querySelector('h2').textContent = m === 'login' ? 'Log in' : 'Sign up';
      s.body.replaceChildren(reason ? h('p.muted', reason) : '', m === 'login' ? loginForm() : signupForm());
      s.body.querySelector('input')?.focus();
    };
    const finish = (res) => {
      session.set(res.token, res.user);
      done = true;
      toast(`Signed in as @${res.user.username}`);
      s.close();
    };
    const loginForm = () => {
      const email = field('Email or username', { name: 'email', type: 'text', autocomplete: 'username', required: true });
      const password = field('Password', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
      const alert = h('p.form-alert', { role: 'alert' });
      const form = h('form.form', { novalidate: true }, email.wrap, password.wrap, alert,
        h('button.btn.primary.block', { type: 'submit' }, 'Log in'),
        h('p.switch', "Don't have an account? ", h('button.link', { type: 'button', onclick: () => render('signup') }, 'Sign up')));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        const btn = form.querySelector('[type=submit]');
        btn.disabled = true;
        alert.textContent = '';
        try {
          finish(await post('/api/users/login', { email: email.input.value.trim(), password: password.input.value }));
        } catch (err) {
          alert.textContent = showErrors(form, err);
        } finally {
          btn.disabled = false;
        }
      });
      return form;
    };
    const signupForm = () => {
      const username = field('Username', { name: 'username', type: 'text', autocomplete: 'username', required: true, minlength: 3, maxlength: 30, pattern: '[A-Za-z0-9_.]+' }, { hint: '3–30 letters, digits, _ or .' });
      const email = field('Email', { name: 'email', type: 'email', autocomplete: 'email', required: true });
      const name = field('Name (optional)', { name: 'name', type: 'text', autocomplete: 'name', maxlength: 50 });
      const password = field('Password', { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: 8 }, { hint: 'At least 8 characters.' });
      const alert = h('p.form-alert', { role: 'alert' });
      const form = h('form.form', { novalidate: true }, username.wrap, email.wrap, name.wrap, password.wrap, alert,
        h('button.btn.primary.block', { type: 'submit' }, 'Sign up'),
        h('p.switch', 'Already have an account? ', h('button.link', { type: 'button', onclick: () => render('login') }, 'Log in')));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        const btn = form.querySelector('[type=submit]');
        btn.disabled = true;
        alert.textContent = '';
        try {
          finish(await post('/api/users/register', {
            username: username.input.value.trim(), email: email.input.value.trim(),
            name: name.input.value.trim() || undefined, password: password.input.value,
          }));
        } catch (err) {
          alert.textContent = showErrors(form, err);
        } finally {
          btn.disabled = false;
        }
      });
      return form;
    };
    render(mode);
  });
}

/** requireLogin resolves true when signed in, asking the user to log in first if needed. */
export async function requireLogin(reason) {
  if (session.signedIn) return true;
  return authDialog('login', reason);
}

/** logout ends every session of the account (the API revokes all tokens) and forgets it here. */
export async function logout() {
  try {
    await post('/api/users/logout');
  } catch (err) {
    if (err.status !== 401) {
      toast(errorText(err), { error: true });
      return;
    }
  }
  session.clear();
  toast('Logged out');
}

/** refreshMe re-reads the signed-in user (counts, role) in the background. */
export async function refreshMe() {
  if (!session.signedIn) return;
  try {
    session.updateUser(await get('/api/users/me'));
  } catch { /* an expired token clears the session in api.js */ }
}
