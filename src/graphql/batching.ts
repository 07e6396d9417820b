import DataLoader from 'dataloader'
import type { Kysely } from 'kysely'
import type { EntityCache, EntityCodec } from '../cache/entity-cache.js'
import type { Database } from '../database/schema.js'

// DataLoader shapes used by every module: each batch is one SQL statement, results come back
// in the order of the keys, missing rows as null.

/** What a request's loaders work with. */
export interface LoaderScope {
  /** Where this request reads: the replica for queries, the primary once the request writes. */
  db: () => Kysely<Database>
  /** The viewer's organization (throws UNAUTHENTICATED without a viewer). */
  organizationId: () => string
  cache: EntityCache
}

/**
 * Loads rows by primary key through the shared entity cache: a batch is one MGET, and one SQL
 * statement for whatever the cache did not have.
 */
export function cachedByIdLoader<Row extends { id: string }> (
  scope: LoaderScope,
  codec: EntityCodec<Row>,
  fetch: (db: Kysely<Database>, organizationId: string, ids: readonly string[]) => Promise<Row[]>
): DataLoader<string, Row | null> {
  return byIdLoader(async (ids) => {
    const organizationId = scope.organizationId()
    return await scope.cache.load(codec, organizationId, ids, async (missing) => await fetch(scope.db(), organizationId, missing))
  })
}

/** A row a foreign key guarantees: its absence is a bug, reported as one (`what` names the referrer). */
export async function required<Row> (loader: DataLoader<string, Row | null>, id: string, what: string): Promise<Row> {
  const row = await loader.load(id)
  if (row === null) throw new Error(`${what} (${id}) is missing`)
  return row
}

/** Loads rows by primary key. */
export function byIdLoader<Row extends { id: string }> (
  fetch: (ids: readonly string[]) => Promise<Row[]>
): DataLoader<string, Row | null> {
  return byKeyLoader(fetch, (row) => row.id)
}

/** Loads at most one row per key, the key being any column (e.g. the current assignment per vehicle). */
export function byKeyLoader<Key, Row> (
  fetch: (keys: readonly Key[]) => Promise<Row[]>,
  keyOf: (row: Row) => Key
): DataLoader<Key, Row | null> {
  return new DataLoader<Key, Row | null>(async (keys) => {
    const rows = await fetch(keys)
    const found = new Map(rows.map((row) => [keyOf(row), row]))
    return keys.map((key) => found.get(key) ?? null)
  })
}

/** Loads a list of rows per key (e.g. the first page of assignments of each vehicle). */
export function groupLoader<Key, Row> (
  fetch: (keys: readonly Key[]) => Promise<Row[]>,
  keyOf: (row: Row) => Key
): DataLoader<Key, Row[]> {
  return new DataLoader<Key, Row[]>(async (keys) => {
    const groups = new Map<Key, Row[]>(keys.map((key) => [key, []]))
    for (const row of await fetch(keys)) groups.get(keyOf(row))?.push(row)
    return keys.map((key) => groups.get(key) ?? [])
  })
}

/**
 * One loader per distinct argument set: a nested connection such as `assignments(first: 5)`
 * batches across all parents that ask with the same arguments.
 */
export function perArguments<Args, Loader> (create: (args: Args) => Loader): (args: Args) => Loader {
  const loaders = new Map<string, Loader>()
  return (args) => {
    const key = JSON.stringify(args)
    let loader = loaders.get(key)
    if (loader === undefined) {
      loader = create(args)
      loaders.set(key, loader)
    }
    return loader
  }
}
