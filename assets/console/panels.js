// One section per panel: its title, its exports and its body, with `data-panel` naming the
// field and `data-state` saying ready, empty or error once drawn.

import { panelQuery } from './dashboards.js';
import { exportPanel, reportTiming, save } from './api.js';
import * as r from './render.js';
import { variables } from './app.js';

const el = r.el;

function at(data, path) {
  return path.split('.').reduce((v, k) => (v === null || v === undefined ? v : v[k]), data);
}

function isEmpty(panel, value) {
  if (value === null || value === undefined) return true;
  switch (panel.kind) {
    case 'series':
      return value.length === 0 || value.every((p) => panel.y.every((f) => !p[f]));
    case 'histogram':
      return value.every((b) => !b.count);
    case 'breakdown':
      return value.total === 0 && value.rows.length === 0;
    case 'table':
      return (panel.rowsAt ? value[panel.rowsAt] : value).length === 0;
    case 'funnel':
      return value.every((s) => !s.count);
    case 'retention': case 'alerts': case 'tags':
      return value.length === 0;
    default:
      return false;
  }
}

/// The list `/v1/export` should return for a panel (null when the panel is not a list).
function exportPath(d, panel) {
  const base = `${d.key}.${panel.field}`;
  if (panel.kind === 'breakdown') return `${base}.rows`;
  if (panel.rowsAt) return `${base}.${panel.rowsAt}`;
  if (panel.kind === 'object' || panel.kind === 'kpis') return null;
  return base;
}

function body(panel, value, charts) {
  switch (panel.kind) {
    case 'kpis':
      return el('div', { class: 'kpis' }, ...Object.values(value).map(r.kpiCard));
    case 'series': case 'histogram':
      return r.seriesChart(value, panel, charts);
    case 'breakdown':
      return r.breakdown(value);
    case 'table': {
      const rows = (panel.rowsAt ? value[panel.rowsAt] : value).map((x) => r.flatten(x));
      const total = panel.rowsAt && value.totals ? el('tr', {}, el('td', { text: 'total' }),
        ...Object.entries(value.totals).map(([k, v]) => el('td', { text: `${k} ${r.formatNumber(v)}` }))) : null;
      return r.table(rows, rows.length ? Object.keys(rows[0]) : [], total);
    }
    case 'funnel': return r.funnel(value);
    case 'retention': return r.retention(value);
    case 'alerts': return r.alerts(value);
    case 'tags': return r.tags(value);
    default: return r.object(value);
  }
}

function actions(d, panel, chart, note) {
  const path = exportPath(d, panel);
  const buttons = [];
  const run = async (format) => {
    const started = performance.now();
    const withFilters = document.getElementById('with-filters')?.checked;
    try {
      await exportPanel(panelQuery(d, panel), variables(false), path, format, withFilters);
      note.textContent = '';
      if (format === 'csv') reportTiming('export_csv', performance.now() - started, { panel: panel.field });
    } catch (e) {
      note.textContent = e.message;
    }
  };
  if (path) {
    buttons.push(el('button', { type: 'button', 'data-export': 'csv', text: 'CSV', 'aria-label': `export ${panel.field} as CSV`, onclick: () => run('csv') }));
    buttons.push(el('button', { type: 'button', 'data-export': 'json', text: 'JSON', 'aria-label': `export ${panel.field} as JSON`, onclick: () => run('json') }));
  }
  if (chart) {
    buttons.push(el('button', { type: 'button', text: 'PNG', 'aria-label': `save ${panel.field} as PNG`, onclick: () => {
      fetch(chart.toBase64Image()).then((x) => x.blob()).then((b) => save(b, `${d.key}-${panel.field}.png`));
    } }));
  }
  return el('div', { class: 'panel-actions' }, ...buttons);
}

function errorOf(answer, d, panel) {
  const errors = answer.errors || [];
  const full = [d.key, ...panel.field.split('.')];
  const mine = errors.find((e) => Array.isArray(e.path) && full.every((p, i) => e.path[i] === undefined || e.path[i] === p)
    && e.path.length >= 1);
  return mine || (!answer.data || !answer.data[d.key] ? errors[0] || { message: 'no answer' } : null);
}

/// "changed 12:03:04" for a panel whose value changed while the page was open.
function changed(stamp) {
  if (!stamp || !stamp.at) return null;
  return el('time', { class: 'changed', datetime: stamp.at.toISOString(), text: `changed ${stamp.at.toLocaleTimeString()}` });
}

/// Draws every panel of dashboard `d` from one GraphQL answer; `stamps` say when each panel's
/// value last changed.
export function renderPanels(container, d, answer, charts, stamps) {
  const sections = d.panels.map((panel) => {
    const title = panel.title || (panel.field.includes('.') ? `${panel.field.split('.')[0]} KPIs` : 'KPIs');
    const note = el('p', { class: 'note', role: 'alert' });
    const section = el('section', { class: `panel panel-${panel.kind}`, 'data-panel': panel.field, 'aria-label': title });
    const error = errorOf(answer, d, panel);
    const value = answer.data && answer.data[d.key] ? at(answer.data[d.key], panel.field) : null;
    if (error || value === null || value === undefined) {
      const e = error || { message: 'no value' };
      const code = (e.extensions && e.extensions.code) || 'ERROR';
      section.dataset.state = 'error';
      section.append(el('h2', { text: title }), el('p', { class: 'error', role: 'alert' },
        el('code', { text: code }), el('span', { text: ` ${e.message}` })));
      return section;
    }
    if (isEmpty(panel, value)) {
      section.dataset.state = 'empty';
      section.append(el('h2', { text: title }), el('p', { class: 'empty', text: 'No data in this window.' }));
      return section;
    }
    const drawn = body(panel, value, charts);
    const node = drawn.node || drawn;
    section.append(el('div', { class: 'panel-head' }, el('h2', { text: title }), changed(stamps && stamps[panel.field]),
      actions(d, panel, drawn.chart, note)), node, note);
    section.dataset.state = 'ready';
    return section;
  });
  container.replaceChildren(...sections);
}
