#!/usr/bin/env python3
"""The seed project's tile-grid pattern, for bench/fetch to compare against:
asyncio + aiohttp with a connection cap, every tile decoded (Pillow), no
stitching and nothing written -- what `load_tile_grid` did before Meridian.

Usage: fetch_seed.py URL_TEMPLATE Z X0 X1 Y0 Y1 CONCURRENCY
Prints the number of tiles decoded. Loopback only (bench/fetch's tilesim)."""
import asyncio
import io
import sys

import aiohttp
from PIL import Image


async def load_tile_grid(template, z, xs, ys, concurrency):
    connector = aiohttp.TCPConnector(limit=concurrency)
    sem = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(connector=connector, trust_env=False) as session:
        async def one(x, y):
            async with sem:
                async with session.get(template.format(z=z, x=x, y=y)) as r:
                    r.raise_for_status()
                    data = await r.read()
            img = Image.open(io.BytesIO(data))
            img.load()
            return (x, y, img)
        return await asyncio.gather(*(one(x, y) for y in ys for x in xs))


def main():
    template, z, x0, x1, y0, y1, c = sys.argv[1:8]
    tiles = asyncio.run(load_tile_grid(template, int(z), range(int(x0), int(x1) + 1),
                                       range(int(y0), int(y1) + 1), int(c)))
    print(len(tiles))


if __name__ == "__main__":
    main()
