import type { Test } from 'tap'
import { codes, type GraphQLResponse, type TestApp } from './app.js'

// Shared shapes for suites that read through the API.

/** The data of a response that must have succeeded (throws with the errors otherwise). */
export function ok<T> (response: GraphQLResponse<T>): T {
  if (response.errors !== undefined || response.data === null) throw new Error(`unexpected errors: ${JSON.stringify(response.errors)}`)
  return response.data
}

/** Asserts that a response failed with exactly this code (and, if given, this field). */
export function refused (t: Test, response: GraphQLResponse, code: string, field?: string, label = code): void {
  t.same(codes(response), [code], label)
  if (field !== undefined) t.equal(response.errors?.[0]?.extensions.field, field, `${label}: extensions.field`)
}

/** A `gql` that returns the data and throws on any error: for set-up steps and happy paths. */
export function dataFetcher (gql: TestApp['gql'], defaultToken: string) {
  return async <T>(query: string, variables: object = {}, token = defaultToken): Promise<T> => ok(await gql<T>(query, variables, token))
}

interface PageLike {
  pageInfo: { startCursor: string | null, endCursor: string | null, hasNextPage: boolean, hasPreviousPage: boolean }
}

/** Every page of a connection, forward with first/after or backward with last/before. */
export async function allPages<Page extends PageLike> (
  fetch: (window: { first?: number, after?: string | null, last?: number, before?: string | null }) => Promise<Page>,
  size: number,
  backward = false
): Promise<Page[]> {
  const pages: Page[] = []
  let cursor: string | null = null
  for (;;) {
    const page: Page = await fetch(backward ? { last: size, before: cursor } : { first: size, after: cursor })
    pages.push(page)
    const more = backward ? page.pageInfo.hasPreviousPage : page.pageInfo.hasNextPage
    if (!more) return pages
    if (pages.length > 100) throw new Error('paging does not end')
    cursor = backward ? page.pageInfo.startCursor : page.pageInfo.endCursor
  }
}
