-- 0002: bots and their workspace-bound, scoped tokens (contract section 17).
CREATE TABLE bot_tokens (
    id             TEXT PRIMARY KEY,
    token_hash     TEXT NOT NULL UNIQUE,
    bot_user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    workspace_id   TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    owner_user_id  TEXT REFERENCES users(id) ON DELETE CASCADE,
    name           TEXT NOT NULL DEFAULT 'default',
    scopes_json    TEXT NOT NULL,
    created_by     TEXT,
    setup_nonce    TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    last_used_at   TEXT,
    revoked_at     TEXT
) STRICT;
CREATE INDEX bot_tokens_bot ON bot_tokens(bot_user_id, workspace_id);
CREATE UNIQUE INDEX bot_tokens_setup_nonce ON bot_tokens(created_by, setup_nonce)
    WHERE setup_nonce <> '';

CREATE TABLE bot_tombstones (
    bot_user_id    TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    former_handle  TEXT NOT NULL DEFAULT '',
    deleted_at     TEXT NOT NULL,
    deleted_by     TEXT
) STRICT, WITHOUT ROWID;
