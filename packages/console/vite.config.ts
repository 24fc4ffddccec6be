import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

// The node serves the build at `/` under `script-src 'self'`: no inline script, no eval. Vite's
// module-preload polyfill is bundled into the entry, and a worker is its own file.
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    // Source maps would ship the officers' console source; the repository has it.
    sourcemap: false,
    // What counts is the gzipped size of the initial JavaScript, which size-limit gates (250 KB).
    chunkSizeWarningLimit: 1000,
  },
  worker: { format: 'es' },
})
