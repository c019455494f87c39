"""Stage 1 — data: the dataset registry, checks, downloads, readers and the DuckDB store."""

from pactwatch.data.registry import Dataset, FileSpec, registry, find_file, resolve_data_dir


def __getattr__(name: str):
    # read_table lives in readers, which imports pandas on use only; importing the package stays light
    if name == "read_table":
        from pactwatch.data.readers import read_table

        return read_table
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Dataset", "FileSpec", "registry", "find_file", "resolve_data_dir", "read_table"]
