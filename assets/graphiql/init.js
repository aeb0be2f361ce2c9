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
  var httpFetcher = GraphiQL.createFetcher({ url: '/graphql' });
  // Subscriptions run over WebSocket (graphql-transport-ws); their results arrive one by one.
  function isSubscription(params) {
    var query = (params.query || '').replace(/#[^\n]*/g, '');
    if (params.operationName) {
      return new RegExp('subscription\\s+' + params.operationName + '\\b').test(query);
    }
    return /^\s*subscription\b/.test(query);
  }
  function live(params, authorization) {
    var queue = [];
    var waiting = null;
    var done = false;
    var scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    var socket = new WebSocket(scheme + '://' + window.location.host + '/graphql', 'graphql-transport-ws');
    function push(item) {
      if (waiting) { var w = waiting; waiting = null; w(item); } else { queue.push(item); }
    }
    function end() {
      if (done) return;
      done = true;
      push({ value: undefined, done: true });
    }
    function send(message) { try { socket.send(JSON.stringify(message)); } catch (e) { /* closing */ } }
    socket.onopen = function () {
      send({ type: 'connection_init', payload: { authorization: authorization } });
    };
    socket.onmessage = function (event) {
      var m = JSON.parse(event.data);
      if (m.type === 'connection_ack') {
        send({ type: 'subscribe', id: '1', payload: { query: params.query, variables: params.variables, operationName: params.operationName } });
      } else if (m.type === 'next') {
        push({ value: m.payload, done: false });
      } else if (m.type === 'error') {
        push({ value: { errors: m.payload }, done: false });
        end();
      } else if (m.type === 'complete') {
        end();
      } else if (m.type === 'ping') {
        send({ type: 'pong' });
      }
    };
    socket.onclose = function (event) {
      if (!done && event.code !== 1000) {
        push({ value: { errors: [{ message: 'live connection closed: ' + event.code + ' ' + event.reason }] }, done: false });
      }
      end();
    };
    var iterator = {
      next: function () {
        if (queue.length) return Promise.resolve(queue.shift());
        if (done) return Promise.resolve({ value: undefined, done: true });
        return new Promise(function (resolve) { waiting = resolve; });
      },
      'return': function () {
        send({ type: 'complete', id: '1' });
        try { socket.close(1000); } catch (e) { /* closed */ }
        end();
        return Promise.resolve({ value: undefined, done: true });
      }
    };
    iterator[Symbol.asyncIterator] = function () { return iterator; };
    return iterator;
  }
  function fetcher(params, options) {
    if (!isSubscription(params)) return httpFetcher(params, options);
    var h = (options && options.headers) || {};
    return live(params, h.Authorization || h.authorization || '');
  }
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
