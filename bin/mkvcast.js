#!/usr/bin/env node
// The CLI is written in TypeScript and compiled to dist/ by `npm run build` (run by `npm ci` through `prepare`).
import('../dist/server/cli.js').catch((error) => {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND') {
    console.error('mkvcast is not built yet. Run `npm run build` in the mkvcast folder, then try again.');
    process.exit(1);
  }
  throw error;
});
