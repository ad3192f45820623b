"""Where the telemetry lake's files live: a local folder or S3-compatible object storage.

    Store("/data/wattprint.lake")          a folder (the default: beside the warehouse file)
    Store("s3://bucket/prefix")            S3 or an S3-compatible server (MinIO, Ceph, ...)

S3 goes through pyarrow's own S3 filesystem (no DuckDB extension: DuckDB cannot download its
httpfs extension on these machines). Credentials and the endpoint come only from the environment
(`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`, and
`AWS_ENDPOINT_URL` for a server other than AWS), never from the config file. A write on S3 is one
PUT, so a reader sees a whole object or none; in a folder a file is written under a hidden name
and renamed. Either way nothing counts until `lake_files` lists it.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

import polars as pl
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq


class Store:
    def __init__(self, root: str | Path) -> None:
        self.root = str(root).rstrip("/")

    @property
    def remote(self) -> bool:
        return self.root.startswith("s3://")

    @cached_property
    def fs(self) -> pafs.FileSystem:
        if not self.remote:
            return pafs.LocalFileSystem()
        endpoint = os.environ.get("AWS_ENDPOINT_URL")
        return pafs.S3FileSystem(
            endpoint_override=endpoint,
            region=os.environ.get("AWS_REGION", "us-east-1"),
            scheme="http" if endpoint and endpoint.startswith("http://") else "https",
        )

    @property
    def base(self) -> str:
        """The root as the filesystem names it (no scheme)."""
        return self.root.removeprefix("s3://")

    def path(self, rel: str) -> str:
        return f"{self.base}/{rel}"

    def local(self, rel: str) -> Path:
        """A file's local path (folder stores only): what DuckDB reads natively."""
        if self.remote:
            raise ValueError(f"{self.root} is object storage, not a folder")
        return Path(self.base) / rel

    def write_parquet(self, rel: str, frame: pl.DataFrame) -> int:
        """Write a frame as the Parquet file `rel`; its size in bytes."""
        if not self.remote:
            target = self.local(rel)
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name("." + target.name + ".tmp")
            frame.write_parquet(tmp, statistics=True)
            os.replace(tmp, target)
            return target.stat().st_size
        pq.write_table(frame.to_arrow(), self.path(rel), filesystem=self.fs)
        return self.fs.get_file_info(self.path(rel)).size

    def remove(self, rels: list[str]) -> None:
        for rel in rels:
            try:
                self.fs.delete_file(self.path(rel))
            except FileNotFoundError:
                pass

    def remove_tree(self, rel: str) -> None:
        try:
            self.fs.delete_dir(self.path(rel))
        except FileNotFoundError:
            pass

    def exists(self, rel: str) -> bool:
        return self.fs.get_file_info(self.path(rel)).type == pafs.FileType.File

    def files(self, prefix: str) -> list[str]:
        """Every file under `prefix`, relative to the root."""
        found = self.fs.get_file_info(
            pafs.FileSelector(self.path(prefix), allow_not_found=True, recursive=True)
        )
        return sorted(
            f.path.removeprefix(self.base + "/") for f in found if f.type == pafs.FileType.File
        )

    def write_text(self, rel: str, text: str) -> None:
        with self.fs.open_output_stream(self.path(rel)) as out:
            out.write(text.encode())

    def read_text(self, rel: str) -> str:
        with self.fs.open_input_stream(self.path(rel)) as f:
            return f.read().decode()

    def read_parquet(self, rel: str) -> pl.DataFrame:
        return pl.from_arrow(pq.read_table(self.path(rel), filesystem=self.fs))  # type: ignore[return-value]

    def dataset(self, rels: list[str], schema=None) -> ds.Dataset:
        return ds.dataset(
            [self.path(r) for r in rels], filesystem=self.fs, format="parquet", schema=schema
        )

    def scan(self, rels: list[str], columns: list[str]) -> pl.LazyFrame:
        """The files as one lazy frame of `columns` (polars reads a folder's files itself; object
        storage through pyarrow's dataset, filters pushed down to row groups either way)."""
        if not self.remote:
            return pl.scan_parquet([self.local(r) for r in rels]).select(columns)
        return pl.scan_pyarrow_dataset(self.dataset(rels)).select(columns)
