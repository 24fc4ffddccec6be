import { PRESET_NAMES, PRESETS, type PresetName, type PresetView } from '@parley/api'
import type { ChannelPolicy, EventType } from '@parley/protocol'
import { ServerError } from '../../errors.ts'
import type { ReleaseFloor } from '../compose/release-floor.ts'

/** The languages a preset's channel speaks until the operator adjusts them. */
const PRESET_LANGUAGES = ['en', 'ru']

/**
 * A preset as a full channel policy: its deadlines, the label languages, and the node's release
 * floor as its release rules, so that a channel opened with it always meets the floor.
 */
export function presetPolicy(name: PresetName, floor: ReleaseFloor): ChannelPolicy {
  const preset = PRESETS[name]
  return {
    languages: [...PRESET_LANGUAGES],
    ackWithin: { ...preset.ackWithin },
    respondWithin: preset.respondWithin,
    ...(preset.milestones === undefined
      ? {}
      : {
          milestones: preset.milestones.map(({ kinds, ...m }) => ({
            ...m,
            ...(kinds === undefined ? {} : { kinds: [...kinds] }),
          })),
        }),
    release: {
      twoPersonRule: [...floor.twoPersonRule] as EventType[],
      flashExempt: floor.flashExempt,
    },
  }
}

/** Every preset, as `GET /presets` offers them. */
export function listPresets(floor: ReleaseFloor): PresetView[] {
  return PRESET_NAMES.map((name) => ({
    name,
    label: { ...PRESETS[name].label },
    description: { ...PRESETS[name].description },
    policy: presetPolicy(name, floor),
  }))
}

/**
 * The policy a new channel gets: the named preset's, or the explicit one (an operator adjusts a
 * preset by sending its adjusted policy). Both at once is `PRESET_WITH_POLICY`.
 */
export function channelPolicy(
  floor: ReleaseFloor,
  preset: PresetName | undefined,
  policy: ChannelPolicy | undefined,
): ChannelPolicy | undefined {
  if (preset === undefined) return policy
  if (policy !== undefined) throw new ServerError('PRESET_WITH_POLICY')
  return presetPolicy(preset, floor)
}
