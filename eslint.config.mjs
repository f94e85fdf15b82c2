// `npm run lint`: type-aware typescript-eslint over the whole repository (web included) and the import boundaries
// between its packages (eslint.boundaries.mjs). Formatting is Prettier's job (`npm run format:check`), not ESLint's.
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';
import { boundaryBlocks } from './eslint.boundaries.mjs';

const ROOT = import.meta.dirname;

export default tseslint.config(
  {
    name: 'car-check/ignores',
    // Generated code is its generator's (and .gitignore's build output is not source). The peer
    // gateways' config files are Hive's, run by its CLI with its own dependencies.
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/coverage/**',
      '**/.data/**',
      '**/__generated__/**',
      'benchmarks/peers/**',
    ],
  },
  {
    name: 'car-check/lint-options',
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    name: 'car-check/typescript',
    languageOptions: {
      parserOptions: {
        // One program for the services, libraries, tests and scripts (the root tsconfig), two for the web app.
        project: ['./tsconfig.json', './web/tsconfig.json', './web/tsconfig.node.json'],
        tsconfigRootDir: ROOT,
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      // An exhaustive switch's default names the impossible value in its error message.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNever: true }],
      // React ignores what an event handler returns; a promise-returning onClick/onSubmit is the idiom.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      // Style, not bugs: an async function that does not await still honours its Promise-returning contract.
      '@typescript-eslint/require-await': 'off',
      // Style, not bugs (and --fix would touch lines every branch of issue 21 rewrites); enable after the merge.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // graphql-js documents its OperationTypeNode enum as comparable with 'query' | 'mutation' | 'subscription'.
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
      // Interfaces here declare callbacks in method syntax, implemented by closures that never use `this`.
      '@typescript-eslint/unbound-method': 'off',
      // It flags String(value) of unknown YAML, JSON and GraphQL-extension values, which are stringified on purpose.
      '@typescript-eslint/no-base-to-string': 'off',
      // Matching control characters is what the input checks (textInput, hostile requests) are for.
      'no-control-regex': 'off',
    },
  },
  {
    name: 'car-check/tests',
    files: ['**/__tests__/**', '**/*.test.ts', '**/*.test.tsx', '**/test/**', 'packages/test-support/**'],
    rules: {
      // Jest's asymmetric matchers (expect.any, expect.objectContaining) are typed `any`; product code keeps these.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    name: 'car-check/peer-benchmarks',
    // The peer gateways' packages are installed only by their benchmark (benchmarks/peers/package.json).
    files: ['benchmarks/peers/**'],
    rules: {
      '@typescript-eslint/ban-ts-comment': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
  {
    name: 'car-check/javascript',
    // Plain JavaScript (jest configs, stubs, the container health check) is in no tsconfig: no type-aware rules.
    files: ['**/*.{js,cjs,mjs}'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        exports: 'writable',
        __dirname: 'readonly',
        process: 'readonly',
        console: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    name: 'car-check/web',
    files: ['web/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
    },
  },
  {
    name: 'car-check/import-resolution',
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [
        createTypeScriptImportResolver({
          project: ['./tsconfig.json', './web/tsconfig.json', './web/tsconfig.node.json'],
          noWarnOnMultipleProjects: true,
        }),
      ],
    },
    // One import statement per module: a second one for the same module is a leftover of moved code.
    rules: { 'import-x/no-duplicates': ['error', { 'prefer-inline': true }] },
  },
  ...boundaryBlocks,
);
