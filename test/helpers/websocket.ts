// A minimal graphql-transport-ws client (the protocol of the `graphql-ws` library) on Node's
// built-in WebSocket, enough to connect, authenticate and collect a subscription's events.

export interface SubscriptionClient {
  /** Events received for the subscription, in order. */
  events: any[]
  /** How the server ended the subscription (`error` with its GraphQL errors, or `complete`), once it did. */
  end: { type: 'error' | 'complete', payload: any } | null
  /** Resolves with the end once the server ended the subscription (rejects after `timeoutMs`). */
  waitForEnd: (timeoutMs?: number) => Promise<{ type: 'error' | 'complete', payload: any }>
  /** Resolves once `count` events have arrived (rejects after `timeoutMs`). */
  waitFor: (count: number, timeoutMs?: number) => Promise<any[]>
  /** Resolves with the first event that matches (rejects after `timeoutMs`). */
  waitForEvent: (match: (event: any) => boolean, timeoutMs?: number) => Promise<any>
  close: () => void
}

interface Teardown {
  teardown: (fn: () => unknown) => void
}

/** Opens a connection; resolves with the close code when the server refuses connection_init. */
export async function subscribe (t: Teardown, url: string, authorization: string | undefined, query: string): Promise<SubscriptionClient | { refused: number }> {
  const socket = new WebSocket(url, 'graphql-transport-ws')
  t.teardown(() => { socket.close() })
  const events: any[] = []
  const waiters: Array<() => void> = []
  const client = { end: null as { type: 'error' | 'complete', payload: any } | null }
  const closed = new Promise<number>((resolve) => { socket.addEventListener('close', (event) => { resolve(event.code) }) })
  const acked = new Promise<boolean>((resolve, reject) => {
    socket.addEventListener('open', () => {
      socket.send(JSON.stringify({ type: 'connection_init', payload: authorization === undefined ? {} : { authorization } }))
    })
    socket.addEventListener('message', (message) => {
      const data = JSON.parse(String(message.data)) as { type: string, id?: string, payload?: unknown }
      if (data.type === 'connection_ack') resolve(true)
      if (data.type === 'next') {
        events.push(data.payload)
        for (const wake of waiters.splice(0)) wake()
      }
      if ((data.type === 'error' || data.type === 'complete') && data.id === '1') {
        client.end = { type: data.type, payload: data.payload }
        for (const wake of waiters.splice(0)) wake()
      }
    })
    socket.addEventListener('close', () => { resolve(false) })
    socket.addEventListener('error', () => { reject(new Error('websocket error')) })
  })
  if (!await acked) return { refused: await closed }
  const listening = await openSubscriptions(url)
  socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }))
  const waitUntil = async (done: () => boolean | Promise<boolean>, timeoutMs: number, what: () => string): Promise<void> => {
    const until = Date.now() + timeoutMs
    while (!await done()) {
      if (Date.now() > until) throw new Error(what())
      await new Promise<void>((resolve) => {
        waiters.push(resolve)
        setTimeout(resolve, 100)
      })
    }
  }
  // Resolve once the server listens for the subscription's events (its gauge counts it), so an
  // event caused right after cannot be missed; or once the server refused it.
  await waitUntil(async () => client.end !== null || await openSubscriptions(url) > listening, 10_000, () => `the subscription never started listening: ${JSON.stringify(client.end)}`)
  return {
    events,
    get end () { return client.end },
    waitForEnd: async (timeoutMs = 10_000) => {
      await waitUntil(() => client.end !== null, timeoutMs, () => `the subscription did not end: ${JSON.stringify(events)}`)
      return client.end as { type: 'error' | 'complete', payload: any }
    },
    close: () => { socket.close() },
    waitFor: async (count, timeoutMs = 10_000) => {
      await waitUntil(() => events.length >= count, timeoutMs, () => `expected ${count} event(s), got ${events.length}: ${JSON.stringify(events)}`)
      return events
    },
    waitForEvent: async (match, timeoutMs = 10_000) => {
      await waitUntil(() => events.some(match), timeoutMs, () => `no matching event among ${JSON.stringify(events)}`)
      return events.find(match)
    }
  }
}

/** The server's count of subscriptions listening for events (`fleet_api_graphql_subscriptions_open`, all fields). */
export async function openSubscriptions (url: string): Promise<number> {
  const metrics = await (await fetch(url.replace(/^ws/, 'http').replace(/\/graphql$/, '/health/metrics'))).text()
  let open = 0
  for (const [, value] of metrics.matchAll(/^fleet_api_graphql_subscriptions_open\{[^}]*\} (\S+)$/gm)) open += Number(value)
  return open
}
