import type { FastifyBaseLogger } from 'fastify'
import { connectionLost, poolExhausted } from '../database/failures.js'
import type { StartupStep } from './prepare.js'

// Start-up work (reaching the database, migrations, the demo seed) runs after the listener opens,
// never inside a plugin: a plugin has a time limit, and migrations on a slow machine, or a database
// that is not there yet, are not bugs. Meanwhile liveness answers, startup and readiness say what
// start-up waits for, and requests get 503 with Retry-After. A database that cannot be reached is
// retried until it can (a failover or a rollout that starts pods before PostgreSQL answers must
// not crash-loop them); any other failure (a migration that fails) ends start-up for good.

export interface StartupOptions {
  /** The work; reports each step as it begins. */
  work: (step: (step: StartupStep) => void) => Promise<void>
  /** The database is the embedded one: the probes say it is being opened, not connected to. */
  embedded: boolean
  log: FastifyBaseLogger
  retry?: { firstMs: number, maxMs: number }
}

const STEP_REASONS: Record<StartupStep, (embedded: boolean) => string> = {
  connecting: (embedded) => embedded ? 'opening the embedded database' : 'connecting to the database',
  migrating: () => 'applying migrations',
  seeding: () => 'loading the demo fleet'
}

// Retries stop growing at 2 s: the service is ready within seconds of the database coming back.
const RETRY = { firstMs: 250, maxMs: 2000 }
// A database away for long is logged once, then every half minute, not at every attempt.
const LOG_EVERY_MS = 30_000

// SQLSTATE classes and codes that mean "not reachable or not usable yet", not "wrong".
const TRANSIENT_SQLSTATE = /^(08|57P0[1-4]|53300|3D000|28000|28P01)/

/** The failure is the database being away, not the work being wrong: try again. */
export function transient (err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code
  return connectionLost(err) || poolExhausted(err) || (typeof code === 'string' && TRANSIENT_SQLSTATE.test(code))
}

/** What a probe may say about a failure: its kind, never a host name or a credential. */
export function describeFailure (err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  if (code === 'ECONNREFUSED') return 'connection refused'
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found'
  if (code === 'ETIMEDOUT' || poolExhausted(err) || (err instanceof Error && /timeout/i.test(err.message))) return 'connection timed out'
  if (code === '28P01' || code === '28000') return 'authentication failed'
  if (code === '3D000') return 'database does not exist'
  if (code === '57P03' || code === '57P01') return 'the server is starting or shutting down'
  if (code === '53300') return 'too many connections'
  return 'connection lost'
}

export class Startup {
  done = false
  /** Set when start-up failed for good. */
  failure: Error | null = null
  readonly finished: Promise<void>
  private step: StartupStep = 'connecting'
  private waiting: string | null = null
  private stopped = false
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private resolve!: () => void
  private reject!: (err: Error) => void
  private readonly listeners: Array<() => void> = []

  constructor (private readonly options: StartupOptions) {
    this.finished = new Promise((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
    // A failure is reported where it is awaited (the server exits); unawaited, it must not crash.
    this.finished.catch(() => {})
  }

  /** What start-up is waiting for (null when done). */
  get reason (): string | null {
    if (this.done) return null
    if (this.failure !== null) return `start-up failed: ${this.failure.message}`
    const doing = STEP_REASONS[this.step](this.options.embedded)
    return this.waiting === null ? doing : `${doing}: database not reachable yet (${this.waiting}); retrying`
  }

  /** Runs `fn` once start-up has finished (at once if it has). */
  onDone (fn: () => void): void {
    if (this.done) fn()
    else this.listeners.push(fn)
  }

  /** Begins start-up in the background; a second call does nothing. */
  start (): void {
    this.running ??= this.attempt(this.options.retry?.firstMs ?? RETRY.firstMs, 0)
  }

  /** Stops retrying and waits for the attempt under way (a migration is never cut in half). */
  async stop (): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.running
  }

  private async attempt (delayMs: number, lastLog: number): Promise<void> {
    try {
      await this.options.work((step) => { this.step = step })
    } catch (err) {
      if (this.stopped) return
      if (!transient(err)) {
        this.failure = err instanceof Error ? err : new Error(String(err))
        this.reject(this.failure)
        return
      }
      const first = this.waiting === null
      this.waiting = describeFailure(err)
      const now = Date.now()
      if (first || now - lastLog >= LOG_EVERY_MS) {
        this.options.log.warn({ reason: this.waiting, step: this.step, retryMs: delayMs }, 'database not reachable yet; start-up retries until it is')
        lastLog = now
      }
      const next = Math.min(delayMs * 2, this.options.retry?.maxMs ?? RETRY.maxMs)
      this.timer = setTimeout(() => { this.running = this.attempt(next, lastLog) }, delayMs)
      return
    }
    // Closed meanwhile: what would start now (timers, readers) must stay stopped.
    if (this.stopped) return
    if (this.waiting !== null) this.options.log.info('database reachable; start-up continued')
    this.waiting = null
    this.done = true
    this.resolve()
    for (const listener of this.listeners.splice(0)) listener()
  }
}
