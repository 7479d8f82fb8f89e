import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The boundaries between the parts (docs/architecture.md), as import rules. Patterns are regular
// expressions over the import specifier, so they catch '../electron/x.js' and '../../electron/x.js' alike.
const NO_ELECTRON = {
  regex: '(^|/)electron/',
  message:
    'Only electron/ and test/ import electron/: server/ runs headless (the CLI), the renderer is a web page.',
};
const NO_RENDERER = {
  regex: '(^|/)renderer/',
  message: 'The renderer is a web page built by Vite: nothing imports its code.',
};
const NO_SUPPORT = {
  regex: '(^|/)support/',
  message: 'support/ is test and bench code and is not shipped: only tests, bench/ and support/ import it.',
};
const SERVER_TYPES_ONLY = [
  {
    regex: '(^|/)server/(?!api\\.js$)',
    message:
      'The renderer talks to main through the preload API only: it imports nothing from server/ but the types in server/api.ts.',
  },
  {
    regex: '(^|/)server/api\\.js$',
    allowTypeImports: true,
    message: 'The renderer imports only types from server/api.ts (`import type`): its values live in main.',
  },
];
const restrictImports = (...patterns) => ({
  '@typescript-eslint/no-restricted-imports': ['error', { patterns }],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'renderer/dist/**', 'release/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // Tests beside the server's code may use support/; the code itself may not.
    files: ['server/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: restrictImports(NO_ELECTRON, NO_RENDERER, NO_SUPPORT),
  },
  {
    files: ['server/**/*.test.ts'],
    rules: restrictImports(NO_ELECTRON, NO_RENDERER),
  },
  {
    files: ['electron/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: restrictImports(NO_RENDERER, NO_SUPPORT),
  },
  {
    // The renderer's unit tests run in Node, not in the page (draft.test.ts checks against DEFAULT_SETTINGS).
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    ignores: ['**/*.test.ts'],
    rules: restrictImports(NO_ELECTRON, NO_SUPPORT, ...SERVER_TYPES_ONLY),
  },
  {
    files: ['bin/**/*.js', 'eslint.config.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
