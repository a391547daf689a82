"""A local Bot API sandbox: a small aiohttp server that speaks the Telegram Bot API
methods homevisit uses, and players that act as users. The tests and `homevisit demo`
run the real bot against it; no token and no network are needed."""
