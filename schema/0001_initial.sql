-- 0001: the minimum domain (contract section 19): users, identities, sessions, magic links,
-- workspaces, members, channels, messages with thread state, read pointers, and the durable
-- event log with its recipient allow-list.
-- Timestamps are RFC 3339 strings with nanoseconds: fixed width, so text order = time order.

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    kind           TEXT NOT NULL DEFAULT 'human' CHECK (kind IN ('human', 'bot')),
    display_name   TEXT NOT NULL,
    handle         TEXT NOT NULL DEFAULT '',
    avatar_url     TEXT NOT NULL DEFAULT '',
    owner_user_id  TEXT REFERENCES users(id) ON DELETE CASCADE,
    created_at     TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX users_handle ON users(handle) WHERE handle <> '';
CREATE INDEX users_created ON users(created_at, id);

CREATE TABLE identities (
    id                TEXT PRIMARY KEY,
    user_id           TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    provider          TEXT NOT NULL,
    provider_subject  TEXT NOT NULL,
    email             TEXT NOT NULL DEFAULT '',
    created_at        TEXT NOT NULL,
    UNIQUE (provider, provider_subject)
) STRICT;
CREATE INDEX identities_user ON identities(user_id);
CREATE INDEX identities_email ON identities(email);

CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    user_id     TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    revoked_at  TEXT
) STRICT;
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE auth_magic_links (
    id            TEXT PRIMARY KEY,
    token_hash    TEXT NOT NULL UNIQUE,
    email         TEXT NOT NULL,
    display_name  TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    used_at       TEXT
) STRICT;

CREATE TABLE workspaces (
    id          TEXT PRIMARY KEY,
    route_id    TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL UNIQUE,
    icon_url    TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
) STRICT;

CREATE TABLE workspace_members (
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role          TEXT NOT NULL CHECK (role IN ('owner', 'moderator', 'member', 'guest', 'bot')),
    created_at    TEXT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX workspace_members_user ON workspace_members(user_id, workspace_id);

CREATE TABLE channels (
    id                TEXT PRIMARY KEY,
    route_id          TEXT NOT NULL,
    workspace_id      TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    name              TEXT NOT NULL,
    kind              TEXT NOT NULL DEFAULT 'public',
    display_title     TEXT NOT NULL DEFAULT '',
    created_by        TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at        TEXT NOT NULL,
    archived_at       TEXT,
    last_seq          INTEGER NOT NULL DEFAULT 0,
    UNIQUE (workspace_id, name),
    UNIQUE (workspace_id, route_id)
) STRICT;

CREATE TABLE messages (
    id                    TEXT PRIMARY KEY,
    workspace_id          TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    channel_id            TEXT REFERENCES channels(id) ON DELETE CASCADE,
    author_id             TEXT NOT NULL REFERENCES users(id),
    parent_message_id     TEXT REFERENCES messages(id) ON DELETE CASCADE,
    thread_root_id        TEXT NOT NULL,
    channel_seq           INTEGER,
    thread_seq            INTEGER,
    body                  TEXT NOT NULL,
    body_format           TEXT NOT NULL DEFAULT 'markdown',
    kind                  TEXT NOT NULL DEFAULT 'message',
    client_nonce          TEXT NOT NULL DEFAULT '',
    created_at            TEXT NOT NULL,
    edited_at             TEXT,
    deleted_at            TEXT
) STRICT;
CREATE UNIQUE INDEX messages_channel_seq ON messages(channel_id, channel_seq)
    WHERE channel_seq IS NOT NULL;
CREATE UNIQUE INDEX messages_thread_seq ON messages(thread_root_id, thread_seq)
    WHERE thread_seq IS NOT NULL;
CREATE UNIQUE INDEX messages_author_nonce ON messages(author_id, client_nonce)
    WHERE client_nonce <> '';

CREATE TABLE thread_state (
    root_message_id             TEXT PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    reply_count                 INTEGER NOT NULL DEFAULT 0,
    last_reply_at               TEXT,
    last_reply_author_ids_json  TEXT NOT NULL DEFAULT '[]'
) STRICT, WITHOUT ROWID;

CREATE TABLE channel_reads (
    channel_id     TEXT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    last_read_seq  INTEGER NOT NULL DEFAULT 0,
    last_read_at   TEXT NOT NULL,
    PRIMARY KEY (channel_id, user_id)
) STRICT, WITHOUT ROWID;

-- The durable log.  Every mutation appends its event(s) in the same transaction.  Cursors are
-- globally increasing in commit order (the writer reads MAX(cursor) inside BEGIN IMMEDIATE).
CREATE TABLE events (
    id            TEXT PRIMARY KEY,
    cursor        TEXT NOT NULL UNIQUE,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    channel_id    TEXT,
    type          TEXT NOT NULL,
    seq           INTEGER,
    payload_json  TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    is_private    INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX events_workspace_cursor ON events(workspace_id, cursor);

CREATE TABLE event_recipients (
    event_id  TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    user_id   TEXT NOT NULL,
    PRIMARY KEY (event_id, user_id)
) STRICT, WITHOUT ROWID;
