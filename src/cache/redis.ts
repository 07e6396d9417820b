import { Redis } from 'ioredis'
import type { CacheStore } from './store.js'

export interface RedisStoreOptions {
  url: string
  commandTimeoutMs: number
  onError: (err: Error) => void
  /** Latency of each command, and whether it failed. */
  observe: (command: string, seconds: number, failed: boolean) => void
}

/** Takes hits back from a window that exists: { count, milliseconds left } (0, 0 when it is gone). */
const TAKE_BACK = `if redis.call('exists', KEYS[1]) == 0 then return {0, 0} end
return {redis.call('decrby', KEYS[1], ARGV[1]), redis.call('pttl', KEYS[1])}`

/**
 * Redis with fail-fast settings: no offline queue (a command while disconnected fails at once
 * instead of waiting for a reconnect), a short command timeout, and reconnection with capped
 * exponential backoff forever, so the cache comes back on its own when Redis does.
 */
export function redisStore (options: RedisStoreOptions): CacheStore & { client: Redis } {
  const client = new Redis(options.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs,
    connectTimeout: 2000,
    enableAutoPipelining: true,
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 5000)
  })
  client.on('error', options.onError)

  async function timed<T> (command: string, run: () => Promise<T>): Promise<T> {
    const started = performance.now()
    try {
      const result = await run()
      options.observe(command, (performance.now() - started) / 1000, false)
      return result
    } catch (err) {
      options.observe(command, (performance.now() - started) / 1000, true)
      throw err
    }
  }

  // A pipeline, not MULTI: atomicity buys nothing for cache writes, and MULTI cannot span Redis
  // Cluster slots. One round trip for the whole batch; a failed command fails the call.
  async function setEach (command: string, entries: ReadonlyArray<readonly [string, string]>, ttlSeconds: number, onlyIfAbsent: boolean): Promise<void> {
    if (entries.length === 0) return
    await timed(command, async () => {
      const pipeline = client.pipeline()
      for (const [key, value] of entries) {
        if (onlyIfAbsent) pipeline.set(key, value, 'EX', ttlSeconds, 'NX')
        else pipeline.set(key, value, 'EX', ttlSeconds)
      }
      const results = await pipeline.exec()
      const failed = results?.find(([err]) => err !== null)
      if (failed !== undefined) throw failed[0] as Error
    })
  }

  return {
    kind: 'redis',
    client,
    ping: async () => { await timed('ping', async () => await client.ping()) },
    getMany: async (keys) => keys.length === 0 ? [] : await timed('mget', async () => await client.mget(...keys)),
    setMany: async (entries, ttlSeconds) => { await setEach('set', entries, ttlSeconds, false) },
    addMany: async (entries, ttlSeconds) => { await setEach('setnx', entries, ttlSeconds, true) },
    delete: async (keys) => {
      if (keys.length === 0) return
      await timed('del', async () => await client.del(...keys))
    },
    // SET NX EX starts the window on the first hit; INCRBY counts; PTTL says when it ends. Sent as
    // plain commands, so auto-pipelining puts them in one write with whatever else the caller's
    // synchronous step sends (the rate limit and the session lookup of a request: one round trip).
    hit: (key, windowSeconds, by = 1) => timed('incr', async () => {
      if (by < 0) {
        // Only where the window still exists: a DECRBY on a missing key would make one that never expires.
        const [count, ttl] = await client.eval(TAKE_BACK, 1, key, String(-by)) as [number, number]
        return { count: Number(count), ttlSeconds: Math.max(0, Math.ceil(Number(ttl) / 1000)) }
      }
      const [, count, ttl] = await Promise.all([client.set(key, 0, 'EX', windowSeconds, 'NX'), client.incrby(key, by), client.pttl(key)])
      return { count: Number(count), ttlSeconds: Math.max(1, Math.ceil(Number(ttl) / 1000)) }
    }),
    close: async () => {
      try {
        await client.quit()
      } catch {
        client.disconnect()
      }
    }
  }
}
