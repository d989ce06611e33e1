-- 0008: topics, labels for messages (contract 7.1): workspace-wide or scoped to one channel.
CREATE TABLE topics (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    channel_id    TEXT REFERENCES channels(id) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    created_by    TEXT,
    created_at    TEXT NOT NULL,
    archived_at   TEXT
) STRICT;
CREATE UNIQUE INDEX topics_name ON topics(workspace_id, COALESCE(channel_id, ''), name);
ALTER TABLE messages ADD COLUMN topic_id TEXT REFERENCES topics(id) ON DELETE SET NULL;
CREATE INDEX messages_topic ON messages(topic_id, channel_seq);
CREATE INDEX topics_channel ON topics(channel_id);
