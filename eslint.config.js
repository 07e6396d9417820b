import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', '.tap/', 'src/generated/', 'node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname }
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error'] }],
      eqeqeq: ['error', 'always']
    }
  },
  {
    // Command-line tools, benchmarks and the process entry talk to a terminal.
    files: ['src/cli/**', 'src/server.ts', 'bench/**', 'scripts/**', 'test/setup/**'],
    rules: { 'no-console': 'off' }
  },
  {
    // Tests walk JSON responses; `any` there is the honest type of a GraphQL response body. A
    // module's test-plan.ts is test code kept in its folder.
    files: ['test/**', 'src/**/test-plan.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' }
  },
  {
    // ... and never part of the service: the build leaves test-plan.ts out, so nothing may import it.
    files: ['src/**'],
    ignores: ['src/**/test-plan.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/test-plan.js', '**/test/**'], message: 'test code (a test-plan.ts, test/) is not part of the service' }] }]
    }
  },
  {
    // Migrations are typed Kysely<any> on purpose: they are frozen in time and must not depend
    // on the application's current table types.
    files: ['db/migrations/**', 'db/ddl.ts', 'src/database/migrator.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' }
  },
  {
    files: ['src/graphiql/setup.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { sourceType: 'script', parserOptions: { projectService: false } }
  },
  {
    files: ['eslint.config.js'],
    ...tseslint.configs.disableTypeChecked
  }
)
