"""pactwatch in a browser: ``create_app()`` (FastAPI) with pages and a REST API; ``pactwatch serve`` runs it."""
