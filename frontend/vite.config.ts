import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

const outDir = resolve(import.meta.dirname, 'dist');

// The Go binary embeds frontend/dist with `//go:embed all:frontend/dist`, which
// refuses to compile when the folder is missing or empty. Vite empties dist on
// every build, so put the tracked placeholder back once the bundle is written.
function keepDistPlaceholder(): Plugin {
  return {
    name: 'threadline-keep-dist-placeholder',
    apply: 'build',
    closeBundle() {
      mkdirSync(outDir, { recursive: true });
      writeFileSync(resolve(outDir, '.gitkeep'), '');
    },
  };
}

// `npm run dev` talks to a running `threadline serve`; point it there with
// THREADLINE_DEV_API=http://127.0.0.1:PORT (the session cookie still has to be
// obtained once through the one-time login URL on that origin).
const devApi = process.env.THREADLINE_DEV_API;

export default defineConfig({
  // Relative asset URLs work both inside the Wails webview and when the same
  // bundle is served over http://127.0.0.1:PORT/.
  base: './',
  plugins: [svelte(), keepDistPlaceholder()],
  build: {
    outDir,
    emptyOutDir: true,
    target: 'es2022',
  },
  server: devApi
    ? { proxy: { '/api': { target: devApi, changeOrigin: true } } }
    : undefined,
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
