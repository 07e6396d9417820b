// The shared cache behind the entity loaders: Redis when REDIS_URL is set, an in-process map
// otherwise (the embedded default). Every operation may fail (Redis down, slow, restarting);
// callers treat a failure as a miss and go to PostgreSQL.

export interface CacheStore {
  readonly kind: 'redis' | 'memory'
  ping: () => Promise<void>
  /** Values in key order; null for a miss. */
  getMany: (keys: readonly string[]) => Promise<Array<string | null>>
  setMany: (entries: ReadonlyArray<readonly [string, string]>, ttlSeconds: number) => Promise<void>
  /** Sets each key only where it does not exist (SET NX): a fill never overwrites a tombstone. */
  addMany: (entries: ReadonlyArray<readonly [string, string]>, ttlSeconds: number) => Promise<void>
  delete: (keys: readonly string[]) => Promise<void>
  /**
   * Counts `by` hits (default 1) in a fixed window that starts with the first hit: the count and
   * seconds left. A negative `by` takes hits back from a window that exists, never starting one.
   */
  hit: (key: string, windowSeconds: number, by?: number) => Promise<{ count: number, ttlSeconds: number }>
  close: () => Promise<void>
}
