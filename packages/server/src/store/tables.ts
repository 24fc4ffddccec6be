import type { AccessTables } from '../features/access/access.table.ts'
import type { AuditTables } from '../features/audit/audit.table.ts'
import type { ComplianceTables } from '../features/compliance/compliance.table.ts'
import type { DirectoryTables } from '../features/directory/directory.table.ts'
import type { DraftTables } from '../features/drafts/drafts.table.ts'
import type { EscalationTables } from '../features/escalation/escalation.table.ts'
import type { FederationTables } from '../features/federation/federation.table.ts'
import type { ForwardTables } from '../features/forwards/forwards.table.ts'
import type { NoticeTables } from '../features/notices/notices.table.ts'
import type { OfficerTables } from '../features/officers/officers.table.ts'
import type { PortalTables } from '../features/portal/portal.table.ts'
import type { PrivacyTables } from '../features/privacy/privacy.table.ts'
import type { ReadMarkerTables } from '../features/read-markers/read-markers.table.ts'
import type { RedlineTables } from '../features/redlines/redlines.table.ts'
import type { ReleaseTables } from '../features/release/release.table.ts'
import type { RosterTables } from '../features/rosters/rosters.table.ts'
import type { SessionTables } from '../features/sessions/sessions.table.ts'
import type { TokenTables } from '../features/tokens/tokens.table.ts'
import type { LedgerTables } from '../ledger/ledger.table.ts'
import type { TimelineTables } from '../ledger/timeline.table.ts'
import type { SchedulerTables } from '../node/scheduler.table.ts'
import type { NonceTables } from '../signed-http/nonce.table.ts'

/**
 * Every table of the node, for `Kysely<DB>`. Each feature declares its own tables in
 * `<feature>.table.ts`; add them here by extending the interface.
 */
export interface DB
  extends LedgerTables,
    FederationTables,
    OfficerTables,
    SessionTables,
    AuditTables,
    AccessTables,
    ReleaseTables,
    SchedulerTables,
    NonceTables,
    TokenTables,
    NoticeTables,
    RedlineTables,
    DraftTables,
    ComplianceTables,
    ForwardTables,
    TimelineTables,
    ReadMarkerTables,
    EscalationTables,
    RosterTables,
    DirectoryTables,
    PortalTables,
    PrivacyTables {}
