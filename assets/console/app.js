// The dashgate console: sign in, pick a dashboard, window and filter, read every panel,
// save presets, export. The view lives in the URL (never the token), so a link reproduces it.

import { DASHBOARDS, byKey, dashboardQuery } from './dashboards.js';
import { graphql, reportTiming, setToken, takeTokenFromFragment, token } from './api.js';
import { el } from './render.js';
import { renderPanels } from './panels.js';
import { presetBar } from './presets.js';
import { subscribeLive } from './live.js';

const PRESETS = ['LAST_24_HOURS', 'TODAY', 'LAST_7_DAYS', 'LAST_30_DAYS', 'LAST_90_DAYS', 'LAST_365_DAYS',
  'MONTH_TO_DATE', 'QUARTER_TO_DATE', 'YEAR_TO_DATE', 'LAST_6_MONTHS', 'LAST_12_MONTHS', 'CUSTOM'];
const MONTH_PRESETS = ['LAST_6_MONTHS', 'LAST_12_MONTHS', 'MONTH_TO_DATE', 'QUARTER_TO_DATE', 'YEAR_TO_DATE', 'CUSTOM'];
const GRANULARITIES = ['', 'HOUR', 'DAY', 'WEEK', 'MONTH', 'QUARTER'];

/// The view: dashboard, window, filter and preset — read from and written to the URL.
const view = { d: 'apiUsage', preset: '', tz: '', g: '', start: '', end: '', filter: {}, presetId: '' };
let charts = [];
let pollTimer = null;
let firstLoad = true;
/// The live subscription of the view, when Live is on.
let liveHandle = null;
let liveOn = true;
/// Per panel: its last drawn value (JSON) and when that value last changed.
let stamps = {};
let drawn = '';

function readUrl() {
  const q = new URLSearchParams(window.location.search);
  view.d = byKey(q.get('d') || 'apiUsage').key;
  for (const k of ['preset', 'tz', 'g', 'start', 'end', 'presetId']) view[k] = q.get(k) || '';
  try { view.filter = JSON.parse(q.get('filter') || '{}') || {}; } catch (e) { view.filter = {}; }
}

function writeUrl() {
  const q = new URLSearchParams();
  q.set('d', view.d);
  for (const k of ['preset', 'tz', 'g', 'start', 'end', 'presetId']) if (view[k]) q.set(k, view[k]);
  const lists = Object.fromEntries(Object.entries(view.filter).filter(([, v]) => v && v.length));
  if (Object.keys(lists).length) q.set('filter', JSON.stringify(lists));
  history.replaceState(null, '', `${window.location.pathname}?${q}`);
}

/// The variables of the dashboard query for the current view.
export function variables(refresh) {
  const d = byKey(view.d);
  const window = {};
  if (view.preset) window.preset = view.preset;
  if (view.preset === 'CUSTOM' || (!view.preset && view.start && view.end)) {
    if (view.start) window.start = new Date(view.start).toISOString();
    if (view.end) window.end = new Date(view.end).toISOString();
  }
  if (view.tz) window.timezone = view.tz;
  if (view.g) window.granularity = view.g;
  const filter = {};
  for (const f of d.filters) if (view.filter[f] && view.filter[f].length) filter[f] = view.filter[f];
  const vars = { window: Object.keys(window).length ? window : null, filter: Object.keys(filter).length ? filter : null };
  if (view.presetId) vars.presetId = view.presetId;
  if (refresh) vars.refresh = 'FORCE';
  return vars;
}

function select(label, id, options, value, onchange) {
  return el('label', { for: id }, el('span', { text: label }),
    el('select', { id, onchange: (e) => onchange(e.target.value) },
      ...options.map((o) => el('option', { value: o, text: o || 'auto', selected: o === value }))));
}

function input(label, id, value, attrs, onchange) {
  return el('label', { for: id }, el('span', { text: label }),
    el('input', { id, value, ...attrs, onchange: (e) => onchange(e.target.value) }));
}

function controls() {
  const d = byKey(view.d);
  const form = el('form', { class: 'controls', 'aria-label': 'window and filters', onsubmit: (e) => { e.preventDefault(); load('switch_range_or_granularity'); } });
  const presets = d.months ? MONTH_PRESETS : PRESETS;
  form.append(select('Range', 'range', ['', ...presets], view.preset, (v) => { view.preset = v; redrawControls(); load('switch_range_or_granularity'); }));
  if (view.preset === 'CUSTOM') {
    form.append(input('From', 'start', view.start, { type: 'datetime-local' }, (v) => { view.start = v; }));
    form.append(input('To', 'end', view.end, { type: 'datetime-local' }, (v) => { view.end = v; }));
  }
  form.append(input('Timezone', 'timezone', view.tz, { placeholder: 'team timezone', list: 'timezones', autocomplete: 'off' }, (v) => { view.tz = v.trim(); }));
  form.append(select('Granularity', 'granularity', d.months ? ['', 'MONTH', 'QUARTER'] : GRANULARITIES, view.g, (v) => { view.g = v; load('switch_range_or_granularity'); }));
  const lists = {};
  for (const f of d.filters) {
    const list = el('select', { id: `filter-${f}`, multiple: true, size: '3',
      onchange: (e) => { view.filter[f] = [...e.target.selectedOptions].map((o) => o.value); } });
    lists[f] = list;
    form.append(el('label', { for: `filter-${f}` }, el('span', { text: `${f} (any when none selected)` }), list));
  }
  fillChoices(d, lists);
  form.append(el('button', { type: 'submit', text: 'Apply' }));
  return form;
}

/// Fills the filter lists with the values the team's data has (`filterChoices`), keeping
/// the view's selections even when they are not among them.
async function fillChoices(d, lists) {
  const answer = await graphql('query($d: DashboardKind!, $w: WindowInput) { filterChoices(dashboard: $d, window: $w) { field choices { value label count } } }',
    { d: d.kind, w: d.months ? null : variables(false).window });
  const found = (answer.data && answer.data.filterChoices) || [];
  for (const [f, list] of Object.entries(lists)) {
    const chosen = new Set(view.filter[f] || []);
    const choices = (found.find((c) => c.field === f) || { choices: [] }).choices;
    const known = new Set(choices.map((c) => c.value));
    const options = [...chosen].filter((v) => !known.has(v)).map((v) => ({ value: v, label: v, count: null }))
      .concat(choices);
    const counted = choices.some((c) => c.count > 1); // ids (one row each) show no count
    list.replaceChildren(...options.map((c) => el('option', { value: c.value, selected: chosen.has(c.value),
      text: c.count === null || !counted ? c.label : `${c.label} (${c.count})` })));
  }
}

function redrawControls() {
  document.getElementById('controls').replaceChildren(controls());
}

function tabs() {
  return el('nav', { class: 'tabs', role: 'tablist', 'aria-label': 'dashboards' }, ...DASHBOARDS.map((d) => el('button', {
    type: 'button', role: 'tab', 'aria-selected': String(d.key === view.d), 'data-dashboard': d.key, text: d.title,
    onclick: () => {
      if (d.key === view.d) return;
      view.d = d.key; view.presetId = ''; view.filter = {};
      if (d.months && view.preset && !MONTH_PRESETS.includes(view.preset)) view.preset = '';
      if (d.months && view.g && !['MONTH', 'QUARTER'].includes(view.g)) view.g = '';
      shell();
      load('drilldown');
    },
  })));
}

/// Notes which panels' values differ from the last drawn answer, and when.
function stamp(d, answer) {
  const data = answer.data && answer.data[d.key];
  const now = new Date();
  for (const panel of d.panels) {
    const value = data ? JSON.stringify(panel.field.split('.').reduce((v, k) => (v == null ? v : v[k]), data)) : '';
    const was = stamps[panel.field];
    if (!was || was.value !== value) stamps[panel.field] = { value, at: was ? now : null };
  }
}

function draw(d, answer) {
  const text = JSON.stringify(answer.data || null) + JSON.stringify(answer.errors || null);
  if (text === drawn) return false;
  drawn = text;
  stamp(d, answer);
  charts.forEach((c) => c.destroy());
  charts = [];
  renderPanels(document.getElementById('panels'), d, answer, charts, stamps);
  return true;
}

/// Loads the current dashboard: one GraphQL request for all its panels; then, with Live on,
/// follows it over a subscription.
export async function load(reason, refresh) {
  const d = byKey(view.d);
  writeUrl();
  stopLive();
  const status = document.getElementById('status');
  status.textContent = 'Loading…';
  const started = performance.now();
  const answer = await graphql(dashboardQuery(d), variables(refresh));
  const took = performance.now() - started;
  stamps = {};
  drawn = '';
  draw(d, answer);
  const cache = (answer.extensions && answer.extensions.cache) || null;
  const when = cache && cache.computedAt ? new Date(cache.computedAt).toLocaleString() : new Date().toLocaleString();
  const from = cache ? (cache.misses ? `computed (${cache.hits} cached, ${cache.misses} computed)` : `from cache (${cache.freshness.toLowerCase()})`) : '';
  const w = answer.data && answer.data[d.key] && answer.data[d.key].window;
  status.textContent = `${w ? `${w.start} → ${w.end} (${w.timezone}, ${w.granularity}) · ` : ''}as of ${when} ${from} · ${Math.round(took)} ms`;
  reportTiming(firstLoad ? 'page_load' : reason || 'switch_range_or_granularity',
    firstLoad ? performance.now() : took, { dashboard: d.key });
  firstLoad = false;
  if (liveOn) startLive(d);
}

/// Follows the view over a subscription (the same document, as `subscription`).
function startLive(d) {
  const badge = document.getElementById('live-state');
  const query = dashboardQuery(d).replace(/^query Console/, 'subscription ConsoleLive');
  liveHandle = subscribeLive(query, variables(false), {
    next: (answer) => {
      if (draw(d, answer) && badge) badge.dataset.changed = new Date().toISOString();
    },
    state: (mode, detail) => {
      if (!badge) return;
      badge.dataset.mode = mode;
      badge.textContent = { connecting: '○ connecting', live: '● live', reconnecting: '○ reconnecting', polling: '◌ polling every 30 s' }[mode] || mode;
      badge.title = detail || '';
      if (mode === 'polling') { stopLive(); poll(); }
    },
  });
}

function stopLive() {
  if (liveHandle) liveHandle.stop();
  liveHandle = null;
  clearTimeout(pollTimer);
}

/// Without WebSockets: reload every 30 s (a little jitter spreads many viewers).
function poll() {
  clearTimeout(pollTimer);
  pollTimer = setTimeout(async () => {
    const d = byKey(view.d);
    const answer = await graphql(dashboardQuery(d), variables(false));
    draw(d, answer);
    if (liveOn) poll();
  }, 30000 + Math.random() * 5000);
}

function toolbar() {
  const live = el('input', { type: 'checkbox', id: 'live', checked: liveOn, onchange: (e) => {
    liveOn = e.target.checked;
    stopLive();
    const badge = document.getElementById('live-state');
    if (badge) { badge.textContent = ''; badge.dataset.mode = 'off'; }
    if (liveOn) startLive(byKey(view.d));
  } });
  return el('div', { class: 'toolbar' },
    el('button', { type: 'button', id: 'refresh', text: 'Refresh now', onclick: () => load('switch_range_or_granularity', true) }),
    el('label', { for: 'live', class: 'inline' }, live, el('span', { text: ' Live' })),
    el('span', { id: 'live-state', class: 'live-state', 'data-mode': 'off', 'aria-live': 'polite' }),
    el('label', { for: 'with-filters', class: 'inline' }, el('input', { type: 'checkbox', id: 'with-filters' }),
      el('span', { text: ' exports include the filter settings' })),
    el('span', { id: 'status', role: 'status', 'aria-live': 'polite' }),
    el('button', { type: 'button', class: 'link', text: 'Sign out', onclick: () => { stopLive(); setToken(null); signIn(); } }),
    el('a', { href: '/graphiql', text: 'GraphiQL' }));
}

function shell() {
  const root = document.getElementById('app');
  root.replaceChildren(
    el('header', {}, el('h1', { text: 'dashgate' }), tabs()),
    el('div', { id: 'controls' }, controls()),
    presetBar(byKey(view.d), view, () => { shell(); load('switch_range_or_granularity'); }),
    toolbar(),
    el('main', { id: 'panels', 'aria-live': 'polite' }));
}

function signIn(message) {
  const root = document.getElementById('app');
  const field = el('input', { id: 'token', type: 'password', autocomplete: 'off', required: true });
  root.replaceChildren(el('form', { class: 'signin', onsubmit: async (e) => {
    e.preventDefault();
    setToken(field.value.trim());
    start();
  } }, el('h1', { text: 'dashgate' }),
  el('label', { for: 'token' }, el('span', { text: 'Token or API key' }), field),
  message ? el('p', { class: 'error', role: 'alert', text: message }) : null,
  el('button', { type: 'submit', text: 'Sign in' })));
  field.focus();
}

async function start() {
  if (!token()) { signIn(); return; }
  const who = await graphql('{ viewer { user role team { slug timezone } } }');
  if (!who.data || !who.data.viewer) {
    const e = (who.errors && who.errors[0]) || {};
    setToken(null);
    signIn(`${(e.extensions && e.extensions.code) || 'ERROR'}: ${e.message || 'sign-in failed'}`);
    return;
  }
  document.title = `dashgate · ${who.data.viewer.team.slug}`;
  shell();
  load('page_load');
}

takeTokenFromFragment();
readUrl();
start();
