import { type Kysely, sql } from 'kysely'
import pg from 'pg'
import t from 'tap'
import type { Database } from '../src/database/schema.js'
import { buildTestApp } from './helpers/app.js'
import { demoDatabase, usingPostgres } from './helpers/database.js'

// What every pooled connection to PostgreSQL is set up with, as the server itself reports it.

const setting = async (db: Kysely<Database>, name: string): Promise<{ setting: string, source: string } | undefined> =>
  (await sql<{ setting: string, source: string }>`SELECT setting, source FROM pg_settings WHERE name = ${name}`.execute(db)).rows[0]

void t.test('connections run without JIT (it compiles for seconds what runs in milliseconds) unless DB_JIT', { skip: usingPostgres ? false : 'PGlite has no JIT and no pool' }, async (t) => {
  const target = await demoDatabase(t)
  if (target.kind !== 'postgres') throw new Error('expected PostgreSQL')
  const { app } = await buildTestApp(t, { database: target })
  t.same(await setting(app.db, 'jit'), { setting: 'off', source: 'client' }, 'off, set by the connection')
  t.same(await setting(app.db, 'statement_timeout'), { setting: String(target.pool.statementTimeoutMs), source: 'client' }, 'with the statement timeout')
  const { app: compiled } = await buildTestApp(t, { database: { ...target, pool: { ...target.pool, jit: true } } })
  t.not((await setting(compiled.db, 'jit'))?.source, 'client', 'DB_JIT=true sends nothing: the server\'s own setting applies')
})

const prepared = async (db: Kysely<Database>): Promise<string[]> =>
  (await sql<{ statement: string }>`SELECT statement FROM pg_prepared_statements ORDER BY prepare_time`.execute(db)).rows.map((r) => r.statement)

const FACILITIES = '{ facilities(first: 10) { nodes { name code } } }'

void t.test('a connection prepares each statement once and runs it by name', { skip: usingPostgres ? false : 'PGlite has no pool' }, async (t) => {
  const target = await demoDatabase(t)
  if (target.kind !== 'postgres') throw new Error('expected PostgreSQL')
  // One connection: the statements it prepared are the ones this session sees.
  const { app, gql, login } = await buildTestApp(t, { database: { ...target, pool: { ...target.pool, max: 1, idleTimeoutMs: 600_000 } } })
  const token = await login('fleet_manager@fleet.example')
  const first = await gql(FACILITIES, {}, token)
  t.equal(first.errors, undefined)
  const afterOne = await prepared(app.db)
  t.ok(afterOne.some((statement) => /from "facilities"/.test(statement)), 'the facilities page is a prepared statement')
  t.ok(afterOne.every((statement) => !/^\s*(begin|commit)/i.test(statement)), 'transaction control is not prepared')
  for (let i = 0; i < 3; i++) t.same((await gql(FACILITIES, {}, token)).data, first.data)
  t.equal((await prepared(app.db)).length, afterOne.length, 'the same statements again: nothing new prepared')

  // A migration adds a column while the service runs: the prepared `select facilities.*` no
  // longer returns what it was planned to. The request still gets its answer.
  const admin = new pg.Client({ connectionString: target.url })
  await admin.connect()
  t.teardown(async () => { await admin.end() })
  await admin.query('ALTER TABLE facilities ADD COLUMN bench_extra integer')
  t.same((await gql(FACILITIES, {}, token)).data, first.data, 'the first request after the change is answered')
  t.same((await gql(FACILITIES, {}, token)).data, first.data, 'and the next, prepared again')
  await admin.query('ALTER TABLE facilities DROP COLUMN bench_extra')
  t.same((await gql(FACILITIES, {}, token)).data, first.data, 'and after the column is gone again')
})

void t.test('DB_PREPARED_STATEMENTS=false prepares nothing', { skip: usingPostgres ? false : 'PGlite has no pool' }, async (t) => {
  const target = await demoDatabase(t)
  if (target.kind !== 'postgres') throw new Error('expected PostgreSQL')
  const { app, gql, login } = await buildTestApp(t, { database: { ...target, pool: { ...target.pool, max: 1, prepare: false } } })
  const token = await login('fleet_manager@fleet.example')
  t.equal((await gql(FACILITIES, {}, token)).errors, undefined)
  t.same(await prepared(app.db), [])
})
