/**
 * A refused account operation, with the HTTP status a route answers: a bad value (400), not
 * allowed (403), no such user or key (404), or a conflict such as an email in use or the last
 * admin (409). The message is safe to show: it never contains a secret.
 */
export class AccountError extends Error {
  constructor(readonly status: 400 | 403 | 404 | 409, message: string) {
    super(message);
    this.name = "AccountError";
  }
}
