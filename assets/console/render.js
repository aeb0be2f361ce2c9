// Drawing panels. Every label that comes from data is set as text (never parsed as HTML),
// numbers are formatted once here, and each panel ends with `data-state` ready, empty or
// error for people and tests alike.

/* global Chart */

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'text') node.textContent = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });

/// A number for people: null as an em dash, never NaN or Infinity.
export function formatNumber(value, unit, currency) {
  if (value === null || value === undefined || !Number.isFinite(Number(value))) return '—';
  const v = Number(value);
  switch (unit) {
    case 'RATIO': return percent.format(v);
    case 'CURRENCY':
      return new Intl.NumberFormat(undefined, {
        style: 'currency', currency: currency || 'USD', maximumFractionDigits: Math.abs(v) < 1 && v !== 0 ? 4 : 2,
      }).format(v);
    case 'COUNT': return integer.format(v);
    case 'MILLISECONDS': return `${decimal.format(v)} ms`;
    case 'SECONDS': return `${decimal.format(v)} s`;
    case 'MINUTES': return `${decimal.format(v)} min`;
    case 'MONTHS': return `${decimal.format(v)} months`;
    default: return Number.isInteger(v) ? integer.format(v) : decimal.format(v);
  }
}

function cell(value, key) {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') {
    return /(rate|share|ratio|conversion|saturation)$/i.test(key || '') ? percent.format(value) : formatNumber(value);
  }
  if (typeof value === 'object') return Object.values(value).map((v) => cell(v)).join(' · ');
  return String(value);
}

const DELTA_WORDS = {
  PREVIOUS_ZERO: 'previous was 0',
  NO_PREVIOUS_DATA: 'no previous data',
  BOTH_ZERO: 'both 0',
};

/// One KPI card: value, previous, and the delta's arrow coloured by `betterWhen`.
export function kpiCard(card) {
  const d = card.delta || {};
  let trend = 'flat';
  let text = DELTA_WORDS[d.status] || '';
  if (d.status === 'OK' && d.absolute !== null && d.absolute !== undefined) {
    const up = d.absolute > 0;
    const down = d.absolute < 0;
    const arrow = up ? '▲' : down ? '▼' : '■';
    const ratio = d.ratio === null || d.ratio === undefined ? '' : ` ${percent.format(Math.abs(d.ratio))}`;
    text = `${arrow}${ratio}`;
    if (card.betterWhen !== 'NEUTRAL') {
      const better = card.betterWhen === 'DOWN' ? down : up;
      const worse = card.betterWhen === 'DOWN' ? up : down;
      trend = better ? 'better' : worse ? 'worse' : 'flat';
    }
  }
  return el('div', { class: 'kpi', 'data-kpi': card.key, 'data-state': 'ready' },
    el('div', { class: 'kpi-label', text: card.label }),
    el('div', { class: 'kpi-value', text: formatNumber(card.value, card.unit, card.currency) }),
    el('div', { class: `kpi-delta ${trend}`, text: text || ' ' }),
    el('div', { class: 'kpi-previous', text: `previous ${formatNumber(card.previous, card.unit, card.currency)}` }));
}

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2'];

function bucketLabel(point, labelKey) {
  if (labelKey && point[labelKey]) return point[labelKey];
  const s = String(point.start || '');
  return s.length > 16 ? s.slice(0, 16).replace('T', ' ') : s;
}

/// A chart of a series (one dataset per numeric field); partial buckets are drawn hollow
/// and dashed.
export function seriesChart(points, panel, charts) {
  const canvas = el('canvas', { role: 'img', 'aria-label': panel.title || panel.field });
  const partial = points.map((p) => Boolean(p.isPartial));
  const isBar = panel.kind === 'histogram';
  const fields = isBar ? ['count'] : panel.y;
  const datasets = fields.map((f, i) => ({
    label: f,
    data: points.map((p) => (p[f] === null || p[f] === undefined ? null : Number(p[f]))),
    borderColor: COLORS[i % COLORS.length],
    backgroundColor: COLORS[i % COLORS.length],
    pointStyle: partial.map((x) => (x ? 'rectRot' : 'circle')),
    pointBackgroundColor: partial.map((x) => (x ? '#fff' : COLORS[i % COLORS.length])),
    pointRadius: 3,
    spanGaps: false,
    fill: panel.stacked ? (i === 0 ? 'origin' : '-1') : false,
    segment: { borderDash: (ctx) => (partial[ctx.p1DataIndex] ? [4, 4] : undefined) },
  }));
  const labels = isBar
    ? points.map((p) => `${formatNumber(p.start)}–${formatNumber(p.end)}`)
    : points.map((p) => bucketLabel(p, panel.label));
  const chart = new Chart(canvas, {
    type: isBar ? 'bar' : 'line',
    data: { labels, datasets },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      scales: { y: { stacked: Boolean(panel.stacked), beginAtZero: true } },
      plugins: { legend: { display: datasets.length > 1 } },
    },
  });
  charts.push(chart);
  return { node: el('div', { class: 'chart' }, canvas), chart };
}

/// A sortable, paginated table of rows (10 per page).
export function table(rows, columns, footer) {
  const wrap = el('div', { class: 'table-wrap' });
  let sortKey = null;
  let ascending = true;
  let page = 0;
  const size = 10;
  function draw() {
    const sorted = rows.slice();
    if (sortKey) {
      sorted.sort((a, b) => {
        const x = a[sortKey];
        const y = b[sortKey];
        const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(cell(x)).localeCompare(String(cell(y)));
        return ascending ? c : -c;
      });
    }
    const pages = Math.max(1, Math.ceil(sorted.length / size));
    page = Math.min(page, pages - 1);
    const head = el('tr', {}, ...columns.map((c) => el('th', { scope: 'col' },
      el('button', {
        type: 'button', class: 'sort', text: c + (sortKey === c ? (ascending ? ' ▲' : ' ▼') : ''),
        'aria-label': `sort by ${c}`,
        onclick: () => { ascending = sortKey === c ? !ascending : false; sortKey = c; draw(); },
      }))));
    const body = sorted.slice(page * size, page * size + size)
      .map((r) => el('tr', {}, ...columns.map((c) => el('td', { text: cell(r[c], c) }))));
    const tableNode = el('table', {}, el('thead', {}, head), el('tbody', {}, ...body));
    if (footer) tableNode.append(el('tfoot', {}, footer));
    wrap.replaceChildren(tableNode);
    if (pages > 1) {
      wrap.append(el('div', { class: 'pager' },
        el('button', { type: 'button', text: '‹ previous', disabled: page === 0, onclick: () => { page -= 1; draw(); } }),
        el('span', { text: `page ${page + 1} of ${pages}` }),
        el('button', { type: 'button', text: 'next ›', disabled: page >= pages - 1, onclick: () => { page += 1; draw(); } })));
    }
  }
  draw();
  return wrap;
}

/// Flattens `{ participant: { displayName } }` into `participant.displayName` columns.
export function flatten(row, prefix = '', out = {}) {
  for (const [k, v] of Object.entries(row)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) flatten(v, key, out);
    else out[key] = v;
  }
  return out;
}

export function breakdown(data) {
  const rows = data.rows.map((r) => flatten(r));
  const columns = rows.length ? Object.keys(rows[0]) : ['label', 'value', 'share'];
  const other = el('tr', { class: 'other' }, el('td', { text: 'other' }), el('td', { text: formatNumber(data.other) }),
    el('td', { colspan: String(Math.max(1, columns.length - 2)), text: `total ${formatNumber(data.total)}` }));
  return table(rows, columns, other);
}

export function funnel(steps) {
  const max = Math.max(1, ...steps.map((s) => s.count));
  return el('ol', { class: 'funnel' }, ...steps.map((s) => {
    const fill = el('span', { class: 'funnel-fill' });
    fill.style.width = `${Math.round((100 * s.count) / max)}%`; // CSSOM, allowed by the CSP
    return el('li', {},
      el('span', { class: 'funnel-name', text: s.name }),
      el('span', { class: 'funnel-bar' }, fill),
      el('span', { class: 'funnel-count', text: `${formatNumber(s.count)} (${cell(s.conversionFromStart, 'conversion')})` }),
      s.inProgress === null || s.inProgress === undefined ? null
        : el('span', { class: 'funnel-progress', text: `${formatNumber(s.inProgress)} in progress, ${formatNumber(s.droppedOff)} dropped off` }));
  }));
}

export function retention(cohorts) {
  const offsets = cohorts.length ? cohorts[0].offsets.map((o) => o.offsetDays) : [];
  const head = el('tr', {}, el('th', { scope: 'col', text: 'cohort' }), el('th', { scope: 'col', text: 'size' }),
    ...offsets.map((o) => el('th', { scope: 'col', text: `day ${o}` })));
  const body = cohorts.map((c) => el('tr', {}, el('td', { text: bucketLabel(c) + (c.isPartial ? ' (partial)' : '') }),
    el('td', { text: formatNumber(c.size) }),
    ...c.offsets.map((o) => el('td', { class: 'heat', 'data-rate': o.rate === null ? '' : String(Math.round(o.rate * 10)),
      text: o.rate === null ? '—' : percent.format(o.rate), title: `${o.retained} of ${o.eligible}` }))));
  return el('div', { class: 'table-wrap' }, el('table', {}, el('thead', {}, head), el('tbody', {}, ...body)));
}

export function alerts(list) {
  return el('ul', { class: 'alerts' }, ...list.map((a) => el('li', { class: `alert ${a.severity.toLowerCase()}` },
    el('strong', { text: a.severity }), el('span', { text: ` ${a.message}` }))));
}

export function tags(categories) {
  return el('div', { class: 'tags' }, ...categories.map((c) => el('section', {},
    el('h4', { text: `${c.label} (${formatNumber(c.total)})` }),
    el('ul', {}, ...c.tags.map((t) => el('li', { text: `${t.tag.name}: ${formatNumber(t.count)}` }))))));
}

export function object(data) {
  return el('dl', { class: 'facts' }, ...Object.entries(data).flatMap(([k, v]) => [
    el('dt', { text: k }), el('dd', { text: cell(v, k) })]));
}
