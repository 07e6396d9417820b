import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import pg from 'pg'
import type { DatabaseTarget } from '../../src/database/connect.js'
import { DATABASE_PREFIX, databaseUrl, PGLITE_SNAPSHOT, SERVER_URL, TEMPLATE_DATABASE, TEST_ROLE } from './environment.js'
import { type Endpoint, type Proxy, switchableEndpoint, tcpProxy } from './tcp.js'

interface Teardown {
  teardown: (fn: () => unknown) => void
}

export const usingPostgres = SERVER_URL !== undefined

async function admin<T> (fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: SERVER_URL })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

/** A database of this test's own on the PostgreSQL server, owned by TEST_ROLE (dropped at teardown). */
export async function createDatabase (t: Teardown, options: { fromTemplate: boolean }): Promise<{ name: string, url: string }> {
  if (SERVER_URL === undefined) throw new Error('createDatabase needs DATABASE_URL')
  const name = `${DATABASE_PREFIX}${randomBytes(6).toString('hex')}`
  await admin(async (client) => {
    await client.query(`CREATE DATABASE ${name} OWNER ${TEST_ROLE}${options.fromTemplate ? ` TEMPLATE ${TEMPLATE_DATABASE}` : ''}`)
  })
  t.teardown(async () => { await admin(async (client) => { await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) }) })
  return { name, url: databaseUrl(name) }
}

/** A migrated database holding the demo fleet, private to the calling test. */
export async function demoDatabase (t: Teardown): Promise<DatabaseTarget> {
  if (SERVER_URL === undefined) {
    return { kind: 'pglite', dataDir: null, loadDataDir: new Blob([readFileSync(PGLITE_SNAPSHOT)]) }
  }
  const { url } = await createDatabase(t, { fromTemplate: true })
  return { kind: 'postgres', url, pool: { max: 10, idleTimeoutMs: 10_000, connectionTimeoutMs: 5000, statementTimeoutMs: 15_000 } }
}

type PostgresTarget = Extract<DatabaseTarget, { kind: 'postgres' }>

/**
 * A demo database of this test's own reached through a TCP proxy the test can slow down, cut or
 * black-hole (`database`), and the same database reached directly (`direct`).
 */
export async function proxiedDemoDatabase (t: Teardown): Promise<{ database: PostgresTarget, direct: PostgresTarget, proxy: Proxy }> {
  const direct = await demoDatabase(t)
  if (direct.kind !== 'postgres') throw new Error('a TCP proxy needs PostgreSQL')
  const url = new URL(direct.url)
  const proxy = await tcpProxy(t, Number(url.port === '' ? 5432 : url.port))
  url.host = `127.0.0.1:${proxy.port}`
  return { database: { ...direct, url: url.toString() }, direct, proxy }
}

/**
 * A demo database of this test's own behind an address the test can make refuse or stall after
 * the app has started (`endpoint`), as a database lost to a failover looks to a running service.
 */
export async function switchableDemoDatabase (t: Teardown): Promise<{ database: PostgresTarget, endpoint: Endpoint }> {
  const direct = await demoDatabase(t)
  if (direct.kind !== 'postgres') throw new Error('a switchable address needs PostgreSQL')
  const url = new URL(direct.url)
  const endpoint = await switchableEndpoint(t, Number(url.port === '' ? 5432 : url.port))
  await endpoint.forward()
  url.host = `127.0.0.1:${endpoint.port}`
  return { database: { ...direct, url: url.toString(), pool: { ...direct.pool, idleTimeoutMs: 1, connectionTimeoutMs: 1000 } }, endpoint }
}
