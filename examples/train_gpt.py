"""A tiny GPT trained on curate's shards: the whole path from a run directory to a loss.

    python examples/train_gpt.py runs/finance --steps 50
    python examples/train_gpt.py runs/finance --steps 100 --resume ckpt.pt

Runs on the GPU when one is present, on the CPU otherwise. With torchrun, each process is
one data-parallel rank (RANK / WORLD_SIZE from the environment) and reads its own stream of
rows; the checkpoint stores how many rows of that stream were consumed, so a restart
(even with another --workers) continues with exactly the rows not yet seen.
"""

import argparse
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from shard_loader import PackedShardDataset, RankStream, ShardSet  # noqa: E402


class Block(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

    def forward(self, x, mask):
        h = self.norm1(x)
        x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


class TinyGPT(nn.Module):
    def __init__(self, vocab: int, seq_len: int, dim: int = 128, layers: int = 2, heads: int = 4):
        super().__init__()
        self.tokens = nn.Embedding(vocab, dim)
        self.positions = nn.Embedding(seq_len, dim)
        self.blocks = nn.ModuleList(Block(dim, heads) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab, bias=False)

    def forward(self, ids):
        n = ids.shape[1]
        x = self.tokens(ids) + self.positions(torch.arange(n, device=ids.device))
        mask = torch.triu(torch.full((n, n), float("-inf"), device=ids.device), diagonal=1)
        for block in self.blocks:
            x = block(x, mask)
        return self.head(self.norm(x))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("run", help="the run directory (or its shards/ directory)")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--resume", help="checkpoint to read and write")
    args = parser.parse_args()

    rank = int(os.environ.get("RANK", 0))
    world_size = int(os.environ.get("WORLD_SIZE", 1))
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.manual_seed(0)

    shards = ShardSet(args.run)
    manifest = shards.manifest
    model = TinyGPT(manifest["vocab_size"], manifest["seq_len"]).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)
    consumed = 0
    if args.resume and os.path.exists(args.resume):
        state = torch.load(args.resume, map_location=device)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        consumed = state["consumed"]
    stream = RankStream(shards, rank, world_size)
    print(f"{device}: {len(stream)} sequences of {shards.seq_len} tokens for rank {rank}; "
          f"starting at {stream.position(consumed)} ({consumed} consumed)")

    dataset = PackedShardDataset(args.run, rank, world_size, args.batch_size, start=consumed)
    loader = DataLoader(dataset, batch_size=args.batch_size, num_workers=args.workers)
    model.train()
    for step, batch in enumerate(loader):
        if step >= args.steps:
            break
        batch = batch.to(device)
        logits = model(batch[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        consumed += batch.shape[0]
        if step % 10 == 0:
            print(f"step {step}: loss {loss.item():.3f} (perplexity {math.exp(loss.item()):.1f})")
    if args.resume:
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(), "consumed": consumed}, args.resume)
        print(f"saved {args.resume}: {consumed} sequences consumed, next {stream.position(consumed)}")


if __name__ == "__main__":
    main()
