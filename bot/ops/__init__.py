"""Running the bot on a server: the monitor (heartbeat, metrics, health), the requests to
the messenger (proxy), the health endpoint, scheduled backups and restore, JSON logs, and
`tashilyar status`."""
