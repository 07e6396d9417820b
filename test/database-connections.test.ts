import { type Kysely, sql } from 'kysely'
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
