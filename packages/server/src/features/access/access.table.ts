/**
 * A channel's compartment: the officers of the hosted parties who may see it. An officer who
 * is not listed cannot see that the channel exists (DESIGN §6, issue 4). Never federated.
 */
export interface ChannelAccessTable {
  channel: string
  officer: string
  /** The officer's party; it must take part in the channel. */
  party: string
  /** The admin who granted it; null for the operator's CLI and the channel creator's own grant. */
  granted_by: string | null
  granted_at: number
}

export interface AccessTables {
  channel_access: ChannelAccessTable
}
