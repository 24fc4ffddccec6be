import {
  ChannelIdSchema,
  DirectoryContactSchema,
  EventIdSchema,
  PartyIdSchema,
} from '@parley/protocol'
import { type Static, Type } from 'typebox'
import { operation } from './operation.ts'
import { ReleaseSchema } from './release.ts'

/** One version of a party's points-of-contact entry, as its signed event carried it. */
export const DirectoryEntrySchema = Type.Object({
  party: PartyIdSchema,
  version: Type.Integer({ minimum: 1 }),
  contacts: Type.Array(DirectoryContactSchema),
  event: EventIdSchema,
  channel: ChannelIdSchema,
  officer: Type.Union([Type.String(), Type.Null()]),
  time: Type.Integer({ description: 'The event’s signed time' }),
})
export type DirectoryEntry = Static<typeof DirectoryEntrySchema>

const PartyParams = Type.Object({ party: PartyIdSchema }, { additionalProperties: false })

/** The points-of-contact directory: every party's entry and its history. */
export const directoryOperations = {
  listDirectory: operation({
    method: 'GET',
    path: '/directory',
    tags: ['directory'],
    summary: 'Every party’s current points-of-contact entry this node holds',
    auth: 'officer',
    responses: { 200: Type.Object({ entries: Type.Array(DirectoryEntrySchema) }) },
    errors: [],
  }),
  getDirectoryEntry: operation({
    method: 'GET',
    path: '/directory/:party',
    tags: ['directory'],
    summary: 'A party’s current entry and every earlier version',
    auth: 'officer',
    params: PartyParams,
    responses: {
      200: Type.Object({
        party: PartyIdSchema,
        current: Type.Union([DirectoryEntrySchema, Type.Null()]),
        history: Type.Array(DirectoryEntrySchema, { description: 'Oldest first' }),
      }),
    },
    errors: ['NOT_FOUND'],
  }),
  updateDirectoryEntry: operation({
    method: 'PUT',
    path: '/directory/:party',
    tags: ['directory'],
    summary:
      'Restate a hosted party’s whole entry (its admins): the next version, signed and posted into every channel the party has joined',
    auth: 'officer',
    params: PartyParams,
    body: Type.Object(
      { contacts: Type.Array(DirectoryContactSchema, { minItems: 1, maxItems: 64 }) },
      { additionalProperties: false },
    ),
    responses: {
      200: Type.Object({
        version: Type.Integer({ minimum: 1 }),
        events: Type.Array(EventIdSchema, { description: 'Signed at once, one per channel' }),
        releases: Type.Array(ReleaseSchema, {
          description: 'Waiting for a releaser where a channel policy holds directory updates',
        }),
      }),
    },
    errors: [
      'FORBIDDEN_ROLE',
      'PARTY_FORBIDDEN',
      'PARTY_NOT_HOSTED',
      'DIRECTORY_ADMIN_ONLY',
      'DIRECTORY_NO_CHANNEL',
      'DIRECTORY_TIME_ZONE_UNKNOWN',
      'DIRECTORY_VERSION_CONFLICT',
      'RELEASE_GUARD_BLOCKED',
    ],
  }),
}
