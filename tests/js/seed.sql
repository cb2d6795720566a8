-- Loaded into the dev primary by the runtime test runners (libsql-edge-primary --seed).
CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL, big INTEGER, data BLOB, note TEXT);
INSERT INTO items VALUES (1, 'apple', 1.5, 9007199254740993, x'00ff10', NULL);
INSERT INTO items VALUES (2, 'banana', 0.25, 42, x'', 'yellow');
INSERT INTO items VALUES (3, 'cherry', 12.0, -9007199254740993, NULL, 'red');
