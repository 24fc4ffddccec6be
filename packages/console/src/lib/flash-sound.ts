import { useCallback, useSyncExternalStore } from 'react'

const STORAGE_KEY = 'parley.flashSound'
const CHANGED = 'parley:flash-sound'

function enabled(): boolean {
  return globalThis.localStorage?.getItem(STORAGE_KEY) === 'on'
}

function subscribe(listener: () => void): () => void {
  globalThis.addEventListener(CHANGED, listener)
  globalThis.addEventListener('storage', listener)
  return () => {
    globalThis.removeEventListener(CHANGED, listener)
    globalThis.removeEventListener('storage', listener)
  }
}

let audio: AudioContext | undefined

/**
 * A short two-note alert made with the Web Audio API (no audio file to fetch or to allow in the
 * Content-Security-Policy). Browsers start audio only after a gesture on the page, so turning
 * the setting on (a click) also opens the audio context.
 */
export function playFlashTone(): void {
  if (typeof AudioContext === 'undefined') return
  audio ??= new AudioContext()
  void audio.resume()
  const start = audio.currentTime
  for (const [i, frequency] of [880, 660].entries()) {
    const tone = audio.createOscillator()
    const gain = audio.createGain()
    tone.type = 'sine'
    tone.frequency.value = frequency
    const at = start + i * 0.18
    gain.gain.setValueAtTime(0.0001, at)
    gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02)
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.16)
    tone.connect(gain).connect(audio.destination)
    tone.start(at)
    tone.stop(at + 0.17)
  }
}

/** The officer's choice of a sound for flash items: off unless turned on, kept in this browser. */
export function useFlashSound(): readonly [boolean, (on: boolean) => void] {
  const on = useSyncExternalStore(subscribe, enabled, () => false)
  const set = useCallback((next: boolean) => {
    globalThis.localStorage?.setItem(STORAGE_KEY, next ? 'on' : 'off')
    globalThis.dispatchEvent(new Event(CHANGED))
    if (next) playFlashTone()
  }, [])
  return [on, set] as const
}
