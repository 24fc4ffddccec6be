import { useEffect, useRef } from 'react'
import { useTranslation } from 'react-i18next'
import { playFlashTone, useFlashSound } from '../lib/flash-sound.ts'

/** The setting at the top of every page: a sound for flash items, off by default. */
export function SoundSwitch() {
  const { t } = useTranslation()
  const [on, setOn] = useFlashSound()
  return (
    <label className="sound-switch">
      <input type="checkbox" checked={on} onChange={(e) => setOn(e.target.checked)} />{' '}
      {t('sound.label')}
    </label>
  )
}

/**
 * Sounds once for each unread flash item this page has not sounded for yet (those waiting when
 * the page opens too: they are as unread as new ones), while the setting is on.
 */
export function useFlashAlert(ids: readonly string[]): void {
  const [on] = useFlashSound()
  const heard = useRef(new Set<string>())
  useEffect(() => {
    const fresh = ids.filter((id) => !heard.current.has(id))
    for (const id of fresh) heard.current.add(id)
    if (on && fresh.length > 0) playFlashTone()
  }, [ids, on])
}
