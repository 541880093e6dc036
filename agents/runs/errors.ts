/**
 * Why a run could not start, for the caller to tell its client: the conversation does not exist
 * (404), the input is wrong (400: unknown agent, a run id in use), or the conversation already has
 * a run (409). routes/errors.ts maps them to the API's error shape.
 */
export class NotFoundError extends Error {}
export class BadRequestError extends Error {}
export class ConflictError extends Error {}
