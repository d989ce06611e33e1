-- 0005: moderation state per member (contract section 6), the guest post-budget index, and
-- bot setup-nonce bookkeeping (contract 17.4).

-- One row per moderated member; it goes with the membership (leaving a workspace clears it).
CREATE TABLE workspace_member_moderation (
    workspace_id     TEXT NOT NULL,
    user_id          TEXT NOT NULL,
    timeout_until    TEXT,
    blocked_at       TEXT,
    moderation_note  TEXT,
    moderation_by    TEXT REFERENCES users(id) ON DELETE SET NULL,
    moderation_at    TEXT,
    PRIMARY KEY (workspace_id, user_id),
    FOREIGN KEY (workspace_id, user_id)
        REFERENCES workspace_members(workspace_id, user_id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

-- The guest budget (3 posts per rolling 24 h) counts an author's recent messages.
CREATE INDEX messages_author_workspace_created ON messages(author_id, workspace_id, created_at);

-- setup_nonce retries (17.4): what a (creator, nonce) pair created, and a fingerprint of the
-- inputs, so a replay with the same inputs returns the same bot/token and different ones 409.
CREATE TABLE bot_setup_requests (
    created_by    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    setup_nonce   TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('bot', 'token')),
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    bot_user_id   TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_id      TEXT REFERENCES bot_tokens(id) ON DELETE SET NULL,
    fingerprint   TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (created_by, setup_nonce)
) STRICT, WITHOUT ROWID;
CREATE INDEX bot_setup_requests_token ON bot_setup_requests(token_id);
