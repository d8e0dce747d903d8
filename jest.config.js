/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Type checking is done once by `tsc --noEmit` in `npm test`; ts-jest only transpiles.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  // Synthesizing EKS apps is CPU-heavy; two workers match the CI machine's two cores.
  maxWorkers: 2,
  testTimeout: 120000,
  setupFiles: ['<rootDir>/test/support/jest-setup.ts'],
};
