"""The web server in the bot's process (issue 21): the webhook, /healthz, /metrics, and the
dashboard with its JSON API, one Starlette app (`web.app.build_web_app`) served by uvicorn
(`web.server.WebServer`)."""
