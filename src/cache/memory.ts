import type { CacheStore } from './store.js'

/** The in-process store used when there is no Redis: one replica, so nothing to share. */
export function memoryStore (maxEntries = 10_000): CacheStore {
  const entries = new Map<string, { value: string, expires: number }>()
  const put = (key: string, value: string, ttlSeconds: number) => {
    // Map iteration order is insertion order: dropping the first key evicts the oldest.
    if (entries.size >= maxEntries && !entries.has(key)) entries.delete(entries.keys().next().value as string)
    entries.set(key, { value, expires: Date.now() + ttlSeconds * 1000 })
  }
  return {
    kind: 'memory',
    ping: async () => {},
    getMany: async (keys) => keys.map((key) => {
      const entry = entries.get(key)
      if (entry === undefined) return null
      if (entry.expires <= Date.now()) {
        entries.delete(key)
        return null
      }
      return entry.value
    }),
    setMany: async (items, ttlSeconds) => {
      for (const [key, value] of items) put(key, value, ttlSeconds)
    },
    addMany: async (items, ttlSeconds) => {
      for (const [key, value] of items) {
        const existing = entries.get(key)
        if (existing === undefined || existing.expires <= Date.now()) put(key, value, ttlSeconds)
      }
    },
    delete: async (keys) => {
      for (const key of keys) entries.delete(key)
    },
    hit: async (key, windowSeconds, by = 1) => {
      const entry = entries.get(key)
      if (entry === undefined || entry.expires <= Date.now()) {
        if (by < 0) return { count: 0, ttlSeconds: 0 }
        put(key, String(by), windowSeconds)
        return { count: by, ttlSeconds: windowSeconds }
      }
      entry.value = String(Number(entry.value) + by)
      return { count: Number(entry.value), ttlSeconds: Math.ceil((entry.expires - Date.now()) / 1000) }
    },
    close: async () => { entries.clear() }
  }
}
