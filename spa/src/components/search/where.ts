// Where a search hit lives, as a short label: "#general", or the DM's other members.
import type { DirectConversation } from '../../lib/api/client';
import type { SearchResult } from '../../lib/api/search';

export function whereLabel(
  r: Pick<SearchResult, 'channel_name' | 'direct_conversation_id'>,
  dms: readonly Pick<DirectConversation, 'id' | 'members'>[],
  meId: string | null,
): string {
  if (r.channel_name) return `#${r.channel_name}`;
  if (r.direct_conversation_id) {
    const dm = dms.find((d) => d.id === r.direct_conversation_id);
    const others = (dm?.members ?? []).filter((m) => m.id !== meId);
    const names = others.map((m) => m.display_name || m.handle || 'someone');
    return names.length ? `DM with ${names.join(', ')}` : 'Direct message';
  }
  return 'Unknown conversation';
}
