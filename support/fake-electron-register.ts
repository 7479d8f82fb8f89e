/** `node --import ./fake-electron-register.js main.js`: main's `import … from 'electron'` gets the fake. */
import { register } from 'node:module';

register('./fake-electron-hooks.js', import.meta.url);
