/** The portal's languages: the first is the default. */
export const PORTAL_LANGUAGES = ['en', 'ru'] as const
export type PortalLanguage = (typeof PORTAL_LANGUAGES)[number]

export function isPortalLanguage(value: unknown): value is PortalLanguage {
  return typeof value === 'string' && (PORTAL_LANGUAGES as readonly string[]).includes(value)
}

/** Every text the portal shows, in English and Russian. */
export const PORTAL_TEXT = {
  en: {
    site: 'Parley public portal',
    home: 'Home',
    intro:
      'What the parties on this node chose to publish: adopted agreements with their joint signatures, declared red lines, and public statements. Only TLP:CLEAR items are ever shown.',
    agreements: 'Adopted agreements',
    redlines: 'Declared red lines',
    statements: 'Public statements',
    none: 'Nothing is published here yet.',
    feed: 'Atom feed',
    newsletter: 'Newsletter',
    doNotSell: 'Do Not Sell or Share My Personal Information',
    rights: 'Exercise My Rights',
    language: 'Language',
    publishedBy: 'Published by',
    publishedAt: 'Published',
    party: 'Party',
    version: 'Version',
    text: 'Text',
    signatures: 'Joint signatures',
    signatory: 'Signatory',
    signedAt: 'Signed',
    adoptEvent: 'Signed adoption (event id)',
    contentHash: 'SHA-256 of the adopted text',
    verify: 'Verify the signatures in this browser',
    verifyHelp:
      'The verifier runs here, in your browser: it checks every signature of the agreement file against the signers’ public keys. Nothing is sent anywhere.',
    noScript:
      'Verifying in the browser needs JavaScript. Without it, download the agreement file and run: parley verify agreement.json',
    download: 'Download the signed agreement file (JSON)',
    threshold: 'Threshold',
    sectors: 'Sectors',
    revision: 'Revision',
    statementEvent: 'Signed event id',
    readMore: 'Read',
    subscribeTitle: 'Subscribe to the newsletter',
    subscribeHelp:
      'We send a confirmation e-mail first; you are subscribed only once you follow its link. Every mail has an unsubscribe link.',
    email: 'E-mail address',
    subscribe: 'Subscribe',
    checkMail: 'Check your mailbox',
    checkMailText:
      'If the address can receive mail, a confirmation link is on its way. It is valid for 48 hours.',
    confirmTitle: 'Confirm your subscription',
    confirm: 'Confirm',
    confirmed: 'You are subscribed',
    confirmedText: 'Thank you. You will receive the newsletter of this portal.',
    unsubscribeTitle: 'Unsubscribe',
    unsubscribe: 'Unsubscribe',
    unsubscribed: 'You are unsubscribed',
    unsubscribedText: 'You will receive no more mail from this portal.',
    errorTitle: 'This did not work',
    notFound: 'There is no public page here.',
    mailSubject: 'Confirm your subscription to the Parley public portal',
    mailBody:
      'Someone (we hope you) asked to subscribe this address to the newsletter of the Parley public portal.\n\nTo confirm, open this link within 48 hours:\n{confirm}\n\nIf it was not you, ignore this mail: you will not be subscribed.\n\nUnsubscribe: {unsubscribe}\n',
    welcomeSubject: 'You are subscribed to the Parley public portal',
    welcomeBody:
      'Your subscription is confirmed.\n\nThe portal: {portal}\n\nUnsubscribe at any time: {unsubscribe}\n',
  },
  ru: {
    site: 'Публичный портал Parley',
    home: 'Главная',
    intro:
      'То, что стороны этого узла решили опубликовать: принятые соглашения с их совместными подписями, заявленные красные линии и публичные заявления. Показываются только материалы с меткой TLP:CLEAR.',
    agreements: 'Принятые соглашения',
    redlines: 'Заявленные красные линии',
    statements: 'Публичные заявления',
    none: 'Здесь пока ничего не опубликовано.',
    feed: 'Лента Atom',
    newsletter: 'Рассылка',
    doNotSell: 'Не продавать и не передавать мои персональные данные',
    rights: 'Реализовать мои права',
    language: 'Язык',
    publishedBy: 'Опубликовано стороной',
    publishedAt: 'Дата публикации',
    party: 'Сторона',
    version: 'Версия',
    text: 'Текст',
    signatures: 'Совместные подписи',
    signatory: 'Подписавшая сторона',
    signedAt: 'Подписано',
    adoptEvent: 'Подписанное принятие (идентификатор события)',
    contentHash: 'SHA-256 принятого текста',
    verify: 'Проверить подписи в этом браузере',
    verifyHelp:
      'Проверка выполняется здесь, в вашем браузере: каждая подпись файла соглашения сверяется с открытыми ключами подписавших. Никакие данные никуда не отправляются.',
    noScript:
      'Для проверки в браузере нужен JavaScript. Без него скачайте файл соглашения и выполните: parley verify agreement.json',
    download: 'Скачать подписанный файл соглашения (JSON)',
    threshold: 'Порог',
    sectors: 'Секторы',
    revision: 'Редакция',
    statementEvent: 'Идентификатор подписанного события',
    readMore: 'Читать',
    subscribeTitle: 'Подписка на рассылку',
    subscribeHelp:
      'Сначала мы отправим письмо для подтверждения; подписка начнётся, только когда вы перейдёте по ссылке из него. В каждом письме есть ссылка для отказа от подписки.',
    email: 'Адрес электронной почты',
    subscribe: 'Подписаться',
    checkMail: 'Проверьте почту',
    checkMailText:
      'Если на этот адрес можно отправить письмо, ссылка для подтверждения уже в пути. Она действует 48 часов.',
    confirmTitle: 'Подтвердите подписку',
    confirm: 'Подтвердить',
    confirmed: 'Вы подписаны',
    confirmedText: 'Спасибо. Вы будете получать рассылку этого портала.',
    unsubscribeTitle: 'Отказ от подписки',
    unsubscribe: 'Отписаться',
    unsubscribed: 'Вы отписались',
    unsubscribedText: 'Писем от этого портала больше не будет.',
    errorTitle: 'Не получилось',
    notFound: 'Здесь нет публичной страницы.',
    mailSubject: 'Подтвердите подписку на публичный портал Parley',
    mailBody:
      'Кто-то (надеемся, вы) попросил подписать этот адрес на рассылку публичного портала Parley.\n\nЧтобы подтвердить, откройте ссылку в течение 48 часов:\n{confirm}\n\nЕсли это были не вы, просто проигнорируйте письмо: подписки не будет.\n\nОтписаться: {unsubscribe}\n',
    welcomeSubject: 'Вы подписаны на публичный портал Parley',
    welcomeBody:
      'Подписка подтверждена.\n\nПортал: {portal}\n\nОтписаться можно в любой момент: {unsubscribe}\n',
  },
} as const satisfies Record<PortalLanguage, Record<string, string>>

export type PortalText = (typeof PORTAL_TEXT)[PortalLanguage]
