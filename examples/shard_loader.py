"""Reading curate's shards in a training job.

`shards/` holds Arrow IPC stream files (`data-XXXXX-of-NNNNN.arrow`) whose `input_ids`
column is a list of exactly `seq_len` uint32 token ids per row, and a `manifest.json` that
lists them in order. This module needs only pyarrow and numpy; `PackedShardDataset` adds a
PyTorch `IterableDataset` on top when torch is installed.

Order and splitting. The shards, read in manifest order, form one global sequence of rows
(already shuffled by curate). Data-parallel rank `r` of `world_size` reads global rows
`r, r + world_size, r + 2 * world_size, ...`: its *stream*. Within a rank, dataloader
workers take consecutive blocks of `batch_size` rows of that stream in turn (worker `k` of
`K` takes blocks `k, k + K, ...`), which is exactly the order in which PyTorch's
`DataLoader` hands their batches back. So the batches a rank trains on are its stream in
order, whatever the number of workers, and a resume point is one number: how many rows of
the stream were consumed (or the `(shard, row)` of the next one, see `position`).

Files are memory-mapped: a worker touches only the pages of the rows it reads, and the OS
page cache shares them between workers on one machine.
"""

from __future__ import annotations

import bisect
import json
import os
from typing import Iterator, List, Optional, Tuple

import numpy as np
import pyarrow as pa


class ShardSet:
    """The shards of one curate run, addressed by global row index."""

    def __init__(self, path: str):
        if os.path.isfile(os.path.join(path, "shards", "manifest.json")):
            path = os.path.join(path, "shards")
        self.path = path
        with open(os.path.join(path, "manifest.json")) as f:
            self.manifest = json.load(f)
        self.seq_len: int = self.manifest["seq_len"]
        self.files: List[str] = [s["file"] for s in self.manifest["shards"]]
        self.starts: List[int] = []
        total = 0
        for shard in self.manifest["shards"]:
            self.starts.append(total)
            total += shard["sequences"]
        self.total = total
        self._tables: dict = {}

    def __len__(self) -> int:
        return self.total

    def locate(self, index: int) -> Tuple[int, int]:
        """The `(shard, row)` of a global row index."""
        if not 0 <= index < self.total:
            raise IndexError(index)
        shard = bisect.bisect_right(self.starts, index) - 1
        return shard, index - self.starts[shard]

    def index(self, shard: int, row: int) -> int:
        """The global row index of `(shard, row)`."""
        return self.starts[shard] + row

    def table(self, shard: int) -> pa.Table:
        """A shard as a table backed by a memory map (no copy)."""
        table = self._tables.get(shard)
        if table is None:
            source = pa.memory_map(os.path.join(self.path, self.files[shard]), "r")
            table = pa.ipc.open_stream(source).read_all()
            self._tables[shard] = table
        return table

    def sequence(self, index: int) -> np.ndarray:
        """The token ids of one row, as a uint32 array of `seq_len` (a view when possible)."""
        shard, row = self.locate(index)
        column = self.table(shard).column("input_ids")
        # Find the chunk holding the row, then slice its flat values.
        for chunk in column.chunks:
            if row < len(chunk):
                start = chunk.offsets[row].as_py()
                end = chunk.offsets[row + 1].as_py()
                return chunk.values.slice(start, end - start).to_numpy(zero_copy_only=True)
            row -= len(chunk)
        raise IndexError(index)


class RankStream:
    """The rows one data-parallel rank reads, in order, split over dataloader workers."""

    def __init__(self, shards: ShardSet, rank: int = 0, world_size: int = 1, start: int = 0):
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is not in 0..{world_size}")
        self.shards = shards
        self.rank = rank
        self.world_size = world_size
        self.start = start

    def __len__(self) -> int:
        """Rows in this rank's stream (ranks differ by at most one)."""
        n = len(self.shards)
        return max(0, (n - self.rank + self.world_size - 1) // self.world_size)

    def global_index(self, local: int) -> int:
        return self.rank + local * self.world_size

    def local_indices(self, worker: int = 0, workers: int = 1, batch_size: int = 1) -> Iterator[int]:
        """Stream positions worker `worker` of `workers` yields, from `start` on: blocks of
        `batch_size` consecutive positions, every `workers`-th block."""
        length = len(self)
        block = self.start + worker * batch_size
        while block < length:
            for local in range(block, min(block + batch_size, length)):
                yield local
            block += workers * batch_size

    def position(self, consumed: int) -> Optional[Tuple[int, int]]:
        """The `(shard, row)` of the next row after `consumed` rows of this stream (counted
        from the beginning, not from `start`); None at the end."""
        if consumed >= len(self):
            return None
        return self.shards.locate(self.global_index(consumed))

    @staticmethod
    def consumed_at(shards: ShardSet, rank: int, world_size: int, position: Tuple[int, int]) -> int:
        """The inverse of `position`: rows of the rank's stream before `(shard, row)`."""
        index = shards.index(*position)
        if (index - rank) % world_size:
            raise ValueError(f"{position} is not in the stream of rank {rank} of {world_size}")
        return (index - rank) // world_size

    def iterate(self, worker: int = 0, workers: int = 1, batch_size: int = 1) -> Iterator[Tuple[int, np.ndarray]]:
        """`(stream position, token ids)` for one worker."""
        for local in self.local_indices(worker, workers, batch_size):
            yield local, self.shards.sequence(self.global_index(local))


try:  # The PyTorch side is optional: the rest of this module needs only pyarrow.
    import torch
    from torch.utils.data import IterableDataset, get_worker_info

    class PackedShardDataset(IterableDataset):
        """Token sequences of a curate run for one rank, as int64 tensors of `seq_len`.

        Use with `DataLoader(dataset, batch_size=batch_size, num_workers=K)` and the same
        `batch_size` here; resume by passing `start` = rows of this rank's stream already
        trained on (see `RankStream.position` / `consumed_at` for the `(shard, row)` form).
        """

        def __init__(self, path: str, rank: int = 0, world_size: int = 1, batch_size: int = 1, start: int = 0):
            super().__init__()
            self.path = path
            self.rank = rank
            self.world_size = world_size
            self.batch_size = batch_size
            self.start = start

        def __iter__(self):
            info = get_worker_info()
            worker, workers = (info.id, info.num_workers) if info is not None else (0, 1)
            stream = RankStream(ShardSet(self.path), self.rank, self.world_size, self.start)
            for _, ids in stream.iterate(worker, workers, self.batch_size):
                yield torch.from_numpy(ids.astype(np.int64))

except ImportError:  # pragma: no cover - torch is optional
    PackedShardDataset = None  # type: ignore[assignment,misc]
