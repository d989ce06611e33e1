-- 0010: uploads and message attachments (contract 16 and 19).
--
-- The bytes live on disk as <data>/uploads/<storage_path> (storage_path = upload-<random>,
-- never the client's filename, which lives only in `filename`).  Deleting an upload row, by
-- hand or by a cascade from its workspace or owner, queues its files in
-- pending_upload_cleanups in the same transaction (trigger below); the housekeeping task
-- removes them from disk after the commit.

CREATE TABLE uploads (
    id              TEXT PRIMARY KEY,
    workspace_id    TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    owner_id        TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_nonce    TEXT NOT NULL DEFAULT '',
    filename        TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    byte_size       INTEGER NOT NULL,
    storage_path    TEXT NOT NULL UNIQUE,
    thumbnail_path  TEXT UNIQUE,
    width           INTEGER NOT NULL DEFAULT 0,
    height          INTEGER NOT NULL DEFAULT 0,
    duration_ms     INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX uploads_owner_nonce ON uploads(owner_id, client_nonce) WHERE client_nonce <> '';
CREATE INDEX uploads_quota ON uploads(workspace_id, owner_id);
CREATE INDEX uploads_created ON uploads(created_at);

-- Bytes promised to uploads still in flight, so parallel uploads cannot pass the quota.
CREATE TABLE upload_quota_reservations (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    owner_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    client_nonce  TEXT NOT NULL DEFAULT '',
    byte_size     INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL
) STRICT;
CREATE INDEX upload_quota_reservations_owner
    ON upload_quota_reservations(workspace_id, owner_id, expires_at);
CREATE INDEX upload_quota_reservations_expiry ON upload_quota_reservations(expires_at);

CREATE TABLE message_attachments (
    message_id  TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    upload_id   TEXT NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (message_id, upload_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX message_attachments_upload ON message_attachments(upload_id, message_id);

-- Files to remove from disk (no foreign key: the workspace may be gone already).
CREATE TABLE pending_upload_cleanups (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL,
    storage_path  TEXT NOT NULL UNIQUE,
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;

CREATE TRIGGER uploads_queue_cleanup AFTER DELETE ON uploads
BEGIN
    INSERT OR IGNORE INTO pending_upload_cleanups
        (id, workspace_id, storage_path, created_at, updated_at)
    VALUES ('ucl_' || lower(hex(randomblob(13))), OLD.workspace_id, OLD.storage_path,
            strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000000Z',
            strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000000Z');
    INSERT OR IGNORE INTO pending_upload_cleanups
        (id, workspace_id, storage_path, created_at, updated_at)
    SELECT 'ucl_' || lower(hex(randomblob(13))), OLD.workspace_id, OLD.thumbnail_path,
           strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000000Z',
           strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000000Z'
    WHERE OLD.thumbnail_path IS NOT NULL;
END;
