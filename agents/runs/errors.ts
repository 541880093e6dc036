/**
 * Why a run could not start, for the caller to tell its client: the conversation does not exist
 * (404), the input is wrong (400: unknown agent, a run id in use), the conversation already has
 * a run (409), its user has too many runs going or started (429, retry after some seconds), or
 * the server cannot take runs now (503: shutting down, or the database is away).
 * routes/errors.ts maps them to the API's error shape.
 */
export class NotFoundError extends Error {}
export class BadRequestError extends Error {}
export class ConflictError extends Error {}
export class RateLimitedError extends Error {
  constructor(message: string, readonly retryAfterS: number) {
    super(message);
  }
}
export class UnavailableError extends Error {
  constructor(message: string, readonly retryAfterS: number) {
    super(message);
  }
}
