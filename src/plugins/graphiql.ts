import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

// GraphiQL served entirely from this service: React and GraphiQL's UMD bundles come from
// node_modules (Mercurius's built-in page loads them from a CDN, which fails offline and
// behind strict egress rules), the bootstrap script from src/graphiql/setup.js.

const require = createRequire(import.meta.url)

/** A file inside a package, whether or not the package's `exports` lists it (React's UMD builds are not listed). */
function packageFile (packageName: string, file: string): string {
  return join(dirname(require.resolve(packageName)), file)
}

const ASSETS = new Map<string, { path: () => string, type: string }>(Object.entries({
  'react.js': { path: () => packageFile('react', 'umd/react.production.min.js'), type: 'text/javascript; charset=utf-8' },
  'react-dom.js': { path: () => packageFile('react-dom', 'umd/react-dom.production.min.js'), type: 'text/javascript; charset=utf-8' },
  'graphiql.js': { path: () => require.resolve('graphiql/graphiql.min.js'), type: 'text/javascript; charset=utf-8' },
  'graphiql.css': { path: () => require.resolve('graphiql/graphiql.min.css'), type: 'text/css; charset=utf-8' },
  // Sources and dist/ both keep setup.js next to this folder (the build copies it).
  'setup.js': { path: () => fileURLToPath(new URL('../graphiql/setup.js', import.meta.url)), type: 'text/javascript; charset=utf-8' }
}))

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Fleet API · GraphiQL</title>
  <link rel="stylesheet" href="/graphiql/assets/graphiql.css">
  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
  <div id="graphiql" data-endpoint="/graphql">Loading GraphiQL…</div>
  <script src="/graphiql/assets/react.js"></script>
  <script src="/graphiql/assets/react-dom.js"></script>
  <script src="/graphiql/assets/graphiql.js"></script>
  <script src="/graphiql/assets/setup.js"></script>
</body>
</html>
`

export const graphiqlPlugin = fp(async (app: FastifyInstance) => {
  const cache = new Map<string, Promise<Buffer>>()
  const load = async (name: string, path: string): Promise<Buffer> => {
    let content = cache.get(name)
    if (content === undefined) {
      content = readFile(path)
      cache.set(name, content)
    }
    return await content
  }

  app.get('/graphiql', { logLevel: 'warn' }, async (_request, reply) => await reply.type('text/html; charset=utf-8').send(PAGE))
  app.get<{ Params: { file: string } }>('/graphiql/assets/:file', { logLevel: 'warn' }, async (request, reply) => {
    const asset = ASSETS.get(request.params.file)
    if (asset === undefined) return await reply.code(404).send({ error: 'Not Found' })
    return await reply
      .type(asset.type)
      .header('cache-control', 'public, max-age=3600')
      .send(await load(request.params.file, asset.path()))
  })
}, { name: 'graphiql' })
