import { ChannelPolicySchema } from '@parley/protocol'
import { type Static, Type } from 'typebox'
import { operation } from './operation.ts'
import type { Label } from './sectors.ts'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

/** The names of the deadline presets an operator may open a channel with. */
export const PRESET_NAMES = ['crisis-line', 'nis2', 'routine-diplomatic'] as const
export type PresetName = (typeof PRESET_NAMES)[number]
export const PresetNameSchema = Type.Enum(PRESET_NAMES)

/** A preset's deadlines; the node adds its release floor and the channel's languages. */
export interface PresetDeadlines {
  readonly label: Label
  readonly description: Label
  readonly ackWithin: {
    readonly routine: number
    readonly priority: number
    readonly flash: number
  }
  readonly respondWithin: number
  readonly milestones?: readonly {
    readonly name: string
    readonly within: number
    readonly by: 'opener' | 'recipient'
    readonly final?: boolean
    readonly kinds?: readonly (
      | 'incident'
      | 'assistance'
      | 'information'
      | 'clarification'
      | 'advance-notice'
      | 'ping'
    )[]
  }[]
}

/**
 * The shipped presets. Each deadline counts from the recipient's signed receipt of the notice.
 * NIS2 (Directive (EU) 2022/2555, Art. 23): the 24 h early warning is the notice itself, so its
 * recipient gives initial feedback within 24 h (`respond`, Art. 23(5)); the notifying party owes
 * the incident notification within 72 h and a final report within one month, as milestones.
 */
export const PRESETS: Readonly<Record<PresetName, PresetDeadlines>> = {
  'crisis-line': {
    label: { en: 'Crisis line', ru: 'Линия экстренной связи' },
    description: {
      en: 'Flash notices acknowledged within 15 min, priority within 1 h, routine within 4 h; answered within 24 h',
      ru: 'Срочные уведомления подтверждаются в течение 15 мин, приоритетные — 1 ч, обычные — 4 ч; ответ в течение 24 ч',
    },
    ackWithin: { routine: 4 * HOUR, priority: HOUR, flash: 15 * MINUTE },
    respondWithin: DAY,
  },
  nis2: {
    label: { en: 'NIS2 incident reporting', ru: 'Уведомление об инцидентах по NIS2' },
    description: {
      en: '24 h early warning and feedback, 72 h incident notification, final report within one month',
      ru: 'Раннее предупреждение и ответ — 24 ч, уведомление об инциденте — 72 ч, итоговый отчёт — в течение месяца',
    },
    ackWithin: { routine: DAY, priority: 4 * HOUR, flash: HOUR },
    respondWithin: DAY,
    milestones: [
      { name: 'notification', within: 72 * HOUR, by: 'opener', kinds: ['incident'] },
      { name: 'final-report', within: 30 * DAY, by: 'opener', final: true, kinds: ['incident'] },
    ],
  },
  'routine-diplomatic': {
    label: { en: 'Routine diplomatic', ru: 'Обычный дипломатический порядок' },
    description: {
      en: 'Acknowledged within 24 h, answered within 7 days, whatever the urgency',
      ru: 'Подтверждение в течение 24 ч, ответ в течение 7 дней при любой срочности',
    },
    ackWithin: { routine: DAY, priority: DAY, flash: DAY },
    respondWithin: 7 * DAY,
  },
}

/** A preset as the node offers it: its full policy, ready to adjust and send as `policy`. */
export const PresetSchema = Type.Object({
  name: PresetNameSchema,
  label: Type.Object({ en: Type.String(), ru: Type.String() }),
  description: Type.Object({ en: Type.String(), ru: Type.String() }),
  policy: ChannelPolicySchema,
})
export type PresetView = Static<typeof PresetSchema>

export const presetOperations = {
  listPresets: operation({
    method: 'GET',
    path: '/presets',
    tags: ['channels'],
    summary:
      'The deadline presets a channel may be opened with, as full policies under this node’s release floor',
    auth: 'officer',
    responses: { 200: Type.Object({ presets: Type.Array(PresetSchema) }) },
    errors: [],
  }),
}
