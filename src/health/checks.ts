import { sql } from 'kysely'
import type { DatabaseHandle } from '../database/connect.js'
import type { CacheStore } from '../cache/store.js'
import { memoryUsage } from './memory.js'

// Dependency checks for the health routes. Each has its own timeout, shorter than any probe's,
// so a hung PostgreSQL makes the answer "down", never a hung probe; results are shared for a
// moment (single flight + short cache) so frequent probes cost one check.

export type CheckStatus = 'ok' | 'degraded' | 'down'

export interface CheckResult {
  status: CheckStatus
  message: string
  latency?: number
  details?: Record<string, number | string | boolean>
}

export class CheckTimeout extends Error {}

export async function withTimeout<T> (work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new CheckTimeout(`no answer within ${ms} ms`)) }, ms)
  })
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Reuses a check's result for `ttlMs`, and its pending promise while it runs. */
export function shared<T> (run: () => Promise<T>, ttlMs: number): () => Promise<T> {
  let pending: Promise<T> | null = null
  let value: { result: T, at: number } | null = null
  return async () => {
    if (value !== null && Date.now() - value.at < ttlMs) return value.result
    pending ??= run().then((result) => {
      value = { result, at: Date.now() }
      return result
    }).finally(() => { pending = null })
    return await pending
  }
}

export interface CheckSettings {
  timeoutMs: number
  slowMs: number
}

export async function checkDatabase (database: DatabaseHandle, settings: CheckSettings): Promise<CheckResult> {
  const started = performance.now()
  const pool = database.poolStats()
  const details = { totalConnections: pool.total, idleConnections: pool.idle, waitingConnections: pool.waiting }
  try {
    await withTimeout(sql`SELECT 1`.execute(database.db), settings.timeoutMs)
    const latency = Math.round(performance.now() - started)
    if (latency > settings.slowMs) return { status: 'degraded', message: 'Database responding slowly', latency, details }
    return { status: 'ok', message: 'Database connection healthy', latency, details }
  } catch (err) {
    const reason = err instanceof CheckTimeout ? err.message : 'connection failed'
    return { status: 'down', message: `Database unreachable: ${reason}`, latency: Math.round(performance.now() - started), details }
  }
}

export async function checkCache (cache: CacheStore, settings: CheckSettings): Promise<CheckResult> {
  if (cache.kind === 'memory') return { status: 'ok', message: 'In-process cache (REDIS_URL not set)', latency: 0 }
  const started = performance.now()
  try {
    await withTimeout(cache.ping(), settings.timeoutMs)
    return { status: 'ok', message: 'Redis connection healthy', latency: Math.round(performance.now() - started) }
  } catch {
    return { status: 'down', message: 'Redis unreachable: requests are served from PostgreSQL without the cache', latency: Math.round(performance.now() - started) }
  }
}

export function checkMemory (limitBytes: number, degradedPercent: number): CheckResult {
  const { percent, details } = memoryUsage(limitBytes)
  return {
    status: percent > degradedPercent ? 'degraded' : 'ok',
    message: `Memory usage: ${percent}%`,
    details
  }
}
