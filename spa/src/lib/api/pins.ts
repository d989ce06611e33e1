// A channel's pinned messages (contract §11) through the generated client.
import { type ApiClient, type Message, createApiClient, unwrap } from './client';

export interface PinsSource {
  pins(channelId: string): Promise<Message[]>;
}

export class PinsApi implements PinsSource {
  constructor(readonly client: ApiClient = createApiClient()) {}

  async pins(channelId: string): Promise<Message[]> {
    const params = { path: { channel_id: channelId }, query: { limit: 100 } };
    return (await unwrap(this.client.GET('/api/channels/{channel_id}/pins', { params }))).messages;
  }
}
