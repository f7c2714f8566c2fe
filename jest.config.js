// Two projects: `unit` runs pure logic in parallel; `e2e` talks to the local control plane
// (started by test/e2e/global-setup.ts when it is not already up) and runs in band.
const tsJest = [
  'ts-jest',
  { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } },
];
const common = {
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': tsJest },
  testEnvironment: 'node',
};

export default {
  // End-to-end tests wait on a real cluster; unit tests finish far inside this.
  testTimeout: 120000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/controllers/**/*.test.ts', '<rootDir>/cuelang-wasm/**/*.test.ts'],
    },
    {
      // Long fault tests (`npm run test:faults`); their short variants run in the e2e project.
      ...common,
      displayName: 'faults',
      testMatch: ['<rootDir>/test/faults/**/*.test.ts'],
      globalSetup: '<rootDir>/test/e2e/global-setup.ts',
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts'],
      globalSetup: '<rootDir>/test/e2e/global-setup.ts',
    },
  ],
};
