import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// Unit tests cover plain TypeScript (realtime client, business logic) and the state classes
// (*.svelte.ts, compiled by the Svelte plugin so runes work).  No DOM needed.
export default defineConfig({
  plugins: [svelte()],
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    testTimeout: 5000,
  },
});
