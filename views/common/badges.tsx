/** Badges every page header shows. */

/** The configured model in the header; the demo model is badged so nobody takes it for a real one. */
export function ModelBadge({ model, demo }: { model: string; demo: boolean }) {
  return (
    <span class="model">
      <span class="model-label">Model</span> <code>{model}</code>
      {demo
        ? (
          <span class="badge-demo" title="A scripted stand-in for testing, not a real LLM">
            Demo model
          </span>
        )
        : null}
    </span>
  );
}
