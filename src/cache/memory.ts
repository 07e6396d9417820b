import type { CacheStore } from './store.js'

/** The in-process store used when there is no Redis: one replica, so nothing to share. */
export function memoryStore (maxEntries = 10_000): CacheStore {
  const entries = new Map<string, { value: string, expires: number }>()
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
      for (const [key, value] of items) {
        // Map iteration order is insertion order: dropping the first key evicts the oldest.
        if (entries.size >= maxEntries && !entries.has(key)) entries.delete(entries.keys().next().value as string)
        entries.set(key, { value, expires: Date.now() + ttlSeconds * 1000 })
      }
    },
    delete: async (keys) => {
      for (const key of keys) entries.delete(key)
    },
    close: async () => { entries.clear() }
  }
}
