"""Stage 1 — data: the dataset registry, checks, downloads, readers and the DuckDB store."""

from pactwatch.data.registry import Dataset, FileSpec, registry, find_file, resolve_data_dir
from pactwatch.data.readers import read_table

__all__ = ["Dataset", "FileSpec", "registry", "find_file", "resolve_data_dir", "read_table"]
