import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { Redis } from 'ioredis'

// A Redis server of the test's own, so that a test can stop, pause and restart it without
// touching the one every other test uses. Keeps nothing on disk: a restart comes back empty.

interface Teardown {
  teardown: (fn: () => unknown) => void
}

export interface PrivateRedis {
  url: string
  port: number
  stop: () => Promise<void>
  start: () => Promise<void>
  /** CLIENT PAUSE: every client's commands wait this long (the server looks hung). */
  pause: (ms: number) => Promise<void>
  /** A plain client for checks (keys, flush). */
  client: () => Redis
}

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

export async function privateRedis (t: Teardown): Promise<PrivateRedis> {
  const port = await freePort()
  const url = `redis://127.0.0.1:${port}`
  let child: ChildProcess | null = null
  const clients: Redis[] = []

  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
    probe.on('error', () => { /* not up yet: the loop retries */ })
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        await probe.connect()
        await probe.ping()
        probe.disconnect()
        return
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
    throw new Error('redis-server did not start')
  }
  const stop = async () => {
    const running = child
    if (running === null) return
    child = null
    await new Promise((resolve) => {
      running.once('exit', resolve)
      running.kill('SIGKILL')
    })
  }
  await start()
  t.teardown(async () => {
    for (const client of clients) client.disconnect()
    await stop()
  })
  return {
    url,
    port,
    start,
    stop,
    pause: async (ms) => {
      const admin = new Redis(url)
      admin.on('error', () => {})
      await admin.call('CLIENT', 'PAUSE', String(ms), 'ALL')
      admin.disconnect()
    },
    client: () => {
      const client = new Redis(url)
      client.on('error', () => {})
      clients.push(client)
      return client
    }
  }
}
