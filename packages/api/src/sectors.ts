/**
 * Taxonomies of critical-infrastructure sectors, with their labels in every language the
 * console speaks. A notice's `sectors` and a red line's `sectors` name entries of the node's
 * taxonomy by id; the server, the console and the exports all read the labels from here.
 */

/** The languages Parley's labels exist in. */
export const LABEL_LANGUAGES = ['en', 'ru'] as const
export type LabelLanguage = (typeof LABEL_LANGUAGES)[number]

/** A text in every label language. */
export type Label = Readonly<Record<LabelLanguage, string>>

/** One sector of a taxonomy; a subsector names the sector it belongs to. */
export interface Sector {
  /** Matches the protocol's `SectorSchema`: `^[a-z][a-z0-9-]{0,63}$`. */
  readonly id: string
  readonly label: Label
  readonly parent?: string
}

/** A named list of sectors that a node validates `sectors` against. */
export interface SectorTaxonomy {
  readonly id: string
  readonly label: Label
  /** Where the list comes from, for an auditor. */
  readonly source: string
  readonly sectors: readonly Sector[]
}

/** The 16 critical-infrastructure sectors of US PPD-21, as CISA lists them; the shipped default. */
export const CISA_SECTORS: SectorTaxonomy = {
  id: 'cisa',
  label: {
    en: 'US critical infrastructure sectors (CISA)',
    ru: 'Секторы критической инфраструктуры США (CISA)',
  },
  source:
    'https://www.cisa.gov/topics/critical-infrastructure-security-and-resilience/critical-infrastructure-sectors',
  sectors: [
    { id: 'chemical', label: { en: 'Chemical', ru: 'Химическая промышленность' } },
    {
      id: 'commercial-facilities',
      label: { en: 'Commercial Facilities', ru: 'Коммерческие объекты' },
    },
    { id: 'communications', label: { en: 'Communications', ru: 'Связь' } },
    {
      id: 'critical-manufacturing',
      label: { en: 'Critical Manufacturing', ru: 'Критически важное производство' },
    },
    { id: 'dams', label: { en: 'Dams', ru: 'Плотины' } },
    {
      id: 'defense-industrial-base',
      label: { en: 'Defense Industrial Base', ru: 'Оборонно-промышленный комплекс' },
    },
    {
      id: 'emergency-services',
      label: { en: 'Emergency Services', ru: 'Экстренные службы' },
    },
    { id: 'energy', label: { en: 'Energy', ru: 'Энергетика' } },
    {
      id: 'financial-services',
      label: { en: 'Financial Services', ru: 'Финансовые услуги' },
    },
    {
      id: 'food-agriculture',
      label: { en: 'Food and Agriculture', ru: 'Продовольствие и сельское хозяйство' },
    },
    {
      id: 'government-facilities',
      label: {
        en: 'Government Services and Facilities',
        ru: 'Государственные службы и объекты',
      },
    },
    {
      id: 'election-infrastructure',
      label: { en: 'Election Infrastructure', ru: 'Избирательная инфраструктура' },
      parent: 'government-facilities',
    },
    {
      id: 'healthcare',
      label: { en: 'Healthcare and Public Health', ru: 'Здравоохранение' },
    },
    {
      id: 'information-technology',
      label: { en: 'Information Technology', ru: 'Информационные технологии' },
    },
    {
      id: 'nuclear',
      label: {
        en: 'Nuclear Reactors, Materials, and Waste',
        ru: 'Ядерные реакторы, материалы и отходы',
      },
    },
    {
      id: 'transportation',
      label: { en: 'Transportation Systems', ru: 'Транспортные системы' },
    },
    {
      id: 'water',
      label: { en: 'Water and Wastewater Systems', ru: 'Водоснабжение и водоотведение' },
    },
  ],
}

/** The sectors of Annexes I and II of the EU NIS2 Directive (2022/2555). */
export const NIS2_SECTORS: SectorTaxonomy = {
  id: 'nis2',
  label: {
    en: 'EU NIS2 Directive sectors (Annexes I and II)',
    ru: 'Секторы директивы ЕС NIS2 (приложения I и II)',
  },
  source: 'https://eur-lex.europa.eu/eli/dir/2022/2555/oj',
  sectors: [
    { id: 'energy', label: { en: 'Energy', ru: 'Энергетика' } },
    { id: 'transport', label: { en: 'Transport', ru: 'Транспорт' } },
    { id: 'banking', label: { en: 'Banking', ru: 'Банковский сектор' } },
    {
      id: 'financial-market-infrastructure',
      label: { en: 'Financial market infrastructures', ru: 'Инфраструктура финансовых рынков' },
    },
    { id: 'health', label: { en: 'Health', ru: 'Здравоохранение' } },
    { id: 'drinking-water', label: { en: 'Drinking water', ru: 'Питьевая вода' } },
    { id: 'waste-water', label: { en: 'Waste water', ru: 'Сточные воды' } },
    {
      id: 'digital-infrastructure',
      label: { en: 'Digital infrastructure', ru: 'Цифровая инфраструктура' },
    },
    {
      id: 'ict-service-management',
      label: { en: 'ICT service management (B2B)', ru: 'Управление ИКТ-услугами (B2B)' },
    },
    { id: 'public-administration', label: { en: 'Public administration', ru: 'Госуправление' } },
    { id: 'space', label: { en: 'Space', ru: 'Космос' } },
    {
      id: 'postal-courier',
      label: { en: 'Postal and courier services', ru: 'Почтовые и курьерские услуги' },
    },
    { id: 'waste-management', label: { en: 'Waste management', ru: 'Обращение с отходами' } },
    { id: 'chemicals', label: { en: 'Chemicals', ru: 'Химическая продукция' } },
    { id: 'food', label: { en: 'Food', ru: 'Пищевая продукция' } },
    { id: 'manufacturing', label: { en: 'Manufacturing', ru: 'Обрабатывающая промышленность' } },
    { id: 'digital-providers', label: { en: 'Digital providers', ru: 'Цифровые провайдеры' } },
    { id: 'research', label: { en: 'Research', ru: 'Научные исследования' } },
  ],
}

/** The taxonomies Parley ships, by id; a node's config picks one or lists its own. */
export const SHIPPED_TAXONOMIES: Readonly<Record<string, SectorTaxonomy>> = {
  cisa: CISA_SECTORS,
  nis2: NIS2_SECTORS,
}

/** The sector of `taxonomy` with this id, if any. */
export function sectorOf(taxonomy: SectorTaxonomy, id: string): Sector | undefined {
  return taxonomy.sectors.find((sector) => sector.id === id)
}

/** The ids in `sectors` that `taxonomy` does not list, in their order. */
export function unknownSectors(taxonomy: SectorTaxonomy, sectors: readonly string[]): string[] {
  return sectors.filter((id) => sectorOf(taxonomy, id) === undefined)
}
