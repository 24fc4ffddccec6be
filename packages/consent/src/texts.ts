import type { Language } from './categories.ts'
import type { Texts } from './config.ts'

const en: Texts = {
  bannerTitle: 'We use cookies',
  bannerText:
    'Strictly necessary cookies keep this site working. With your consent we also use cookies to remember your settings, to measure visits, and for advertising and social media. You can change your choice at any time in Cookie Settings.',
  allowAll: 'Allow All',
  rejectAll: 'Reject All',
  settings: 'Cookie Settings',
  save: 'Save Settings',
  centerTitle: 'Privacy Preference Center',
  centerText:
    'Choose which categories of cookies and similar technologies this site may use. Strictly necessary ones are always on.',
  close: 'Close',
  alwaysOn: 'Always on',
  gpc: 'Opt-Out Preference Signal Honored',
  gpcText:
    'Your browser sends Global Privacy Control, so the sale and sharing of your personal information are off and cannot be switched on here.',
  details: 'Services and cookies',
  noCookies: 'No cookies in this category.',
  name: 'Name',
  type: 'Type',
  purpose: 'Purpose',
  expiry: 'Expiry',
  policy: 'Privacy policy',
  necessary: 'Strictly Necessary',
  necessaryText:
    'Needed for the site to work and to remember your consent choice. They cannot be switched off.',
  functional: 'Functional',
  functionalText: 'Remember your settings, such as the language, to make the site easier to use.',
  performance: 'Performance',
  performanceText: 'Count visits and traffic sources so we can measure and improve the site.',
  targeting: 'Targeting',
  targetingText:
    'Set by advertising partners to build a profile of your interests and show you relevant adverts on other sites.',
  social: 'Social Media',
  socialText:
    'Set by social media services so you can share content with your networks; they can track you on other sites.',
  sale: 'Sale of Personal Data',
  saleText:
    'Lets us sell or share your personal information with third parties. Switch it off to opt out.',
}

const ru: Texts = {
  bannerTitle: 'Мы используем файлы cookie',
  bannerText:
    'Строго необходимые файлы cookie обеспечивают работу сайта. С вашего согласия мы также используем cookie, чтобы запоминать ваши настройки, считать посещения, для рекламы и социальных сетей. Вы можете изменить выбор в любое время в настройках cookie.',
  allowAll: 'Разрешить все',
  rejectAll: 'Отклонить все',
  settings: 'Настройки cookie',
  save: 'Сохранить настройки',
  centerTitle: 'Центр настроек конфиденциальности',
  centerText:
    'Выберите, какие категории файлов cookie и похожих технологий может использовать этот сайт. Строго необходимые включены всегда.',
  close: 'Закрыть',
  alwaysOn: 'Всегда включены',
  gpc: 'Сигнал об отказе (Opt-Out Preference Signal) соблюдён',
  gpcText:
    'Ваш браузер передаёт сигнал Global Privacy Control, поэтому продажа и передача ваших персональных данных отключены и не могут быть включены здесь.',
  details: 'Сервисы и файлы cookie',
  noCookies: 'В этой категории нет файлов cookie.',
  name: 'Имя',
  type: 'Тип',
  purpose: 'Назначение',
  expiry: 'Срок',
  policy: 'Политика конфиденциальности',
  necessary: 'Строго необходимые',
  necessaryText: 'Нужны для работы сайта и для запоминания вашего выбора. Их нельзя отключить.',
  functional: 'Функциональные',
  functionalText:
    'Запоминают ваши настройки, например язык, чтобы сайтом было удобнее пользоваться.',
  performance: 'Эксплуатационные',
  performanceText:
    'Считают посещения и источники трафика, чтобы мы могли измерять и улучшать сайт.',
  targeting: 'Целевые',
  targetingText:
    'Устанавливаются рекламными партнёрами, чтобы составить профиль ваших интересов и показывать подходящую рекламу на других сайтах.',
  social: 'Социальные сети',
  socialText:
    'Устанавливаются социальными сетями, чтобы вы могли делиться материалами; они могут отслеживать вас на других сайтах.',
  sale: 'Продажа персональных данных',
  saleText:
    'Позволяет нам продавать или передавать ваши персональные данные третьим лицам. Отключите, чтобы отказаться.',
}

/** The built-in texts of each language, before a config's overrides. */
export const TEXTS: Readonly<Record<Language, Texts>> = { en, ru }
