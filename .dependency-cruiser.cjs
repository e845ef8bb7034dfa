/**
 * Layer rules of DESIGN.md §3, enforced in CI (`npm run lint`). Test files may reach across layers.
 * @type {import('dependency-cruiser').IConfiguration}
 */
const notTest = '\\.test\\.ts$';
module.exports = {
  forbidden: [
    {
      name: 'core-is-the-bottom',
      severity: 'error',
      comment: 'src/core imports nothing else from src.',
      from: { path: '^src/core/', pathNot: notTest },
      to: { path: '^src/(?!core/)' },
    },
    {
      name: 'model-imports-only-core',
      severity: 'error',
      comment: 'The domain model is pure: only src/core and src/model.',
      from: { path: '^src/model/', pathNot: notTest },
      to: { path: '^src/(?!core/|model/)' },
    },
    {
      name: 'model-has-no-io',
      severity: 'error',
      comment: 'No Node built-ins (I/O) in the domain model.',
      from: { path: '^src/model/', pathNot: notTest },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'kis-field-names-stay-in-the-adapter',
      severity: 'error',
      comment: 'Only the composition root (src/node) wires the KIS adapter; nobody else sees KIS names or TR ids.',
      from: { path: '^src/', pathNot: ['^src/adapters/kis/', '^src/node/', notTest] },
      to: { path: '^src/adapters/kis/' },
    },
    {
      name: 'twin-is-independent-of-the-client',
      severity: 'error',
      comment: 'The twin implements the protocol on its own, so the two can catch each other.',
      from: { path: '^src/sim/' },
      to: { path: '^src/adapters/' },
    },
    {
      name: 'adapter-does-not-know-the-twin',
      severity: 'error',
      from: { path: '^src/adapters/', pathNot: notTest },
      to: { path: '^src/sim/' },
    },
    {
      name: 'front-ends-call-app',
      severity: 'error',
      comment: 'api, cli and notify call src/app (and src/node to build it), never engines, adapters or the twin.',
      from: { path: '^src/(api|cli|notify)/', pathNot: notTest },
      to: { path: '^src/(adapters|sim|execution|sync|risk|persistence|monitor|strategy|data|pipeline)/' },
    },
    {
      name: 'sync-sees-ports-only',
      severity: 'error',
      comment: 'The sync reconciles through its ports and the persistence repositories: no adapter, twin or composition root.',
      from: { path: '^src/sync/', pathNot: notTest },
      to: { path: '^src/(?!core/|model/|persistence/|sync/)' },
    },
    {
      name: 'execution-sees-ports-only',
      severity: 'error',
      comment: 'The order executor works through its ports (venue, journal): no adapter, store, twin or composition root.',
      from: { path: '^src/execution/', pathNot: notTest },
      to: { path: '^src/(?!core/|model/|execution/)' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
