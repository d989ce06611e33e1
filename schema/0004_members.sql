-- 0004: the member directory's sort keys and page index (contract section 5), and invites (D5).

-- Directory order: role rank, then the lower-cased display name (or handle, or id), then the
-- lower-cased handle, then the user id.  role_sort is derived from role by SQLite itself, so no
-- code path that changes a role can leave it stale.  sort_name and sort_handle come from the
-- users row: the store computes them in Python (Unicode lower-casing) whenever it inserts a
-- membership or changes a name/handle (store.workspaces.refresh_member_sort_keys).  The two
-- triggers below are a safety net for code paths that do not: they fill in SQLite's lower()
-- (ASCII only), which agrees with Python's for ASCII names.
ALTER TABLE workspace_members ADD COLUMN role_sort INTEGER GENERATED ALWAYS AS (
    CASE role WHEN 'owner' THEN 0 WHEN 'moderator' THEN 1 WHEN 'member' THEN 2
              WHEN 'bot' THEN 3 ELSE 4 END) VIRTUAL;
ALTER TABLE workspace_members ADD COLUMN sort_name TEXT NOT NULL DEFAULT '';
ALTER TABLE workspace_members ADD COLUMN sort_handle TEXT NOT NULL DEFAULT '';

UPDATE workspace_members SET
    sort_name = (SELECT lower(CASE WHEN trim(u.display_name) <> '' THEN trim(u.display_name)
                                   WHEN u.handle <> '' THEN u.handle ELSE u.id END)
                   FROM users u WHERE u.id = workspace_members.user_id),
    sort_handle = (SELECT lower(u.handle) FROM users u WHERE u.id = workspace_members.user_id);

CREATE INDEX workspace_members_page
    ON workspace_members(workspace_id, role_sort, sort_name, sort_handle, user_id);

CREATE TRIGGER workspace_members_sort_keys_on_insert AFTER INSERT ON workspace_members
WHEN NEW.sort_name = ''
BEGIN
    UPDATE workspace_members SET
        sort_name = (SELECT lower(CASE WHEN trim(u.display_name) <> '' THEN trim(u.display_name)
                                       WHEN u.handle <> '' THEN u.handle ELSE u.id END)
                       FROM users u WHERE u.id = NEW.user_id),
        sort_handle = (SELECT lower(u.handle) FROM users u WHERE u.id = NEW.user_id)
    WHERE workspace_id = NEW.workspace_id AND user_id = NEW.user_id;
END;

CREATE TRIGGER users_member_sort_keys AFTER UPDATE OF display_name, handle ON users
BEGIN
    UPDATE workspace_members SET
        sort_name = lower(CASE WHEN trim(NEW.display_name) <> '' THEN trim(NEW.display_name)
                               WHEN NEW.handle <> '' THEN NEW.handle ELSE NEW.id END),
        sort_handle = lower(NEW.handle)
    WHERE user_id = NEW.id;
END;

-- Invites (D5).  Only the SHA-256 of the token is stored.  uses/max_uses are checked and
-- incremented inside the single writer's transaction, so a 1-use invite admits exactly one.
-- created_by is NULL for invites made by an operator with the CLI.
CREATE TABLE invites (
    id            TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    token_hash    TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('member')),
    created_by    TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    max_uses      INTEGER NOT NULL CHECK (max_uses >= 1),
    uses          INTEGER NOT NULL DEFAULT 0 CHECK (uses >= 0 AND uses <= max_uses),
    accepted_at   TEXT,
    revoked_at    TEXT
) STRICT;
CREATE INDEX invites_workspace ON invites(workspace_id, created_at);
