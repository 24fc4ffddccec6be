import i18next from 'i18next'
import { initReactI18next } from 'react-i18next'
import { en } from './en.ts'
import { ru } from './ru.ts'

/** The languages of the console, as `@parley/api` labels them. */
export const LANGUAGES = ['en', 'ru'] as const
export type Language = (typeof LANGUAGES)[number]

const STORAGE_KEY = 'parley.language'

function initial(): Language {
  const saved = globalThis.localStorage?.getItem(STORAGE_KEY)
  if (saved === 'en' || saved === 'ru') return saved
  return globalThis.navigator?.language?.toLowerCase().startsWith('ru') ? 'ru' : 'en'
}

/** Starts i18next with both catalogs; a missing key shows as itself and fails the catalog test. */
export async function startI18n(): Promise<void> {
  await i18next.use(initReactI18next).init({
    resources: { en: { translation: en }, ru: { translation: ru } },
    lng: initial(),
    fallbackLng: false,
    interpolation: { escapeValue: false },
    returnNull: false,
  })
  document.documentElement.lang = i18next.language
}

export async function setLanguage(lang: Language): Promise<void> {
  globalThis.localStorage?.setItem(STORAGE_KEY, lang)
  await i18next.changeLanguage(lang)
  document.documentElement.lang = lang
}
