/** What every page's header shows: the default agent's model, and the team file's last refusal. */
import { assetVersion } from "../static/assets.ts";
import type { TeamErrorView } from "../views/common/chrome.tsx";
import type { AppDeps } from "./deps.ts";

export function pageChrome(deps: AppDeps) {
  const { model, demo } = deps.teams.current().defaultModel();
  const status = deps.teams.status();
  const teamError: TeamErrorView | null = status.error && {
    at: status.error.at.getTime(),
    version: status.version,
    message: status.error.message,
  };
  return { assetVersion, model, demo, teamError };
}
