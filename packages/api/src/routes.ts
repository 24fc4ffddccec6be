import { accessOperations } from './access.ts'
import { auditOperations } from './audit.ts'
import { channelOperations } from './channels.ts'
import { directoryOperations } from './directory.ts'
import { escalationOperations } from './escalation.ts'
import { messageOperations } from './messages.ts'
import { negotiationOperations } from './negotiation.ts'
import { nodeOperations } from './node.ts'
import { noticeOperations } from './notices.ts'
import { officerOperations } from './officers.ts'
import { portalOperations } from './portal.ts'
import { presetOperations } from './presets.ts'
import { privacyOperations } from './privacy.ts'
import { readMarkerOperations } from './read-markers.ts'
import { releaseOperations } from './release.ts'
import { sessionOperations } from './sessions.ts'
import { stixOperations } from './stix/operations.ts'
import { tokenOperations } from './tokens.ts'
import { transcriptOperations } from './transcript.ts'

/**
 * The route table of the officer API, by operation name: the node registers its routes from
 * it, OpenAPI is generated from it, and {@link createApiClient} makes one method per entry.
 */
export const operations = {
  ...sessionOperations,
  ...officerOperations,
  ...channelOperations,
  ...messageOperations,
  ...releaseOperations,
  ...accessOperations,
  ...auditOperations,
  ...nodeOperations,
  ...tokenOperations,
  ...noticeOperations,
  ...presetOperations,
  ...negotiationOperations,
  ...transcriptOperations,
  ...readMarkerOperations,
  ...escalationOperations,
  ...directoryOperations,
  ...stixOperations,
  ...portalOperations,
  ...privacyOperations,
}
export type Operations = typeof operations
export type OperationName = keyof Operations
