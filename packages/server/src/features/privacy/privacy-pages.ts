import type { RightsRequestView } from '@parley/api'
import { kindName, type Language } from './privacy-mail.ts'

/** Text for HTML: the five characters that could open markup or close an attribute. */
function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  )
}

const T = {
  en: {
    rights: 'Exercise My Rights',
    doNotSell: 'Do Not Sell or Share My Personal Information',
    kind: 'What do you ask for?',
    jurisdiction: 'Which law applies to you?',
    ccpa: 'California (CCPA): an answer within 45 days',
    gdpr: 'European Union (GDPR): an answer within one month',
    email: 'Your e-mail address',
    details: 'Details (what to correct, what you are looking for)',
    send: 'Send request',
    emailNote: 'We send a link to this address to check that it is yours.',
    dnsIntro:
      'We stop selling and sharing your personal information for this e-mail address. A browser that sends Global Privacy Control is opted out already.',
    submitted: 'Check your e-mail',
    submittedText: 'We sent a link to {email}. Open it to confirm your request.',
    confirm: 'Confirm your request',
    confirmText: 'Press the button to confirm that you made this request.',
    confirmButton: 'Confirm',
    opened: 'Your request is open',
    openedText: 'We received your request for {kind}. We will answer by {due} (UTC).',
    refused: 'Your request was not accepted',
    other: 'Русский',
  },
  ru: {
    rights: 'Мои права',
    doNotSell: 'Не продавать и не передавать мои персональные данные',
    kind: 'Что вы запрашиваете?',
    jurisdiction: 'Какой закон к вам применяется?',
    ccpa: 'Калифорния (CCPA): ответ в течение 45 дней',
    gdpr: 'Европейский союз (GDPR): ответ в течение месяца',
    email: 'Ваш адрес электронной почты',
    details: 'Подробности (что исправить, что вы ищете)',
    send: 'Отправить запрос',
    emailNote: 'Мы отправим на этот адрес ссылку, чтобы проверить, что он ваш.',
    dnsIntro:
      'Мы перестанем продавать и передавать ваши персональные данные для этого адреса. Браузер, который отправляет Global Privacy Control, уже отказался.',
    submitted: 'Проверьте почту',
    submittedText: 'Мы отправили ссылку на {email}. Откройте её, чтобы подтвердить запрос.',
    confirm: 'Подтвердите запрос',
    confirmText: 'Нажмите кнопку, чтобы подтвердить, что это ваш запрос.',
    confirmButton: 'Подтвердить',
    opened: 'Ваш запрос принят',
    openedText: 'Мы получили ваш запрос: {kind}. Ответим до {due} (UTC).',
    refused: 'Запрос не принят',
    other: 'English',
  },
} as const

/**
 * The one layout of every privacy page: a plain, script-free HTML document in the visitor's
 * language with a link to the other language (kept here so it can later share the portal's).
 */
export function privacyLayout(
  language: Language,
  path: string,
  title: string,
  body: string,
): string {
  const other = language === 'en' ? 'ru' : 'en'
  return `<!doctype html>
<html lang="${language}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title></head>
<body>
<header><nav><a href="${path}?lang=${other}" hreflang="${other}" lang="${other}">${T[language].other}</a></nav></header>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`
}

function emailField(language: Language): string {
  const t = T[language]
  return `<p><label for="email">${t.email}</label><br><input id="email" name="email" type="email" required maxlength="254" autocomplete="email" aria-describedby="email-note"></p>
<p id="email-note">${t.emailNote}</p>`
}

function jurisdictionField(language: Language, selected: 'ccpa' | 'gdpr'): string {
  const t = T[language]
  const option = (value: 'ccpa' | 'gdpr') =>
    `<option value="${value}"${value === selected ? ' selected' : ''}>${t[value]}</option>`
  return `<p><label for="jurisdiction">${t.jurisdiction}</label><br><select id="jurisdiction" name="jurisdiction">${option('ccpa')}${option('gdpr')}</select></p>`
}

/** `/public/privacy/rights`: access, deletion, correction or opt-out. */
export function rightsPage(language: Language): string {
  const t = T[language]
  const kinds = (['access', 'deletion', 'correction', 'opt-out'] as const)
    .map(
      (kind, i) =>
        `<label><input type="radio" name="kind" value="${kind}"${i === 0 ? ' checked' : ''}> ${escapeHtml(kindName(language, kind))}</label><br>`,
    )
    .join('\n')
  return privacyLayout(
    language,
    '/public/privacy/rights',
    t.rights,
    `<form method="post" action="/public/privacy/requests">
<input type="hidden" name="lang" value="${language}">
<fieldset><legend>${t.kind}</legend>
${kinds}
</fieldset>
${jurisdictionField(language, 'gdpr')}
${emailField(language)}
<p><label for="details">${t.details}</label><br><textarea id="details" name="details" maxlength="5000" rows="5"></textarea></p>
<p><button type="submit">${t.send}</button></p>
</form>`,
  )
}

/** `/public/privacy/do-not-sell`: the opt-out of sale and sharing, for one e-mail address. */
export function doNotSellPage(language: Language): string {
  const t = T[language]
  return privacyLayout(
    language,
    '/public/privacy/do-not-sell',
    t.doNotSell,
    `<p>${t.dnsIntro}</p>
<form method="post" action="/public/privacy/requests">
<input type="hidden" name="lang" value="${language}">
<input type="hidden" name="kind" value="opt-out">
${jurisdictionField(language, 'ccpa')}
${emailField(language)}
<p><button type="submit">${t.send}</button></p>
</form>`,
  )
}

export function submittedPage(language: Language, email: string): string {
  const t = T[language]
  return privacyLayout(
    language,
    '/public/privacy/rights',
    t.submitted,
    `<p>${escapeHtml(t.submittedText.replace('{email}', email))}</p>`,
  )
}

/** The page the e-mailed link opens: a button, so a mail scanner's GET confirms nothing. */
export function verifyPage(language: Language, request: string, token: string): string {
  const t = T[language]
  return privacyLayout(
    language,
    '/public/privacy/rights',
    t.confirm,
    `<p>${t.confirmText}</p>
<form method="post" action="/public/privacy/verify">
<input type="hidden" name="lang" value="${language}">
<input type="hidden" name="request" value="${escapeHtml(request)}">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<p><button type="submit">${t.confirmButton}</button></p>
</form>`,
  )
}

export function openedPage(language: Language, request: RightsRequestView): string {
  const t = T[language]
  const due = new Date(request.dueAt ?? 0).toISOString().replace('T', ' ').slice(0, 16)
  return privacyLayout(
    language,
    '/public/privacy/rights',
    t.opened,
    `<p>${escapeHtml(t.openedText.replace('{kind}', kindName(language, request.kind)).replace('{due}', due))}</p>`,
  )
}

export function refusedPage(language: Language, code: string, message: string): string {
  return privacyLayout(
    language,
    '/public/privacy/rights',
    T[language].refused,
    `<p><strong>${escapeHtml(code)}</strong>: ${escapeHtml(message)}</p>`,
  )
}
