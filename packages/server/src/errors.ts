import { CodedError, type ErrorDetails } from '@parley/protocol'

/**
 * The server's registry of stable error codes (the protocol's own codes live in
 * @parley/protocol). Each maps to an HTTP status and a message template; `docs/errors.md`
 * documents every one. Add entries here; never reuse or rename a code.
 */
export const serverErrors = {
  INTERNAL: { status: 500, message: 'Internal error' },
  NOT_FOUND: { status: 404, message: '{what} not found' },
  REQUEST_INVALID: { status: 400, message: 'Request does not match the schema: {reason}' },
  REQUEST_TIMEOUT: {
    status: 408,
    message: 'The request did not arrive in time; the connection is closed',
  },
  HEADERS_TOO_LARGE: { status: 431, message: 'The request header fields are too large' },
  DATABASE_UNAVAILABLE: { status: 503, message: 'The database is unavailable: {reason}' },
  CONFIG_INVALID: { status: 500, message: 'The node config is invalid: {reason}' },
  CONFIG_NOT_FOUND: { status: 500, message: 'Cannot read the node config {path}: {reason}' },
  KEY_FILE_INVALID: { status: 500, message: 'Key file {path} is unusable: {reason}' },
  AUTH_REQUIRED: { status: 401, message: 'Log in first: this API needs an officer session' },
  PARTY_NOT_HOSTED: { status: 403, message: 'Party {party} is not hosted on this node' },
  CHANNEL_NOT_FOUND: { status: 404, message: 'Channel {channel} not found' },
  INVITATION_NOT_FOUND: { status: 404, message: 'No pending invitation to {channel} for {party}' },
  BATCH_TOO_LARGE: { status: 413, message: 'Batch too large: {reason}' },
  PEER_UNREACHABLE: { status: 502, message: 'Peer {url} did not answer: {reason}' },
  MIGRATION_FAILED: { status: 500, message: 'Database migration {migration} failed: {reason}' },
  KEY_PIN_CONFLICT: {
    status: 409,
    message: 'Key {key} is already pinned with a different {field}; a pinned key never changes',
  },
  CHANNEL_NOT_HOSTED: {
    status: 403,
    message: 'No party hosted on this node takes part in channel {channel}',
  },
  HTTP_SIGNATURE_MISSING: {
    status: 401,
    message: 'Missing or malformed HTTP message signature: {reason}',
  },
  KEY_NOT_PINNED: { status: 401, message: 'Key {keyid} is not a pinned key of a peer' },
  HTTP_SIGNATURE_INVALID: {
    status: 401,
    message: 'HTTP message signature does not verify: {reason}',
  },
  HTTP_SIGNATURE_EXPIRED: {
    status: 401,
    message: 'HTTP message signature is outside its validity window: {reason}',
  },
  HTTP_SIGNATURE_REPLAY: {
    status: 401,
    message: 'Nonce {nonce} of key {keyid} was already used within the replay window',
  },
  NONCE_CACHE_FULL: {
    status: 503,
    message: 'Too many signed requests within the replay window; retry later',
  },
  FEDERATION_URL_INVALID: { status: 400, message: 'Not a usable federation URL {url}: {reason}' },
  FEDERATION_URL_INSECURE: {
    status: 400,
    message: 'Federation URL {url} must use https; plain http is allowed only to loopback hosts',
  },
  PEER_RESPONSE_UNSIGNED: {
    status: 502,
    message: 'Reply from {url} (status {status}) is not signed by a pinned key: {reason}',
  },
  PEER_RESPONSE_INVALID: { status: 502, message: 'Reply from {url} is unusable: {reason}' },
  LOGIN_FAILED: { status: 401, message: 'Wrong username or password' },
  ACCOUNT_LOCKED: {
    status: 429,
    message: 'Too many failed logins for {username}; the account is locked for {retryAfter} s',
  },
  ADDRESS_LOCKED: {
    status: 429,
    message: 'Too many failed logins from {ip}; logins from there are refused for {retryAfter} s',
  },
  SESSION_EXPIRED: { status: 401, message: 'The session expired ({reason}); log in again' },
  CSRF_INVALID: { status: 403, message: 'Refused as a possible cross-site request: {reason}' },
  TOTP_INVALID: { status: 401, message: 'The authenticator code is wrong or out of date' },
  TOTP_REPLAYED: {
    status: 401,
    message: 'The authenticator code was used already; wait for the next one',
  },
  PASSKEY_INVALID: { status: 401, message: 'The passkey check failed: {reason}' },
  PASSKEY_CHALLENGE_MISSING: {
    status: 409,
    message: 'No passkey challenge is pending or it expired; ask for new options',
  },
  RECOVERY_CODE_INVALID: { status: 401, message: 'The recovery code is wrong or used already' },
  FACTOR_NOT_ENROLLED: { status: 409, message: 'The officer has no {factor}' },
  SECOND_FACTOR_REQUIRED: {
    status: 403,
    message: 'Enrol a second factor (authenticator app or passkey) before using the API',
  },
  PASSWORD_CHANGE_REQUIRED: {
    status: 403,
    message: 'Choose a new password before using the API',
  },
  PASSWORD_TOO_WEAK: { status: 400, message: 'Password refused: {reason}' },
  PASSWORD_INCORRECT: { status: 403, message: 'The current password is wrong' },
  FORBIDDEN_ROLE: { status: 403, message: 'This needs the {role} role' },
  OFFICER_NOT_FOUND: { status: 404, message: 'No officer {officer}' },
  USERNAME_TAKEN: { status: 409, message: 'The username {username} is taken' },
  LAST_ADMIN: {
    status: 409,
    message: '{officer} is the last active admin of {party}; make another officer admin first',
  },
  OFFICERS_EXIST: { status: 409, message: '{party} has officers already' },
  CHANNEL_FORBIDDEN: {
    status: 403,
    message: 'Channel {channel} is outside your compartments (or does not exist)',
  },
  PARTY_FORBIDDEN: { status: 403, message: 'An officer of {own} cannot act as {party}' },
  ACCESS_GRANT_INVALID: { status: 409, message: 'Cannot grant access: {reason}' },
  REQUEST_TOO_LARGE: {
    status: 413,
    message: 'The request body exceeds the {limit} bytes this route accepts',
  },
  RELEASE_NOT_FOUND: { status: 404, message: 'No release item {release}' },
  BATCH_NEEDS_RELEASE: {
    status: 409,
    message:
      'Message {index} of the batch needs release under the policy of channel {channel}; post it on its own',
  },
  RELEASE_NOT_PENDING: { status: 409, message: 'Release item {release} is {status} already' },
  RELEASE_OWN_DRAFT: {
    status: 403,
    message: 'Two-person rule: you drafted {release}, so another releaser must approve it',
  },
  PEER_NOT_PARLEY: {
    status: 502,
    message: '{url} does not answer as a Parley node: {reason}',
  },
  PEER_REFUSED: { status: 502, message: 'Peer {url} answered {status} {code}' },
  DESCRIPTOR_URL_MISMATCH: {
    status: 400,
    message: 'The descriptor fetched from {url} names another federation URL; nothing was pinned',
  },
  PEER_BINDING_FAILED: {
    status: 502,
    message: '{url} did not prove it holds the pinned keys of {party}: {reason}',
  },
  RELEASE_GUARD_BLOCKED: {
    status: 422,
    message: 'The release guard blocks this item: {count} match(es), the first {rule} at {path}',
  },
  DATABASE_IN_USE: { status: 409, message: 'The database is in use: {reason}' },
  PARTY_IN_USE: {
    status: 409,
    message: 'Another running node on this database writes for party {party}; stop it first',
  },
  PROJECTION_CONFLICT: {
    status: 500,
    message: 'Read model {what} is registered twice: each projection name and table has one owner',
  },
  RELEASE_POLICY_BELOW_FLOOR: {
    status: 422,
    message: 'The channel policy is weaker than the node’s release floor: {reason}',
  },
  NOTICE_TEMPLATE_INCOMPLETE: {
    status: 422,
    message: 'A notice of kind {kind} needs {missing}',
  },
  NOTICE_NOT_FOUND: { status: 404, message: 'No notice {notice} in this channel' },
  NOTICE_CLOSED: { status: 409, message: 'Notice {notice} is closed already' },
  NOTICE_OWN_ACK: {
    status: 403,
    message: '{party} opened notice {notice}: the opener does not acknowledge its own notice',
  },
  NOTICE_ALREADY_ACKNOWLEDGED: {
    status: 409,
    message: '{party} acknowledged notice {notice} already',
  },
  SECTOR_UNKNOWN: {
    status: 422,
    message: 'Sectors not in the node’s taxonomy {taxonomy}: {sectors}',
  },
  PRESET_WITH_POLICY: {
    status: 400,
    message: 'Give a preset or a policy, not both (adjust a preset by sending its policy)',
  },
  MEDIA_TYPE_UNSUPPORTED: {
    status: 415,
    message: 'This route takes {expected}, not {received}',
  },
  TOKEN_INVALID: { status: 401, message: 'The API token is not one this node issued' },
  TOKEN_EXPIRED: { status: 401, message: 'API token {token} expired; ask an admin for a new one' },
  TOKEN_REVOKED: { status: 401, message: 'API token {token} was revoked' },
  TOKEN_OFFICER_DISABLED: {
    status: 401,
    message: 'The officer of API token {token} is disabled',
  },
  TOKEN_IN_URL: {
    status: 400,
    message:
      'API tokens travel in the Authorization header only; a live stream takes a ticket from POST /api/v1/stream/tickets',
  },
  TOKEN_SCOPE_INVALID: {
    status: 400,
    message: 'A token’s scope must be roles its officer holds: {reason}',
  },
  TOKEN_EXPIRY_INVALID: { status: 400, message: 'Unusable token expiry: {reason}' },
  TOKEN_NOT_FOUND: { status: 404, message: 'No API token {token}' },
  TICKET_INVALID: { status: 401, message: 'The stream ticket is unusable: {reason}' },
  REDLINE_SECTOR_UNKNOWN: {
    status: 400,
    message: 'Sector {sector} is not in this node’s taxonomy ({taxonomy})',
  },
  DRAFT_NOT_FOUND: { status: 404, message: 'No draft {draft} in channel {channel}' },
  DRAFT_CHOICE_UNKNOWN: {
    status: 400,
    message: 'Draft {draft} has no {what} {id} to accept: {reason}',
  },
  DRAFT_ALTERNATIVE_NOT_OWN: {
    status: 403,
    message: 'Alternative {alternative} of draft {draft} is not {party}’s to withdraw',
  },
  DRAFT_HASH_STALE: {
    status: 409,
    message: 'Draft {draft} version {version} does not hash to {contentHash}: {reason}',
  },
  DRAFT_VERSION_CLOSED: {
    status: 409,
    message: 'Version {version} of draft {draft} is not open; version {open} is',
  },
  DRAFT_NOT_ADOPTED: {
    status: 409,
    message: 'Version {version} of draft {draft} is not adopted by every member',
  },
  RAPPORTEUR_CANNOT_DECIDE: {
    status: 403,
    message: 'The rapporteur {party} proposes text; it never sends {type}',
  },
  OBSERVER_CANNOT_POST: {
    status: 403,
    message: '{party} observes channel {channel}: it reads, and cannot send {type}',
  },
  FORWARD_ITEM_UNKNOWN: {
    status: 400,
    message: 'Item {item} is not an event this node holds in channel {from}',
  },
  COMPLIANCE_AGREEMENT_NOT_ADOPTED: {
    status: 409,
    message: 'Draft {agreement} is not an adopted agreement',
  },
  COMPLIANCE_PARAGRAPH_UNKNOWN: {
    status: 400,
    message: 'The adopted agreement {agreement} has no paragraph {paragraph}',
  },
  PAGE_CURSORS_CONFLICT: {
    status: 400,
    message: 'Give at most one of before and after: a page reads one way from one cursor',
  },
  PAGE_CURSOR_INVALID: {
    status: 400,
    message: 'Cursor {cursor} was not handed out by this list: {reason}',
  },
  READ_MARKER_EVENT_UNKNOWN: {
    status: 404,
    message: 'Channel {channel} holds no event {event} to mark as read up to',
  },
  METRICS_AUTH_REQUIRED: {
    status: 401,
    message: 'The metrics need an admin’s API token (Authorization: Bearer)',
  },
  ROSTER_INVALID: { status: 400, message: 'The duty roster is refused: {reason}' },
  ESCALATION_CONFIG_INVALID: {
    status: 400,
    message: 'The escalation config is refused at {path}: {reason}',
  },
  DIRECTORY_ADMIN_ONLY: {
    status: 403,
    message: 'Only an admin of {party} changes its points-of-contact directory',
  },
  DIRECTORY_VERSION_CONFLICT: {
    status: 409,
    message: 'Directory version {version} of {party} is not the next one (current: {current})',
  },
  DIRECTORY_TIME_ZONE_UNKNOWN: {
    status: 400,
    message: 'Unknown time zone {timeZone} at {path}: use an IANA name such as Europe/Moscow',
  },
  DIRECTORY_NO_CHANNEL: {
    status: 409,
    message: '{party} has joined no channel to publish its directory entry in',
  },
  STIX_NOTICE_NOT_FOUND: { status: 404, message: 'No notice {notice} in channel {channel}' },
  STIX_NOT_AN_INCIDENT: {
    status: 422,
    message: 'Notice {notice} is of kind {kind}; only incident notices are exported as STIX',
  },
  PUBLICATION_ITEM_UNKNOWN: {
    status: 404,
    message: 'No {kind} {item} to publish in channel {channel}',
  },
  PUBLICATION_NOT_CLEAR: {
    status: 422,
    message: 'Only TLP:CLEAR items are published; {kind} {item} is TLP:{tlp}',
  },
  PUBLICATION_NOT_OWN: {
    status: 403,
    message: '{kind} {item} is not {party}’s to publish: {reason}',
  },
  PUBLICATION_TYPE_UNPUBLISHABLE: {
    status: 422,
    message:
      'A {type} cannot be published: statements are message.post, red lines redline.declare or redline.revise, agreements draft.adopt',
  },
  PUBLICATION_EXISTS: {
    status: 409,
    message: '{kind} {item} is published already as {publication}',
  },
  PUBLICATION_NOT_FOUND: { status: 404, message: 'No publication {publication}' },
  PORTAL_PAGE_NOT_FOUND: { status: 404, message: 'No public page {path}' },
  NEWSLETTER_EMAIL_INVALID: {
    status: 400,
    message: 'Not an e-mail address to subscribe: {reason}',
  },
  NEWSLETTER_RATE_LIMITED: {
    status: 429,
    message: 'Too many sign-ups from {who}; try again in {retryAfter} s',
  },
  NEWSLETTER_TOKEN_INVALID: {
    status: 400,
    message: 'This link is not valid: it was used already, has expired, or was never sent',
  },
  NEWSLETTER_UNAVAILABLE: {
    status: 503,
    message: 'The newsletter cannot send mail now: {reason}',
  },
  RATE_LIMITED: {
    status: 429,
    message: 'Too many requests from your address; try again in {retryAfter} s',
  },
  CONSENT_CATEGORY_UNKNOWN: {
    status: 400,
    message:
      'Unknown consent category {category}: the categories are necessary, functional, performance, targeting, social and sale',
  },
  CONSENT_CATEGORY_MISSING: {
    status: 400,
    message: 'The choice for category {category} is missing',
  },
  CONSENT_NECESSARY_REQUIRED: {
    status: 400,
    message: 'Strictly Necessary cannot be refused: choices.necessary must be true',
  },
  PRIVACY_FORM_INVALID: { status: 400, message: 'The form field {field} is invalid: {reason}' },
  PRIVACY_EMAIL_INVALID: { status: 400, message: 'Not a usable e-mail address: {email}' },
  PRIVACY_MAIL_UNAVAILABLE: {
    status: 503,
    message: 'The e-mail check cannot be sent now ({reason}); nothing was stored, try again later',
  },
  PRIVACY_CODE_INVALID: {
    status: 400,
    message: 'This confirmation link is not valid (or was used already)',
  },
  PRIVACY_CODE_EXPIRED: {
    status: 410,
    message: 'This confirmation link expired at {expiredAt}; send the request again',
  },
  PRIVACY_REQUEST_NOT_FOUND: { status: 404, message: 'No rights request {request}' },
  PRIVACY_REQUEST_CLOSED: { status: 409, message: 'Rights request {request} is closed already' },
  PRIVACY_REQUEST_UNVERIFIED: {
    status: 409,
    message: 'Rights request {request} is not verified yet: its e-mail was never confirmed',
  },
} as const satisfies Record<string, { status: number; message: string }>

export type ServerErrorCode = keyof typeof serverErrors

/** Lists an error carries beside its scalar details, e.g. every match of the release guard. */
export type ServerErrorLists = Readonly<
  Record<string, readonly Readonly<Record<string, string | number | boolean | null>>[]>
>

/** An error with a stable code from {@link serverErrors}. */
export class ServerError extends CodedError<ServerErrorCode> {
  /** Sent in the API error's `details` beside the scalar ones. */
  readonly lists: ServerErrorLists

  constructor(code: ServerErrorCode, details: ErrorDetails = {}, lists: ServerErrorLists = {}) {
    super(serverErrors, code, details)
    this.name = 'ServerError'
    this.lists = lists
  }
}

export function isServerError(error: unknown, code?: ServerErrorCode): error is ServerError {
  return error instanceof ServerError && (code === undefined || error.code === code)
}
