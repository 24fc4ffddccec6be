import { type Static, Type } from 'typebox'

/** The node config's `privacy` section: proof of consent and rights requests (issue 13). */
export const PrivacyConfigSchema = Type.Object(
  {
    party: Type.Optional(
      Type.String({
        pattern: '^[a-z][a-z0-9-]{1,31}$',
        description:
          'The hosted party that signs consent receipts and answers rights requests (default: the first)',
      }),
    ),
    consentRetentionDays: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 36_500,
        description: 'Days a consent receipt is kept before it is pruned; default 1825 (5 years)',
      }),
    ),
    consentRatePerMinute: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 100_000,
        description:
          'Consent receipts and rights requests accepted per IP address per minute; default 30',
      }),
    ),
    verificationMinutes: Type.Optional(
      Type.Integer({
        minimum: 5,
        maximum: 10_080,
        description: 'How long the link of a rights request’s e-mail check holds; default 1440',
      }),
    ),
    gpcLastUpdate: Type.Optional(
      Type.String({
        pattern: '^\\d{4}-\\d{2}-\\d{2}$',
        description: '`lastUpdate` of /.well-known/gpc.json; default 2026-12-07',
      }),
    ),
  },
  { additionalProperties: false },
)
export type PrivacyConfig = Static<typeof PrivacyConfigSchema>

/** The privacy settings with their defaults filled in. */
export interface PrivacySettings {
  readonly retentionMs: number
  readonly ratePerMinute: number
  readonly verificationMs: number
  readonly gpcLastUpdate: string
}

const DAY = 86_400_000

export function privacySettings(config: PrivacyConfig | undefined): PrivacySettings {
  return {
    retentionMs: (config?.consentRetentionDays ?? 1825) * DAY,
    ratePerMinute: config?.consentRatePerMinute ?? 30,
    verificationMs: (config?.verificationMinutes ?? 1440) * 60_000,
    gpcLastUpdate: config?.gpcLastUpdate ?? '2026-12-07',
  }
}
