/** Alert rules: how often they are measured, and how their webhooks are delivered and retried. */
import type { Parsed, VarBuilders } from "./vars.ts";

export interface AlertsConfig {
  alerts: {
    intervalMs: number;
    retryBaseMs: number;
    maxRetryMs: number;
    maxAttempts: number;
    timeoutMs: number;
  };
}

export function alertsVars({ integer }: VarBuilders) {
  return {
    GLASSBOX_ALERT_INTERVAL_MS: integer("GLASSBOX_ALERT_INTERVAL_MS", 60_000, 1000, 86_400_000),
    GLASSBOX_ALERT_RETRY_BASE_MS: integer("GLASSBOX_ALERT_RETRY_BASE_MS", 5000, 10, 3_600_000),
    GLASSBOX_ALERT_MAX_ATTEMPTS: integer("GLASSBOX_ALERT_MAX_ATTEMPTS", 8, 1, 20),
    GLASSBOX_ALERT_TIMEOUT_MS: integer("GLASSBOX_ALERT_TIMEOUT_MS", 10_000, 100, 120_000),
  };
}

export function alertsConfig(v: Parsed<typeof alertsVars>): AlertsConfig {
  return {
    alerts: {
      intervalMs: v.GLASSBOX_ALERT_INTERVAL_MS,
      retryBaseMs: v.GLASSBOX_ALERT_RETRY_BASE_MS,
      maxRetryMs: 600_000,
      maxAttempts: v.GLASSBOX_ALERT_MAX_ATTEMPTS,
      timeoutMs: v.GLASSBOX_ALERT_TIMEOUT_MS,
    },
  };
}
