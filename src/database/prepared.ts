import { createHash } from 'node:crypto'
import type { PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely'
import type pg from 'pg'

// Named prepared statements for what Kysely sends through node-postgres. Planning is most of what
// PostgreSQL spends on this service's short statements (the dashboard's page: 1.39 ms a statement
// planned each time, 1.01 ms prepared; a list page alone 0.26 and 0.14 ms): a statement prepared
// once per connection is parsed and analysed once, and after five executions PostgreSQL may plan
// it once too (plan_cache_mode auto keeps custom plans where a generic one would be worse). The
// SQL text also stops travelling with every execution.
//
// A statement is named by the digest of its text, so the same text always has the same name on a
// connection. At most MAX_PER_CONNECTION statements are prepared per connection (the pool closes
// idle connections, which frees them); beyond that, statements run unnamed as before. Only plain
// queries are prepared (SELECT, INSERT, UPDATE, DELETE, WITH, VALUES), not transaction control
// or DDL.
//
// A migration that changes a table's columns invalidates what `select *` returned: PostgreSQL
// refuses to run such a prepared statement ("cached plan must not change result type", 0A000).
// The connection then forgets its statements (new names), and the statement is run again,
// unnamed, unless a transaction is open (its error aborted the transaction: the caller sees it,
// as any failure of a statement in a transaction). Behind a pooler that does not keep prepared
// statements per client (PgBouncer before 1.21 in transaction mode), set DB_PREPARED_STATEMENTS
// to false.

const MAX_PER_CONNECTION = 500
const PREPARABLE = /^\s*(?:\/\*[\s\S]*?\*\/\s*)*(select|insert|update|delete|with|values)\b/i
// A transaction's end, not a savepoint's (ROLLBACK TO SAVEPOINT keeps it open).
const TRANSACTION = /^\s*(begin|start transaction|commit|rollback(?!\s+to\b)|end)\b/i
const RESULT_TYPE_CHANGED = '0A000'

interface Prepared {
  names: Set<string>
  generation: number
  inTransaction: boolean
}

/** Kysely's view of the pool, with every connection preparing its statements. */
export function preparingPool (pool: pg.Pool): PostgresPool {
  const state = new WeakMap<pg.PoolClient, Prepared>()
  return {
    options: pool.options,
    connect: async () => {
      const client = await pool.connect()
      let prepared = state.get(client)
      if (prepared === undefined) {
        prepared = { names: new Set(), generation: 0, inTransaction: false }
        state.set(client, prepared)
      }
      return preparingClient(client, prepared)
    },
    end: async () => { await pool.end() }
  }
}

function preparingClient (client: pg.PoolClient, prepared: Prepared): PostgresPoolClient {
  async function query<R> (sql: string, parameters: readonly unknown[]): Promise<PostgresQueryResult<R>> {
    const control = TRANSACTION.exec(sql)?.[1]?.toLowerCase()
    if (control !== undefined) prepared.inTransaction = control === 'begin' || control === 'start transaction'
    const values = parameters as unknown[]
    if (!PREPARABLE.test(sql)) return await client.query(sql, values) as unknown as PostgresQueryResult<R>
    const name = `k${prepared.generation}_${createHash('sha1').update(sql).digest('base64url')}`
    if (!prepared.names.has(name)) {
      if (prepared.names.size >= MAX_PER_CONNECTION) return await client.query(sql, values) as unknown as PostgresQueryResult<R>
      prepared.names.add(name)
    }
    try {
      return await client.query({ name, text: sql, values }) as unknown as PostgresQueryResult<R>
    } catch (err) {
      if ((err as { code?: string }).code !== RESULT_TYPE_CHANGED) throw err
      prepared.generation++
      prepared.names.clear()
      if (prepared.inTransaction) throw err
      return await client.query(sql, values) as unknown as PostgresQueryResult<R>
    }
  }
  return {
    query: ((first: unknown, parameters?: readonly unknown[]) => typeof first === 'string'
      ? query(first, parameters ?? [])
      : client.query(first as never)) as PostgresPoolClient['query'],
    release: (destroy?: boolean) => { client.release(destroy) }
  }
}
