// The page's few behaviours, as a served script: the Content-Security-Policy allows no inline
// script, and htmx's hx-on attributes would need 'unsafe-eval'. Plain DOM listeners on the
// document, so they also cover elements that later swaps put in.
"use strict";

// Enter sends (unless Shift, or an IME is composing); nothing while Send is disabled.
document.addEventListener("keydown", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLTextAreaElement) || box.id !== "message") return;
  if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
  event.preventDefault();
  if (!document.getElementById("send-button")?.disabled) box.form?.requestSubmit();
});

// The request body is built before this event: clear the box for the next question.
document.addEventListener("htmx:before:request", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.id === "chat-form" && form.message) {
    form.message.value = "";
  }
});

// A re-attached run's stream: the connection indicator follows it.
const setConnection = (state) => (event) => {
  if (event.target?.id !== "run-stream") return;
  document.getElementById("connection")?.setAttribute("data-state", state);
};
document.addEventListener("htmx:sse:after:connection", setConnection("live"));
document.addEventListener("htmx:sse:error", setConnection("reconnecting"));

// The log tail keeps its last data-keep rows: rows arrive by appends, the oldest go here.
document.addEventListener("htmx:after:settle", () => {
  const list = document.getElementById("log-list");
  const keep = Number(list?.dataset.keep);
  if (!list || !(keep > 0)) return;
  while (list.childElementCount > keep) list.firstElementChild.remove();
});

// Buttons that ask first (data-confirm="…"): deleting a user, revoking a key.
document.addEventListener("submit", (event) => {
  const question = event.submitter?.dataset.confirm ?? event.target.dataset?.confirm;
  if (question && !confirm(question)) event.preventDefault();
});

// The logs page's Follow/Pause. Paused, an arriving row waits before it is shown, so the stream
// is no longer read: the server holds what follows (a long pause fills its bounded queue and it
// cuts the stream off; htmx then reconnects with Last-Event-ID and the backlog fills the gap).
let logsResume = null;
document.addEventListener("click", (event) => {
  const button = event.target.closest?.("#logs-follow");
  if (!button) return;
  const pause = logsResume === null;
  if (pause) {
    logsResume = Promise.withResolvers();
  } else {
    logsResume.resolve();
    logsResume = null;
  }
  button.dataset.state = pause ? "paused" : "following";
  button.setAttribute("aria-pressed", pause ? "false" : "true");
  button.textContent = pause ? "Follow" : "Pause";
});
document.addEventListener("htmx:sse:before:message", (event) => {
  if (event.target?.id === "logs-live" && logsResume) event.detail.waitUntil(logsResume.promise);
});
// Live rows go on top; the oldest live rows beyond data-keep go.
document.addEventListener("htmx:after:settle", () => {
  const live = document.getElementById("log-live");
  const keep = Number(live?.dataset.keep);
  if (!live || !(keep > 0)) return;
  while (live.childElementCount > keep) live.lastElementChild.remove();
  document.getElementById("logs-empty")?.toggleAttribute("hidden", live.childElementCount > 0);
});
