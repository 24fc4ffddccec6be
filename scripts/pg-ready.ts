// Exits 0 when the PostgreSQL server named by argv[2] accepts a connection within 5 s.
import pg from 'pg'

const client = new pg.Client({ connectionString: process.argv[2], connectionTimeoutMillis: 5000 })
try {
  await client.connect()
  await client.query('select 1')
  await client.end()
} catch {
  process.exit(1)
}
