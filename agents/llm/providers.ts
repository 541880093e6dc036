/**
 * The provider registry: each provider is a name, an OpenAI-compatible endpoint with its key and
 * a price table, and the recording client that reaches it (every call recorded with the
 * provider's name and priced from its table). Agents name `provider/model`. Two providers exist
 * without a team file declaring them: `glassbox-demo`, the offline demo model, and `default`,
 * the endpoint OPENAI_BASE_URL / OPENAI_API_KEY describe (when either is set). An agent with no
 * `model` uses the environment's model: GLASSBOX_MODEL on `default`, or the demo model offline.
 */
import OpenAI from "openai";
import type { Config } from "../../config.ts";
import type { ContentLogging } from "../../config/logging.ts";
import { DEMO_MODEL, usesDemoModel } from "../../config/llm.ts";
import type { LlmCallRow } from "../../db/llm_calls.ts";
import { redact, Secret } from "../logging/secret.ts";
import type { CacheAccounting, PriceTable } from "./cost.ts";
import { endpointProbe, type ProbeResult } from "./model_probe.ts";
import { createOpenAi, RecordingLlmClient } from "./recording_client.ts";
import type { LlmClient } from "./types.ts";

/** The demo model's provider has the demo model's name. */
export const DEMO_PROVIDER = DEMO_MODEL;
export const ENV_PROVIDER = "default";
const OPENAI_URL = "https://api.openai.com/v1";

export interface ProviderSpec {
  name: string;
  baseUrl: string;
  apiKey: Secret | null;
  prices: PriceTable;
  /** How its usage counts cached prompt tokens (part of prompt_tokens, or in addition). */
  cacheAccounting: CacheAccounting;
  /** Served in-process by the demo model, never over the network. */
  demo: boolean;
}

/** `provider/model` as an agent names it. */
export interface ModelRef {
  provider: string;
  model: string;
}

export interface Provider {
  readonly name: string;
  readonly baseUrl: string;
  readonly demo: boolean;
  readonly prices: PriceTable;
  readonly cacheAccounting: CacheAccounting;
  /** Where its key comes from ("$OPENAI_API_KEY"), never the key; null without one. */
  readonly apiKeyFrom: string | null;
  /** The endpoint's own client (retries off), for whoever forwards requests as they are. */
  readonly openai: OpenAI;
  /** Every call through it becomes llm_calls rows with this provider's name and prices. */
  readonly llm: LlmClient;
  /**
   * Raw HTTP to the endpoint (`path` after the base URL) with the provider's key added, for the
   * gateway, which forwards a client's request as it is and records it itself.
   */
  upstream(path: string, init: RequestInit): Promise<Response>;
  /** Removes the provider's key from text the endpoint sent back (an echoed key). */
  redact(text: string): string;
  /** Whether the endpoint answers (cached for 30 s). */
  probe(): Promise<ProbeResult>;
}

/** What every provider's recording client shares. */
export interface ProviderRuntime {
  /** Where every recording client's llm_calls rows are queued. */
  recorder: { record(row: LlmCallRow): void };
  contentLogging: ContentLogging;
  idleTimeoutMs: number;
  maxAttempts: number;
  /** How the demo provider is reached (in-process). */
  demoFetch: typeof fetch;
  /** How every other endpoint is reached (worker_fetch.ts in the app); default fetch. */
  modelFetch?: typeof fetch;
}

export class ProviderRegistry {
  readonly #byName = new Map<string, Provider>();

  constructor(specs: ProviderSpec[], rt: ProviderRuntime) {
    for (const spec of specs) this.#byName.set(spec.name, createProvider(spec, rt));
  }

  get(name: string): Provider | undefined {
    return this.#byName.get(name);
  }

  list(): Provider[] {
    return [...this.#byName.values()];
  }
}

function createProvider(spec: ProviderSpec, rt: ProviderRuntime): Provider {
  const openai = createOpenAi({
    baseURL: spec.baseUrl,
    // openai refuses an empty key; endpoints without one (Ollama) ignore the header.
    apiKey: spec.apiKey?.reveal() ?? "none",
    fetch: spec.demo ? rt.demoFetch : rt.modelFetch,
  });
  return {
    name: spec.name,
    baseUrl: spec.baseUrl,
    demo: spec.demo,
    prices: spec.prices,
    cacheAccounting: spec.cacheAccounting,
    apiKeyFrom: spec.apiKey?.source ?? null,
    openai,
    llm: new RecordingLlmClient({
      openai,
      recorder: rt.recorder,
      provider: spec.name,
      contentLogging: rt.contentLogging,
      prices: spec.prices,
      cacheAccounting: spec.cacheAccounting,
      idleTimeoutMs: rt.idleTimeoutMs,
      maxAttempts: rt.maxAttempts,
      secrets: spec.apiKey ? [spec.apiKey] : [],
    }),
    probe: endpointProbe(spec.baseUrl, spec.apiKey, spec.demo),
    upstream: (path, init) => {
      const headers = new Headers(init.headers);
      if (spec.apiKey) headers.set("authorization", `Bearer ${spec.apiKey.reveal()}`);
      return (spec.demo ? rt.demoFetch : rt.modelFetch ?? fetch)(
        spec.baseUrl.replace(/\/+$/, "") + path,
        {
          ...init,
          headers,
        },
      );
    },
    redact: (text) => redact(text, spec.apiKey ? [spec.apiKey] : []),
  };
}

/** The providers a team file may use without declaring them. */
export function environmentProviders(config: Config, demoBaseUrl: string): ProviderSpec[] {
  const demo: ProviderSpec = {
    name: DEMO_PROVIDER,
    baseUrl: demoBaseUrl,
    apiKey: null,
    prices: config.prices,
    cacheAccounting: "part_of_input",
    demo: true,
  };
  if (usesDemoModel(config)) return [demo];
  return [demo, {
    name: ENV_PROVIDER,
    baseUrl: config.openaiBaseUrl ?? OPENAI_URL,
    apiKey: config.openaiApiKey ? new Secret(config.openaiApiKey, "$OPENAI_API_KEY") : null,
    prices: config.prices,
    cacheAccounting: "part_of_input",
    demo: false,
  }];
}

/** The model of agents that name none. */
export function environmentModel(config: Config): ModelRef {
  return {
    provider: usesDemoModel(config) ? DEMO_PROVIDER : ENV_PROVIDER,
    model: config.model,
  };
}

/** Why a team file may not declare these names. */
export const RESERVED_PROVIDERS: ReadonlyMap<string, string> = new Map([
  [DEMO_PROVIDER, "it is the built-in offline demo model"],
  [
    ENV_PROVIDER,
    "it is the endpoint OPENAI_BASE_URL / OPENAI_API_KEY describe, when either is set",
  ],
]);
