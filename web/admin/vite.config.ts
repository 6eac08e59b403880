import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The console is served by Weiloop itself at /console; `npm run dev` proxies the API to it.
export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 2000 },
  server: { proxy: { '/api': 'http://127.0.0.1:3000', '/sim': 'http://127.0.0.1:3000' } },
});
