"""Small masked autoencoder for 32x32 images over 4x4 patches (8x8 grid = 64 patches).

SimMIM-style variant of MAE, chosen so the ONNX graph works with any number of dropped
patches: the encoder sees ALL 64 patch tokens, the embeddings of dropped patches being
replaced by one learned mask token; a light decoder predicts the pixels of every patch.

ONNX-facing module (MaeContract): inputs `images` float32 [N,3,32,32] in [0,1] (NOT
normalised; normalisation happens inside) and `mask` float32 [N,64] (1 = patch dropped /
to reconstruct, 0 = kept; patch index = row*8 + col); output `reconstruction` float32
[N,3,32,32] in [0,1] for every patch. Kept patches are not pasted by the model: callers
paste them (out = mask*reconstruction + (1-mask)*image, per patch).
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

MEAN = (0.4914, 0.4822, 0.4465)
STD = (0.2470, 0.2435, 0.2616)
PATCH = 4
GRID = 8
NUM_PATCHES = GRID * GRID
PATCH_DIM = 3 * PATCH * PATCH


def patchify(x: torch.Tensor) -> torch.Tensor:
    """[N,3,32,32] -> [N,64,48]; patch index row-major over the 8x8 grid, values (c,py,px)."""
    x = x.reshape(-1, 3, GRID, PATCH, GRID, PATCH).permute(0, 2, 4, 1, 3, 5)
    return x.reshape(-1, NUM_PATCHES, PATCH_DIM)


def unpatchify(p: torch.Tensor) -> torch.Tensor:
    """[N,64,48] -> [N,3,32,32] (inverse of patchify)."""
    p = p.reshape(-1, GRID, GRID, 3, PATCH, PATCH).permute(0, 3, 1, 4, 2, 5)
    return p.reshape(-1, 3, GRID * PATCH, GRID * PATCH)


def mask_to_pixels(mask: torch.Tensor) -> torch.Tensor:
    """[N,64] patch mask -> [N,1,32,32] pixel mask."""
    m = mask.reshape(-1, 1, GRID, 1, GRID, 1).expand(-1, 1, GRID, PATCH, GRID, PATCH)
    return m.reshape(-1, 1, GRID * PATCH, GRID * PATCH)


def sincos_2d(dim: int, grid: int) -> torch.Tensor:
    """Fixed 2-D sine-cosine position embedding [grid*grid, dim] (as in MAE)."""
    assert dim % 4 == 0
    ys, xs = torch.meshgrid(torch.arange(grid, dtype=torch.float64), torch.arange(grid, dtype=torch.float64),
                            indexing="ij")
    omega = 1.0 / (10000 ** (torch.arange(dim // 4, dtype=torch.float64) / (dim / 4)))

    def emb(pos: torch.Tensor) -> torch.Tensor:
        out = pos.reshape(-1, 1) * omega.reshape(1, -1)
        return torch.cat([out.sin(), out.cos()], dim=1)

    return torch.cat([emb(ys), emb(xs)], dim=1).float()


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.head_dim = dim // heads
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n_tok, dim = x.shape[1], x.shape[2]
        qkv = self.qkv(x).reshape(-1, n_tok, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_dim))
        out = att.softmax(dim=-1) @ v  # [N,H,L,d]
        return self.proj(out.transpose(1, 2).reshape(-1, n_tok, dim))


class Block(nn.Module):
    def __init__(self, dim: int, heads: int, mlp_ratio: float) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        hidden = int(dim * mlp_ratio)
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class MAE(nn.Module):
    def __init__(self, enc_dim: int = 128, enc_depth: int = 4, enc_heads: int = 4, dec_dim: int = 96,
                 dec_depth: int = 2, dec_heads: int = 4, mlp_ratio: float = 2.0) -> None:
        super().__init__()
        self.config = dict(enc_dim=enc_dim, enc_depth=enc_depth, enc_heads=enc_heads, dec_dim=dec_dim,
                           dec_depth=dec_depth, dec_heads=dec_heads, mlp_ratio=mlp_ratio)
        self.patch_embed = nn.Linear(PATCH_DIM, enc_dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, enc_dim))
        self.register_buffer("enc_pos", sincos_2d(enc_dim, GRID).unsqueeze(0), persistent=False)
        self.encoder = nn.ModuleList([Block(enc_dim, enc_heads, mlp_ratio) for _ in range(enc_depth)])
        self.enc_norm = nn.LayerNorm(enc_dim)
        self.dec_embed = nn.Linear(enc_dim, dec_dim)
        self.register_buffer("dec_pos", sincos_2d(dec_dim, GRID).unsqueeze(0), persistent=False)
        self.decoder = nn.ModuleList([Block(dec_dim, dec_heads, mlp_ratio) for _ in range(dec_depth)])
        self.dec_norm = nn.LayerNorm(dec_dim)
        self.head = nn.Linear(dec_dim, PATCH_DIM)
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(STD).view(1, 3, 1, 1), persistent=False)
        self._init()

    def _init(self) -> None:
        nn.init.normal_(self.mask_token, std=0.02)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def normalise(self, images01: torch.Tensor) -> torch.Tensor:
        return (images01 - self.mean) / self.std

    def predict_normalised(self, x_norm: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x_norm [N,3,32,32] normalised, mask [N,64] -> predicted normalised patches [N,64,48]."""
        tok = self.patch_embed(patchify(x_norm))
        m = mask.unsqueeze(-1)
        tok = tok * (1.0 - m) + self.mask_token * m + self.enc_pos
        for blk in self.encoder:
            tok = blk(tok)
        tok = self.dec_embed(self.enc_norm(tok)) + self.dec_pos
        for blk in self.decoder:
            tok = blk(tok)
        return self.head(self.dec_norm(tok))

    def reconstruct(self, images01: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """[0,1] images + mask -> [0,1] reconstruction of every patch (kept ones not pasted)."""
        pred = unpatchify(self.predict_normalised(self.normalise(images01), mask))
        return (pred * self.std + self.mean).clamp(0.0, 1.0)


class MaeContract(nn.Module):
    """ONNX export wrapper: (images, mask) -> reconstruction."""

    def __init__(self, mae: MAE) -> None:
        super().__init__()
        self.mae = mae

    def forward(self, images: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.mae.reconstruct(images, mask)


def paste(images01: torch.Tensor, recon01: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Kept patches from the input, dropped ones from the reconstruction."""
    pm = mask_to_pixels(mask)
    return pm * recon01 + (1.0 - pm) * images01


def random_masks(n: int, ratios: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """[n,64] float masks with round(ratio*64) dropped patches per row, uniformly placed."""
    k = torch.round(ratios * NUM_PATCHES).long().clamp(0, NUM_PATCHES)
    ranks = torch.rand(n, NUM_PATCHES, generator=gen).argsort(dim=1).argsort(dim=1)
    return (ranks < k.unsqueeze(1)).float()
