import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

export default {
  preprocess: vitePreprocess(),
  compilerOptions: {
    runes: true,
    // Component styles go to the emitted .css file, never into inline <style> tags (CSP).
    css: 'external',
  },
};
