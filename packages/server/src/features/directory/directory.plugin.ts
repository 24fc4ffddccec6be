import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { operations as api } from '@parley/api'
import { schemaOf } from '../../http/route-schema.ts'
import { actingAs } from '../access/access.service.ts'
import type { ComposeContext } from '../compose/compose.service.ts'
import { hostedParty } from '../rosters/hosted-party.ts'
import { directory, directoryEntry, updateDirectory } from './directory.service.ts'

/**
 * The points-of-contact directory (`/api/v1/directory`): every officer reads every party's
 * entry and history (a directory is there to be read by the other side); a party's admins
 * publish its next version.
 */
export const directoryPlugin: FastifyPluginAsyncTypebox<{ compose: ComposeContext }> = async (
  app,
  { compose },
) => {
  const { db } = compose.node
  const viewer = { auth: 'officer', requires: { role: 'viewer' } } as const

  app.get(
    api.listDirectory.path,
    { config: viewer, schema: schemaOf(api.listDirectory) },
    async () => ({
      entries: await directory(db),
    }),
  )

  app.get(
    api.getDirectoryEntry.path,
    { config: viewer, schema: schemaOf(api.getDirectoryEntry) },
    (request) => directoryEntry(db, request.params.party),
  )

  app.put(
    api.updateDirectoryEntry.path,
    {
      config: { auth: 'officer', requires: { role: 'admin' } },
      schema: schemaOf(api.updateDirectoryEntry),
    },
    (request) => {
      const party = hostedParty(compose.node, request.params.party)
      actingAs(request.officer!, party)
      return updateDirectory(compose, request.officer!, party, request.body.contacts)
    },
  )
}
