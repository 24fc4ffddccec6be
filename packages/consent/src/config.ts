import { type Static, Type } from 'typebox'
import { CATEGORIES, LANGUAGES } from './categories.ts'

// The shapes the portal hands the manager. The bundle imports only their types, so TypeBox
// never reaches the browser; the portal and the scan validate with the schemas.

export const LocalizedSchema = Type.Object(
  { en: Type.String({ minLength: 1 }), ru: Type.Optional(Type.String({ minLength: 1 })) },
  { additionalProperties: false, description: 'A text in English and, optionally, Russian' },
)

export const StorageKindSchema = Type.Union(
  [Type.Literal('cookie'), Type.Literal('localStorage'), Type.Literal('sessionStorage')],
  { description: 'Where the browser keeps the item' },
)

export const CategoryIdSchema = Type.Enum(CATEGORIES, { description: 'One of the six categories' })

const LanguageSchema = Type.Enum(LANGUAGES)

const ServiceId = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' })

/** A cookie or storage key a service sets, as the scan found it. */
export const StoredItemSchema = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 256,
      description: 'The exact name, or a prefix ending in `*` (cleared as every name it starts)',
    }),
    storage: StorageKindSchema,
    purpose: LocalizedSchema,
    expiry: LocalizedSchema,
  },
  { additionalProperties: false },
)

/** A service of a category: its own toggle beneath the category's, and its cookies. */
export const ServiceSchema = Type.Object(
  {
    id: ServiceId,
    name: Type.String({ minLength: 1 }),
    description: Type.Optional(LocalizedSchema),
    cookies: Type.Array(StoredItemSchema),
  },
  { additionalProperties: false },
)

export const CategoryConfigSchema = Type.Object(
  { id: CategoryIdSchema, services: Type.Array(ServiceSchema) },
  { additionalProperties: false },
)

/** Every text the manager shows; a config may override any of them per language. */
export const TextsSchema = Type.Object(
  Object.fromEntries(
    [
      'bannerTitle',
      'bannerText',
      'allowAll',
      'rejectAll',
      'settings',
      'save',
      'centerTitle',
      'centerText',
      'close',
      'alwaysOn',
      'gpc',
      'gpcText',
      'details',
      'noCookies',
      'name',
      'type',
      'purpose',
      'expiry',
      'policy',
      ...CATEGORIES.flatMap((id) => [id, `${id}Text`]),
    ].map((key) => [key, Type.String()]),
  ),
)

/**
 * The config the portal puts in `<script type="application/json" id="parley-consent-config">`.
 * A visitor's consent holds for one `revision`: raise it when the categories, services or
 * texts change, and every visitor is asked again.
 */
export const ConsentConfigSchema = Type.Object(
  {
    revision: Type.Integer({ minimum: 1, description: 'The banner revision consent is given to' }),
    receiptEndpoint: Type.String({
      minLength: 1,
      description: 'Where each choice is POSTed as JSON (the node serves `/public/consent`)',
    }),
    language: Type.Optional(
      Type.Enum(LANGUAGES, { description: "The UI's language; without it, the page's `lang`" }),
    ),
    categories: Type.Array(CategoryConfigSchema, {
      description: 'Services and their cookies per category: the output of the scan',
    }),
    texts: Type.Optional(
      Type.Object(
        Object.fromEntries(LANGUAGES.map((l) => [l, Type.Optional(Type.Partial(TextsSchema))])),
        { additionalProperties: false },
      ),
    ),
    policyUrl: Type.Optional(
      Type.String({ description: 'A privacy policy linked from the banner' }),
    ),
    googleConsentMode: Type.Optional(
      Type.Boolean({ description: 'Send Google Consent Mode v2 signals (gtag or dataLayer)' }),
    ),
    usPrivacy: Type.Optional(
      Type.Boolean({ description: 'Answer the IAB US Privacy string through `__uspapi`' }),
    ),
    cookieDays: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 400, description: 'Lifetime of the consent cookie' }),
    ),
    receiptRetryMs: Type.Optional(
      Type.Integer({ minimum: 0, description: 'Wait before the one retry of a failed receipt' }),
    ),
  },
  { additionalProperties: false },
)

export type ConsentConfig = Static<typeof ConsentConfigSchema>
export type CategoryConfig = Static<typeof CategoryConfigSchema>
export type ServiceConfig = Static<typeof ServiceSchema>
export type StoredItem = Static<typeof StoredItemSchema>
export type StorageKind = Static<typeof StorageKindSchema>
export type Texts = Record<string, string>

/** What the manager POSTs to `receiptEndpoint` on every choice. */
export const ConsentReceiptRequestSchema = Type.Object(
  {
    consentId: Type.String({ format: 'uuid' }),
    revision: Type.Integer({ minimum: 1 }),
    choices: Type.Object(
      {
        necessary: Type.Boolean({ description: 'Always true' }),
        functional: Type.Boolean(),
        performance: Type.Boolean(),
        targeting: Type.Boolean(),
        social: Type.Boolean(),
        sale: Type.Boolean(),
      },
      { additionalProperties: false },
    ),
    services: Type.Record(Type.String(), Type.Boolean()),
    textHash: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    url: Type.String(),
    gpc: Type.Boolean(),
    language: LanguageSchema,
  },
  { additionalProperties: false },
)

export type ConsentReceiptRequest = Static<typeof ConsentReceiptRequestSchema>
