/** What every page's header shows, from the request's viewer (views/common/chrome.tsx). */
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
  return {
    assetVersion,
    model: deps.config.model,
    demo: deps.demo,
    viewer: {
      label: v.email ?? v.name,
      role: isAdmin(v) ? "admin" : "member",
      signedIn: v.via === "session",
    },
    warning: deps.auth.mode === "off" ? OPEN_WARNING : null,
  };
}
