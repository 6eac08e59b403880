// `npm run dev`: the server (API, simulator, shop) and the console with hot reload, side by side.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const children = [
  spawn(process.execPath, [join(root, 'src', 'main.ts'), 'serve'], { stdio: 'inherit' }),
  spawn(join(root, 'node_modules', '.bin', 'vite'), ['--config', join(root, 'web', 'admin', 'vite.config.ts')], { stdio: 'inherit' }),
];
const stop = () => {
  for (const child of children) child.kill('SIGTERM');
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
for (const child of children) child.on('exit', stop);
