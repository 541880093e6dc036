/**
 * Which provider a gateway request goes to. A client names a model either as `provider/model`
 * (a provider of the team file, `default` or `glassbox-demo`; the rest is sent upstream as the
 * model) or by its bare name, which goes to the one provider whose price table lists it, else to
 * `default` (OPENAI_BASE_URL) when that is configured, else to the only provider there is (the
 * demo model counts only when it is alone). A bare
 * name several providers price is ambiguous: the client must say `provider/model`.
 */
import type { Provider } from "../llm/providers.ts";

export interface ProviderSource {
  get(name: string): Provider | undefined;
  list(): Provider[];
}

export type ModelRoute =
  | { ok: true; provider: Provider; model: string }
  | { ok: false; message: string };

export function routeModel(providers: ProviderSource, requested: string): ModelRoute {
  const slash = requested.indexOf("/");
  if (slash > 0) {
    const named = providers.get(requested.slice(0, slash));
    const model = requested.slice(slash + 1);
    if (named && model) return { ok: true, provider: named, model };
  }
  const all = providers.list();
  const pricing = all.filter((p) => Object.hasOwn(p.prices, requested) && !p.demo);
  if (pricing.length === 1) return { ok: true, provider: pricing[0], model: requested };
  if (pricing.length > 1) {
    const names = pricing.map((p) => `${p.name}/${requested}`).join(", ");
    return { ok: false, message: `model "${requested}" is offered by several providers: ${names}` };
  }
  const real = all.filter((p) => !p.demo);
  const provider = providers.get("default") ?? (real.length === 1 ? real[0] : undefined) ??
    (all.length === 1 ? all[0] : undefined);
  if (provider) return { ok: true, provider, model: requested };
  return {
    ok: false,
    message: `unknown model "${requested}": name it as provider/model, one of ${
      all.map((p) => p.name).join(", ")
    }`,
  };
}

/** What /llm/v1/models lists: every priced model of every provider, as `provider/model`. */
export function listedModels(providers: ProviderSource): { id: string; owned_by: string }[] {
  // The demo provider shares the environment's price table but serves one model.
  return providers.list().flatMap((p) =>
    (p.demo ? [p.name] : Object.keys(p.prices)).map((m) => ({
      id: `${p.name}/${m}`,
      owned_by: p.name,
    }))
  );
}
