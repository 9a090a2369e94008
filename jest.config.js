/** Jest runs the TypeScript sources through ts-jest (transpile only: `npm test` type-checks the whole tree with tsc first). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json', diagnostics: false }] },
  testTimeout: 120000,
  maxWorkers: 2,
  setupFiles: ['<rootDir>/test/helpers/fast-check-seed.ts'],
};
