"""Point samples over triangle meshes, for the surface distances `measure.py` takes.

Only numpy, so the host can test the sampling guarantees without importing CadQuery. The guarantee
the Hausdorff tolerance rests on: every point of a triangle lies within `spacing` of a sample of
`surface_samples` (a grid cell's half diagonal); `thinned` keeps one point per cube and so reaches
every dropped point within the cube's diagonal.
"""

from __future__ import annotations

import math

import numpy as np

# Sample spacing: the finest that keeps about `SAMPLE_BUDGET` grid cells on the larger surface (the grid
# holds about twice as many points, triangle corners repeating; a KD-tree over them builds in ~0.1 s);
# 0.2 mm is below anything a family specifies.
SAMPLE_BUDGET = 120_000
MIN_SPACING_MM = 0.2


def _grid(k1: int, k2: int) -> np.ndarray:
    """Barycentric (u, w) with u = i/k1, w = j/k2 and u + w <= 1 (with a little slack for rounding)."""
    u, w = np.meshgrid(np.arange(k1 + 1) / k1, np.arange(k2 + 1) / k2, indexing="ij")
    keep = u + w <= 1 + 1e-9
    return np.stack([u[keep], w[keep]], axis=1)


def surface_samples(tris: np.ndarray, spacing: float) -> np.ndarray:
    """Grid points over every triangle, spaced at most `spacing` along the two edges from the corner
    where that grid is smallest (a needle triangle is sampled along its length, not squared)."""
    if len(tris) == 0:
        return np.zeros((0, 3))
    corners = np.stack([np.roll(tris, -shift, axis=1) for shift in range(3)])  # (3, n, 3, 3)
    edges1, edges2 = corners[:, :, 1] - corners[:, :, 0], corners[:, :, 2] - corners[:, :, 0]
    steps1 = np.maximum(1, np.ceil(np.linalg.norm(edges1, axis=2) / spacing)).astype(int)
    steps2 = np.maximum(1, np.ceil(np.linalg.norm(edges2, axis=2) / spacing)).astype(int)
    pick, rows = np.argmin(steps1 * steps2, axis=0), np.arange(len(tris))
    origin, e1, e2 = corners[pick, rows, 0], edges1[pick, rows], edges2[pick, rows]
    k1, k2 = steps1[pick, rows], steps2[pick, rows]
    chunks = []
    for pair in {(int(a), int(b)) for a, b in zip(k1, k2, strict=True)}:
        chosen = (k1 == pair[0]) & (k2 == pair[1])
        uw = _grid(*pair)
        chunks.append((origin[chosen, None, :] + uw[None, :, :1] * e1[chosen, None, :]
                       + uw[None, :, 1:] * e2[chosen, None, :]).reshape(-1, 3))  # fmt: skip
    return np.concatenate(chunks)


def spacing_for(*areas: float) -> float:
    """Sample spacing: about `SAMPLE_BUDGET` points on the larger surface, never below the floor."""
    return max(MIN_SPACING_MM, math.sqrt(max(areas) / SAMPLE_BUDGET))


def thinned(points: np.ndarray, voxel: float) -> np.ndarray:
    """One point per occupied cube of side `voxel` (the first in order): a subset that still reaches
    everywhere the points do, within `voxel` x sqrt(3)."""
    cells = np.floor((points - points.min(axis=0)) / voxel).astype(np.int64)
    keys = (cells[:, 0] << 42) | (cells[:, 1] << 21) | cells[:, 2]  # 2**21 cells a side: a 200 m part at 0.1 mm
    _, first = np.unique(keys, return_index=True)
    return points[np.sort(first)]
