"""Create the clip collection on a Qdrant server or cluster (VIDLIB_QDRANT_URL), laid out for many clips.

vidlib creates the collection itself on first write when it is missing (storage/index_client.py, defaults:
one shard, no replica, payload in RAM). Run this first for a cluster or a large library; it creates the
same vectors (dense e5 384-d cosine, sparse BM25 with IDF) and payload indexes, plus the layout below.
It does nothing when the collection exists (change shards/replicas of a live collection with Qdrant's API).

    VIDLIB_QDRANT_URL=http://qdrant:6333 VIDLIB_QDRANT_API_KEY=... \
        python deploy/qdrant_collection.py --shards 6 --replicas 2
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> int:
    from qdrant_client import QdrantClient
    from qdrant_client import models as qm

    from vidlib.settings import Settings
    from vidlib.storage.index import DENSE, PAYLOAD_INDEXES, SPARSE

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shards", type=int, default=1, help="shard_number: 2 x the nodes you expect to have")
    ap.add_argument("--replicas", type=int, default=1, help="replication_factor (2 survives one node down)")
    ap.add_argument("--hnsw-m", type=int, default=16)
    ap.add_argument("--ef-construct", type=int, default=128)
    ap.add_argument("--path", help="a local folder instead of the server (qdrant-client local mode, to try it)")
    args = ap.parse_args(argv)

    s = Settings()
    if not (s.qdrant_url or args.path):
        print("error: set VIDLIB_QDRANT_URL (the embedded index needs no set-up)", file=sys.stderr)
        return 2
    client = (
        QdrantClient(path=args.path)
        if args.path
        else QdrantClient(url=s.qdrant_url, api_key=s.qdrant_api_key.get_secret_value() if s.qdrant_api_key else None)
    )
    name = s.qdrant_collection
    if client.collection_exists(name):
        print(f"collection {name!r} exists: left as it is")
        return 0
    client.create_collection(
        name,
        vectors_config={DENSE: qm.VectorParams(size=384, distance=qm.Distance.COSINE, on_disk=False)},
        sparse_vectors_config={
            SPARSE: qm.SparseVectorParams(modifier=qm.Modifier.IDF, index=qm.SparseIndexParams(on_disk=True))
        },
        shard_number=args.shards,
        replication_factor=args.replicas,
        write_consistency_factor=1,
        on_disk_payload=True,  # clip text and metadata on disk; RAM for the vectors and the HNSW graph
        # payload_m: extra graph links per payload-index value, so filtered searches (job, sector, state) stay on HNSW
        hnsw_config=qm.HnswConfigDiff(m=args.hnsw_m, ef_construct=args.ef_construct, payload_m=args.hnsw_m),
        optimizers_config=qm.OptimizersConfigDiff(indexing_threshold=10_000),
    )
    for field in PAYLOAD_INDEXES:
        client.create_payload_index(name, field, qm.PayloadSchemaType.KEYWORD)
    print(
        f"collection {name!r}: {args.shards} shard(s) x {args.replicas} replica(s), payload on disk, "
        f"HNSW m={args.hnsw_m} ef_construct={args.ef_construct}, {len(PAYLOAD_INDEXES)} keyword payload indexes"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
