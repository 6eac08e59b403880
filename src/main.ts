import { parseArgs } from 'node:util';
import type { Kysely } from 'kysely';
import { buildApp, openApp } from './app.ts';
import { backupCommands } from './cli/backup-commands.ts';
import { channelCommands } from './cli/channel-commands.ts';
import {
  type Command,
  merchantBySlug,
  required,
  UsageError,
  type Values,
  withDatabase,
} from './cli/command.ts';
import { keyCommands } from './cli/key-commands.ts';
import { simulatorCommands } from './cli/simulator-commands.ts';
import { ConfigError, isLoopback, loadConfig } from './config.ts';
import type { DB } from './database.ts';
import { DEMO, isEmptyDatabase, seedDemo } from './demo.ts';
import { migrations } from './migrations.ts';
import { addMember, createApiToken, createMerchant, findMerchantBySlug } from './modules/tenants/index.ts';
import { isRole, ROLES } from './platform/auth/roles.ts';
import { openDatabase } from './platform/db/database.ts';
import { migrateToLatest } from './platform/db/migrate.ts';
import { AppError } from './platform/http/errors.ts';

/** The worker process's SQLite page cache (a serving process keeps SQLITE_CACHE_MIB). */
const WORKER_SQLITE_CACHE_MIB = 8;

function roleOption(values: Values): (typeof ROLES)[number] {
  const role = required(values, 'role');
  if (!isRole(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
  return role;
}

/** Pending connections the listening socket queues (see serve). */
const LISTEN_BACKLOG = 4096;
const env = () => loadConfig(process.env);

const commands: Record<string, Command> = {
  serve: {
    summary: 'Serve the API, console, shop and (by default) the WeChat simulator',
    usage: 'serve [--port N]',
    options: { port: { type: 'string', description: 'Port to listen on (default: PORT or 3000)' } },
    async run(values) {
      const port = values.port === undefined ? undefined : Number(values.port);
      if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
        throw new UsageError('--port must be an integer between 0 and 65535');
      }
      const config = loadConfig(process.env, port === undefined ? {} : { port });
      const weiloop = await buildApp(config);
      const system = { db: weiloop.deps.db, dialect: weiloop.deps.dialect, now: Date.now() };
      if (config.demo && (await isEmptyDatabase(system)))
        await seedDemo(system, config.simulator ? weiloop.deps : undefined);
      if (config.worker) {
        await weiloop.scheduleMaintenance();
        weiloop.worker.start();
      }
      // WeChat pushes a burst (a broadcast answered by a thousand fans) as that many connections at
      // once; Node's default queue of 511 pending connections drops the rest to a SYN retry (1 s+).
      // The kernel caps it at net.core.somaxconn.
      const address = await weiloop.app.listen({
        port: config.port,
        host: config.host,
        backlog: LISTEN_BACKLOG,
      });
      if (config.simulator && !isLoopback(config.host)) {
        // Only an explicit SIMULATOR=on gets here. Anyone who reaches /sim can play WeChat: be any
        // fan, read their orders, pay. Say so where nobody can miss it.
        const warning = `WARNING: the WeChat simulator is ON and listening on ${config.host}: anyone who reaches this server can act as any fan. Never do this in production (unset SIMULATOR).`;
        weiloop.deps.logger.warn(warning);
        process.stderr.write(`\n${'!'.repeat(100)}\n${warning}\n${'!'.repeat(100)}\n\n`);
      }
      onShutdown(weiloop.deps.logger, () => weiloop.close());
      const base = config.publicUrl;
      const where = config.database.kind === 'sqlite' ? `SQLite ${config.database.path}` : 'PostgreSQL';
      const lines = [
        `Weiloop ${config.version} listening on ${address} (${where})`,
        `  API docs   ${base}/api/docs`,
        `  Health     ${base}/healthz`,
      ];
      if (config.demo && (await findMerchantBySlug(system, DEMO.slug))) {
        lines.push(`  Console    ${base}/console/`);
        lines.push(`  Demo login ${DEMO.email} / ${DEMO.password}  (merchant "${DEMO.slug}")`);
        if (config.simulator) {
          lines.push(
            `  Phone      ${base}/sim/phone   (sign in to the console in the same browser, then chat as a fan)`,
            `  Shop       ${base}/shop/${DEMO.serviceAppId}/search?q=${encodeURIComponent('连衣裙')}`,
            `  Be a fan   npm run weiloop -- sim say --appid ${DEMO.serviceAppId} --openid ${DEMO.fan} --text 连衣裙`,
            `             (try also: --text 南京 · --location 32.04,118.78 · --click NEW_THIS_WEEK · --event subscribe)`,
          );
        }
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    },
  },
  worker: {
    summary: 'Run only the job worker (for scale-out next to serve processes)',
    usage: 'worker',
    options: {},
    async run() {
      // Jobs only: no HTTP server, routes or simulator (their schemas and code are memory a
      // sending worker does not need). On SQLite a small page cache: a sender reads a page of
      // notices and writes it back, and 64 MiB of cached pages was a fifth of its memory at a
      // million notices; a CRM import takes the large cache for its own run (crm.jobs.ts).
      const config = env();
      const core = await openApp(
        config.database.kind === 'sqlite'
          ? { ...config, database: { ...config.database, cacheMiB: WORKER_SQLITE_CACHE_MIB } }
          : config,
      );
      await core.scheduleMaintenance();
      core.worker.start();
      onShutdown(core.deps.logger, () => core.close());
      process.stdout.write(`Weiloop worker ${core.worker.id} running\n`);
    },
  },
  migrate: {
    summary: 'Create or upgrade the database schema',
    usage: 'migrate',
    options: {},
    async run() {
      const database = openDatabase<DB>(env().database);
      try {
        const applied = await migrateToLatest(database.db as Kysely<unknown>, migrations);
        process.stdout.write(
          applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n',
        );
      } finally {
        await database.close();
      }
    },
  },
  'seed-demo': {
    summary: 'Create the demo merchant and its login (does nothing if it exists)',
    usage: 'seed-demo',
    options: {},
    async run() {
      await withDatabase(async (ctx) => {
        const result = await seedDemo(ctx);
        process.stdout.write(
          `${result.created ? 'created' : 'already there'}: merchant "${DEMO.slug}" (${result.merchantId}), login ${DEMO.email} / ${DEMO.password}\n`,
        );
      });
    },
  },
  'merchant add': {
    summary: 'Create a merchant',
    usage: 'merchant add --slug acme --name "Acme 旗舰店"',
    options: {
      slug: { type: 'string', description: 'Short unique id: lowercase letters, digits, -' },
      name: { type: 'string', description: 'Display name' },
    },
    async run(values) {
      await withDatabase(async (ctx) => {
        const merchant = await createMerchant(ctx, {
          slug: required(values, 'slug'),
          name: required(values, 'name'),
        });
        process.stdout.write(`created merchant ${merchant.slug} (${merchant.id})\n`);
      });
    },
  },
  'user add': {
    summary: 'Give a person a console login on a merchant',
    usage: 'user add --merchant demo --email a@b.c --password … --role owner|operator|agent|clerk [--name …]',
    options: {
      merchant: { type: 'string', description: 'Merchant slug' },
      email: { type: 'string', description: 'Login email' },
      password: { type: 'string', description: 'Password (8+ characters; omit for an existing user)' },
      role: { type: 'string', description: `One of ${ROLES.join(', ')}` },
      name: { type: 'string', description: 'Display name' },
    },
    async run(values) {
      await withDatabase(async (ctx) => {
        const merchant = await merchantBySlug(ctx, required(values, 'merchant'));
        const member = await addMember(
          { ...ctx, merchantId: merchant.id },
          {
            email: required(values, 'email'),
            password: values.password as string | undefined,
            name: values.name as string | undefined,
            role: roleOption(values),
          },
        );
        process.stdout.write(`${member.email} is now ${member.role} of ${merchant.slug}\n`);
      });
    },
  },
  'token create': {
    summary: 'Create an API token for an integrator (printed once)',
    usage: 'token create --merchant demo --name erp --role operator',
    options: {
      merchant: { type: 'string', description: 'Merchant slug' },
      name: { type: 'string', description: 'What the token is for' },
      role: { type: 'string', description: `One of ${ROLES.join(', ')}` },
    },
    async run(values) {
      await withDatabase(async (ctx) => {
        const merchant = await merchantBySlug(ctx, required(values, 'merchant'));
        const token = await createApiToken(
          { ...ctx, merchantId: merchant.id },
          { name: required(values, 'name'), role: roleOption(values) },
        );
        process.stdout.write(`${token.token}\n`);
      });
    },
  },
  ...channelCommands,
  ...simulatorCommands,
  ...keyCommands,
  ...backupCommands,
};

function onShutdown(logger: { info(msg: string): void }, close: () => Promise<void>): void {
  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info(`${signal}: draining HTTP and jobs`);
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

function helpText(): string {
  const rows = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(14)} ${c.summary}`);
  return `Usage: weiloop <command> [options]\n\nCommands:\n${rows.join('\n')}\n\nRun "weiloop <command> --help" for a command's options.\n`;
}

function commandHelp(command: Command): string {
  const options = Object.entries(command.options).map(([o, d]) => `  --${o.padEnd(12)} ${d.description}`);
  return `${command.summary}\n\nUsage: weiloop ${command.usage}\n${options.length ? `\nOptions:\n${options.join('\n')}\n` : ''}`;
}

export async function main(argv: string[]): Promise<void> {
  const [first, second] = argv;
  if (!first || first === '--help' || first === '-h' || first === 'help') {
    process.stdout.write(helpText());
    return;
  }
  const twoWord = second && !second.startsWith('-') ? `${first} ${second}` : '';
  const name = twoWord && commands[twoWord] ? twoWord : first;
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command "${argv.slice(0, 2).join(' ')}"; see weiloop --help`);
  const rest = argv.slice(name.split(' ').length);
  let values: Values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: false,
      strict: true,
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split('\n')[0]}; see weiloop ${name} --help`);
  }
  if (values.help) {
    process.stdout.write(commandHelp(command));
    return;
  }
  await command.run(values);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const message =
    error instanceof AppError
      ? error.text.en
      : error instanceof UsageError || error instanceof ConfigError
        ? error.message
        : `${(error as Error)?.message ?? error}`;
  process.stderr.write(`weiloop: ${message}\n`);
  if (process.env.DEBUG) console.error(error);
  process.exit(1);
});
