-- 0009: message search (contract 15 with D8): a word index and a substring index over the
-- bodies of live messages, kept in step by triggers inside the writer's transaction.
--
-- Documents are the rows of message_search_docs: messages of kind 'message' that are not
-- deleted, keyed by messages.rowid.  Both FTS5 tables use that view as *external content*
-- (rather than contentless tables) because:
--   * the body is stored once (in messages), not three times;
--   * highlight() works on the word index (the search module uses it to mark stemmed and
--     phrase matches exactly as FTS5 matched them);
--   * INSERT INTO t(t) VALUES('rebuild') rebuilds an index from the view, i.e. exactly the
--     documents the triggers maintain (deleted and non-message rows are not in the view), so
--     the backfill below and bulk loads (scripts/bench_search.py) produce what the triggers do.
-- The triggers always hand FTS5 the values that were indexed (OLD.body on delete/update), as
-- external-content tables require.  messages has no INTEGER PRIMARY KEY, so the key is its
-- implicit rowid: stable across updates, VACUUM (SQLite 3.40 keeps rowids) and backups; new rows
-- get MAX(rowid)+1, so rowid order is insertion (= commit) order, which search uses for
-- "newest first".  Anything that ever renumbers messages' rowids must run 'rebuild' on both
-- tables afterwards.
--
-- message_search_words: porter stemming over unicode61 (case- and accent-insensitive words).
-- prefix='2' indexes two-character prefixes: two-character search terms are word prefixes,
-- and FTS5 prefix queries without a prefix index merge every matching term's doclist.
CREATE VIEW message_search_docs AS
    SELECT rowid AS rid, body FROM messages WHERE kind = 'message' AND deleted_at IS NULL;

CREATE VIRTUAL TABLE message_search_words USING fts5(
    body, content = 'message_search_docs', content_rowid = 'rid',
    tokenize = 'porter unicode61', prefix = '2'
);

-- message_search_trigrams: every three-character sequence (case-folded), so a substring of
-- three or more characters ('stna' in 'hostname', a piece of a URL) is found through the
-- index.  detail='none' stores document ids only (about 3.5x smaller than positions and
-- cheaper to maintain): the search module ANDs the substring's trigrams to get candidates and
-- confirms each with LIKE on the body.  Shorter terms cannot use trigrams; they fall back to
-- the word index (as word prefixes).
CREATE VIRTUAL TABLE message_search_trigrams USING fts5(
    body, content = 'message_search_docs', content_rowid = 'rid',
    tokenize = 'trigram', detail = 'none'
);

CREATE TRIGGER message_search_insert AFTER INSERT ON messages
WHEN NEW.kind = 'message' AND NEW.deleted_at IS NULL
BEGIN
    INSERT INTO message_search_words (rowid, body) VALUES (NEW.rowid, NEW.body);
    INSERT INTO message_search_trigrams (rowid, body) VALUES (NEW.rowid, NEW.body);
END;

-- One trigger for updates, so the old entry is always removed before the new one is added
-- (two triggers on the same event would fire in an order we do not control).  It runs only
-- when the body or the "is a live message" state changed.
CREATE TRIGGER message_search_update AFTER UPDATE OF body, deleted_at, kind ON messages
WHEN OLD.body IS NOT NEW.body
  OR (OLD.kind = 'message' AND OLD.deleted_at IS NULL)
     IS NOT (NEW.kind = 'message' AND NEW.deleted_at IS NULL)
BEGIN
    INSERT INTO message_search_words (message_search_words, rowid, body)
        SELECT 'delete', OLD.rowid, OLD.body WHERE OLD.kind = 'message' AND OLD.deleted_at IS NULL;
    INSERT INTO message_search_trigrams (message_search_trigrams, rowid, body)
        SELECT 'delete', OLD.rowid, OLD.body WHERE OLD.kind = 'message' AND OLD.deleted_at IS NULL;
    INSERT INTO message_search_words (rowid, body)
        SELECT NEW.rowid, NEW.body WHERE NEW.kind = 'message' AND NEW.deleted_at IS NULL;
    INSERT INTO message_search_trigrams (rowid, body)
        SELECT NEW.rowid, NEW.body WHERE NEW.kind = 'message' AND NEW.deleted_at IS NULL;
END;

CREATE TRIGGER message_search_delete AFTER DELETE ON messages
WHEN OLD.kind = 'message' AND OLD.deleted_at IS NULL
BEGIN
    INSERT INTO message_search_words (message_search_words, rowid, body)
        VALUES ('delete', OLD.rowid, OLD.body);
    INSERT INTO message_search_trigrams (message_search_trigrams, rowid, body)
        VALUES ('delete', OLD.rowid, OLD.body);
END;

-- Scoped searches (one channel or DM, in:#channel, guests' #guest) walk the conversation's
-- messages newest first through these (an index on one column also orders by rowid), instead
-- of walking a term's matches across the whole database.
CREATE INDEX messages_search_channel ON messages(channel_id) WHERE channel_id IS NOT NULL;
CREATE INDEX messages_search_dm ON messages(direct_conversation_id)
    WHERE direct_conversation_id IS NOT NULL;

-- Backfill the messages that exist already, then merge each index into one segment (a rebuild
-- leaves many; later commits would keep merging into them).
INSERT INTO message_search_words (message_search_words) VALUES ('rebuild');
INSERT INTO message_search_trigrams (message_search_trigrams) VALUES ('rebuild');
INSERT INTO message_search_words (message_search_words) VALUES ('optimize');
INSERT INTO message_search_trigrams (message_search_trigrams) VALUES ('optimize');
