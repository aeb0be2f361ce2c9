// Live answers over WebSocket: the `graphql-transport-ws` protocol (what the `graphql-ws`
// library speaks), one connection per view. It reconnects with growing, jittered delays; when
// no connection was ever acknowledged after a few tries (WebSockets blocked by a proxy), or the
// gateway refuses the token, it says so and the caller polls instead.

import { token } from './api.js';

const GIVE_UP_AFTER = 3;

/// Subscribes `query` with `variables`. `next(answer)` gets every answer ({data, errors});
/// `state(mode, detail)` hears `connecting`, `live`, `reconnecting` or `polling`.
/// Returns a handle whose `stop()` ends it.
export function subscribeLive(query, variables, { next, state }) {
  let socket = null;
  let stopped = false;
  let attempt = 0;
  let everAcknowledged = false;
  let timer = null;

  const send = (message) => { try { socket.send(JSON.stringify(message)); } catch (e) { /* closing */ } };

  const retry = () => {
    attempt += 1;
    if (!everAcknowledged && attempt >= GIVE_UP_AFTER) { state('polling', 'live updates unavailable here'); return; }
    const delay = Math.min(30000, 1000 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
    state('reconnecting', `reconnecting in ${Math.round(delay / 1000)} s`);
    timer = setTimeout(open, delay);
  };

  const open = () => {
    if (stopped) return;
    if (typeof WebSocket === 'undefined') { state('polling', 'no WebSocket in this browser'); return; }
    state(attempt ? 'reconnecting' : 'connecting');
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    try {
      socket = new WebSocket(`${scheme}://${window.location.host}/graphql`, 'graphql-transport-ws');
    } catch (e) {
      retry();
      return;
    }
    socket.onopen = () => send({ type: 'connection_init', payload: { authorization: `Bearer ${token()}` } });
    socket.onmessage = (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      switch (message.type) {
        case 'connection_ack':
          everAcknowledged = true;
          attempt = 0;
          state('live');
          send({ type: 'subscribe', id: '1', payload: { query, variables } });
          break;
        case 'next': next(message.payload); break;
        case 'error': next({ errors: message.payload }); break;
        case 'ping': send({ type: 'pong' }); break;
        default: break;
      }
    };
    socket.onclose = (event) => {
      socket = null;
      if (stopped) return;
      if (event.code === 4403) { state('polling', 'live updates refused for this token'); return; }
      retry();
    };
  };

  open();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      if (socket) {
        send({ type: 'complete', id: '1' });
        socket.close(1000);
      }
    },
  };
}
