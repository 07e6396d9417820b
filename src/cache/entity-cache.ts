import type { CacheStore } from './store.js'

// The shared entity cache behind the by-id DataLoaders.
//
// Reads: one MGET per batch; the misses come from PostgreSQL in one statement and are written
// back with SET NX and a TTL. Concurrent misses for the same key in this process share that one
// statement (stampede protection).
//
// Writes: after a mutation commits, its rows' keys are overwritten with a tombstone for
// CACHE_TOMBSTONE_SECONDS. A tombstone reads as a miss and, because fills use NX, stops a reader
// that fetched the old row just before the commit from writing it back. So after a commit every
// replica reads the new row. If Redis cannot be told, the invalidation is retried until it can,
// and this process bypasses the cache for those keys meanwhile.
//
// Keys: <namespace>:{<organization>:<entity>}:<id>. The namespace carries the schema version, so
// a deploy with a new row shape never reads old entries; the hash tag keeps one organization's
// entities of one type in one Redis Cluster slot, so a batch is one MGET even on a cluster.

export interface EntityCodec<Row> {
  /** The table; also the metric label. */
  entity: string
  /** Timestamp columns: JSON carries them as strings. */
  dates: ReadonlyArray<keyof Row & string>
}

export interface EntityCacheOptions {
  store: CacheStore
  namespace: string
  ttlSeconds: number
  tombstoneSeconds: number
  /** Hits and misses of one lookup. */
  onLookup: (entity: string, hits: number, misses: number) => void
  /** A cache operation failed (the request went on without the cache). */
  onError: (err: unknown) => void
}

const TOMBSTONE = '!'
const RETRY_MS = 1000

export class EntityCache {
  private readonly inflight = new Map<string, Promise<unknown>>()
  /** Tombstones Redis has not accepted yet: key -> retry. */
  private readonly unconfirmed = new Set<string>()
  private retryTimer: NodeJS.Timeout | undefined

  constructor (private readonly options: EntityCacheOptions) {}

  get enabled (): boolean {
    return this.options.ttlSeconds > 0
  }

  key (entity: string, organizationId: string, id: string): string {
    return `${this.options.namespace}:{${organizationId}:${entity}}:${id}`
  }

  /** The rows that exist among `ids` (any order): from the cache, else from `fetch`. */
  async load<Row extends { id: string }> (
    codec: EntityCodec<Row>,
    organizationId: string,
    ids: readonly string[],
    fetch: (ids: readonly string[]) => Promise<Row[]>
  ): Promise<Row[]> {
    if (!this.enabled) return await fetch(ids)
    const keys = ids.map((id) => this.key(codec.entity, organizationId, id))
    const cached = await this.read(keys)
    const found: Row[] = []
    const missing: string[] = []
    const noFill = new Set<string>()
    ids.forEach((id, i) => {
      const value = cached?.[i] ?? null
      const key = keys[i] as string
      if (value !== null && value !== TOMBSTONE && !this.unconfirmed.has(key)) {
        found.push(decode(codec, value))
        return
      }
      missing.push(id)
      if (value === TOMBSTONE || this.unconfirmed.has(key) || cached === null) noFill.add(id)
    })
    this.options.onLookup(codec.entity, found.length, missing.length)
    if (missing.length === 0) return found

    const joined: Array<Promise<unknown>> = []
    const toFetch: string[] = []
    for (const id of missing) {
      const pending = this.inflight.get(this.key(codec.entity, organizationId, id))
      if (pending === undefined) toFetch.push(id)
      else joined.push(pending)
    }
    let fetched: Row[] = []
    if (toFetch.length > 0) {
      // The in-flight promise covers the fetch and the write-back: a load that starts meanwhile
      // either joins it or, once it is done, finds the rows in the cache.
      const batch = fetch(toFetch).then(async (rows) => {
        const fills = rows.filter((row) => !noFill.has(row.id))
          .map((row) => [this.key(codec.entity, organizationId, row.id), JSON.stringify(row)] as const)
        await this.options.store.addMany(fills, this.options.ttlSeconds).catch(this.options.onError)
        return rows
      })
      for (const id of toFetch) {
        const one = batch.then((rows) => rows.find((row) => row.id === id) ?? null)
        // A failed fetch rejects here too; a load that joined sees the rejection, and when none
        // did, it must not surface as an unhandled rejection (the caller of `batch` handles it).
        one.catch(() => {})
        this.inflight.set(this.key(codec.entity, organizationId, id), one)
      }
      try {
        fetched = await batch
      } finally {
        for (const id of toFetch) this.inflight.delete(this.key(codec.entity, organizationId, id))
      }
    }
    const others = (await Promise.all(joined)).filter((row): row is Row => row !== null)
    return [...found, ...fetched, ...others]
  }

  /** Marks rows changed: every replica reads them from PostgreSQL until the tombstones expire. */
  async invalidate (entity: string, organizationId: string, ids: readonly string[]): Promise<void> {
    if (!this.enabled || ids.length === 0) return
    const keys = ids.map((id) => this.key(entity, organizationId, id))
    try {
      await this.tombstone(keys)
    } catch (err) {
      this.options.onError(err)
      for (const key of keys) this.unconfirmed.add(key)
      this.scheduleRetry()
    }
  }

  close (): void {
    clearInterval(this.retryTimer)
  }

  private async read (keys: string[]): Promise<Array<string | null> | null> {
    try {
      return await this.options.store.getMany(keys)
    } catch (err) {
      this.options.onError(err)
      return null
    }
  }

  private async tombstone (keys: readonly string[]): Promise<void> {
    await this.options.store.setMany(keys.map((key) => [key, TOMBSTONE] as const), this.options.tombstoneSeconds)
  }

  private scheduleRetry (): void {
    if (this.retryTimer !== undefined) return
    this.retryTimer = setInterval(() => {
      const keys = [...this.unconfirmed]
      this.tombstone(keys).then(() => {
        for (const key of keys) this.unconfirmed.delete(key)
        if (this.unconfirmed.size === 0) {
          clearInterval(this.retryTimer)
          this.retryTimer = undefined
        }
      }, () => { /* still unreachable: next tick */ })
    }, RETRY_MS)
    this.retryTimer.unref()
  }
}

function decode<Row> (codec: EntityCodec<Row>, value: string): Row {
  return revive(codec, JSON.parse(value) as Record<string, unknown>)
}

/** A row that travelled as JSON (the cache, or `to_jsonb` in a list's statement), with its dates back. */
export function revive<Row> (codec: EntityCodec<Row>, row: Record<string, unknown>): Row {
  for (const column of codec.dates) {
    const raw = row[column]
    if (typeof raw === 'string') row[column] = new Date(raw)
  }
  return row as Row
}
