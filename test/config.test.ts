import t from 'tap'
import { ConfigError, loadConfig } from '../src/config.js'
import { runScript } from './helpers/process.js'
import { problemsOf } from './helpers/config.js'

// loadConfig is handed an explicit environment everywhere below, never process.env.

const SECRET = 'x'.repeat(32)
const DATABASE_URL = 'postgres://fleet@db.internal:5432/fleet'
const PRODUCTION = { NODE_ENV: 'production', JWT_SECRET: SECRET, DATABASE_URL }

void t.test('defaults', async (t) => {
  const config = loadConfig({})
  t.match(config, {
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: 3001,
    LOG_LEVEL: 'info',
    DATABASE_URL: undefined,
    DATABASE_READ_URL: undefined,
    DB_POOL_MAX: 20,
    DB_IDLE_TIMEOUT_MS: 30000,
    DB_CONNECTION_TIMEOUT_MS: 5000,
    DB_STATEMENT_TIMEOUT_MS: 15000,
    DB_JIT: false,
    DB_PREPARED_STATEMENTS: true,
    REDIS_URL: undefined,
    ACCESS_TOKEN_TTL_SECONDS: 900,
    REFRESH_TOKEN_TTL_DAYS: 30,
    DATA_DIR: '.data',
    MIGRATE_ON_START: true,
    GRAPHIQL: true
  })
  t.ok(config.JWT_SECRET.length >= 32, 'a development secret long enough to sign with')
  t.same(loadConfig({ PORT: '', LOG_LEVEL: '   ' }), config, 'empty and blank values mean "unset"')
  t.equal(loadConfig({ PORT: ' 8080 ' }).PORT, 8080, 'values are trimmed')

  for (const NODE_ENV of ['test', 'staging']) {
    t.match(loadConfig({ NODE_ENV }), { MIGRATE_ON_START: true, GRAPHIQL: true }, `${NODE_ENV}: migrate on start and GraphiQL default on`)
  }
  t.match(loadConfig(PRODUCTION), { MIGRATE_ON_START: false, GRAPHIQL: false, JWT_SECRET: SECRET, DATABASE_URL }, 'production: both default off')
  t.equal(loadConfig({ ...PRODUCTION, GRAPHIQL: 'true' }).GRAPHIQL, true, 'GraphiQL can be turned on in production')
  t.equal(loadConfig({ ...PRODUCTION, MIGRATE_ON_START: 'false' }).MIGRATE_ON_START, false, 'MIGRATE_ON_START=false is accepted in production')
  t.equal(loadConfig({ GRAPHIQL: 'off', MIGRATE_ON_START: 'no' }).GRAPHIQL, false, 'and both can be turned off elsewhere')
})

void t.test('values', async (t) => {
  for (const [raw, value] of [['1', true], ['TRUE', true], ['yes', true], ['On', true], ['0', false], ['false', false], ['NO', false], ['off', false]] as const) {
    t.equal(loadConfig({ GRAPHIQL: raw }).GRAPHIQL, value, `GRAPHIQL=${raw}`)
  }
  t.same(problemsOf({ GRAPHIQL: 'maybe' }), ['GRAPHIQL must be true or false, got "maybe"'])
  t.equal(loadConfig({ PORT: '0' }).PORT, 0, 'PORT=0 (any free port) is allowed')
  t.same(problemsOf({ PORT: '65536' }), ['PORT must be between 0 and 65535, got 65536'])
  t.same(problemsOf({ PORT: '30.5' }), ['PORT must be an integer, got "30.5"'])
  t.same(problemsOf({ DB_POOL_MAX: '0' }), ['DB_POOL_MAX must be between 1 and 1000, got 0'])
  t.same(problemsOf({ NODE_ENV: 'prod' }), ['NODE_ENV must be one of development, test, staging, production, got "prod"'])
  t.equal(loadConfig({ DATABASE_URL: 'postgresql://localhost/fleet' }).DATABASE_URL, 'postgresql://localhost/fleet', 'postgresql: is a PostgreSQL URL too')
  t.same(problemsOf({ DATABASE_URL: 'localhost:5432' }), ['DATABASE_URL must use postgres: or postgresql:, got localhost:'])
  t.same(problemsOf({ DATABASE_URL: 'not a url' }), ['DATABASE_URL is not a valid URL'])
  t.same(problemsOf({ REDIS_URL: 'rediss://cache:6380' }), [], 'rediss: is accepted')
  t.same(problemsOf({ JWT_SECRET: 'x'.repeat(31) }), ['JWT_SECRET must be at least 32 characters'])
})

void t.test('ConfigError lists every problem at once', async (t) => {
  const env = {
    PORT: 'eighty',
    LOG_LEVEL: 'loud',
    DATABASE_URL: 'mysql://db.internal/fleet',
    DB_IDLE_TIMEOUT_MS: '-1',
    REDIS_URL: 'http://cache',
    JWT_SECRET: 'short',
    MIGRATE_ON_START: 'sometimes'
  }
  const error = t.throws(() => loadConfig(env)) as ConfigError
  t.type(error, ConfigError)
  t.same(error.problems, [
    'PORT must be an integer, got "eighty"',
    'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    'DATABASE_URL must use postgres: or postgresql:, got mysql:',
    'DB_IDLE_TIMEOUT_MS must be at least 0, got -1',
    'REDIS_URL must use redis: or rediss:, got http:',
    'MIGRATE_ON_START must be true or false, got "sometimes"',
    'JWT_SECRET must be at least 32 characters'
  ], 'seven problems, in the order the settings are declared')
  t.equal(error.message, `Invalid configuration:\n${error.problems.map((p) => `  - ${p}`).join('\n')}`, 'the message lists them one a line')
})

void t.test('production requirements', async (t) => {
  t.same(problemsOf({ NODE_ENV: 'production' }), [
    'JWT_SECRET is required when NODE_ENV=production',
    'DATABASE_URL is required when NODE_ENV=production (the embedded database is for development)'
  ], 'a secret and a real database are required')
  t.same(problemsOf({ ...PRODUCTION, JWT_SECRET: 'short' }), ['JWT_SECRET must be at least 32 characters'])
  const migrate = problemsOf({ ...PRODUCTION, MIGRATE_ON_START: 'true' })
  t.equal(migrate.length, 1)
  t.match(migrate[0], /^MIGRATE_ON_START cannot be enabled in production: run `npm run migrate:up -- --env=production`/, 'migrating on start is refused')
  t.same(problemsOf(PRODUCTION), [], 'secret and database are enough')
})

void t.test('DATABASE_READ_URL needs DATABASE_URL', async (t) => {
  t.same(problemsOf({ DATABASE_READ_URL: 'postgres://replica/fleet' }), ['DATABASE_READ_URL needs DATABASE_URL (a replica of what?)'])
  t.same(problemsOf({ DATABASE_READ_URL: 'postgres://replica/fleet', DATABASE_URL }), [])
  t.same(problemsOf({ DATABASE_READ_URL: 'redis://replica', DATABASE_URL }), ['DATABASE_READ_URL must use postgres: or postgresql:, got redis:'])
})

void t.test('the server refuses a bad environment: exit 1, every problem, no stack trace', async (t) => {
  const result = await runScript('src/server.ts', [], {
    env: { PORT: '99999', LOG_LEVEL: 'loud', JWT_SECRET: 'short', DATABASE_URL: 'mysql://db.internal/fleet' }
  })
  t.equal(result.code, 1, 'exit code 1')
  t.same(result.stderr.trim().split('\n'), [
    'Invalid configuration:',
    '  - PORT must be between 0 and 65535, got 99999',
    '  - LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    '  - DATABASE_URL must use postgres: or postgresql:, got mysql:',
    '  - JWT_SECRET must be at least 32 characters'
  ], 'stderr is the list of problems and nothing else')
  t.equal(result.stdout, '', 'nothing on stdout: it did not start')

  const production = await runScript('src/server.ts', [], { env: { NODE_ENV: 'production' } })
  t.equal(production.code, 1)
  t.match(production.stderr, /JWT_SECRET is required[^]*DATABASE_URL is required/)
  t.notMatch(production.stderr, /^\s+at /m, 'no stack trace')
})

void t.test('CACHE_NAMESPACE prefixes keys and event topics: no separators or wildcards', async (t) => {
  t.same(problemsOf({ CACHE_NAMESPACE: 'fleet-staging:eu.1' }), [])
  for (const bad of ['fleet/prod', 'fleet#', 'a+b', 'with space']) {
    t.same(problemsOf({ CACHE_NAMESPACE: bad }), ['CACHE_NAMESPACE may hold letters, digits and _ . : - (at most 64)'], JSON.stringify(bad))
  }
})
