// Saved filter presets of the current dashboard: list, apply, save, update, set default and
// delete, all through the GraphQL mutations; `userErrors` show next to the field they name.

import { graphql } from './api.js';
import { el } from './render.js';

const FIELDS = 'id name visibility isDefault version canEdit';

function windowInput(view) {
  const w = {};
  if (view.preset) w.preset = view.preset;
  if (view.preset === 'CUSTOM') {
    if (view.start) w.start = new Date(view.start).toISOString();
    if (view.end) w.end = new Date(view.end).toISOString();
  }
  if (view.tz) w.timezone = view.tz;
  if (view.g) w.granularity = view.g;
  return Object.keys(w).length ? w : null;
}

function filterInput(d, view) {
  const f = {};
  for (const k of d.filters) f[k] = view.filter[k] || [];
  return f;
}

/// The preset bar of dashboard `d`; `changed` redraws the view after applying or deleting.
export function presetBar(d, view, changed) {
  const list = el('select', { id: 'preset', 'aria-label': 'saved presets' });
  const name = el('input', { id: 'preset-name', placeholder: 'preset name', 'aria-describedby': 'preset-name-error' });
  const visibility = el('select', { id: 'preset-visibility', 'aria-label': 'visibility' },
    el('option', { value: 'PERSONAL', text: 'personal' }), el('option', { value: 'TEAM', text: 'team' }));
  const nameError = el('span', { id: 'preset-name-error', class: 'error', role: 'alert' });
  const message = el('span', { class: 'preset-message', role: 'status' });
  let presets = [];

  const selected = () => presets.find((p) => p.id === list.value);
  const show = (payload) => {
    nameError.textContent = '';
    message.textContent = '';
    const errors = (payload && payload.userErrors) || [];
    for (const e of errors) {
      const text = `${e.code}: ${e.message}`;
      if ((e.field || []).includes('name')) nameError.textContent = text;
      else message.textContent = text;
    }
    return errors.length === 0;
  };
  const failed = (answer) => {
    const e = (answer.errors || [])[0];
    if (e) message.textContent = `${(e.extensions && e.extensions.code) || 'ERROR'}: ${e.message}`;
    return Boolean(e);
  };

  async function refresh() {
    const answer = await graphql(`query($d: DashboardKind) { filterPresets(dashboard: $d) { ${FIELDS} } }`, { d: d.kind });
    if (failed(answer)) return;
    presets = answer.data.filterPresets;
    list.replaceChildren(el('option', { value: '', text: presets.length ? 'choose a preset…' : 'no saved presets' }),
      ...presets.map((p) => el('option', { value: p.id, selected: p.id === view.presetId,
        text: `${p.name}${p.isDefault ? ' (default)' : ''}${p.visibility === 'TEAM' ? ' · team' : ''}` })));
  }

  async function mutate(query, vars, key) {
    const answer = await graphql(query, vars);
    if (failed(answer)) return null;
    const payload = answer.data[key];
    return show(payload) ? payload : null;
  }

  const apply = () => {
    view.presetId = list.value;
    // The preset's saved window and filter apply; the view's own are cleared so they do not win.
    view.preset = ''; view.start = ''; view.end = ''; view.tz = ''; view.g = ''; view.filter = {};
    changed();
  };
  const save = async () => {
    const input = { dashboard: d.kind, name: name.value, visibility: visibility.value, window: windowInput(view) };
    input[d.key] = filterInput(d, view);
    const p = await mutate(`mutation($input: CreateFilterPresetInput!) { createFilterPreset(input: $input) { preset { ${FIELDS} } userErrors { field message code } } }`,
      { input }, 'createFilterPreset');
    if (p) { view.presetId = p.preset.id; message.textContent = `saved “${p.preset.name}”`; await refresh(); }
  };
  const update = async () => {
    const p0 = selected();
    if (!p0) { message.textContent = 'choose a preset to update'; return; }
    const input = { window: windowInput(view) };
    if (name.value) input.name = name.value;
    input[d.key] = filterInput(d, view);
    const p = await mutate(`mutation($id: ID!, $v: Int!, $input: UpdateFilterPresetInput!) { updateFilterPreset(id: $id, expectedVersion: $v, input: $input) { preset { ${FIELDS} } userErrors { field message code } } }`,
      { id: p0.id, v: p0.version, input }, 'updateFilterPreset');
    if (p) { message.textContent = `updated “${p.preset.name}”`; await refresh(); }
  };
  const makeDefault = async () => {
    if (!list.value) return;
    const p = await mutate(`mutation($id: ID!) { setDefaultFilterPreset(id: $id) { preset { ${FIELDS} } userErrors { field message code } } }`,
      { id: list.value }, 'setDefaultFilterPreset');
    if (p) await refresh();
  };
  const remove = async () => {
    if (!list.value) return;
    const p = await mutate('mutation($id: ID!) { deleteFilterPreset(id: $id) { deletedId userErrors { field message code } } }',
      { id: list.value }, 'deleteFilterPreset');
    if (p) {
      if (view.presetId === p.deletedId) view.presetId = '';
      message.textContent = 'deleted';
      await refresh();
    }
  };

  refresh();
  return el('div', { class: 'presets', role: 'group', 'aria-label': 'presets' },
    list,
    el('button', { type: 'button', id: 'preset-apply', text: 'Apply', onclick: apply }),
    el('button', { type: 'button', id: 'preset-default', text: 'Set default', onclick: makeDefault }),
    el('button', { type: 'button', id: 'preset-delete', text: 'Delete', onclick: remove }),
    el('label', { for: 'preset-name' }, el('span', { text: 'Name' }), name),
    visibility,
    el('button', { type: 'button', id: 'preset-save', text: 'Save as new', onclick: save }),
    el('button', { type: 'button', id: 'preset-update', text: 'Update selected', onclick: update }),
    nameError, message);
}
