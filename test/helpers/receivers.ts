import { readFileSync } from 'node:fs'
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { join } from 'node:path'
import { getCACertificates, setDefaultCACertificates } from 'node:tls'
import { gunzipSync, inflateSync } from 'node:zlib'
import { ROOT } from './environment.js'

// Local stand-ins for Sentry's and Application Insights' ingestion endpoints: they accept what
// the real SDKs send and keep it for the test to inspect.

interface Teardown {
  teardown: (fn: () => unknown) => void
}

async function body (request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  let raw = Buffer.concat(chunks)
  if (request.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw)
  else if (request.headers['content-encoding'] === 'deflate') raw = inflateSync(raw)
  return raw.toString('utf8')
}

export interface SentryReceiver {
  dsn: string
  /** Every item of every envelope: { type, payload }. */
  items: Array<{ type: string, payload: any }>
  raw: string[]
}

/** Sentry: envelopes (newline-delimited JSON) POSTed to /api/<project>/envelope/. */
export async function sentryReceiver (t: Teardown): Promise<SentryReceiver> {
  const receiver: SentryReceiver = { dsn: '', items: [], raw: [] }
  const server = createHttpServer((request: IncomingMessage, response: ServerResponse) => {
    void body(request).then((text) => {
      receiver.raw.push(text)
      const lines = text.split('\n').filter((line) => line.trim() !== '')
      for (let i = 1; i + 1 < lines.length; i += 2) {
        const header = JSON.parse(lines[i] as string) as { type: string }
        let payload: unknown = lines[i + 1]
        try { payload = JSON.parse(lines[i + 1] as string) } catch { /* attachments are not JSON */ }
        receiver.items.push({ type: header.type, payload })
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => { await new Promise((resolve) => server.close(resolve)) })
  receiver.dsn = `http://publickey@127.0.0.1:${(server.address() as { port: number }).port}/1`
  return receiver
}

export interface ApplicationInsightsReceiver {
  connectionString: string
  /** Every telemetry envelope received: { name, data: { baseType, baseData }, tags, time }. */
  envelopes: any[]
}

const CERT = readFileSync(join(ROOT, 'test', 'fixtures', 'tls', 'receiver.crt'), 'utf8')
const KEY = readFileSync(join(ROOT, 'test', 'fixtures', 'tls', 'receiver.key'), 'utf8')

/**
 * Application Insights: JSON arrays of envelopes POSTed to /v2.1/track. The SDK's exporter only
 * speaks HTTPS, so this serves a self-signed certificate that the test process is told to trust.
 */
export async function applicationInsightsReceiver (t: Teardown): Promise<ApplicationInsightsReceiver> {
  setDefaultCACertificates([...getCACertificates('default'), CERT])
  const receiver: ApplicationInsightsReceiver = { connectionString: '', envelopes: [] }
  const server = createHttpsServer({ cert: CERT, key: KEY }, (request, response) => {
    void body(request).then((text) => {
      if (request.url?.includes('/track') === true && text.trim() !== '') {
        const parsed = JSON.parse(text) as unknown
        receiver.envelopes.push(...(Array.isArray(parsed) ? parsed : [parsed]))
      }
      response.writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ itemsReceived: 1, itemsAccepted: 1, errors: [] }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => { await new Promise((resolve) => server.close(resolve)) })
  const endpoint = `https://127.0.0.1:${(server.address() as { port: number }).port}/`
  receiver.connectionString = `InstrumentationKey=0f5e3a52-6c1b-4d2e-9a7f-3b8c1d2e4f60;IngestionEndpoint=${endpoint};LiveEndpoint=${endpoint}`
  return receiver
}
