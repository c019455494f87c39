"""News reader: articles from text, HTML, RSS/Atom and JSON Lines into a DuckDB store keyed by content hash."""
from pactwatch.news.ingest import Article, IngestError, Skip, read_articles
from pactwatch.news.store import connect, default_news_db, ingest, ingest_files

__all__ = ["Article", "IngestError", "Skip", "read_articles", "connect", "default_news_db", "ingest", "ingest_files"]
