-- 0007: the full message model (contract sections 7-13, D6, D9): rendered bodies, quotes,
-- mentions, reactions, pins, private channels with members, channel purpose, direct
-- conversations with members, hidden flags and read pointers.

ALTER TABLE channels ADD COLUMN purpose TEXT NOT NULL DEFAULT '';

CREATE TABLE channel_members (
    channel_id  TEXT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (channel_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX channel_members_user ON channel_members(user_id);

CREATE TABLE direct_conversations (
    id              TEXT PRIMARY KEY,
    route_id        TEXT NOT NULL,
    workspace_id    TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    member_set_key  TEXT,
    last_seq        INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    UNIQUE (workspace_id, route_id)
) STRICT;
CREATE UNIQUE INDEX direct_conversations_pair ON direct_conversations(workspace_id, member_set_key)
    WHERE member_set_key IS NOT NULL;

CREATE TABLE direct_conversation_members (
    conversation_id  TEXT NOT NULL REFERENCES direct_conversations(id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at       TEXT NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX direct_conversation_members_user ON direct_conversation_members(user_id);

CREATE TABLE direct_conversation_hidden (
    conversation_id  TEXT NOT NULL REFERENCES direct_conversations(id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    hidden_at        TEXT NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE direct_reads (
    conversation_id  TEXT NOT NULL REFERENCES direct_conversations(id) ON DELETE CASCADE,
    user_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    last_read_seq    INTEGER NOT NULL DEFAULT 0,
    last_read_at     TEXT NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
) STRICT, WITHOUT ROWID;

ALTER TABLE messages ADD COLUMN direct_conversation_id TEXT
    REFERENCES direct_conversations(id) ON DELETE CASCADE;
ALTER TABLE messages ADD COLUMN body_html TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN quoted_message_id TEXT REFERENCES messages(id) ON DELETE SET NULL;
ALTER TABLE messages ADD COLUMN quoted_body_snapshot TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN quoted_author_id TEXT;
ALTER TABLE messages ADD COLUMN mentions_channel INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN mentions_here INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX messages_dm_seq ON messages(direct_conversation_id, channel_seq)
    WHERE direct_conversation_id IS NOT NULL AND channel_seq IS NOT NULL;
CREATE INDEX messages_parent ON messages(parent_message_id) WHERE parent_message_id IS NOT NULL;
-- Foreign keys are checked through an index on the child column (cascades stay cheap).
CREATE INDEX messages_quoted ON messages(quoted_message_id);
CREATE INDEX messages_dm ON messages(direct_conversation_id);

CREATE TABLE message_mentions (
    message_id  TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (message_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX message_mentions_user ON message_mentions(user_id, message_id);

CREATE TABLE reactions (
    message_id  TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    emoji       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (message_id, user_id, emoji)
) STRICT, WITHOUT ROWID;

CREATE TABLE pinned_messages (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    channel_id    TEXT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    message_id    TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    pinned_by     TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    UNIQUE (channel_id, message_id)
) STRICT;
CREATE INDEX pinned_messages_message ON pinned_messages(message_id);
CREATE INDEX pinned_messages_workspace ON pinned_messages(workspace_id);
CREATE INDEX direct_conversation_hidden_user ON direct_conversation_hidden(user_id);
CREATE INDEX direct_reads_user ON direct_reads(user_id);
CREATE INDEX reactions_user ON reactions(user_id);
