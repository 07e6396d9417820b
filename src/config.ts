import { readFileSync } from 'node:fs'
import { type PersistedQueryManifest, readManifest } from './graphql/persisted-query-manifest.js'

// The one place that reads process.env. Every variable is declared once below with its
// default and meaning; `loadConfig` validates all of them and reports every problem at once,
// and `scripts/readme.ts` renders the README table from the same declarations.

export type Environment = 'development' | 'test' | 'staging' | 'production'
const ENVIRONMENTS: readonly Environment[] = ['development', 'test', 'staging', 'production']
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

interface Setting<T> {
  /** Shown in the README; `undefined` means "unset". */
  readonly default: string | undefined
  readonly doc: string
  readonly parse: (raw: string) => T
}

class SettingError extends Error {}

function text (doc: string, fallback?: string): Setting<string | undefined> {
  return { default: fallback, doc, parse: (raw) => raw }
}

function integerParser (min: number, max: number): (raw: string) => number {
  return (raw) => {
    if (!/^-?\d+$/.test(raw)) throw new SettingError(`must be an integer, got "${raw}"`)
    const value = Number(raw)
    if (value < min || value > max) {
      throw new SettingError(max === Number.MAX_SAFE_INTEGER ? `must be at least ${min}, got ${value}` : `must be between ${min} and ${max}, got ${value}`)
    }
    return value
  }
}

function integer (doc: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): Setting<number> {
  return { default: String(fallback), doc, parse: integerParser(min, max) }
}

/** An integer whose default depends on other settings (worked out in loadConfig). */
function optionalInteger (doc: string, min: number, max = Number.MAX_SAFE_INTEGER): Setting<number | undefined> {
  return { default: undefined, doc, parse: integerParser(min, max) }
}

function flag (doc: string, fallback: string | undefined): Setting<boolean | undefined> {
  return {
    default: fallback,
    doc,
    parse: (raw) => {
      const value = raw.toLowerCase()
      if (['1', 'true', 'yes', 'on'].includes(value)) return true
      if (['0', 'false', 'no', 'off'].includes(value)) return false
      throw new SettingError(`must be true or false, got "${raw}"`)
    }
  }
}

function ratio (doc: string, fallback: number): Setting<number> {
  return {
    default: String(fallback),
    doc,
    parse: (raw) => {
      const value = Number(raw)
      if (raw === '' || !Number.isFinite(value) || value < 0 || value > 1) throw new SettingError(`must be a number between 0 and 1, got "${raw}"`)
      return value
    }
  }
}

function list (doc: string): Setting<string[] | undefined> {
  return {
    default: undefined,
    doc,
    parse: (raw) => {
      const items = raw.split(',').map((item) => item.trim()).filter((item) => item !== '')
      for (const item of items) {
        if (!/^https?:\/\/[^/\s]+$/.test(item)) throw new SettingError(`must be origins like https://app.example.com, got "${item}"`)
      }
      return items
    }
  }
}

function oneOf<T extends string> (doc: string, fallback: T, values: readonly T[]): Setting<T> {
  return {
    default: fallback,
    doc,
    parse: (raw) => {
      if (!(values as readonly string[]).includes(raw)) {
        throw new SettingError(`must be one of ${values.join(', ')}, got "${raw}"`)
      }
      return raw as T
    }
  }
}

function url (doc: string, protocols: readonly string[]): Setting<string | undefined> {
  return {
    default: undefined,
    doc,
    parse: (raw) => {
      let parsed: URL
      try {
        parsed = new URL(raw)
      } catch {
        throw new SettingError('is not a valid URL')
      }
      if (!protocols.includes(parsed.protocol)) {
        throw new SettingError(`must use ${protocols.join(' or ')}, got ${parsed.protocol}`)
      }
      return raw
    }
  }
}

const POSTGRES = ['postgres:', 'postgresql:']

export const settings = {
  NODE_ENV: oneOf('Environment: `development`, `test`, `staging` or `production`. Production requires `JWT_SECRET` and a real `DATABASE_URL`, never migrates on start, and turns GraphiQL off.', 'development', ENVIRONMENTS),
  HOST: text('Interface to listen on. The container image sets `0.0.0.0`.', '127.0.0.1'),
  PORT: integer('HTTP port.', 3001, 0, 65535),
  LOG_LEVEL: oneOf('pino log level.', 'info', LOG_LEVELS),
  DATABASE_URL: url('PostgreSQL connection string, as the role that owns the tables: not a superuser or `BYPASSRLS` role, which the tenant write policies do not bind (docs/security.md). Unset: the embedded PGlite database under `DATA_DIR` (not allowed in production).', POSTGRES),
  DATABASE_READ_URL: url('Optional read replica; reads go there, writes and read-after-write to `DATABASE_URL`.', POSTGRES),
  REPLICA_CHECK_INTERVAL_MS: integer('How often the read replica is checked; while it does not answer, queries read from the primary.', 5000, 100, 600000),
  DB_POOL_MAX: integer('Maximum connections in the pool (per replica of the service).', 20, 1, 1000),
  DB_IDLE_TIMEOUT_MS: integer('Close a pooled connection after it has been idle this long.', 30000, 0),
  DB_CONNECTION_TIMEOUT_MS: integer('How long a request waits for a pooled connection before failing with `SERVICE_UNAVAILABLE`.', 5000, 1),
  DB_STATEMENT_TIMEOUT_MS: integer('PostgreSQL `statement_timeout` for every connection; 0 disables it.', 15000, 0),
  DB_JIT: flag('PostgreSQL JIT compilation for this service\'s connections. Off by default (`-c jit=off` at connect): it compiles for seconds what runs in milliseconds.', 'false'),
  DB_PREPARED_STATEMENTS: flag('Named prepared statements on each PostgreSQL connection: parsed and planned once, not per request. Turn off behind a pooler that does not keep them per client (PgBouncer before 1.21 in transaction mode).', 'true'),
  REDIS_URL: url('Redis connection string for the shared cache. Unset: an in-process cache.', ['redis:', 'rediss:']),
  JWT_SECRET: text('HMAC secret for access tokens, at least 32 characters. Required in production; a fixed development secret is used otherwise.'),
  ACCESS_TOKEN_TTL_SECONDS: integer('Lifetime of an access token.', 900, 30, 86400),
  REFRESH_TOKEN_TTL_DAYS: integer('Lifetime of a refresh token (each refresh rotates it).', 30, 1, 365),
  OIDC_ISSUER: url('Single sign-on: the identity provider\'s issuer, exactly as the `iss` of its tokens (Microsoft Entra ID: `https://login.microsoftonline.com/<tenant>/v2.0`). With OIDC_AUDIENCE and OIDC_JWKS_URL (all three or none), its bearer tokens are accepted for existing users, matched by subject, then email. https in production.', ['https:', 'http:']),
  OIDC_AUDIENCE: text('Single sign-on: the audience (`aud`) the identity provider\'s tokens must be issued for (Entra ID: the application\'s client id).'),
  OIDC_JWKS_URL: url('Single sign-on: the identity provider\'s signing keys (JWKS) (Entra ID: `https://login.microsoftonline.com/<tenant>/discovery/v2.0/keys`). https in production.', ['https:', 'http:']),
  DATA_DIR: text('Directory of the embedded database (used only without `DATABASE_URL`).', '.data'),
  EMBEDDED_TEMPLATE_CACHE: text('Where migrated embedded-database templates are kept (one per PGlite version and migration set): a new `DATA_DIR` is copied from one instead of initialised and migrated (`npm start` prepares it). `none`: no template, a new `DATA_DIR` is initialised by PGlite and migrated.', 'node_modules/.cache/fleet-api'),
  MIGRATE_ON_START: flag('Apply pending migrations at start (and load the demo fleet into an empty embedded database). Defaults to on outside production; refused in production, where the migration job runs `migrate:up`.', undefined),
  GRAPHIQL: flag('Serve GraphiQL at `/graphiql`. Defaults to on outside production.', undefined),
  CACHE_NAMESPACE: text('Prefix of every cache key; give environments that share a Redis different ones.', 'fleet'),
  CACHE_TTL_SECONDS: integer('How long an entity stays in the shared cache (vehicles, drivers, facilities, assignments, organizations by id; the access state of users; device tokens by hash); 0 turns the cache off.', 300, 0, 86400),
  CACHE_TOMBSTONE_SECONDS: integer('After a write, how long the changed rows are read from PostgreSQL only (longer than any read that could race the write).', 30, 1, 3600),
  REDIS_COMMAND_TIMEOUT_MS: integer('A Redis command slower than this fails and the request falls back to PostgreSQL.', 50, 1, 10000),
  HEALTH_DB_SLOW_MS: integer('`/health` reports the database `degraded` when a check takes longer than this.', 1000, 1),
  HEALTH_CHECK_TIMEOUT_MS: integer('A dependency check that has not answered after this long counts as down (probes must answer within the runbook timeouts even when PostgreSQL hangs).', 2000, 50, 60000),
  HEALTH_CACHE_MS: integer('Dependency check results are reused this long, so probes never pile up on a slow dependency.', 1000, 0, 60000),
  MEMORY_DEGRADED_PERCENT: integer('`/health` reports memory `degraded` above this share of the memory limit (container limit, else machine memory).', 85, 1, 100),
  SHUTDOWN_DELAY_MS: integer('After SIGTERM, keep serving this long with readiness at 503 so the load balancer stops sending traffic before the listener closes.', 0, 0, 120000),
  SHUTDOWN_GRACE_MS: integer('After the listener closes, wait at most this long for in-flight requests before exiting anyway (keep below the pod\'s terminationGracePeriodSeconds).', 25000, 0, 600000),
  RELEASE: text('Release reported by /health, metrics, Sentry and Application Insights. Defaults to the package version.'),
  BUILD_COMMIT: text('Source commit of the build (set by the image build), shown in `fleet_api_build_info`.', 'unknown'),
  MAINTENANCE_MODE: flag('Start in read-only maintenance mode for the whole service: mutations answer `MAINTENANCE`, reads go on. Admins can also switch it at runtime (`setMaintenanceMode`, `npm run ops`).', 'false'),
  MAINTENANCE_MESSAGE: text('Message of `MAINTENANCE` errors while MAINTENANCE_MODE is on.', 'Fleet API is in read-only maintenance; changes are paused, reads work.'),
  SWITCHES_REFRESH_MS: integer('How often each replica re-reads feature flags and maintenance mode from the database.', 5000, 100, 600000),
  OVERLOAD_MAX_EVENT_LOOP_DELAY_MS: optionalInteger('Shed load (503 + Retry-After) while the mean event-loop delay exceeds this; 0 disables. Defaults to 1000 with PostgreSQL and to 0 with the embedded database, whose queries run on the event loop itself.', 0),
  OVERLOAD_MAX_HEAP_PERCENT: integer('Shed load while the V8 heap is fuller than this share of its limit; 0 disables.', 90, 0, 100),
  OVERLOAD_RETRY_AFTER_SECONDS: integer('Retry-After of shed requests.', 10, 1, 3600),
  SENTRY_DSN: url('Sentry DSN. Unset: Sentry is not loaded.', ['http:', 'https:']),
  SENTRY_ENVIRONMENT: text('Sentry environment. Defaults to NODE_ENV.'),
  SENTRY_TRACES_SAMPLE_RATE: ratio('Share of requests traced by Sentry (0 to 1).', 0.1),
  APPLICATIONINSIGHTS_CONNECTION_STRING: text('Azure Application Insights connection string. Unset: the SDK is not loaded.'),
  APPLICATIONINSIGHTS_SAMPLING_PERCENTAGE: integer('Share of requests and dependencies sent to Application Insights, in percent.', 100, 0, 100),
  TRUST_PROXY: flag('Trust X-Forwarded-For from the ingress for client addresses (rate limits, logs). Set it only behind a proxy that sets the header.', 'false'),
  RATE_LIMIT_PER_MINUTE: integer('Requests a signed-in user may make per minute, across replicas (429 RATE_LIMITED beyond).', 600, 1),
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: integer('Requests per minute from one address without a valid token.', 120, 1),
  LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS: integer('Failed sign-ins for one account from one address before that pair waits out the window.', 5, 1),
  LOGIN_MAX_FAILURES_PER_ADDRESS: integer('Failed sign-ins from one address, any account, before it waits out the window (credential stuffing).', 30, 1),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: integer('Failed sign-ins for one account from all addresses before it waits out the window (distributed guessing).', 100, 1),
  LOGIN_THROTTLE_WINDOW_SECONDS: integer('Length of a sign-in failure window; nothing is locked longer.', 900, 1, 86400),
  CORS_ORIGINS: list('Origins (scheme://host[:port], comma-separated) whose browser pages may call the API. Empty: same origin only.'),
  MAX_QUERY_DEPTH: integer('Deepest selection nesting a GraphQL operation may have (QUERY_TOO_COMPLEX beyond).', 12, 1, 100),
  MAX_QUERY_COST: integer('Highest cost of an operation: one per field, multiplied by the page sizes of the connections above it.', 10000, 1),
  MAX_QUERY_ALIASES: integer('Most aliases one operation may use.', 30, 0, 10000),
  MAX_QUERY_TOKENS: integer('Most lexical tokens a GraphQL document may have (checked before parsing).', 5000, 1),
  MAX_BATCHED_OPERATIONS: integer('Most operations in one batched request (a JSON array of operations).', 10, 1, 100),
  BODY_LIMIT_BYTES: integer('Largest request body accepted (413 beyond).', 1048576, 1024),
  INTROSPECTION: flag('Answer introspection queries (__schema, __type). Defaults to on outside production.', undefined),
  SERVER_TIMING: flag('Send `Server-Timing: db;dur=<ms>;desc="<n> statements"` with every response (SQL cost per request, visible in browser dev tools). Defaults to on outside production.', undefined),
  PERSISTED_QUERIES_TTL_SECONDS: integer('Automatic persisted queries (APQ): how long a query a client registered under its SHA-256 stays in Redis, known to every replica (each replica also keeps recent ones in process); 0 turns registration off (the hashes of PERSISTED_QUERIES_FILE still work).', 86400, 0, 2592000),
  PERSISTED_QUERIES_FILE: text('JSON manifest of persisted queries, read at start-up: `{ "<sha256>": "<query>" }` or an Apollo persisted-query manifest (`npm run persisted-queries` writes one). Its operations can be sent by hash alone.'),
  POSITION_BATCH_MAX: integer('Most positions one `recordPositions` call or device request may carry (BAD_USER_INPUT / 413 beyond).', 1000, 1, 10000),
  POSITION_MAX_FUTURE_SECONDS: integer('How far ahead of the server clock a position\'s recorded time may be (tracker clocks drift); later ones are rejected.', 300, 0, 86400),
  POSITION_RETENTION_DAYS: integer('Positions older than this are dropped, a day-partition at a time, by the telematics maintenance job; older fixes are rejected at ingest.', 365, 1, 36500),
  POSITION_PARTITIONS_AHEAD_DAYS: integer('Day-partitions of the positions table created ahead of time.', 7, 1, 365),
  TELEMATICS_MAINTENANCE_INTERVAL_SECONDS: integer('How often one replica runs the telematics maintenance job (partitions ahead, retention, closing trips of trackers that went quiet); 0 disables it (run `npm run ops -- telematics-maintenance` instead).', 60, 0, 86400),
  SERVICE_DUE_ALERTS_INTERVAL_SECONDS: integer('How often each replica checks every maintenance schedule and raises MAINTENANCE_DUE_SOON / MAINTENANCE_OVERDUE alerts, once per schedule, vehicle and due point; 0 disables it.', 300, 0, 86400),
  TRIP_MOTION_SPEED_KMH: integer('A vehicle moves (a trip starts or goes on) at this speed or more, ignition not off.', 5, 1, 100),
  TRIP_STOP_SECONDS: integer('A trip ends after this long without motion, at ignition off, or when the tracker falls silent this long.', 300, 10, 86400),
  TRIP_MIN_DISTANCE_METERS: integer('Shorter trips are discarded (GPS drift of a parked vehicle is not a trip).', 200, 0, 100000),
  GEOFENCE_MAX_ACCURACY_METERS: integer('Fixes reporting a worse accuracy than this are stored but not used for geofence crossings.', 100, 1, 100000),
  SPEEDING_MIN_SECONDS: integer('A vehicle above its speed limit (its own, or the lowest of the geofences it is in) for this long raises a SPEEDING alert.', 30, 0, 3600),
  POSITION_PUBLISH_INTERVAL_MS: integer('`vehiclePositionUpdated` sends at most one update per vehicle per interval (the latest), however chatty the tracker.', 1000, 0, 60000),
  INGEST_RATE_LIMIT_PER_MINUTE: integer('Requests per minute one device token may make to `/ingest/*`, across replicas (429 beyond).', 600, 1),
  PERSISTED_QUERIES_ONLY: flag('Allow-list mode: run only the operations of PERSISTED_QUERIES_FILE (by hash, or by their exact text); anything else, and APQ registration, is refused with `FORBIDDEN` before parsing. GraphiQL cannot be used with it.', 'false')
} satisfies Record<string, Setting<unknown>>

type Settings = typeof settings
type Parsed = { [K in keyof Settings]: ReturnType<Settings[K]['parse']> }

export type Config = Omit<Parsed, 'NODE_ENV' | 'JWT_SECRET' | 'MIGRATE_ON_START' | 'GRAPHIQL' | 'SERVER_TIMING' | 'DATA_DIR' | 'EMBEDDED_TEMPLATE_CACHE' | 'RELEASE' | 'BUILD_COMMIT' | 'MAINTENANCE_MODE' | 'MAINTENANCE_MESSAGE' | 'SENTRY_ENVIRONMENT' | 'CACHE_NAMESPACE' | 'INTROSPECTION' | 'CORS_ORIGINS' | 'TRUST_PROXY' | 'PERSISTED_QUERIES_ONLY'> & {
  NODE_ENV: Environment
  JWT_SECRET: string
  MIGRATE_ON_START: boolean
  GRAPHIQL: boolean
  SERVER_TIMING: boolean
  DATA_DIR: string
  EMBEDDED_TEMPLATE_CACHE: string
  RELEASE: string
  BUILD_COMMIT: string
  MAINTENANCE_MODE: boolean
  MAINTENANCE_MESSAGE: string
  SENTRY_ENVIRONMENT: string
  CACHE_NAMESPACE: string
  INTROSPECTION: boolean
  CORS_ORIGINS: string[]
  TRUST_PROXY: boolean
  PERSISTED_QUERIES_ONLY: boolean
  /** The operations of PERSISTED_QUERIES_FILE (not read for command-line tools). */
  PERSISTED_QUERIES: PersistedQueryManifest | undefined
}

export class ConfigError extends Error {
  constructor (readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

/** package.json's version: src/ and dist/src/ both find it two or three folders up. */
function packageVersion (): string {
  for (const path of ['../package.json', '../../package.json']) {
    try {
      return (JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { version: string }).version
    } catch {
      // not at this level: try the next one up
    }
  }
  return '0.0.0'
}

const DEVELOPMENT_JWT_SECRET = 'fleet-api-development-secret-do-not-use-in-production'
const MIN_SECRET_LENGTH = 32

export interface LoadOptions {
  /**
   * The server signs tokens and needs JWT_SECRET in production; the command-line tools
   * (migrations, seeding, switches) do not, and a migration job should not be handed it.
   */
  purpose?: 'server' | 'tool'
}

/** Reads and validates the environment; throws a ConfigError listing every problem. */
export function loadConfig (env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): Config {
  const problems: string[] = []
  const parsed: Record<string, unknown> = {}
  for (const [name, setting] of Object.entries(settings) as [keyof Settings, Setting<unknown>][]) {
    const raw = env[name]
    const value = raw === undefined || raw.trim() === '' ? setting.default : raw.trim()
    if (value === undefined) {
      parsed[name] = undefined
      continue
    }
    try {
      parsed[name] = setting.parse(value)
    } catch (err) {
      if (!(err instanceof SettingError)) throw err
      problems.push(`${name} ${err.message}`)
    }
  }

  const config = parsed as Parsed
  const production = config.NODE_ENV === 'production'
  if (production) {
    if (config.JWT_SECRET === undefined && options.purpose !== 'tool') problems.push('JWT_SECRET is required when NODE_ENV=production')
    if (config.DATABASE_URL === undefined) problems.push('DATABASE_URL is required when NODE_ENV=production (the embedded database is for development)')
    if (config.MIGRATE_ON_START === true) problems.push('MIGRATE_ON_START cannot be enabled in production: run `npm run migrate:up -- --env=production` (the chart\'s migration job) instead')
  }
  const singleSignOn = { OIDC_ISSUER: config.OIDC_ISSUER, OIDC_AUDIENCE: config.OIDC_AUDIENCE, OIDC_JWKS_URL: config.OIDC_JWKS_URL }
  const unset = Object.entries(singleSignOn).filter(([, value]) => value === undefined).map(([name]) => name)
  // The namespace also prefixes event-bus topics, where / + # are separators and wildcards.
  if (config.CACHE_NAMESPACE !== undefined && !/^[\w.:-]{1,64}$/.test(config.CACHE_NAMESPACE)) {
    problems.push('CACHE_NAMESPACE may hold letters, digits and _ . : - (at most 64)')
  }
  if (unset.length > 0 && unset.length < 3) problems.push(`${unset.join(' and ')} must be set too: single sign-on needs OIDC_ISSUER, OIDC_AUDIENCE and OIDC_JWKS_URL (or none of them)`)
  if (production) {
    for (const name of ['OIDC_ISSUER', 'OIDC_JWKS_URL'] as const) {
      if (singleSignOn[name]?.startsWith('http:') === true) problems.push(`${name} must use https: when NODE_ENV=production`)
    }
  }
  if (config.JWT_SECRET !== undefined && config.JWT_SECRET.length < MIN_SECRET_LENGTH) {
    problems.push(`JWT_SECRET must be at least ${MIN_SECRET_LENGTH} characters`)
  }
  if (config.APPLICATIONINSIGHTS_CONNECTION_STRING !== undefined && !/InstrumentationKey=[0-9a-f-]{36}/i.test(config.APPLICATIONINSIGHTS_CONNECTION_STRING)) {
    problems.push('APPLICATIONINSIGHTS_CONNECTION_STRING must contain InstrumentationKey=<guid>')
  }
  if (config.DATABASE_READ_URL !== undefined && config.DATABASE_URL === undefined) {
    problems.push('DATABASE_READ_URL needs DATABASE_URL (a replica of what?)')
  }
  let persistedQueries: PersistedQueryManifest | undefined
  if (config.PERSISTED_QUERIES_ONLY === true) {
    if (config.PERSISTED_QUERIES_FILE === undefined) problems.push('PERSISTED_QUERIES_ONLY needs PERSISTED_QUERIES_FILE, the manifest of the operations to allow')
    if (config.GRAPHIQL === true) problems.push('GRAPHIQL cannot be on with PERSISTED_QUERIES_ONLY: GraphiQL sends queries (its introspection query first) that are not in the manifest')
  }
  // Tools (migrations, seeding) run without the pods' files: they do not read the manifest.
  if (config.PERSISTED_QUERIES_FILE !== undefined && options.purpose !== 'tool') {
    const { manifest, problems: manifestProblems } = readManifest(config.PERSISTED_QUERIES_FILE)
    problems.push(...manifestProblems)
    if (manifestProblems.length === 0 && manifest.size === 0 && config.PERSISTED_QUERIES_ONLY === true) {
      problems.push('PERSISTED_QUERIES_FILE lists no operation: PERSISTED_QUERIES_ONLY would refuse every request')
    }
    persistedQueries = manifest
  }
  if (problems.length > 0) throw new ConfigError(problems)

  return {
    ...config,
    NODE_ENV: config.NODE_ENV,
    JWT_SECRET: config.JWT_SECRET ?? DEVELOPMENT_JWT_SECRET,
    MIGRATE_ON_START: config.MIGRATE_ON_START ?? !production,
    GRAPHIQL: config.GRAPHIQL ?? (!production && config.PERSISTED_QUERIES_ONLY !== true),
    SERVER_TIMING: config.SERVER_TIMING ?? !production,
    DATA_DIR: config.DATA_DIR ?? '.data',
    EMBEDDED_TEMPLATE_CACHE: config.EMBEDDED_TEMPLATE_CACHE ?? 'node_modules/.cache/fleet-api',
    RELEASE: config.RELEASE ?? packageVersion(),
    BUILD_COMMIT: config.BUILD_COMMIT ?? 'unknown',
    MAINTENANCE_MODE: config.MAINTENANCE_MODE ?? false,
    MAINTENANCE_MESSAGE: config.MAINTENANCE_MESSAGE ?? 'Fleet API is in read-only maintenance; changes are paused, reads work.',
    SENTRY_ENVIRONMENT: config.SENTRY_ENVIRONMENT ?? config.NODE_ENV,
    CACHE_NAMESPACE: config.CACHE_NAMESPACE ?? 'fleet',
    // GraphiQL needs introspection: enabling it in production enables introspection too.
    INTROSPECTION: config.INTROSPECTION ?? (!production || config.GRAPHIQL === true),
    CORS_ORIGINS: config.CORS_ORIGINS ?? [],
    TRUST_PROXY: config.TRUST_PROXY ?? false,
    PERSISTED_QUERIES_ONLY: config.PERSISTED_QUERIES_ONLY ?? false,
    PERSISTED_QUERIES: persistedQueries
  }
}
