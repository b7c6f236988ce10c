'use strict';
// Baton dashboard. No cookies: the admin token the operator pastes is kept in sessionStorage and sent
// in an Authorization header, only by this script, only to this origin.
(function () {
  const TOKEN_KEY = 'baton.dashboard.token';
  const POLL_MS = 2000;
  const STATES = ['failed', 'pending', 'in_progress', 'completed', 'cancelled'];
  const $ = (id) => document.getElementById(id);

  let offset = 0;
  let limit = 50;
  let selected = null;
  let detail = null;
  let session = { actionsConfigured: false, granted: [], principal: null, refusal: null };
  let stageOptions = '';
  let filterTimer = null;

  function token() {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  function headers(json) {
    const h = { Accept: 'application/json' };
    const t = token();
    if (t) {
      h.Authorization = 'Bearer ' + t;
    }
    if (json) {
      h['Content-Type'] = 'application/json';
    }
    return h;
  }

  async function call(method, url, body) {
    const init = { method, headers: headers(body !== undefined), credentials: 'omit', cache: 'no-store' };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
    }
    const r = await fetch(url, init);
    const data = await r.json().catch(() => ({}));
    if (!r.ok) {
      const e = new Error(r.status + ': ' + (data.error || r.statusText));
      e.status = r.status;
      throw e;
    }
    return data;
  }

  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) {
      e.className = className;
    }
    if (text !== undefined && text !== null) {
      e.textContent = String(text);
    }
    return e;
  }

  function badge(status) {
    return el('span', 'badge ' + status, status.replace('_', ' '));
  }

  function when(iso) {
    if (!iso) {
      return '';
    }
    const d = new Date(iso);
    return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  }

  function say(text, ok) {
    const m = $('message');
    m.textContent = text;
    m.className = 'message ' + (ok ? 'ok' : 'bad');
  }

  function query() {
    const p = new URLSearchParams();
    const fields = { state: $('f-state').value, stage: $('f-stage').value, error: $('f-error').value, id: $('f-id').value };
    Object.entries(fields).forEach(([k, v]) => {
      if (v && v.trim()) {
        p.set(k, v.trim());
      }
    });
    p.set('offset', String(offset));
    p.set('limit', String(limit));
    return p.toString();
  }

  function batchButton(id) {
    const b = el('button', 'link', '#' + id);
    b.type = 'button';
    b.dataset.batch = String(id);
    b.addEventListener('click', () => select(id));
    return b;
  }

  function renderCounts(o) {
    const nav = $('counts');
    nav.replaceChildren();
    const all = el('button', $('f-state').value === '' ? 'active' : '');
    all.type = 'button';
    all.append('all ', el('b', null, o.total));
    all.addEventListener('click', () => setState(''));
    nav.append(all);
    STATES.forEach((s) => {
      const b = el('button', $('f-state').value === s ? 'active' : '');
      b.type = 'button';
      b.dataset.state = s;
      b.append(s.replace('_', ' ') + ' ', el('b', null, o.counts[s] || 0));
      b.addEventListener('click', () => setState(s));
      nav.append(b);
    });
  }

  function renderStages(names) {
    const key = names.join('\n');
    if (key === stageOptions) {
      return;
    }
    stageOptions = key;
    const f = $('f-stage');
    const keep = f.value;
    f.replaceChildren(el('option', null, 'any'));
    f.firstChild.value = '';
    names.forEach((n) => {
      const o = el('option', null, n);
      o.value = n;
      f.append(o);
    });
    f.value = keep;
    const a = $('a-stage');
    a.replaceChildren();
    names.forEach((n) => {
      const o = el('option', null, n);
      o.value = n;
      a.append(o);
    });
  }

  function row(b, withError) {
    const tr = el('tr', b.batchId === selected ? 'selected' : '');
    tr.dataset.batch = String(b.batchId);
    const idCell = el('td');
    idCell.append(batchButton(b.batchId));
    const stateCell = el('td');
    stateCell.append(badge(b.status));
    tr.append(idCell, stateCell, el('td', null, b.stage), el('td', null, b.attempt));
    if (withError) {
      const e = el('td', 'error', b.error || '');
      e.title = b.error || '';
      tr.append(e);
    }
    tr.append(el('td', 'muted', when(b.updatedAt)));
    return tr;
  }

  function renderOverview(o) {
    renderCounts(o);
    renderStages(o.stageNames);
    const body = $('batches').tBodies[0];
    body.replaceChildren(...o.batches.map((b) => row(b, true)));
    if (o.batches.length === 0) {
      const tr = el('tr');
      const td = el('td', 'muted', 'no batch matches');
      td.colSpan = 6;
      tr.append(td);
      body.append(tr);
    }
    $('stalled-section').hidden = o.stalled.length === 0;
    $('stalled').replaceChildren(...o.stalled.map((b) => row(b, false)));
    $('prev').disabled = o.offset === 0;
    $('next').disabled = !o.more;
    $('page').textContent = o.batches.length === 0 ? '' : (o.offset + 1) + '–' + (o.offset + o.batches.length);
    $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  }

  function describeShards(sh) {
    const parts = ['shards ' + sh.completed + '/' + sh.total + ' completed'];
    if (sh.running > 0) {
      parts.push(sh.running + ' running');
    }
    if (sh.failed > 0) {
      parts.push(sh.failed + ' failed');
    }
    return parts.join(', ');
  }

  function describe(s) {
    const parts = ['attempts ' + s.attempts, 'invocations ' + s.invocations];
    if (s.shards) {
      parts.unshift(describeShards(s.shards));
    }
    if (s.invocations > 0) {
      parts.push('longest invocation ' + s.maxInvocationMs + ' ms');
    }
    if (s.durationMs !== null && s.durationMs !== undefined) {
      parts.push('took ' + s.durationMs + ' ms');
    }
    if (s.startedAt) {
      parts.push('started ' + when(s.startedAt));
    }
    return parts.join(' · ');
  }

  function renderDetail(d) {
    detail = d;
    $('detail').hidden = false;
    $('d-title').textContent = 'Batch #' + d.batchId;
    const st = $('d-status');
    st.textContent = d.status.replace('_', ' ');
    st.className = 'badge ' + d.status;
    st.dataset.status = d.status;
    $('d-summary').textContent = 'at stage ' + d.stage + ', attempt ' + d.attempt + ' · created ' + when(d.createdAt)
      + ' · updated ' + when(d.updatedAt)
      + (d.leaseOwner === ':shards' ? ' · fanned out into shards' : d.leaseOwner ? ' · held by ' + d.leaseOwner : '')
      + (d.hasInput ? ' · has an input' : '');
    const err = $('d-error');
    err.hidden = !d.error;
    err.textContent = d.error || '';
    const list = $('d-timeline');
    list.replaceChildren(...d.timeline.map((s) => {
      const li = el('li', s.phase);
      li.dataset.stage = s.name;
      li.append(el('span', 'name', s.name), badge(s.phase));
      if (s.shards) {
        const sh = el('span', 'shards', s.shards.completed + '/' + s.shards.total + ' shards');
        sh.title = describeShards(s.shards);
        li.append(sh);
      }
      li.append(el('div', 'muted', describe(s)));
      if (s.error) {
        li.append(el('pre', 'error', s.error));
      }
      if (s.output) {
        li.append(el('pre', 'output', s.output.text + (s.output.truncated ? ' … (truncated)' : '')));
      }
      return li;
    }));
    if (!$('a-stage').dataset.batch || $('a-stage').dataset.batch !== String(d.batchId)) {
      $('a-stage').dataset.batch = String(d.batchId);
      $('a-stage').value = d.stage === 'completed' ? d.timeline[0].name : d.stage;
    }
    renderActions();
  }

  function renderActions() {
    const granted = new Set(session.granted);
    const hint = $('a-hint');
    ['retry', 'cancel', 'restart'].forEach((a) => {
      const b = $('a-' + a);
      b.disabled = !detail || !granted.has(a) || !detail.allowed[a];
    });
    if (!session.actionsConfigured) {
      hint.textContent = 'Read-only: no admin token is configured on the server.';
    } else if (granted.size === 0) {
      hint.textContent = 'Paste the admin token above to retry, cancel or restart.';
    } else {
      hint.textContent = 'Acting as ' + session.principal + '.';
    }
  }

  function renderSession() {
    const status = $('auth-status');
    $('token-box').hidden = !session.actionsConfigured;
    if (!session.actionsConfigured) {
      status.textContent = 'read-only';
      status.className = '';
    } else if (session.granted.length > 0) {
      status.textContent = 'acting as ' + session.principal;
      status.className = 'granted';
    } else if (token()) {
      status.textContent = 'token refused' + (session.refusal ? ': ' + session.refusal : '');
      status.className = 'refused';
    } else {
      status.textContent = 'no token: read-only';
      status.className = '';
    }
    const acting = session.granted.length > 0;
    $('token').hidden = acting;
    $('token-use').hidden = acting;
    $('token-forget').hidden = !token();
    renderActions();
  }

  async function loadSession(announce) {
    try {
      session = await call('GET', 'api/dashboard/session');
    } catch (e) {
      session = { actionsConfigured: true, granted: [], principal: null, refusal: e.message };
    }
    renderSession();
    if (announce && token()) {
      say(session.granted.length > 0 ? 'Token accepted: acting as ' + session.principal + '.'
        : 'Token refused' + (session.refusal ? ': ' + session.refusal : '.'), session.granted.length > 0);
    } else if (announce) {
      say('Token forgotten: read-only.', true);
    }
  }

  async function refresh() {
    try {
      renderOverview(await call('GET', 'api/dashboard/overview?' + query()));
      if (selected !== null) {
        renderDetail(await call('GET', 'api/dashboard/batches/' + selected));
      }
    } catch (e) {
      say('Could not refresh: ' + e.message, false);
    }
  }

  function select(id) {
    selected = id;
    refresh();
  }

  function setState(s) {
    $('f-state').value = s;
    offset = 0;
    refresh();
  }

  async function act(action) {
    if (!detail) {
      return;
    }
    const id = detail.batchId;
    const body = action === 'restart' ? { stage: $('a-stage').value } : {};
    try {
      const s = await call('POST', 'api/batches/' + id + '/' + action, body);
      say(action + ' of batch #' + id + ': now ' + s.status.replace('_', ' ') + ' at stage ' + s.stage, true);
    } catch (e) {
      say(action + ' of batch #' + id + ' refused: ' + e.message, false);
    }
    refresh();
  }

  function filtersChanged() {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(() => {
      offset = 0;
      refresh();
    }, 200);
  }

  document.addEventListener('DOMContentLoaded', () => {
    ['f-state', 'f-stage'].forEach((id) => $(id).addEventListener('change', filtersChanged));
    ['f-error', 'f-id'].forEach((id) => $(id).addEventListener('input', filtersChanged));
    $('prev').addEventListener('click', () => {
      offset = Math.max(0, offset - limit);
      refresh();
    });
    $('next').addEventListener('click', () => {
      offset += limit;
      refresh();
    });
    $('token-use').addEventListener('click', () => {
      const t = $('token').value.trim();
      $('token').value = '';
      if (t) {
        sessionStorage.setItem(TOKEN_KEY, t);
      }
      loadSession(true);
    });
    $('token-forget').addEventListener('click', () => {
      sessionStorage.removeItem(TOKEN_KEY);
      loadSession(true);
    });
    ['retry', 'cancel', 'restart'].forEach((a) => $('a-' + a).addEventListener('click', () => act(a)));
    loadSession();
    refresh();
    setInterval(refresh, POLL_MS);
  });
})();
