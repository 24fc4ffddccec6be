export type Language = 'en' | 'ru'

const KIND_NAMES: Record<Language, Record<string, string>> = {
  en: {
    access: 'access to your personal information',
    deletion: 'deletion of your personal information',
    correction: 'correction of your personal information',
    'opt-out': 'opt-out of the sale and sharing of your personal information',
  },
  ru: {
    access: 'доступ к вашим персональным данным',
    deletion: 'удаление ваших персональных данных',
    correction: 'исправление ваших персональных данных',
    'opt-out': 'отказ от продажи и передачи ваших персональных данных',
  },
}

/** What a request asks for, in the requester's language. */
export function kindName(language: Language, kind: string): string {
  return KIND_NAMES[language][kind] ?? kind
}

/** The e-mail that proves the address belongs to the requester: one link, valid until `expiresAt`. */
export function verificationMail(
  language: Language,
  request: { kind: string; link: string; expiresAt: number },
): { subject: string; text: string } {
  const until = new Date(request.expiresAt).toISOString()
  if (language === 'ru') {
    return {
      subject: 'Подтвердите ваш запрос о персональных данных',
      text: [
        `Мы получили запрос: ${kindName('ru', request.kind)}.`,
        '',
        'Чтобы подтвердить, что адрес ваш, откройте ссылку и нажмите «Подтвердить»:',
        request.link,
        '',
        `Ссылка действует до ${until} (UTC) и только один раз.`,
        'Если вы ничего не запрашивали, просто удалите это письмо.',
        '',
      ].join('\n'),
    }
  }
  return {
    subject: 'Confirm your personal information request',
    text: [
      `We received a request for ${kindName('en', request.kind)}.`,
      '',
      'To confirm that this address is yours, open the link and press "Confirm":',
      request.link,
      '',
      `The link works once, until ${until} (UTC).`,
      'If you did not ask for this, delete this e-mail.',
      '',
    ].join('\n'),
  }
}

/** The answer to a request, as the admin wrote it. */
export function responseMail(
  language: Language,
  request: { kind: string; response: string },
): { subject: string; text: string } {
  return language === 'ru'
    ? {
        subject: 'Ответ на ваш запрос о персональных данных',
        text: `Ваш запрос: ${kindName('ru', request.kind)}.\n\n${request.response}\n`,
      }
    : {
        subject: 'The answer to your personal information request',
        text: `Your request: ${kindName('en', request.kind)}.\n\n${request.response}\n`,
      }
}
