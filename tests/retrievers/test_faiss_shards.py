"""The faiss retriever at scale: shards merged top-k, batched adds, sharded files, GPU per shard."""

from __future__ import annotations

import numpy as np
import pytest
from autocut_plugins.faiss_retriever import merge_top_k, shard_bounds

from autocut_core.errors import InputError

from .conftest import clustered, ids_for, make


def _rows(hits) -> np.ndarray:
    return np.array([[int(hit.id[4:]) for hit in row] for row in hits])


@pytest.fixture(scope="module")
def data4k():
    return clustered(4000, dim=32, seed=5, queries=100)


def test_shard_bounds_cover_every_row_once():
    assert shard_bounds(10, 3) == [(0, 3), (3, 7), (7, 10)]
    assert shard_bounds(2, 5) == [(0, 1), (1, 2)]  # never an empty shard
    assert shard_bounds(0, 4) == [(0, 0)]


def test_merge_keeps_the_best_k_and_puts_missing_places_last():
    first = (np.array([[0.9, 0.5, 0.0]], np.float32), np.array([[3, 1, -1]]))
    second = (np.array([[0.7, 0.6]], np.float32), np.array([[12, 10]]))
    scores, rows = merge_top_k([first, second], 4)
    assert rows.tolist() == [[3, 12, 10, 1]]
    assert np.allclose(scores, [[0.9, 0.7, 0.6, 0.5]])
    scores, rows = merge_top_k([first], 3)
    assert rows.tolist() == [[3, 1, -1]] and scores[0, 2] == -np.inf


def test_a_sharded_flat_index_answers_exactly_what_one_index_does(data4k):
    vectors, queries = data4k
    one = make("faiss-flat")
    one.build(ids_for(4000), vectors)
    three = make("faiss-flat", shards=3, add_batch=500)
    three.build(ids_for(4000), vectors)
    assert three.shard_count == 3 and three.size == 4000
    expected = one.search(queries, 10)
    got = three.search(queries, 10)
    assert [[h.id for h in row] for row in got] == [[h.id for h in row] for row in expected]
    assert np.allclose(
        [[h.score for h in r] for r in got], [[h.score for h in r] for r in expected]
    )
    # A pool spanning shards, and one that lies inside one shard, with k equal to it.
    spanning = ids_for(4000)[1200:2900:3]
    assert three.search(queries, 10, spanning) == one.search(queries, 10, spanning)
    inside = ids_for(4000)[10:20]
    assert three.search(queries[:5], 10, inside) == one.search(queries[:5], 10, inside)


@pytest.mark.parametrize("name", ["faiss-hnsw", "faiss-ivfflat", "faiss-ivfpq"])
def test_sharded_approximate_indexes_keep_their_recall(name, data4k):
    vectors, queries = data4k
    truth = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]
    recalls = {}
    for shards in (1, 4):
        retriever = make(name, shards=shards, add_batch=700)
        retriever.build(ids_for(4000), vectors)
        found = _rows(retriever.search(queries, 10))
        recalls[shards] = np.mean(
            [len(set(a) & set(b)) / 10 for a, b in zip(found, truth, strict=True)]
        )
    # Measured (seed 5, 4000 x 32, 100 queries): hnsw 1.000 / 1.000 (1 / 4 shards); ivfpq
    # 0.881 / 0.881 (one codebook for all shards). A shard of a quarter of the rows searched
    # with the same knobs finds at least as much; 0.05 is room for library versions.
    assert recalls[4] >= recalls[1] - 0.05
    assert recalls[4] >= (0.75 if name == "faiss-ivfpq" else 0.95)


def test_ivfpq_shards_share_one_trained_quantizer(data4k):
    vectors, _ = data4k
    retriever = make("faiss-ivfpq", shards=2)
    retriever.build(ids_for(4000), vectors)
    import faiss

    codebooks = [faiss.vector_to_array(shard.index.pq.centroids) for shard in retriever._shards]
    assert np.array_equal(codebooks[0], codebooks[1])
    assert retriever.effective["shards"] == 2


@pytest.mark.parametrize("name", ["faiss-flat", "faiss-hnsw", "faiss-ivfflat", "faiss-ivfpq"])
def test_a_sharded_index_saves_and_loads_whole(name, data4k, tmp_path):
    vectors, queries = data4k
    retriever = make(name, shards=3)
    retriever.build(ids_for(4000), vectors)
    path = tmp_path / "sharded.faiss"
    retriever.save(path)
    loaded = make("faiss-flat")  # type and shard count come from the file
    loaded.load(path)
    assert loaded.shard_count == 3 and loaded.index_type == retriever.index_type
    assert loaded.search(queries[:20], 10) == retriever.search(queries[:20], 10)
    data = path.read_bytes()
    for keep in (0.3, 0.999):
        path.write_bytes(data[: int(len(data) * keep)])
        with pytest.raises(InputError, match="not a complete sharded index"):
            make("faiss-flat").load(path)


def test_every_shard_goes_to_the_gpu_when_faiss_sees_one(monkeypatch, data4k):
    """No GPU here: a stand-in records the clones; on a CPU build nothing is cloned."""
    import faiss

    cloned = []

    def to_gpus(index):
        cloned.append(index)
        return index

    vectors, queries = data4k
    plain = make("faiss-flat", shards=2)
    plain.build(ids_for(4000), vectors)
    assert all(shard.gpu is None for shard in plain._shards) == (faiss.get_num_gpus() == 0)
    monkeypatch.setattr(faiss, "get_num_gpus", lambda: 1)
    monkeypatch.setattr(faiss, "index_cpu_to_all_gpus", to_gpus)
    retriever = make("faiss-flat", shards=2)
    retriever.build(ids_for(4000), vectors)
    assert len(cloned) == 2
    assert retriever.search(queries[:3], 5) == plain.search(queries[:3], 5)
