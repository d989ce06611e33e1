// GET /api/search through the generated client (contract §15 with D8).
import { type ApiClient, type Schemas, createApiClient, unwrap } from './client';

export type SearchResult = Schemas['SearchResult'];
export type SearchPage = Schemas['SearchPage'];

export interface SearchParams {
  workspaceId: string;
  q: string;
  cursor?: string | null;
  limit?: number;
}

export interface SearchSource {
  search(params: SearchParams): Promise<SearchPage>;
}

export class SearchApi implements SearchSource {
  constructor(readonly client: ApiClient = createApiClient()) {}

  async search({ workspaceId, q, cursor, limit }: SearchParams): Promise<SearchPage> {
    const query: { workspace_id: string; q: string; cursor?: string; limit?: number; sort: 'newest' } = {
      workspace_id: workspaceId,
      q,
      sort: 'newest',
    };
    if (cursor) query.cursor = cursor;
    if (limit) query.limit = limit;
    return unwrap(this.client.GET('/api/search', { params: { query } }));
  }
}
