/**
 * The page an HTML route answers when it fails (our error, or text the database cannot store):
 * the shell without the header, since who is asking may be unknown by then.
 */
import { Layout, renderDocument } from "./layout.tsx";

export interface ErrorPageView {
  assetVersion: string;
  title: string;
  message: string;
  /** The request's id, which the log names too. */
  requestId: string | null;
}

export function errorPage(v: ErrorPageView): string {
  return renderDocument(
    <Layout title={`${v.title} · Glassbox`} assetVersion={v.assetVersion}>
      <main class="calls-problem">
        <h1>{v.title}</h1>
        <p>{v.message}</p>
        {v.requestId
          ? (
            <p>
              Request id: <code>{v.requestId}</code>
            </p>
          )
          : null}
        <p>
          <a class="btn" href="/">Back to the chat</a>
        </p>
      </main>
    </Layout>,
  );
}
