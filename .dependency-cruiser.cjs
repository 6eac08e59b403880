/**
 * Weiloop's module boundaries (../shared/DESIGN.md), checked in CI by `npm run lint:deps`.
 * TypeScript 7 has no compiler API for dependency-cruiser yet, so it parses with swc, which sees
 * `import type` as well.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles make modules inseparable: break them with an event or a smaller file.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'wechat-is-protocol-only',
      severity: 'error',
      comment: 'src/wechat speaks the WeChat protocol and knows nothing of merchants or orders.',
      from: { path: '^src/wechat/' },
      to: { path: '^src/', pathNot: '^src/wechat/' },
    },
    {
      name: 'platform-knows-no-business',
      severity: 'error',
      comment: 'src/platform is cross-cutting: it imports no module, no composition file.',
      from: { path: '^src/platform/' },
      to: { path: '^src/', pathNot: '^src/platform/' },
    },
    {
      name: 'modules-through-their-face',
      severity: 'error',
      comment: "A module imports another module only through that module's index.ts.",
      from: { path: '^src/modules/([^/]+)/' },
      to: { path: '^src/modules/', pathNot: ['^src/modules/$1/', '^src/modules/[^/]+/index\\.ts$'] },
    },
    {
      name: 'outsiders-through-the-face',
      severity: 'error',
      comment:
        "Composition, CLI, simulator, tests and benches see a module through its index.ts (the app's DB type may name schema files).",
      from: { path: '^(src/[^/]+\\.ts|src/cli/|src/simulator/|test/|bench/)', pathNot: '^src/database\\.ts$|^src/deps\\.ts$' },
      to: { path: '^src/modules/[^/]+/', pathNot: '^src/modules/[^/]+/index\\.ts$' },
    },
    {
      name: 'messaging-sits-above-its-sources',
      severity: 'error',
      comment:
        'Messaging hears orders, marketing and channel through events and calls their faces; they never import messaging.',
      from: { path: '^src/modules/(orders|marketing|channel|crm|catalog|accounts|tenants|payments)/' },
      to: { path: '^src/modules/messaging/' },
    },
    {
      name: 'marketing-sits-above-channel-and-crm',
      severity: 'error',
      comment:
        'Marketing issues coupons from chat (channel’s log) and to CRM segments; channel and CRM never import it.',
      from: { path: '^src/modules/(channel|crm|orders|catalog|accounts|tenants)/' },
      to: { path: '^src/modules/marketing/' },
    },
    {
      name: 'community-is-above-channel',
      severity: 'error',
      comment:
        'Community calls channel, orders, catalog and accounts; none of them imports community (it writes their rules and hears their events).',
      from: { path: '^src/modules/(accounts|catalog|channel|orders|payments|crm|tenants)/' },
      to: { path: '^src/modules/community/' },
    },
    {
      name: 'growth-sits-above-loyalty',
      severity: 'error',
      comment:
        'Growth spends and awards points through loyalty’s face (lucky draws); loyalty and the modules below never import growth.',
      from: {
        path: '^src/modules/(loyalty|accounts|catalog|channel|orders|payments|crm|marketing|messaging|tenants)/',
      },
      to: { path: '^src/modules/growth/' },
    },
    {
      name: 'orders-never-import-payments',
      severity: 'error',
      comment: 'Payments calls orders; orders tells payments things through events.',
      from: { path: '^src/modules/orders/' },
      to: { path: '^src/modules/payments/' },
    },
  ],
  options: {
    parser: 'swc',
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^web/|node_modules' },
  },
};
