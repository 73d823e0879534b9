// The API client: JSON requests with the session's bearer token, the API's error body
// turned into ApiError, uploads with progress, a fetch-based Server-Sent Events reader
// (EventSource cannot send an Authorization header, and a token never goes in a URL), and
// the session (token + the signed-in user) kept in localStorage.

const TOKEN_KEY = 'gotok.token';
const USER_KEY = 'gotok.user';

/** An error answer of the API: status, code and the API's human-readable message. */
export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `Request failed (${status})`);
    this.status = status;
    this.code = (body && body.code) || '';
    this.fields = (body && body.fields) || {};
  }
  /** True when the router itself does not know the route (a feature this server lacks). */
  get missingRoute() {
    return this.status === 405 || (this.status === 404 && this.message === 'Route not found');
  }
}

/**
 * The session: who is signed in. Dispatches "change" when someone signs in or out, "user"
 * when the signed-in user's details were refreshed.
 */
class Session extends EventTarget {
  constructor() {
    super();
    this.token = localStorage.getItem(TOKEN_KEY) || '';
    try {
      this.user = this.token ? JSON.parse(localStorage.getItem(USER_KEY) || 'null') : null;
    } catch {
      this.user = null;
    }
    if (this.token && !this.user) this.user = { id: tokenUserId(this.token), username: '' };
  }
  get signedIn() { return Boolean(this.token); }
  get isModerator() { return ['moderator', 'admin'].includes(this.user?.role); }
  set(token, user) {
    this.token = token;
    this.user = user;
    localStorage.setItem(TOKEN_KEY, token);
    localStorage.setItem(USER_KEY, JSON.stringify(user));
    this.dispatchEvent(new Event('change'));
  }
  /** replaceToken swaps the token (after a password change revoked the old ones). */
  replaceToken(token) {
    this.token = token;
    localStorage.setItem(TOKEN_KEY, token);
  }
  updateUser(user) {
    if (!this.token) return;
    this.user = { ...this.user, ...user };
    localStorage.setItem(USER_KEY, JSON.stringify(this.user));
    this.dispatchEvent(new Event('user'));
  }
  clear() {
    const was = this.token;
    this.token = '';
    this.user = null;
    localStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(USER_KEY);
    if (was) this.dispatchEvent(new Event('change'));
  }
}

/** The user id claim of a JWT (the API's tokens carry it as "id"), or 0. */
function tokenUserId(token) {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return Number(JSON.parse(atob(payload)).id) || 0;
  } catch {
    return 0;
  }
}

export const session = new Session();

function authHeaders(extra = {}) {
  const h = { ...extra };
  if (session.token) h.Authorization = `Bearer ${session.token}`;
  return h;
}

function expire(err) {
  if (err.status === 401 && ['token_invalid', 'token_expired'].includes(err.code) && session.signedIn) {
    session.clear();
  }
}

/**
 * request sends one API call and returns the decoded JSON (null for 204). A non-2xx answer
 * throws ApiError; a network failure throws ApiError with status 0.
 */
export async function request(method, path, { body, query, signal, keepalive } = {}) {
  let url = path;
  if (query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
    const s = q.toString();
    if (s) url += (url.includes('?') ? '&' : '?') + s;
  }
  const init = { method, headers: authHeaders({ Accept: 'application/json' }), signal, keepalive };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(url, init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, { message: 'Cannot reach the server. Check your connection and try again.', code: 'network' });
  }
  if (res.status === 204) return null;
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const err = new ApiError(res.status, data);
    expire(err);
    throw err;
  }
  return data;
}

export const get = (path, query, opts) => request('GET', path, { ...opts, query });
export const post = (path, body, opts) => request('POST', path, { ...opts, body });
export const put = (path, body) => request('PUT', path, { body });
export const del = (path) => request('DELETE', path);

/**
 * uploadForm posts a multipart form with XMLHttpRequest, whose upload progress events
 * give a real progress bar. onProgress receives (loaded, total). Returns
 * { promise, abort }.
 */
export function uploadForm(method, path, form, onProgress) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    xhr.open(method, path);
    for (const [k, v] of Object.entries(authHeaders({ Accept: 'application/json' }))) xhr.setRequestHeader(k, v);
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) onProgress(e.loaded, e.total);
    });
    xhr.addEventListener('load', () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else {
        const err = new ApiError(xhr.status, data);
        expire(err);
        reject(err);
      }
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, { message: 'The upload failed: the connection was lost.', code: 'network' })));
    xhr.addEventListener('abort', () => reject(new DOMException('Upload cancelled', 'AbortError')));
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}

// Features of API versions: a route this server lacks answers 404 "Route not found" or 405.
// Probes run once per page load and are cached.
const probes = new Map();

/** routeExists reports whether the API knows path (any answer but a router-level 404). */
export function routeExists(path) {
  if (!probes.has(path)) {
    probes.set(path, request('GET', path, { query: { limit: 1 } }).then(() => true, (e) => !(e instanceof ApiError && e.status === 404 && e.message === 'Route not found') && e.status !== 0));
  }
  return probes.get(path);
}

/** knownRoute remembers that a route answered (or did not), to skip its probe. */
export function knownRoute(path, exists) {
  probes.set(path, Promise.resolve(exists));
}

/**
 * streamEvents reads a Server-Sent Events stream with fetch (so the bearer token travels in
 * the Authorization header), calling onEvent({event, data, id}) for each event, and
 * reconnects with backoff (sending Last-Event-ID) until stop() is called. onUnavailable is
 * called if the route does not exist (the stream then stops for good).
 */
export function streamEvents(path, { onEvent, onOpen, onUnavailable }) {
  let stopped = false;
  let controller = null;
  let lastId = '';
  let delay = 1000;
  let timer = 0;
  const connect = async () => {
    if (stopped || !session.signedIn) return;
    controller = new AbortController();
    try {
      const headers = authHeaders({ Accept: 'text/event-stream' });
      if (lastId) headers['Last-Event-ID'] = lastId;
      const res = await fetch(path, { headers, signal: controller.signal, cache: 'no-store' });
      if (res.status === 404 || res.status === 405) {
        stopped = true;
        onUnavailable?.();
        return;
      }
      if (res.status === 401) {
        const data = await res.json().catch(() => null);
        expire(new ApiError(401, data));
        stopped = true;
        return;
      }
      if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
      delay = 1000;
      onOpen?.();
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      let ev = { event: 'message', data: [], id: '' };
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let nl;
        while ((nl = buf.search(/\r\n|\r|\n/)) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + (buf.startsWith('\r\n', nl) ? 2 : 1));
          if (line === '') {
            if (ev.data.length) {
              if (ev.id) lastId = ev.id;
              onEvent({ event: ev.event, data: ev.data.join('\n'), id: ev.id });
            }
            ev = { event: 'message', data: [], id: '' };
            continue;
          }
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'data') ev.data.push(val);
          else if (field === 'event') ev.event = val;
          else if (field === 'id') ev.id = val;
          else if (field === 'retry' && /^\d+$/.test(val)) delay = Number(val);
        }
      }
    } catch (e) {
      if (stopped) return;
    }
    if (!stopped) {
      timer = setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    }
  };
  connect();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      controller?.abort();
    },
  };
}
