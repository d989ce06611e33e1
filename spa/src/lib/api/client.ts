// The one way the web app talks HTTP to the server (house-style §4 rule 10): a typed
// openapi-fetch client over the generated schema.d.ts.  Cookie auth (same-origin credentials),
// the CSRF header on every request, and problem+json errors mapped to ApiError.
import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];
export type User = Schemas['User'];
export type Workspace = Schemas['Workspace'];
export type Channel = Schemas['Channel'];
export type Message = Schemas['Message'];
export type MessagePage = Schemas['MessagePage'];
export type RealtimeEvent = Schemas['EventOut'];
export type Problem = Schemas['Problem'];
export type DirectConversation = Schemas['DirectConversation'];
export type ReactionSummary = Schemas['ReactionSummary'];
export type ThreadPage = Schemas['ThreadPage'];
export type ThreadState = Schemas['ThreadState'];
export type Upload = Schemas['Upload'];
export type SignInMethods = Schemas['SignInMethods'];

export type ApiClient = Client<paths>;

/** A failed API call: an HTTP error (with the server's problem+json), or status 0 when the
 *  request never got an answer (offline, server down). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: Partial<Problem> | null;

  constructor(status: number, code: string, message: string, problem: Partial<Problem> | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.problem = problem;
  }

  get isNetwork(): boolean {
    return this.status === 0;
  }

  static fromResponse(response: Response, body: unknown): ApiError {
    const problem = body && typeof body === 'object' ? (body as Partial<Problem>) : null;
    const code = typeof problem?.code === 'string' ? problem.code : `http_${response.status}`;
    const message =
      (typeof problem?.detail === 'string' && problem.detail) ||
      (typeof problem?.error === 'string' && problem.error) ||
      (typeof body === 'string' && body.trim()) ||
      `${response.status} ${response.statusText}`.trim();
    return new ApiError(response.status, code, message, problem);
  }

  static network(cause: unknown): ApiError {
    const err = new ApiError(0, 'network', 'The server could not be reached.');
    (err as { cause?: unknown }).cause = cause;
    return err;
  }
}

export const CSRF_HEADER = 'X-ClickClack-CSRF';

export function createApiClient(options: { baseUrl?: string; fetch?: typeof fetch } = {}): ApiClient {
  return createClient<paths>({
    baseUrl: options.baseUrl ?? '',
    credentials: 'same-origin',
    // Cookie-authenticated writes need it (contract §2.2); harmless on reads.
    headers: { [CSRF_HEADER]: '1' },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

type Outcome<T> = { data?: T; error?: unknown; response: Response };

/** Await an openapi-fetch call and return its data, or throw ApiError. */
export async function unwrap<T>(call: Promise<Outcome<T>>): Promise<T> {
  let outcome: Outcome<T>;
  try {
    outcome = await call;
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw ApiError.network(err);
  }
  const { data, error, response } = outcome;
  if (!response.ok || error !== undefined) throw ApiError.fromResponse(response, error);
  return data as T;
}
