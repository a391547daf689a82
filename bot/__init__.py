"""homevisit: a Telegram bot that helps a primary school visit every family."""
