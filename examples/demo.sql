-- The demo database `npm start` seeds the dev primary with.
CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, created_at TEXT NOT NULL DEFAULT (datetime('now')));
INSERT INTO notes(body) VALUES ('reads are served from the replica inside the Worker');
INSERT INTO notes(body) VALUES ('writes go to the primary and are read back at once');
INSERT INTO notes(body) VALUES ('the replica syncs on cold start and every syncInterval seconds');
