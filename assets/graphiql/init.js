// dashgate's GraphiQL: served from the gateway itself (no CDN), talking to /graphql.
// The headers editor starts with the token the console keeps in this tab's sessionStorage;
// a token is never put into a URL.
(function () {
  'use strict';
  var token = null;
  try { token = window.sessionStorage.getItem('dashgate.token'); } catch (e) { token = null; }
  var headers = token ? JSON.stringify({ Authorization: 'Bearer ' + token }, null, 2) : '{}';
  var example = [
    '# The API usage dashboard of the last 7 days (send a token in Headers).',
    '{',
    '  apiUsage(window: { preset: LAST_7_DAYS }) {',
    '    window { start end granularity }',
    '    kpis { totalRequests { value previous delta { ratio status } } }',
    '    requests { start success error }',
    '  }',
    '}',
    ''
  ].join('\n');
  // The README's tour, one tab each (tour.js), after the first example.
  var tabs = [{ query: example, headers: headers }].concat((window.DASHGATE_TOUR || []).map(function (q) {
    return { query: q, headers: headers };
  }));
  var fetcher = GraphiQL.createFetcher({ url: '/graphql' });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultQuery: example,
    defaultHeaders: headers,
    defaultTabs: tabs,
    defaultEditorToolsVisibility: token ? false : 'headers',
    shouldPersistHeaders: false
  }));
})();
