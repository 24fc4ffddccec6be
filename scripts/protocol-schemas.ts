// Writes docs/schemas/protocol-v1.json: the JSON Schemas of protocol v1 as the TypeBox schemas
// in packages/protocol define them, for implementers in other languages. A test fails when the
// committed file is stale: run `node scripts/protocol-schemas.ts` after changing a schema.
import { writeFileSync } from 'node:fs'
import { protocolSchemaDocument } from '../packages/server/test/support/protocol-schemas.ts'

const file = new URL('../docs/schemas/protocol-v1.json', import.meta.url)
writeFileSync(file, `${JSON.stringify(protocolSchemaDocument(), null, 2)}\n`)
console.log(`wrote ${file.pathname}`)
