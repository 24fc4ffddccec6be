import { Writable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { createHttpServer } from './server.ts'

async function linesAt(level: string) {
  const lines: { level: number; msg: string; res?: { statusCode: number } }[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line))
      done()
    },
  })
  const app = createHttpServer({ logger: { level, stream }, requestTimeout: 5_000 })
  app.get('/ok', async () => ({ ok: true }))
  app.get('/boom', async () => {
    throw new Error('boom')
  })
  await app.ready()
  await app.inject({ method: 'GET', url: '/ok' })
  await app.inject({ method: 'GET', url: '/missing' })
  await app.inject({ method: 'GET', url: '/boom' })
  await app.close()
  return lines.filter((line) => line.res !== undefined)
}

describe('request logging', () => {
  it('at info, logs refusals and failures once each and nothing for requests that went well', async () => {
    const lines = await linesAt('info')
    expect(lines.map((line) => [line.res!.statusCode, line.level, line.msg])).toEqual([
      [404, 40, 'request refused'],
      [500, 50, 'request failed'],
    ])
  })

  it('at debug, logs every request once', async () => {
    const lines = await linesAt('debug')
    expect(lines.map((line) => line.res!.statusCode)).toEqual([200, 404, 500])
  })

  it('at error, still logs failures', async () => {
    const lines = await linesAt('error')
    expect(lines.map((line) => line.res!.statusCode)).toEqual([500])
  })
})
