import type { EventEmitter } from 'node:events'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import fp from 'fastify-plugin'
import mqemitter, { type MQEmitter } from 'mqemitter'
import mqemitterRedis from 'mqemitter-redis'

// Events that must reach every replica: GraphQL subscription payloads and internal
// notifications (feature flags changed). Redis pub/sub when REDIS_URL is set, in-process
// otherwise (one replica). Delivery is best effort: while Redis is unreachable events are lost,
// which subscribers see as a gap, never as an error.

declare module 'fastify' {
  interface FastifyInstance {
    events: MQEmitter
  }
}

export const eventsPlugin = fp(async (app: FastifyInstance, { url }: { url: string | undefined }) => {
  let emitter: MQEmitter
  let close: () => Promise<void>
  if (url === undefined) {
    emitter = mqemitter()
    close = async () => { await new Promise<void>((resolve) => { emitter.close(() => { resolve() }) }) }
  } else {
    const retryStrategy = (attempt: number) => Math.min(50 * 2 ** attempt, 5000)
    // Publishing while disconnected fails at once rather than queueing without bound; the
    // subscriber connection keeps its queue so that SUBSCRIBE waits for the connection and
    // resubscribes after every reconnect.
    const pubConn = new Redis(url, { retryStrategy, enableOfflineQueue: false, maxRetriesPerRequest: 0 })
    const subConn = new Redis(url, { retryStrategy })
    // After a reconnect ioredis resubscribes with a promise nobody awaits; if the connection drops
    // again before Redis answers (a black-holed network, shutdown), that promise rejects unhandled,
    // which would end the process. Callers still see their own rejections; these are only observed.
    for (const method of ['subscribe', 'psubscribe'] as const) {
      const original = subConn[method].bind(subConn) as (...args: unknown[]) => Promise<unknown>
      ;(subConn as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
        const reply = original(...args)
        reply.catch(() => {})
        return reply
      }
    }
    // ioredis 6 connections; mqemitter-redis's types name its own ioredis 5 (same API).
    const redis = mqemitterRedis({ pubConn: pubConn as never, subConn: subConn as never })
    let lastLog = 0
    const onError = (err: Error) => {
      if (Date.now() - lastLog < 10_000) return
      lastLog = Date.now()
      app.log.warn({ err: { message: err.message } }, 'Redis pub/sub unavailable: events to other replicas are lost until it returns')
    }
    ;(redis as unknown as { state: EventEmitter }).state.on('error', onError)
    pubConn.on('error', onError)
    subConn.on('error', onError)
    emitter = redis
    // Not mqemitter-redis's close(): it QUITs without handling a refusal, so closing while
    // Redis is down would crash with an unhandled rejection, or wait forever for 'end'.
    close = async () => {
      pubConn.disconnect()
      subConn.disconnect()
    }
  }
  app.decorate('events', emitter)
  app.addHook('onClose', close)
}, { name: 'events' })
