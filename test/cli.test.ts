import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Kysely, sql } from 'kysely'
import t, { type Test } from 'tap'
import { connectDatabase, type DatabaseHandle } from '../src/database/connect.js'
import type { Database } from '../src/database/schema.js'
import { createDatabase, usingPostgres } from './helpers/database.js'
import { ROOT } from './helpers/environment.js'
import { type Env, type RunOptions, type RunResult, runScript, temporaryDirectory } from './helpers/process.js'

// The command-line tools as an operator runs them: `npm run migrate:* | db:seed`, that is
// `node --import tsx src/cli/<tool>.ts ...`, against a database of the test's own. With
// DATABASE_URL that is a fresh PostgreSQL database; without it, the development fallback:
// an embedded PGlite database in a temporary DATA_DIR.

// Every tool run is a Node process that starts tsx (and, without DATABASE_URL, PGlite): seconds each.
t.setTimeout(240_000)

const MIGRATIONS = readdirSync(join(ROOT, 'db', 'migrations')).filter((file) => file.endsWith('.ts')).sort().map((file) => file.replace(/\.ts$/, ''))
const LATEST = MIGRATIONS[MIGRATIONS.length - 1] as string
const DEMO_LOADED = 'Loaded 2 organizations, 12 users, 4 facilities, 56 vehicles, 45 drivers, 108 assignments, 4 geofences, 2016 positions.'
/** Refuses connections: commands that must stop before connecting can be pointed here. */
const NOWHERE = 'postgres://fleet:s3cret@127.0.0.1:1/fleet_nowhere'
const STRONG_SECRET = 'a-production-secret-of-at-least-32-characters'

interface Target {
  /** The variables that select this database. */
  env: Env
  /** What the tools print as their first line. */
  banner: string
  /** Opens the database from the test itself (the tools must have exited: PGlite has one user). */
  inspect: <T>(fn: (db: Kysely<Database>) => Promise<T>) => Promise<T>
}

async function freshDatabase (t: Test): Promise<Target> {
  let env: Env
  let banner: string
  let open: () => DatabaseHandle
  if (usingPostgres) {
    const { url } = await createDatabase(t, { fromTemplate: false })
    const parsed = new URL(url)
    env = { DATABASE_URL: url }
    banner = `development: PostgreSQL ${parsed.hostname}${parsed.port === '' ? '' : `:${parsed.port}`}${parsed.pathname}`
    open = () => connectDatabase({ kind: 'postgres', url, pool: { max: 1, idleTimeoutMs: 1000, connectionTimeoutMs: 5000, statementTimeoutMs: 0 } })
  } else {
    const dataDir = temporaryDirectory(t, 'fleet-cli-')
    env = { DATA_DIR: dataDir }
    banner = `development: embedded database in ${join(dataDir, 'pglite')}`
    open = () => connectDatabase({ kind: 'pglite', dataDir: join(dataDir, 'pglite') })
  }
  const inspect: Target['inspect'] = async (fn) => {
    const handle = open()
    try {
      return await fn(handle.db)
    } finally {
      await handle.close()
    }
  }
  return { env, banner, inspect }
}

const migrate = async (args: string[], options: RunOptions = {}): Promise<RunResult> => await runScript('src/cli/migrate.ts', args, options)
const seed = async (args: string[], options: RunOptions = {}): Promise<RunResult> => await runScript('src/cli/seed.ts', args, options)

const lines = (output: string): string[] => output.split('\n').filter((line) => line !== '')

async function count (db: Kysely<Database>, table: 'organizations' | 'users' | 'vehicles'): Promise<number> {
  const row = await db.selectFrom(table).select(db.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
  return Number(row.n)
}

async function tableExists (db: Kysely<Database>, name: string): Promise<boolean> {
  const tables = await db.introspection.getTables()
  return tables.some((table) => table.name === name)
}

// One database for both tools: PGlite initialises a new data directory in seconds, not instantly.
void t.test('migrate and db:seed on one database', async (t) => {
  const target = await freshDatabase(t)
  const env = target.env

  await t.test('migrate: status, up, down', async (t) => {
    const pending = await migrate(['status'], { env })
    t.equal(pending.code, 3, 'status exits 3 while migrations are pending')
    t.same(lines(pending.stdout), [
      target.banner,
      ...MIGRATIONS.map((name) => `pending  ${name}`),
      `0 applied, ${MIGRATIONS.length} pending`
    ], 'status lists every migration as pending')
    t.equal(pending.stderr, '')

    const up = await migrate(['up'], { env })
    t.equal(up.code, 0, 'up exits 0')
    t.same(lines(up.stdout), [target.banner, ...MIGRATIONS.map((name) => `applied  ${name}`)], 'up names what it applied, in order')
    t.equal(up.stderr, '')

    const again = await migrate(['up'], { env })
    t.equal(again.code, 0)
    t.same(lines(again.stdout), [target.banner, 'Already up to date.'], 'a second up has nothing to do')

    const applied = await migrate(['status'], { env })
    t.equal(applied.code, 0, 'status exits 0 when up to date')
    const appliedLines = lines(applied.stdout)
    t.equal(appliedLines.length, MIGRATIONS.length + 2)
    MIGRATIONS.forEach((name, i) => {
      t.match(appliedLines[i + 1], new RegExp(`^applied  ${name}  \\(\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\)$`), `${name} is applied, with its time`)
    })
    t.equal(appliedLines.at(-1), `${MIGRATIONS.length} applied, 0 pending`)

    const down = await migrate(['down'], { env })
    t.equal(down.code, 0, 'down exits 0')
    t.same(lines(down.stdout), [target.banner, `reverted ${LATEST}`], 'down reverts only the latest migration')
    const afterDown = await migrate(['status'], { env })
    t.equal(afterDown.code, 3, 'status exits 3 again')
    t.match(afterDown.stdout, `applied  ${MIGRATIONS.at(-2) as string}  (`)
    t.match(afterDown.stdout, `pending  ${LATEST}\n${MIGRATIONS.length - 1} applied, 1 pending`)

    // Each embedded run costs seconds (PGlite starts in every process): the rest only on PostgreSQL.
    if (!usingPostgres) return
    for (const name of MIGRATIONS.slice(0, -1).reverse()) {
      t.match((await migrate(['down'], { env })).stdout, `reverted ${name}`)
    }
    const nothing = await migrate(['down'], { env })
    t.equal(nothing.code, 0)
    t.same(lines(nothing.stdout), [target.banner, 'Nothing to revert.'], 'down with nothing applied says so')
    const tables = await target.inspect(async (db) => (await db.introspection.getTables()).map((table) => table.name))
    t.same(tables.filter((name) => !name.startsWith('kysely_migration')), [], 'no application table remains')
  })

  // The migrate subtest leaves the latest migration (on PostgreSQL: all of them) reverted.
  await t.test('db:seed', async (t) => {
    const early = await seed([], { env })
    t.equal(early.code, 2, 'refused while migrations are pending')
    t.match(early.stderr.trim(), /^\d+ migration\(s\) pending: run `npm run migrate:up` first\.$/)

    const reapply = await migrate(['up'], { env })
    t.equal(reapply.code, 0)
    t.match(reapply.stdout, `applied  ${LATEST}\n`, 'up applies what down reverted')
    const loaded = await seed([], { env })
    t.equal(loaded.code, 0, 'seeds a migrated database')
    t.same(lines(loaded.stdout), [target.banner, DEMO_LOADED], 'prints what it loaded')
    t.equal(loaded.stderr, '')
    const firstDemoId = await target.inspect(async (db) => {
      t.same([await count(db, 'organizations'), await count(db, 'users'), await count(db, 'vehicles')], [2, 12, 56], 'the rows are there')
      // An organization of someone else's, added in SQL (in the system scope the write policies
      // ask for; without it the insert is refused): --reset must leave it alone.
      // (PGlite runs as a superuser, which the policies never bind.)
      if (usingPostgres) await t.rejects(db.insertInto('organizations').values({ slug: 'acme', name: 'Acme Logistics' }).execute(), { code: '42501' }, 'not without a scope')
      await db.transaction().execute(async (trx) => {
        await sql`select set_config('fleet.organization_id', '*', true)`.execute(trx)
        await trx.insertInto('organizations').values({ slug: 'acme', name: 'Acme Logistics' }).execute()
      })
      return (await db.selectFrom('organizations').select('id').where('slug', '=', 'demo').executeTakeFirstOrThrow()).id
    })

    const twice = await seed([], { env })
    t.equal(twice.code, 0)
    t.same(lines(twice.stdout), [target.banner, 'The demo organizations are already loaded; pass --reset to replace them.'], 'a second run loads nothing')

    const reset = await seed(['--reset'], { env })
    t.equal(reset.code, 0, '--reset reloads')
    t.same(lines(reset.stdout), [target.banner, DEMO_LOADED])
    await target.inspect(async (db) => {
      t.same([await count(db, 'organizations'), await count(db, 'users'), await count(db, 'vehicles')], [3, 12, 56], 'one demo, plus the other organization')
      const demo = await db.selectFrom('organizations').select('id').where('slug', '=', 'demo').executeTakeFirstOrThrow()
      t.not(demo.id, firstDemoId, 'the demo organizations were replaced, not kept')
      t.ok(await db.selectFrom('organizations').select('id').where('slug', '=', 'acme').executeTakeFirst(), 'other organizations survive --reset')
    })

    // Refused before it connects anywhere: NOWHERE would fail with ECONNREFUSED (exit 1).
    const production = await seed(['--env=production'], { env: { DATABASE_URL: NOWHERE, JWT_SECRET: STRONG_SECRET } })
    t.equal(production.code, 2, 'refused in production')
    t.match(production.stderr, /refused in production/)
    t.equal(production.stdout, '')
    const productionMisconfigured = await seed(['--env=production'], { env: { ...env, DATABASE_URL: undefined } })
    t.equal(productionMisconfigured.code, 2, 'refused in production without a configuration too')
  })
})

void t.test('environments', async (t) => {
  await t.test('production needs DATABASE_URL', async (t) => {
    const result = await migrate(['status', '--env=production'])
    t.equal(result.code, 2)
    t.match(result.stderr, /DATABASE_URL is required/)
    t.notMatch(result.stderr, /^\s+at /m, 'no stack trace')
    t.equal(result.stdout, '', 'nothing was opened')
  })

  await t.test('a production migration needs the database, not the token signing secret', async (t) => {
    // NOWHERE refuses connections: getting that far (exit 1, connection error) proves the
    // configuration was accepted without JWT_SECRET.
    const result = await migrate(['status', '--env=production'], { env: { DATABASE_URL: NOWHERE } })
    t.equal(result.code, 1)
    t.notMatch(result.stderr, /JWT_SECRET/)
    t.match(result.stderr, /ECONNREFUSED|connect/)
    t.notMatch(result.stderr + result.stdout, /s3cret/, 'the password in DATABASE_URL is never printed')
  })

  await t.test('an unknown environment is a usage error', async (t) => {
    const result = await migrate(['status', '--env=bogus'])
    t.equal(result.code, 2)
    t.equal(result.stderr.trim(), '--env must be one of development, test, staging, production, got "bogus"')
  })

  await t.test('unknown commands and options are usage errors', async (t) => {
    const command = await migrate(['sideways'], { env: { DATABASE_URL: NOWHERE } })
    t.equal(command.code, 2)
    t.match(command.stderr, /^usage: migrate <up\|down\|status>/)
    const option = await migrate(['status', '--force'])
    t.equal(option.code, 2)
    t.match(option.stderr, /Unknown option '--force'/)
    t.notMatch(option.stderr, /^\s+at /m, 'no stack trace')
    const seedOption = await seed(['--rest'])
    t.equal(seedOption.code, 2)
    t.match(seedOption.stderr, /Unknown option '--rest'/)
  })

  await t.test('staging reads DATABASE_URL from .env.staging in the working directory', async (t) => {
    const cwd = temporaryDirectory(t, 'fleet-staging-')
    const missing = await migrate(['status', '--env=staging'], { cwd })
    t.equal(missing.code, 2, 'without the file, staging does not fall back to the embedded database')
    t.equal(missing.stderr.trim(), 'Invalid configuration:\n  - DATABASE_URL is required for --env=staging (set it or put it in .env.staging)')

    writeFileSync(join(cwd, '.env.staging'), `# staging\nDATABASE_URL=${NOWHERE}\n`)
    const fromFile = await migrate(['status', '--env=staging'], { cwd })
    t.equal(lines(fromFile.stdout)[0], 'staging: PostgreSQL 127.0.0.1:1/fleet_nowhere', 'the URL came from the file')
    t.notMatch(fromFile.stdout + fromFile.stderr, /s3cret/, 'credentials are not printed')
    t.equal(fromFile.code, 1, 'an unreachable server is a failure')
    t.match(fromFile.stderr, /ECONNREFUSED/)
    t.notMatch(fromFile.stderr, /^\s+at /m, 'no stack trace')

    const fromEnv = await migrate(['status'], { cwd, env: { NODE_ENV: 'staging' } })
    t.equal(lines(fromEnv.stdout)[0], 'staging: PostgreSQL 127.0.0.1:1/fleet_nowhere', 'NODE_ENV picks the environment when --env is absent')

    const shell = await migrate(['status', '--env=staging'], { cwd, env: { DATABASE_URL: 'postgres://127.0.0.1:2/from_shell' } })
    t.equal(lines(shell.stdout)[0], 'staging: PostgreSQL 127.0.0.1:2/from_shell', 'a variable set in the shell wins over the file')

    if (usingPostgres) {
      const target = await freshDatabase(t)
      writeFileSync(join(cwd, '.env.staging'), `DATABASE_URL=${target.env.DATABASE_URL as string}\n`)
      const up = await migrate(['up', '--env=staging'], { cwd })
      t.equal(up.code, 0, 'migrates the staging database')
      t.same(lines(up.stdout).slice(1), MIGRATIONS.map((name) => `applied  ${name}`))
      t.match(lines(up.stdout)[0], /^staging: PostgreSQL /)
      t.equal(await target.inspect(async (db) => await tableExists(db, 'vehicles')), true, 'in the database the file names')
    }
  })
})
