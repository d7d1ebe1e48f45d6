// Import boundaries, checked by `npm run lint` (dependency-cruiser). Test: test/importBoundaries.test.ts.
//
// Production code is what the Docker image runs (tsconfig.build.json compiles exactly these rooms);
// the dev harness (dev/: Temporal binaries, dev server, local stack), the simulator, the tests, the
// scripts and the benchmarks stand on it, never the other way round.
const PRODUCTION = '^(api|activities|workflows|worker|client|common|config|cli)/';
const DEV_ONLY = '^(dev|sim|test|scripts|bench)/';

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A circular import makes load order matter and the two modules one. Type-only imports count too: ' +
        'they are the same coupling.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'production-not-to-dev-harness',
      severity: 'error',
      comment:
        'Production code must not import the dev harness, the simulator, tests, scripts or benchmarks: ' +
        'they are not in the production build. Move what both need into common/ or config/.',
      from: { path: PRODUCTION },
      to: { path: DEV_ONLY },
    },
    {
      name: 'production-not-to-dev-dependencies',
      severity: 'error',
      comment:
        'The image installs only "dependencies" (npm prune --omit=dev): a package production code ' +
        'imports at run time belongs there, not in devDependencies.',
      from: { path: PRODUCTION },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|test/fixtures)/' },
    // Count `import type` too: a type-only import of sim/ would still pull it into the build's program.
    tsPreCompilationDeps: true,
    // Resolve packages as Node's ESM loader does (typebox, for one, has only an "exports" map).
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
