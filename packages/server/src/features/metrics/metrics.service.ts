import { sql } from 'kysely'
import { Gauge, Registry } from 'prom-client'
import type { NodeContext } from '../../node/context.ts'

/**
 * The node's Prometheus metrics. Every gauge is computed when `/metrics` is scraped, from
 * indexed reads (the outbox's waiting index, the events' position, small tables); the
 * counters and histograms of the hot paths (commit latency, events stored and refused by
 * code, push failures and receipt latency per peer) are the node's telemetry, kept in memory
 * where the work happens (`node/telemetry.ts`).
 */
export function nodeMetrics(ctx: NodeContext): Registry {
  const registry = new Registry()
  const seconds = (ms: number) => Math.max(0, ms) / 1000

  new Gauge({
    name: 'parley_outbox_depth',
    help: 'Events waiting for delivery to each peer node (not delivered, not refused)',
    labelNames: ['peer'],
    registers: [registry],
    async collect() {
      this.reset()
      for (const row of await waiting(ctx)) this.set({ peer: row.destination }, Number(row.depth))
    },
  })
  new Gauge({
    name: 'parley_outbox_oldest_undelivered_seconds',
    help: 'Age of the oldest event still waiting for delivery to each peer node',
    labelNames: ['peer'],
    registers: [registry],
    async collect() {
      this.reset()
      const now = ctx.now()
      for (const row of await waiting(ctx)) {
        this.set({ peer: row.destination }, seconds(now - Number(row.oldest)))
      }
    },
  })
  new Gauge({
    name: 'parley_peer_failing_seconds',
    help: 'How long pushes to each peer node have been failing (0 while they succeed)',
    labelNames: ['peer'],
    registers: [registry],
    async collect() {
      this.reset()
      const now = ctx.now()
      const rows = await ctx.db.selectFrom('peer_nodes').select(['url', 'failing_since']).execute()
      for (const row of rows) {
        const since = row.failing_since
        this.set({ peer: row.url }, since === null ? 0 : seconds(now - Number(since)))
      }
    },
  })
  new Gauge({
    name: 'parley_events_stored',
    help: 'Events this node has stored (its log position)',
    registers: [registry],
    async collect() {
      const row = await ctx.db
        .selectFrom('events')
        .select((eb) => eb.fn.max('position').as('position'))
        .executeTakeFirst()
      this.set(Number(row?.position ?? 0))
    },
  })
  new Gauge({
    name: 'parley_pending_events',
    help: 'Received events held back until the gap before them fills',
    registers: [registry],
    async collect() {
      this.set(await count(ctx, sql`select count(*) as n from pending_events`))
    },
  })
  new Gauge({
    name: 'parley_alarms_open',
    help: 'Alarms raised and not cleared (forks, conflicting logs)',
    registers: [registry],
    async collect() {
      this.set(await count(ctx, sql`select count(*) as n from alarms where cleared_at is null`))
    },
  })
  new Gauge({
    name: 'parley_scheduler_lag_seconds',
    help: 'How long the most overdue pending job has been due (0 when none is overdue)',
    registers: [registry],
    async collect() {
      const row = await ctx.db
        .selectFrom('jobs')
        .select((eb) => eb.fn.min('due_at').as('due'))
        .where('state', '=', 'pending')
        .where('due_at', '<=', ctx.now())
        .executeTakeFirst()
      this.set(row?.due == null ? 0 : seconds(ctx.now() - Number(row.due)))
    },
  })
  return Registry.merge([registry, ctx.telemetry.registry])
}

async function waiting(ctx: NodeContext) {
  return ctx.db
    .selectFrom('outbox')
    .select((eb) => [
      'destination',
      eb.fn.countAll<string | number>().as('depth'),
      eb.fn.min('enqueued_at').as('oldest'),
    ])
    .where('delivered_at', 'is', null)
    .where('rejected_code', 'is', null)
    .groupBy('destination')
    .execute()
}

async function count(ctx: NodeContext, query: ReturnType<typeof sql>): Promise<number> {
  const result = await query.execute(ctx.db)
  return Number((result.rows[0] as { n: string | number }).n)
}
