import { existsSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { type Config, ConfigError, type Environment, loadConfig } from '../config.js'
import { connectDatabase, type DatabaseHandle, targetFromConfig } from '../database/connect.js'
import { endpointOf } from '../telemetry/endpoint.js'

// Shared by the command-line tools. `--env=<name>` picks the environment: it sets NODE_ENV
// and loads `.env.<name>` from the working directory when present (variables already set in
// the shell win). The database is then the one DATABASE_URL names; only `development` (the
// default) falls back to the embedded database under DATA_DIR.

const ENVIRONMENTS = new Set<string>(['development', 'test', 'staging', 'production'])

export interface CliContext {
  config: Config
  environment: Environment
  positionals: string[]
  flags: Record<string, string | boolean | undefined>
  database: DatabaseHandle
  describeTarget: () => string
}

export class UsageError extends Error {}

export interface CliOptions {
  /** Boolean flags the command takes, e.g. `reset` for --reset. */
  flags?: string[]
  /** Refuse to run in production, before touching any configuration, with this reason. */
  refuseInProduction?: string
}

export function openCli (argv: string[], options: CliOptions = {}): CliContext {
  const flagNames = options.flags ?? []
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        env: { type: 'string' },
        ...Object.fromEntries(flagNames.map((name) => [name, { type: 'boolean' as const }]))
      }
    })
  } catch (err) {
    // An unknown or malformed option is a usage error (exit 2), not a crash.
    throw new UsageError(err instanceof Error ? err.message : String(err))
  }
  const { values, positionals } = parsed
  const environment = values.env ?? process.env.NODE_ENV ?? 'development'
  if (!ENVIRONMENTS.has(environment)) {
    throw new UsageError(`--env must be one of ${[...ENVIRONMENTS].join(', ')}, got "${environment}"`)
  }
  if (environment === 'production' && options.refuseInProduction !== undefined) throw new UsageError(options.refuseInProduction)
  const envFile = `.env.${environment}`
  if (existsSync(envFile)) process.loadEnvFile(envFile)

  const config = loadConfig({ ...process.env, NODE_ENV: environment }, { purpose: 'tool' })
  if (environment !== 'development' && config.DATABASE_URL === undefined) {
    throw new ConfigError([`DATABASE_URL is required for --env=${environment} (set it or put it in ${envFile})`])
  }
  const target = targetFromConfig(config)
  return {
    config,
    environment: environment as Environment,
    positionals,
    flags: values as Record<string, string | boolean | undefined>,
    database: connectDatabase(target),
    describeTarget: () => target.kind === 'pglite'
      ? `embedded database in ${target.dataDir}`
      : `PostgreSQL ${endpointOf(target.url)}`
  }
}

/** Runs a CLI main function: prints errors without stack traces for expected failures, sets the exit code. */
export async function runCli (main: () => Promise<void>): Promise<void> {
  try {
    await main()
  } catch (err) {
    if (err instanceof ConfigError || err instanceof UsageError) {
      console.error(err.message)
      process.exitCode = 2
      return
    }
    console.error(err instanceof Error ? err.message : err)
    process.exitCode = 1
  }
}
