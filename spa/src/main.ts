import './app.css';
import { mount } from 'svelte';
import App from './App.svelte';
import { Api } from './lib/api/api';
import { createApiClient } from './lib/api/client';
import type { Environment } from './lib/realtime/connection';
import { Chat } from './lib/state/chat.svelte';

const env: Environment = {
  addEventListener: (type, fn) =>
    type === 'online' ? window.addEventListener('online', fn) : document.addEventListener('visibilitychange', fn),
  removeEventListener: (type, fn) =>
    type === 'online' ? window.removeEventListener('online', fn) : document.removeEventListener('visibilitychange', fn),
  isVisible: () => document.visibilityState === 'visible',
};

const chat = new Chat({
  api: new Api(createApiClient()),
  storage: window.localStorage,
  location: window.location,
  history: window.history,
  env,
  isVisible: env.isVisible,
});
chat.theme.init(window);

window.addEventListener('popstate', () => void chat.onPopState(location.pathname, location.search));
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') chat.onVisible();
});

const target = document.getElementById('app');
if (!target) throw new Error('#app is missing from index.html');
mount(App, { target, props: { chat } });
void chat.boot();
