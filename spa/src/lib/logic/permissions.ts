// Who may do what to a message (the server decides; these only choose which buttons to show).
import type { Message } from '../api/client';

export type Role = 'owner' | 'moderator' | 'member' | 'guest' | 'bot' | null | undefined;

/** Authors edit their own ordinary messages (agent activity rows are not edited by hand). */
export function canEdit(m: Message, meId: string | null): boolean {
  return !m.deleted_at && !!meId && m.author_id === meId && (!m.kind || m.kind === 'message');
}

/** Authors delete their own; owners and moderators may delete channel messages (DMs are
 *  author-only). */
export function canDelete(m: Message, meId: string | null, role: Role): boolean {
  if (m.deleted_at) return false;
  if (meId && m.author_id === meId) return true;
  return !!m.channel_id && (role === 'owner' || role === 'moderator');
}
