"""Storage for homevisit: SQLAlchemy models, sessions and migrations. Knows nothing of Telegram."""
