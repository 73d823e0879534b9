// The router: History API navigation between the app's deep links. Same-origin links are
// intercepted so the page never reloads; each view gets the path's parameters.

const routes = [];
let current = null; // {cleanup}
let renderFn = null;

/** route registers a view for a path pattern such as "/video/:id" or "/@:username". */
export function route(pattern, view) {
  const names = [];
  const re = new RegExp('^' + pattern.replace(/:(\w+)/g, (_, n) => { names.push(n); return '([^/]+)'; }) + '$');
  routes.push({ re, names, view });
}

/** match returns the view and parameters of a path, or null. */
export function match(path) {
  for (const r of routes) {
    const m = r.re.exec(path);
    if (!m) continue;
    const params = {};
    r.names.forEach((n, i) => { params[n] = decodeURIComponent(m[i + 1]); });
    return { view: r.view, params };
  }
  return null;
}

/** navigate goes to url inside the app (pushState), or replaces the entry. */
export function navigate(url, { replace = false } = {}) {
  const u = new URL(url, location.href);
  if (u.origin !== location.origin) {
    location.href = u.href;
    return;
  }
  if (replace) history.replaceState(null, '', u.pathname + u.search + u.hash);
  else history.pushState(null, '', u.pathname + u.search + u.hash);
  render();
}

/** start installs the listeners and renders the current location with render(). */
export function start(renderer) {
  renderFn = renderer;
  addEventListener('popstate', render);
  document.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = e.target.closest('a[href]');
    if (!a || a.target || a.hasAttribute('download')) return;
    const u = new URL(a.href, location.href);
    if (u.origin !== location.origin || u.pathname.startsWith('/api/') || u.pathname.startsWith('/uploads/')) return;
    if (!match(u.pathname)) return;
    e.preventDefault();
    if (u.pathname + u.search === location.pathname + location.search) return;
    navigate(u.href);
  });
  render();
}

/** refresh re-renders the current location (after signing in or out). */
export const refresh = () => render();

function render() {
  if (current?.cleanup) {
    try { current.cleanup(); } catch { /* a view's cleanup must not stop navigation */ }
  }
  current = renderFn(location.pathname, new URLSearchParams(location.search)) || null;
}
