-- 0003: profile settings (contract section 4) and password sign-in (opt-in, section 2.2).
-- A missing row means "all defaults" (notifications off, appearance = client defaults, no
-- password), so existing users need no backfill.

CREATE TABLE user_notification_settings (
    user_id            TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    pushover_enabled   INTEGER NOT NULL DEFAULT 0 CHECK (pushover_enabled IN (0, 1)),
    pushover_user_key  TEXT NOT NULL DEFAULT '',
    updated_at         TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- '' means "the client's default" for every field (the API stores a default word as '').
CREATE TABLE user_appearance_preferences (
    user_id         TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    color_mode      TEXT NOT NULL DEFAULT '',
    board_theme     TEXT NOT NULL DEFAULT '',
    message_layout  TEXT NOT NULL DEFAULT '',
    density         TEXT NOT NULL DEFAULT '',
    updated_at      TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- argon2id PHC strings (argon2-cffi); never the password.
CREATE TABLE user_passwords (
    user_id        TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    password_hash  TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
) STRICT, WITHOUT ROWID;
