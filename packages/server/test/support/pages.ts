/** A GET of the officer API answering `{ status, body }` (a test node's `api`, a browser's). */
export type Get = (path: string) => Promise<{ status: number; body: unknown }>

/**
 * Every item of a paged list, oldest first, one page per request: what `ApiClient.pages` does,
 * for tests that speak raw HTTP. `path` is the list's route under `/api/v1`, `key` its list.
 */
export async function wholeList<T>(get: Get, path: string, key: string, limit = 500): Promise<T[]> {
  const items: T[] = []
  const join = path.includes('?') ? '&' : '?'
  let query = `limit=${limit}&from=oldest`
  for (;;) {
    const reply = await get(`${path}${join}${query}`)
    if (reply.status !== 200) {
      throw new Error(`GET ${path}: ${reply.status} ${JSON.stringify(reply.body)}`)
    }
    const body = reply.body as Record<string, unknown> & { cursors: { after: string | null } }
    const page = body[key] as T[]
    items.push(...page)
    // A page shorter than asked for was the newest when it was read.
    if (page.length < limit || body.cursors.after === null) return items
    query = `limit=${limit}&after=${body.cursors.after}`
  }
}

/** Every event of a channel's timeline in display order. */
export const wholeTimeline = <T>(get: Get, channel: string) =>
  wholeList<T>(get, `/channels/${channel}/timeline`, 'events')
