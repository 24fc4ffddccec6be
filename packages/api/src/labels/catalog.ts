import type { Label } from '../sectors.ts'

/**
 * Every label and help text of the notice template, in every label language: the one place
 * the server, the console and the exports read them from (sector names live with their
 * taxonomies in `sectors.ts`). Keys:
 * - `field.<name>` and `field.<name>.help` for each field of `notice.open` (nested fields as
 *   `field.<parent>.<name>`), `notice.reply` (`field.reply.*`) and `notice.close`;
 * - `kind.<kind>`, `severity.<1..5>`, `urgency.<urgency>`, `tlp.<tlp>`, `state.<state>`,
 *   `preset.<preset>`, each with a `.definition`;
 * - `indicator.<type>` for the indicator types.
 *
 * Free text in a notice stays in its original language; only these labels are translated.
 */
export const NOTICE_LABELS = {
  // ---- fields of notice.open ----
  'field.kind': { en: 'Kind of notice', ru: 'Вид уведомления' },
  'field.kind.help': {
    en: 'The kind of formal notice; it sets how the recipient handles it.',
    ru: 'Вид формального уведомления; от него зависит порядок его рассмотрения получателем.',
  },
  'field.subject': { en: 'Subject', ru: 'Тема' },
  'field.subject.help': {
    en: 'The substance of the notice in one line, at most 200 characters.',
    ru: 'Существо уведомления в одной строке, не более 200 знаков.',
  },
  'field.lang': { en: 'Language', ru: 'Язык' },
  'field.lang.help': {
    en: 'The language the free text is written in. Free text is never translated automatically; the labels of the template are.',
    ru: 'Язык, на котором составлен свободный текст. Свободный текст автоматически не переводится; переводятся только наименования полей формы.',
  },
  'field.urgency': { en: 'Urgency', ru: 'Срочность' },
  'field.urgency.help': {
    en: 'How urgent the notice is; the acknowledgment deadline follows from it.',
    ru: 'Категория срочности уведомления; от неё зависит срок подтверждения получения.',
  },
  'field.tlp': { en: 'TLP marking', ru: 'Метка TLP' },
  'field.tlp.help': {
    en: 'How far the recipients may share the notice, under FIRST Traffic Light Protocol 2.0.',
    ru: 'Допустимые пределы дальнейшего распространения уведомления согласно протоколу TLP 2.0 (FIRST).',
  },
  'field.summary': { en: 'Summary', ru: 'Краткое изложение' },
  'field.summary.help': {
    en: 'What happened, what is known so far and what has been done.',
    ru: 'Что произошло, какие сведения имеются на данный момент и какие меры уже приняты.',
  },
  'field.sectors': { en: 'Affected sectors', ru: 'Затронутые секторы' },
  'field.sectors.help': {
    en: 'The critical-infrastructure sectors affected, from the taxonomy the node uses (CISA by default).',
    ru: 'Затронутые секторы критической инфраструктуры по таксономии, принятой на узле (по умолчанию — CISA).',
  },
  'field.severity': { en: 'Severity', ru: 'Степень серьёзности' },
  'field.severity.help': {
    en: 'From 1 (low) to 5 (emergency), each level defined after the CISA National Cyber Incident Scoring System (NCISS).',
    ru: 'От 1 (низкая) до 5 (чрезвычайная); каждый уровень определён по образцу Национальной системы оценки киберинцидентов CISA (NCISS).',
  },
  'field.observedActivity': { en: 'Observed activity', ru: 'Наблюдаемая деятельность' },
  'field.observedActivity.help': {
    en: 'The activity observed and the period it was observed in (UTC).',
    ru: 'Описание наблюдаемой деятельности и период, в течение которого она наблюдалась (UTC).',
  },
  'field.observedActivity.description': { en: 'Description', ru: 'Описание' },
  'field.observedActivity.description.help': {
    en: 'What was observed, in the words of those who observed it.',
    ru: 'Что именно наблюдалось, в изложении наблюдавшей стороны.',
  },
  'field.observedActivity.from': { en: 'Observed from (UTC)', ru: 'Начало наблюдения (UTC)' },
  'field.observedActivity.from.help': {
    en: 'When the activity was first observed.',
    ru: 'Время, когда деятельность была впервые зафиксирована.',
  },
  'field.observedActivity.until': {
    en: 'Observed until (UTC)',
    ru: 'Окончание наблюдения (UTC)',
  },
  'field.observedActivity.until.help': {
    en: 'When the activity was last observed; leave empty while it goes on.',
    ru: 'Время, когда деятельность была зафиксирована в последний раз; не заполняется, если она продолжается.',
  },
  'field.requestedAction': { en: 'Action requested', ru: 'Запрашиваемые меры' },
  'field.requestedAction.help': {
    en: 'What the recipient is asked to do.',
    ru: 'Какие меры предлагается принять получателю.',
  },
  'field.indicators': { en: 'Indicators of compromise', ru: 'Индикаторы компрометации' },
  'field.indicators.help': {
    en: 'Technical indicators, each with its own TLP marking, which may be stricter than that of the notice. Indicators marked TLP:RED are never exported.',
    ru: 'Технические индикаторы; для каждого указывается собственная метка TLP, которая может быть строже метки уведомления. Индикаторы с меткой TLP:RED никогда не экспортируются.',
  },
  'field.indicators.type': { en: 'Type', ru: 'Тип' },
  'field.indicators.type.help': {
    en: 'What the value is: an address, a domain, a file hash, a vulnerability…',
    ru: 'Характер значения: адрес, доменное имя, хеш файла, уязвимость и т. п.',
  },
  'field.indicators.value': { en: 'Value', ru: 'Значение' },
  'field.indicators.value.help': {
    en: 'The indicator exactly as observed.',
    ru: 'Значение индикатора в точности так, как оно было зафиксировано.',
  },
  'field.indicators.tlp': { en: 'TLP marking of the indicator', ru: 'Метка TLP индикатора' },
  'field.indicators.tlp.help': {
    en: 'How far this indicator may be shared; it may be stricter than the notice.',
    ru: 'Допустимые пределы распространения данного индикатора; может быть строже метки уведомления.',
  },
  'field.pointsOfContact': { en: 'Points of contact', ru: 'Контактные лица' },
  'field.pointsOfContact.help': {
    en: 'Whom the recipient should contact about this notice.',
    ru: 'К кому получателю следует обращаться по вопросам, связанным с настоящим уведомлением.',
  },
  'field.pointsOfContact.name': { en: 'Name', ru: 'Фамилия, имя' },
  'field.pointsOfContact.name.help': {
    en: 'The full name of the contact.',
    ru: 'Фамилия и имя контактного лица полностью.',
  },
  'field.pointsOfContact.role': { en: 'Position', ru: 'Должность' },
  'field.pointsOfContact.role.help': {
    en: 'The position the contact holds.',
    ru: 'Занимаемая должность.',
  },
  'field.pointsOfContact.party': { en: 'Party', ru: 'Сторона' },
  'field.pointsOfContact.party.help': {
    en: 'The party the contact speaks for, when it is not the author of the notice.',
    ru: 'Сторона, которую представляет контактное лицо, если это не автор уведомления.',
  },
  'field.pointsOfContact.email': { en: 'E-mail', ru: 'Электронная почта' },
  'field.pointsOfContact.email.help': {
    en: 'An e-mail address that is read during the hours given.',
    ru: 'Адрес электронной почты, который просматривается в указанные часы.',
  },
  'field.pointsOfContact.phone': { en: 'Telephone', ru: 'Телефон' },
  'field.pointsOfContact.phone.help': {
    en: 'In international format, for example +1 202 555 0100.',
    ru: 'В международном формате, например +7 495 555 01 00.',
  },
  'field.pointsOfContact.languages': { en: 'Working languages', ru: 'Рабочие языки' },
  'field.pointsOfContact.languages.help': {
    en: 'The languages the contact can work in.',
    ru: 'Языки, на которых контактное лицо может вести работу.',
  },
  'field.pointsOfContact.hours': { en: 'Hours of availability', ru: 'Часы доступности' },
  'field.pointsOfContact.hours.help': {
    en: 'When the contact can be reached, with the time zone.',
    ru: 'Время, когда с контактным лицом можно связаться, с указанием часового пояса.',
  },
  'field.ackWithin': { en: 'Acknowledge within', ru: 'Срок подтверждения получения' },
  'field.ackWithin.help': {
    en: 'How long the recipient has to acknowledge the notice, counted from the signed delivery receipt. Empty: the channel policy decides.',
    ru: 'Срок, в течение которого получатель обязан подтвердить получение; исчисляется с момента подписанной квитанции о доставке. Если не указан, применяется политика канала.',
  },
  'field.respondWithin': { en: 'Respond within', ru: 'Срок представления ответа' },
  'field.respondWithin.help': {
    en: 'How long the recipient has to respond, counted from the signed delivery receipt. Empty: the channel policy decides.',
    ru: 'Срок, в течение которого получатель обязан представить ответ; исчисляется с момента подписанной квитанции о доставке. Если не указан, применяется политика канала.',
  },
  'field.attachments': { en: 'Attachments', ru: 'Приложения' },
  'field.attachments.help': {
    en: 'Files the notice refers to, each named by its SHA-256 hash.',
    ru: 'Файлы, на которые ссылается уведомление; каждый идентифицируется хешем SHA-256.',
  },
  // ---- fields of notice.ack, notice.reply and notice.close ----
  'field.notice': { en: 'Notice', ru: 'Уведомление' },
  'field.notice.help': {
    en: 'The notice this event answers.',
    ru: 'Уведомление, к которому относится данное действие.',
  },
  'field.reply.text': { en: 'Reply', ru: 'Текст ответа' },
  'field.reply.text.help': {
    en: 'The answer to the notice, in the language given.',
    ru: 'Ответ на уведомление на указанном языке.',
  },
  'field.reply.final': { en: 'Final reply', ru: 'Окончательный ответ' },
  'field.reply.final.help': {
    en: 'Tick when this reply is final; otherwise it is an interim reply.',
    ru: 'Отметьте, если ответ является окончательным; в противном случае он считается промежуточным.',
  },
  'field.close.resolution': { en: 'Outcome', ru: 'Итоги рассмотрения' },
  'field.close.resolution.help': {
    en: 'How the notice was resolved, for the record.',
    ru: 'Результаты рассмотрения уведомления, для протокола.',
  },
  // ---- notice kinds (the UN points-of-contact template, the 2013 US–Russia measures) ----
  'kind.incident': { en: 'Incident notification', ru: 'Уведомление об инциденте' },
  'kind.incident.definition': {
    en: 'Notification of a computer incident that affects, or may affect, the recipient, with what is known of it.',
    ru: 'Уведомление о компьютерном инциденте, который затрагивает или может затронуть интересы получателя, с изложением известных о нём сведений.',
  },
  'kind.assistance': { en: 'Request for assistance', ru: 'Запрос о содействии' },
  'kind.assistance.definition': {
    en: 'A request that the recipient take measures within its jurisdiction against malicious ICT activity emanating from or affecting its territory.',
    ru: 'Просьба к получателю принять в пределах своей юрисдикции меры в отношении злонамеренной деятельности в сфере ИКТ, исходящей с его территории или затрагивающей её.',
  },
  'kind.information': { en: 'Information notice', ru: 'Информационное сообщение' },
  'kind.information.definition': {
    en: 'Information shared for awareness; no action is requested.',
    ru: 'Сведения, направляемые для информации; принятия мер не требуется.',
  },
  'kind.clarification': { en: 'Request for clarification', ru: 'Запрос о разъяснении' },
  'kind.clarification.definition': {
    en: 'A request that the recipient explain observed activity that could be misread as hostile.',
    ru: 'Просьба к получателю дать разъяснения по поводу наблюдаемой деятельности, которая может быть ошибочно истолкована как враждебная.',
  },
  'kind.advance-notice': { en: 'Advance notice', ru: 'Заблаговременное уведомление' },
  'kind.advance-notice.definition': {
    en: 'Notice, ahead of time, of a planned activity such as an exercise that the recipient might otherwise misread.',
    ru: 'Предварительное уведомление о планируемой деятельности, например об учениях, которая в противном случае могла бы быть неверно истолкована получателем.',
  },
  'kind.ping': { en: 'Communication check', ru: 'Проверка связи' },
  'kind.ping.definition': {
    en: 'A check that the line works and is staffed; an officer on duty must answer it.',
    ru: 'Проверка работоспособности канала связи и наличия дежурного персонала; требует ответа дежурного сотрудника.',
  },
  // ---- severity: levels 1–5 of the CISA National Cyber Incident Scoring System (NCISS), the
  // scale of the US Cyber Incident Severity Schema (PPD-41), its wording kept and "U.S. persons"
  // made "human life" for a line between states; NCISS level 0 (baseline: unsubstantiated or
  // inconsequential) is no notice. https://www.cisa.gov/news-events/news/cisa-national-cyber-incident-scoring-system-nciss
  'severity.1': { en: 'Low', ru: 'Низкая' },
  'severity.1.definition': {
    en: 'Unlikely to impact public health or safety, national security, economic security, foreign relations, civil liberties, or public confidence.',
    ru: 'Воздействие на здоровье и безопасность населения, национальную безопасность, экономическую безопасность, международные отношения, гражданские свободы или общественное доверие маловероятно.',
  },
  'severity.2': { en: 'Medium', ru: 'Средняя' },
  'severity.2.definition': {
    en: 'May impact public health or safety, national security, economic security, foreign relations, civil liberties, or public confidence.',
    ru: 'Возможно воздействие на здоровье и безопасность населения, национальную безопасность, экономическую безопасность, международные отношения, гражданские свободы или общественное доверие.',
  },
  'severity.3': { en: 'High', ru: 'Высокая' },
  'severity.3.definition': {
    en: 'Likely to result in a demonstrable impact to public health or safety, national security, economic security, foreign relations, civil liberties, or public confidence.',
    ru: 'Вероятно ощутимое воздействие на здоровье и безопасность населения, национальную безопасность, экономическую безопасность, международные отношения, гражданские свободы или общественное доверие.',
  },
  'severity.4': { en: 'Severe', ru: 'Серьёзная' },
  'severity.4.definition': {
    en: 'Likely to result in a significant impact to public health or safety, national security, economic security, foreign relations, or civil liberties.',
    ru: 'Вероятно значительное воздействие на здоровье и безопасность населения, национальную безопасность, экономическую безопасность, международные отношения или гражданские свободы.',
  },
  'severity.5': { en: 'Emergency', ru: 'Чрезвычайная' },
  'severity.5.definition': {
    en: 'Poses an imminent threat to the provision of wide-scale critical infrastructure services, national government stability, or to human life.',
    ru: 'Создаёт непосредственную угрозу функционированию критической инфраструктуры в широких масштабах, стабильности государственного управления или жизни людей.',
  },
  // ---- urgency ----
  'urgency.routine': { en: 'Routine', ru: 'Обычная' },
  'urgency.routine.definition': {
    en: 'Handled in the normal course of business.',
    ru: 'Рассматривается в обычном порядке.',
  },
  'urgency.priority': { en: 'Priority', ru: 'Срочная' },
  'urgency.priority.definition': {
    en: 'Handled ahead of routine traffic, the same working day.',
    ru: 'Рассматривается в первоочередном порядке, в тот же рабочий день.',
  },
  'urgency.flash': { en: 'Flash', ru: 'Молния' },
  'urgency.flash.definition': {
    en: 'Handled at once, at any hour, ahead of all other traffic; the shortest acknowledgment deadline applies.',
    ru: 'Рассматривается немедленно, в любое время суток, вне очереди; применяется кратчайший срок подтверждения получения.',
  },
  // ---- TLP 2.0 (FIRST, https://www.first.org/tlp/): the labels stay in English in every language ----
  'tlp.clear': { en: 'TLP:CLEAR', ru: 'TLP:CLEAR' },
  'tlp.clear.definition': {
    en: 'Recipients can spread this to the world, there is no limit on disclosure.',
    ru: 'Получатели вправе распространять сведения без ограничений.',
  },
  'tlp.green': { en: 'TLP:GREEN', ru: 'TLP:GREEN' },
  'tlp.green.definition': {
    en: 'Limited disclosure, recipients can spread this within their community.',
    ru: 'Ограниченное распространение: получатели вправе передавать сведения в пределах своего сообщества.',
  },
  'tlp.amber': { en: 'TLP:AMBER', ru: 'TLP:AMBER' },
  'tlp.amber.definition': {
    en: 'Limited disclosure, recipients can only spread this on a need-to-know basis within their organization and its clients.',
    ru: 'Ограниченное распространение: получатели вправе передавать сведения только по служебной необходимости в пределах своей организации и её клиентам.',
  },
  'tlp.amber+strict': { en: 'TLP:AMBER+STRICT', ru: 'TLP:AMBER+STRICT' },
  'tlp.amber+strict.definition': {
    en: 'Restricts sharing to the organization only.',
    ru: 'Распространение допускается только в пределах организации получателя.',
  },
  'tlp.red': { en: 'TLP:RED', ru: 'TLP:RED' },
  'tlp.red.definition': {
    en: 'For the eyes and ears of individual recipients only, no further disclosure.',
    ru: 'Исключительно для личного сведения получателей; дальнейшее распространение запрещено.',
  },
  // ---- indicator types ----
  'indicator.ipv4': { en: 'IPv4 address', ru: 'IPv4-адрес' },
  'indicator.ipv6': { en: 'IPv6 address', ru: 'IPv6-адрес' },
  'indicator.cidr': { en: 'Address range (CIDR)', ru: 'Диапазон адресов (CIDR)' },
  'indicator.domain': { en: 'Domain name', ru: 'Доменное имя' },
  'indicator.url': { en: 'URL', ru: 'URL-адрес' },
  'indicator.email': { en: 'E-mail address', ru: 'Адрес электронной почты' },
  'indicator.asn': { en: 'Autonomous system number', ru: 'Номер автономной системы' },
  'indicator.md5': { en: 'MD5 file hash', ru: 'Хеш файла MD5' },
  'indicator.sha1': { en: 'SHA-1 file hash', ru: 'Хеш файла SHA-1' },
  'indicator.sha256': { en: 'SHA-256 file hash', ru: 'Хеш файла SHA-256' },
  'indicator.file-name': { en: 'File name', ru: 'Имя файла' },
  'indicator.cve': { en: 'Vulnerability (CVE)', ru: 'Уязвимость (CVE)' },
  'indicator.other': { en: 'Other', ru: 'Иное' },
  // ---- lifecycle states, projected from signed events ----
  'state.sent': { en: 'Sent', ru: 'Отправлено' },
  'state.sent.definition': {
    en: 'Signed and sent; no delivery receipt yet.',
    ru: 'Подписано и отправлено; квитанция о доставке пока не получена.',
  },
  'state.delivered': { en: 'Delivered', ru: 'Доставлено' },
  'state.delivered.definition': {
    en: 'The recipient’s node returned a signed receipt; the deadlines run from its time.',
    ru: 'Узел получателя вернул подписанную квитанцию о доставке; сроки исчисляются с указанного в ней времени.',
  },
  'state.acknowledged': { en: 'Acknowledged', ru: 'Получение подтверждено' },
  'state.acknowledged.definition': {
    en: 'An officer of the recipient acknowledged the notice (a signed notice.ack).',
    ru: 'Сотрудник получателя подтвердил получение уведомления (подписанное подтверждение notice.ack).',
  },
  'state.replied': { en: 'Replied', ru: 'Ответ представлен' },
  'state.replied.definition': {
    en: 'The recipient replied, with an interim or a final reply.',
    ru: 'Получатель представил ответ — промежуточный или окончательный.',
  },
  'state.closed': { en: 'Closed', ru: 'Закрыто' },
  'state.closed.definition': {
    en: 'The notice was closed with a recorded outcome; nothing more can be added to it.',
    ru: 'Рассмотрение уведомления завершено, итоги зафиксированы; дальнейшие действия по нему не допускаются.',
  },
  'state.ack-overdue': { en: 'Acknowledgment overdue', ru: 'Срок подтверждения истёк' },
  'state.ack-overdue.definition': {
    en: 'The acknowledgment deadline passed without a signed acknowledgment.',
    ru: 'Срок подтверждения получения истёк, подписанное подтверждение не поступило.',
  },
  'state.response-overdue': { en: 'Response overdue', ru: 'Срок ответа истёк' },
  'state.response-overdue.definition': {
    en: 'The response deadline passed without a reply.',
    ru: 'Срок представления ответа истёк, ответ не поступил.',
  },
  // ---- deadline presets an operator picks for a channel ----
  'preset.crisis-line': { en: 'Crisis line', ru: 'Линия кризисной связи' },
  'preset.crisis-line.definition': {
    en: 'For a hotline between governments: a flash notice must be acknowledged within 15 minutes.',
    ru: 'Для линии прямой связи между правительствами: уведомление категории «Молния» должно быть подтверждено в течение 15 минут.',
  },
  'preset.nis2': { en: 'NIS2', ru: 'NIS2' },
  'preset.nis2.definition': {
    en: 'The reporting deadlines of Directive (EU) 2022/2555, Article 23: an early warning within 24 hours, an incident notification within 72 hours, a final report within one month.',
    ru: 'Сроки представления сведений по статье 23 Директивы (ЕС) 2022/2555: раннее предупреждение — в течение 24 часов, уведомление об инциденте — в течение 72 часов, итоговый отчёт — в течение одного месяца.',
  },
  'preset.routine-diplomatic': {
    en: 'Routine diplomatic',
    ru: 'Обычный дипломатический порядок',
  },
  'preset.routine-diplomatic.definition': {
    en: 'Acknowledge within 24 hours, respond within 7 days.',
    ru: 'Подтверждение получения — в течение 24 часов, ответ — в течение 7 дней.',
  },
  // ---- deadlines ----
  'deadline.ackBy': { en: 'Acknowledge by', ru: 'Подтвердить получение до' },
  'deadline.respondBy': { en: 'Respond by', ru: 'Представить ответ до' },
} as const satisfies Record<string, Label>
