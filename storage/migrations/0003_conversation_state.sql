-- State that python-telegram-bot's persistence keeps: conversations and per-user data.

CREATE TABLE ptb_conversations (
    name  TEXT NOT NULL,
    key   TEXT NOT NULL,      -- JSON array: the conversation key (chat id, user id)
    state TEXT NOT NULL,      -- JSON
    PRIMARY KEY (name, key)
);

CREATE TABLE ptb_user_data (
    user_id INTEGER PRIMARY KEY,
    data    TEXT NOT NULL     -- JSON object
);

CREATE TABLE ptb_chat_data (
    chat_id INTEGER PRIMARY KEY,
    data    TEXT NOT NULL
);
