/** The monitor's state when it runs. */
export type ActiveMonitorStatus = Exclude<MonitorStatus, { readonly state: 'off' }>;

/** The accuracy monitor's state as the server reports it. */
export type MonitorStatus =
  | { readonly state: 'off' }
  | {
      readonly state: 'ok' | 'violated';
      readonly targetAccuracy: number;
      readonly risk: number;
      /** Labelled answered samples tested (abstentions are not answers). */
      readonly samples: number;
      /** Their accuracy; null before the first. */
      readonly accuracy: number | null;
      /** ln of the betting wealth, and ln(1/α) where it fires. */
      readonly logWealth: number;
      readonly threshold: number;
      /** Labelled answered samples at firing, or null. */
      readonly firedAt: number | null;
    };
