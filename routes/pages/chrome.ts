/**
 * What every page's header shows (views/common/chrome.tsx): from the request's viewer, and from
 * the team — its default agent's model, and the team file's last refused edit.
 */
import type { Context } from "hono";
import { isAdmin } from "../../auth/viewer.ts";
import { assetVersion } from "../../static/assets.ts";
import type { PageChrome } from "../../views/common/chrome.tsx";
import { viewerOf } from "../access.ts";
import type { AppDeps } from "../deps.ts";

export const OPEN_WARNING = "Sign-in is off (GLASSBOX_AUTH=off): anyone who can reach this " +
  "server can read every conversation and LLM call and start runs on its API key.";

export function pageChrome(deps: AppDeps, c: Context): PageChrome {
  const v = viewerOf(c);
  const { model, demo } = deps.teams.current().defaultModel();
  const team = deps.teams.status();
  return {
    assetVersion,
    model,
    demo,
    viewer: {
      label: v.email ?? v.name,
      role: isAdmin(v) ? "admin" : "member",
      signedIn: v.via === "session",
    },
    warning: deps.auth.mode === "off" ? OPEN_WARNING : null,
    teamError: team.error &&
      { at: team.error.at.getTime(), version: team.version, message: team.error.message },
  };
}
