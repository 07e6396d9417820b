import { createConnection, createServer, type Server, type Socket } from 'node:net'

// Network faults for tests: a server that accepts connections and never answers (a hung
// PostgreSQL or Redis), and a proxy that can add latency or black-hole traffic mid-test.

interface Teardown {
  teardown: (fn: () => unknown) => void
}

async function listen (server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as { port: number }).port
}

function closer (server: Server, sockets: Set<Socket>) {
  return async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
  }
}

/** Accepts every connection and never sends a byte. */
export async function stallingServer (t: Teardown): Promise<{ port: number }> {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
  })
  t.teardown(closer(server, sockets))
  return { port: await listen(server) }
}

export interface Proxy {
  port: number
  /** Delay every chunk in both directions by this many milliseconds. */
  delay: (ms: number) => void
  /** Keep connections open but stop forwarding anything (and accept new ones silently). */
  blackhole: () => void
  /** Forward again. */
  restore: () => void
  /** Drop every open connection (clients see a reset). */
  reset: () => void
}

export async function tcpProxy (t: Teardown, targetPort: number): Promise<Proxy> {
  const sockets = new Set<Socket>()
  let delayMs = 0
  let dropping = false
  const pipe = (from: Socket, to: Socket) => {
    from.on('data', (chunk) => {
      if (dropping) return
      if (delayMs === 0) to.write(chunk)
      else setTimeout(() => { if (!to.destroyed) to.write(chunk) }, delayMs)
    })
    from.on('close', () => to.destroy())
    from.on('error', () => to.destroy())
  }
  const server = createServer((client) => {
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort })
    sockets.add(upstream)
    upstream.on('close', () => sockets.delete(upstream))
    pipe(client, upstream)
    pipe(upstream, client)
  })
  t.teardown(closer(server, sockets))
  return {
    port: await listen(server),
    delay: (ms) => { delayMs = ms },
    blackhole: () => { dropping = true },
    restore: () => { dropping = false },
    reset: () => { for (const socket of sockets) socket.destroy() }
  }
}

export interface Endpoint {
  port: number
  /** Nothing listens: connections are refused. */
  refuse: () => Promise<void>
  /** Connections are accepted and never answered (a partition, a hung server). */
  stall: () => Promise<void>
  /** Connections reach the target (the server is back). */
  forward: () => Promise<void>
}

/**
 * One address whose behaviour the test switches: refused, then stalling, then the real server,
 * as a database behind a failover or a network partition looks to a client.
 */
export async function switchableEndpoint (t: Teardown, targetPort: number): Promise<Endpoint> {
  const reserved = createServer()
  const port = await listen(reserved)
  await new Promise((resolve) => reserved.close(resolve))
  let current: { close: () => Promise<void> } | null = null
  const become = async (handler: ((socket: Socket) => void) | null) => {
    await current?.close()
    current = null
    if (handler === null) return
    const sockets = new Set<Socket>()
    const server = createServer((socket) => {
      sockets.add(socket)
      socket.on('error', () => {})
      socket.on('close', () => sockets.delete(socket))
      handler(socket)
    })
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
    current = { close: closer(server, sockets) }
  }
  t.teardown(async () => { await become(null) })
  return {
    port,
    refuse: async () => { await become(null) },
    stall: async () => { await become(() => {}) },
    forward: async () => {
      await become((client) => {
        const upstream = createConnection({ host: '127.0.0.1', port: targetPort })
        upstream.on('error', () => client.destroy())
        client.on('close', () => upstream.destroy())
        upstream.on('close', () => client.destroy())
        client.pipe(upstream)
        upstream.pipe(client)
      })
    }
  }
}
