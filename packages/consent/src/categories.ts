/** The six categories of issue 13, in the order the preference center shows them. */
export const CATEGORIES = [
  'necessary',
  'functional',
  'performance',
  'targeting',
  'social',
  'sale',
] as const

export type CategoryId = (typeof CATEGORIES)[number]

/** Always on: the site needs them, and the consent cookie itself is one. */
export const NECESSARY: CategoryId = 'necessary'

/**
 * The categories that sell or share personal data (CCPA regulations § 7025): off, and locked
 * off, in a browser that sends Global Privacy Control.
 */
export const SALE_OR_SHARING: readonly CategoryId[] = ['targeting', 'social', 'sale']

/** The languages the manager speaks. */
export const LANGUAGES = ['en', 'ru'] as const

export type Language = (typeof LANGUAGES)[number]
