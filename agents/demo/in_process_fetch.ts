/** A fetch that answers from an in-process HTTP handler instead of the network. */

/**
 * A fetch for the demo's OpenAI client: every request goes straight to the demo's handler
 * (whatever its host; only the path matters), never to the network. Like a real fetch, aborting
 * the signal rejects a pending call and makes a body being read fail with the abort reason; the
 * handler's stream is cancelled either way.
 */
export function inProcessFetch(
  handler: (request: Request) => Response | Promise<Response>,
): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const signal = request.signal;
    signal.throwIfAborted();
    const response = await handler(request);
    if (signal.aborted) {
      await response.body?.cancel(signal.reason).catch(() => {});
      throw signal.reason;
    }
    if (!response.body) return response;
    return new Response(abortable(response.body, signal), response);
  };
}

/** Copies `body`, erroring the copy and cancelling the source when the signal aborts. */
function abortable(body: ReadableStream<Uint8Array>, signal: AbortSignal) {
  const reader = body.getReader();
  let onAbort: () => void = () => {};
  return new ReadableStream<Uint8Array>({
    start(controller) {
      onAbort = () => {
        controller.error(signal.reason);
        reader.cancel(signal.reason).catch(() => {});
      };
      signal.addEventListener("abort", onAbort, { once: true });
    },
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          signal.removeEventListener("abort", onAbort);
          controller.close();
        } else controller.enqueue(value);
      } catch (err) {
        signal.removeEventListener("abort", onAbort);
        if (!signal.aborted) controller.error(err);
      }
    },
    cancel(reason) {
      signal.removeEventListener("abort", onAbort);
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}
