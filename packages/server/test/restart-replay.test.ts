import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ManualClock } from '../src/node/clock.ts'
import { type HostilePeer, hostilePeer } from './support/hostile-peer.ts'
import { startNodes, type TestNode } from './support/nodes.ts'

// Mid-second, so that a request signed at once has `created` (whole seconds) before the start.
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0) + 400
// A channel nobody has: the request gets past the signature check, then is not found.
const HEADS = '/federation/v1/channels/ch_00000000000000000000000000/heads'

describe('replays across a restart', () => {
  const clock = new ManualClock(T0)
  let usa: TestNode
  let rus: HostilePeer
  let close: () => Promise<void>

  beforeAll(async () => {
    const started = await startNodes(
      [
        { node: 'usa', parties: [{ id: 'usa', name: 'United States' }] },
        { node: 'rus', parties: [{ id: 'rus', name: 'Russian Federation' }] },
      ],
      { clock, federate: false },
    )
    usa = started.nodes[0]!
    rus = await hostilePeer(started.nodes[1]!, 'rus', usa)
    close = started.close
  })
  afterAll(async () => {
    rus.close()
    await close()
  })

  const code = (reply: { json: unknown }) =>
    (reply.json as { error?: { code?: string } }).error?.code
  /** Past the signature check: the node looked for the channel. */
  const served = (reply: { status: number; json: unknown }) => [reply.status, code(reply)]

  it('refuses after a graceful restart a request captured before it, and takes one signed at once', async () => {
    const captured = await rus.send({ path: HEADS, now: clock.now() })
    expect(served(captured)).toEqual([404, 'CHANNEL_NOT_FOUND'])
    await usa.stop()
    await clock.advance(100)
    await usa.start()
    const replayed = await captured.replay()
    expect([replayed.status, code(replayed)]).toEqual([401, 'HTTP_SIGNATURE_REPLAY'])
    // Signed 100 ms after the start, within the second it began: `created` is before it.
    const fresh = await rus.send({ path: HEADS, now: clock.now() })
    expect(served(fresh)).toEqual([404, 'CHANNEL_NOT_FOUND'])
    // Signed just before the restart and delivered after it, as a retry in flight would be.
    const late = await rus.send({ path: HEADS, now: clock.now() - 1_000 })
    expect(served(late)).toEqual([404, 'CHANNEL_NOT_FOUND'])
  })

  it('after a stop that saved nothing (a crash), refuses signatures made before its start', async () => {
    const captured = await rus.send({ path: HEADS, now: clock.now() })
    expect(served(captured)).toEqual([404, 'CHANNEL_NOT_FOUND'])
    await usa.stop()
    // What a crash leaves behind: the memory of the run still marked incomplete, nothing saved.
    await usa.database.db.updateTable('nonce_memory').set({ complete: false }).execute()
    await usa.database.db.deleteFrom('signature_nonces').execute()
    await clock.advance(1_000)
    await usa.start()
    const replayed = await captured.replay()
    expect([replayed.status, code(replayed)]).toEqual([401, 'HTTP_SIGNATURE_EXPIRED'])
    await clock.advance(1_000)
    const fresh = await rus.send({ path: HEADS, now: clock.now() })
    expect(served(fresh)).toEqual([404, 'CHANNEL_NOT_FOUND'])
    // The next graceful restart has its memory complete again.
    await usa.stop()
    await usa.start()
    expect([(await fresh.replay()).status, code(await fresh.replay())]).toEqual([
      401,
      'HTTP_SIGNATURE_REPLAY',
    ])
  })

  it('keeps a saved nonce only while its signature could be accepted', async () => {
    await rus.send({ path: HEADS, now: clock.now() })
    await usa.stop()
    const saved = await usa.database.db.selectFrom('signature_nonces').selectAll().execute()
    expect(saved.length).toBeGreaterThan(0)
    await clock.advance(301_000)
    await usa.start()
    await usa.stop()
    expect(await usa.database.db.selectFrom('signature_nonces').selectAll().execute()).toEqual([])
    await usa.start()
  })
})
