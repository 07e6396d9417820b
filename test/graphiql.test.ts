import { existsSync } from 'node:fs'
import { chromium } from 'playwright-core'
import t from 'tap'
import { buildTestApp } from './helpers/app.js'

// GraphiQL must work with no network beyond this service: every asset comes from /graphiql.
// The browser check needs Chromium (.ci/run installs Debian's package); where it cannot be
// installed, that one test is skipped with the reason printed.

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

void t.test('the page and its assets are served locally', async (t) => {
  const { app } = await buildTestApp(t)
  const page = await app.inject({ method: 'GET', url: '/graphiql' })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /text\/html/)
  const sources = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string)
  t.ok(sources.length >= 5, 'scripts and stylesheet referenced')
  for (const source of sources) {
    t.match(source, /^\/graphiql\/assets\//, `${source} is served by this service, not a CDN`)
    const asset = await app.inject({ method: 'GET', url: source })
    t.equal(asset.statusCode, 200, `${source} is there`)
    t.ok(asset.body.length > 100, `${source} has content`)
  }
  t.equal((await app.inject({ method: 'GET', url: '/graphiql/assets/constructor' })).statusCode, 404)
  t.equal((await app.inject({ method: 'GET', url: '/graphiql/assets/..%2F..%2Fpackage.json' })).statusCode, 404)
})

void t.test('GraphiQL is off in production unless enabled', async (t) => {
  const production = { NODE_ENV: 'production', JWT_SECRET: 'a-production-secret-of-at-least-32-chars', DATABASE_URL: 'postgres://unused.invalid/db' }
  const off = await buildTestApp(t, { env: production })
  t.equal((await off.app.inject({ method: 'GET', url: '/graphiql' })).statusCode, 404)
  const on = await buildTestApp(t, { env: { ...production, GRAPHIQL: 'true' } })
  t.equal((await on.app.inject({ method: 'GET', url: '/graphiql' })).statusCode, 200)
})

void t.test('GraphiQL renders and runs a query in headless Chromium, offline', { skip: existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM} (apt-get install chromium)`, timeout: 90_000 }, async (t) => {
  const { app } = await buildTestApp(t)
  const base = await app.listen({ host: '127.0.0.1', port: 0 })
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
  t.teardown(async () => { await browser.close() })
  const context = await browser.newContext()
  const foreign: string[] = []
  // Anything not served by the app counts as a CDN dependency and is refused.
  await context.route('**/*', async (route) => {
    if (route.request().url().startsWith(base)) await route.continue()
    else {
      foreign.push(route.request().url())
      await route.abort()
    }
  })
  const page = await context.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', (err) => pageErrors.push(err.message))
  const cspViolations: string[] = []
  page.on('console', (message) => { if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text()) })
  await page.goto(`${base}/graphiql`)
  await page.waitForSelector('.graphiql-container', { timeout: 30_000 })

  // Sign in: the default document's first operation is the login mutation.
  const run = async (name: string) => {
    await page.locator('.graphiql-execute-button').click()
    const menuItem = page.getByRole('menuitem', { name })
    if (await menuItem.isVisible({ timeout: 2000 }).catch(() => false)) await menuItem.click()
  }
  await run('SignIn')
  // Predicates as functions, not strings: a string would be eval'd, which the page's CSP forbids.
  const resultContains = (text: string) => (globalThis as any).document.querySelector('.result-window')?.textContent?.includes(text) === true
  await page.waitForFunction(resultContains, 'accessToken', { timeout: 30_000 })
  await run('Dashboard')
  await page.waitForFunction(resultContains, 'totalVehicles', { timeout: 30_000 })
  const result = await page.locator('.result-window').textContent()
  t.match(result, /"totalVehicles": 50/, 'the dashboard query ran with the signed-in token')
  t.notMatch(result, /UNAUTHENTICATED/)

  // The documentation explorer and completion come from the schema, which GraphiQL reads with
  // graphql-js's standard introspection query.
  await page.getByRole('button', { name: 'Show Documentation Explorer' }).click()
  await page.locator('.graphiql-doc-explorer-search input').fill('Vehicle')
  await page.locator('.graphiql-doc-explorer-search [role="option"]', { hasText: /^Vehicle$/ }).click({ timeout: 30_000 })
  t.equal(await page.locator('.graphiql-doc-explorer-title').textContent({ timeout: 30_000 }), 'Vehicle', 'the documentation explorer finds Vehicle')
  await page.locator('.graphiql-query-editor .CodeMirror').click()
  await page.keyboard.press('Control+A')
  await page.keyboard.type('{ veh')
  const hints = page.locator('.CodeMirror-hints .CodeMirror-hint')
  await hints.first().waitFor({ timeout: 30_000 })
  t.ok((await hints.allTextContents()).includes('vehicles'), 'completion offers vehicles after "{ veh"')
  t.same(foreign, [], 'no request left the service')
  t.same(pageErrors, [], 'no script errors')
  t.same(cspViolations, [], 'nothing blocked by the content security policy')
})
