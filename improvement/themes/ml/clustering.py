"""Fit themes over stored embeddings with BERTopic (UMAP + HDBSCAN + c-TF-IDF), and assign new embeddings."""

from __future__ import annotations

import contextlib
import functools
import math
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from importlib import metadata

import numpy as np

from improvement.themes.ml.labelling import class_keywords, make_vectorizer, stop_word_set, theme_labels
from improvement.themes.ml.phrases import EmbedTexts, label_parameters
from improvement.themes.ml.results import FitResult, ThemeCluster
from improvement.themes.ml.vectors import normalise_rows, normalise_rows_in_place

# Cosine similarity to the nearest theme centroid at or above which a case joins that theme (see bench/cluster.py).
DEFAULT_ASSIGN_THRESHOLD = 0.30
# Above this many documents UMAP+HDBSCAN run on a fixed random sample (a theme of 0.5% still has 50 members there)
# and every other document is assigned to its nearest theme centroid, so a refit stays near-constant in time.
FIT_SAMPLE_SIZE = 10_000
ASSIGN_BLOCK_ROWS = 50_000
MINIMUM_DOCUMENTS = 30
REPRESENTATIVE_COUNT = 5
# A wide neighbourhood keeps global structure: fewer themes about one airport (15 gave several; NMI 0.237 vs 0.252).
UMAP_NEIGHBORS = 50
UMAP_COMPONENTS = 5
# UMAP's own default above 10,000 points, fixed so a smaller fit does not take 2.5x the epochs (500).
UMAP_EPOCHS = 200
# UMAP finds neighbours with pynndescent from this many documents (below, all pairwise distances); the warm-up fits
# this many so pynndescent's kernels are compiled too. Exact cosine neighbours (a blocked matrix product, tried
# 2026-12-04) were faster in a fresh process but cut bench/themes.py refit stability from 0.912 / 0.924 to
# 0.851 / 0.850 (seeds 7 / 8), so UMAP keeps its own search.
UMAP_APPROXIMATE_NEIGHBOURS_FROM = 4096
# "leaf" changes smoothly with min_cluster_size; "eom" can collapse to 2-3 giant themes (bench/cluster_quality.py).
CLUSTER_SELECTION = "leaf"
# HDBSCAN's leaves are tight phrasings ("lamp out of stock", "bike out of stock"); leaves whose centroids, less the
# corpus mean (the direction every document shares), are at least this cosine-similar join (average linkage).
# bench/cluster_quality.py over all six labellings, with MINIMUM_CLUSTER_SIZE_DIVISOR 4 (NMI at 0.25 / 0.30 / 0.35):
# clinc150 intents 0.771 / 0.802 / 0.824, simulated 0.850 / 0.850 / 0.831, complaints 0.233 / 0.240 / 0.247,
# endava 0.260 / 0.263 / 0.261, airline 0.242 / 0.242 / 0.244. One fixed 0.25 folded distinct short intents together
# (clinc150 42 themes for 150 intents); 0.35 keeps them and the coarser cut lives on as the parent (below).
# A refit never merges leaves anchored to different current themes (ANCHOR_SHARE): without that the merge
# flipped between fits and bench/themes.py stability fell 0.9652 -> 0.9091; with it 0.9620.
MERGE_SIMILARITY = 0.35
# The same average-linkage tree cut lower groups themes into parents (a proposal for theme groups): the cut that
# made the themes before; on the simulated stream its 21 parents score NMI 0.850 against the 15 problems.
PARENT_MERGE_SIMILARITY = 0.25
# HDBSCAN's smallest leaf is sqrt(n) / this: 4 rather than 2 lets a 50-query intent of a 7,500-query set stand alone
# (clinc150 NMI at merge 0.35: 0.799 with 2, 0.823 with 3, 0.824 with 4; airline 0.260 / 0.247 / 0.244).
MINIMUM_CLUSTER_SIZE_DIVISOR = 4
# A leaf belongs to (is anchored to) the previous theme of at least this share of its members; leaves anchored to
# different previous themes never merge on a refit (bench/themes.py stability).
ANCHOR_SHARE = 0.5


def minimum_cluster_size(document_count: int) -> int:
    """HDBSCAN's smallest leaf: sqrt(document count) / MINIMUM_CLUSTER_SIZE_DIVISOR, at least 10 (25 at 10,000)."""
    return max(10, int(round(math.sqrt(document_count) / MINIMUM_CLUSTER_SIZE_DIVISOR)))


def model_versions(*, embedding_model: str = "") -> dict:
    """The embedding model's name (as the caller gives it) and the versions of the clustering libraries."""
    versions: dict[str, str | None] = {"embedding_model": embedding_model or None}
    for package in ("bertopic", "umap-learn", "hdbscan", "scikit-learn", "numpy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def assign(*, embeddings: np.ndarray, centroids: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Nearest centroid by cosine similarity per row: (its index, or -1 below `threshold`; the similarity)."""
    embeddings = np.atleast_2d(np.asarray(embeddings, dtype=np.float32))
    if len(centroids) == 0 or len(embeddings) == 0:
        return np.full(len(embeddings), -1, dtype=np.int64), np.zeros(len(embeddings), dtype=np.float32)
    nearest = np.empty(len(embeddings), dtype=np.int64)
    best = np.empty(len(embeddings), dtype=np.float32)
    for start, similarities in similarity_blocks(embeddings=embeddings, centroids=centroids):
        block_nearest = np.argmax(similarities, axis=1)
        nearest[start : start + len(similarities)] = block_nearest
        best[start : start + len(similarities)] = similarities[np.arange(len(similarities)), block_nearest]
    return np.where(best >= threshold, nearest, -1).astype(np.int64), best


def similarity_blocks(*, embeddings: np.ndarray, centroids: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """Cosine similarities of the rows to the centroids, ASSIGN_BLOCK_ROWS rows at a time: (first row, block).

    A million documents never need a normalised copy or a full similarity matrix."""
    unit_centroids = normalise_rows(np.atleast_2d(centroids))
    for start in range(0, len(embeddings), ASSIGN_BLOCK_ROWS):
        yield start, normalise_rows(embeddings[start : start + ASSIGN_BLOCK_ROWS]) @ unit_centroids.T


def _cluster_sample(
    *, texts: list[str], embeddings: np.ndarray, stop_words: frozenset[str], random_state: int, min_cluster_size: int
) -> np.ndarray:
    """BERTopic's topics (-1 = outlier) for the sample, from UMAP to 5-d and HDBSCAN."""
    _skip_bertopic_generators()
    _cache_numba_kernels()
    from bertopic import BERTopic
    from hdbscan import HDBSCAN
    from umap import UMAP

    umap_model = UMAP(
        n_neighbors=min(UMAP_NEIGHBORS, len(texts) - 1),
        n_components=UMAP_COMPONENTS,
        min_dist=0.0,
        metric="cosine",
        n_epochs=UMAP_EPOCHS,
        low_memory=True,
        random_state=random_state,
    )
    hdbscan_model = HDBSCAN(
        min_cluster_size=min_cluster_size,
        min_samples=min_cluster_size,
        metric="euclidean",
        cluster_selection_method=CLUSTER_SELECTION,
        prediction_data=False,
        core_dist_n_jobs=1,
    )
    topic_model = BERTopic(
        umap_model=umap_model,
        hdbscan_model=hdbscan_model,
        vectorizer_model=make_vectorizer(stop_words=stop_words),
        calculate_probabilities=False,
        low_memory=True,
    )
    topics, _ = topic_model.fit_transform(texts, embeddings)
    return np.asarray(topics, dtype=np.int64)


# bertopic.representation imports these optional representations, which import transformers (about 11 s in a fresh
# process); none is used here. A None in sys.modules makes their import fail, which bertopic already handles.
UNUSED_BERTOPIC_MODULES = (
    "bertopic.representation._textgeneration",
    "bertopic.representation._zeroshot",
    "bertopic.representation._visual",
)


def _skip_bertopic_generators() -> None:
    """Keep bertopic from importing transformers for representations this pipeline never uses."""
    if "bertopic" in sys.modules:
        return
    for module in UNUSED_BERTOPIC_MODULES:
        sys.modules.setdefault(module, None)  # type: ignore[arg-type]


# UMAP's and pynndescent's numba kernels compiled anew in every process (about 9 s and 20 s per first fit); cached on
# disk they load in a fraction of a second. Numba keys its cache by the kernel's source and this CPU, so a cache
# never crosses machines.
NUMBA_KERNEL_MODULES = (
    "umap.umap_",
    "umap.layouts",
    "umap.utils",
    "pynndescent.pynndescent_",
    "pynndescent.rp_trees",
    "pynndescent.utils",
    "pynndescent.distances",
    "pynndescent.graph_utils",
)


@functools.cache
def _cache_numba_kernels() -> None:
    """Turn on numba's on-disk cache for the module-level kernels of UMAP and pynndescent that have none, once per
    process (where numba finds no writable cache folder, or a kernel cannot be cached, it is left as it is)."""
    import importlib

    from numba.core.dispatcher import Dispatcher

    for module_name in NUMBA_KERNEL_MODULES:
        module = importlib.import_module(module_name)
        for kernel in list(vars(module).values()):
            if isinstance(kernel, Dispatcher) and type(getattr(kernel, "_cache", None)).__name__ == "NullCache":
                with contextlib.suppress(RuntimeError):
                    kernel.enable_caching()


WARM_UP_DOCUMENTS = UMAP_APPROXIMATE_NEIGHBOURS_FROM + 64
WARM_UP_GROUPS = 8


def warm_up() -> FitResult:
    """Fit synthetic vectors once (pynndescent's path, WARM_UP_DOCUMENTS of them), so UMAP's kernels are
    compiled into numba's disk cache before the first real fit needs them (`manage.py warm_up`, run at install)."""
    generator = np.random.default_rng(0)
    centres = normalise_rows(generator.standard_normal((WARM_UP_GROUPS, 384)).astype(np.float32))
    groups = np.arange(WARM_UP_DOCUMENTS) % WARM_UP_GROUPS
    embeddings = centres[groups] + 0.05 * generator.standard_normal((WARM_UP_DOCUMENTS, 384)).astype(np.float32)
    texts = [f"warm up topic{group} word{index % 17}" for index, group in enumerate(groups)]
    return fit(texts=texts, embeddings=embeddings, stop_words=())


def _centroids(embeddings: np.ndarray, groups: np.ndarray, group_count: int) -> np.ndarray:
    """Normalised mean embedding per group (rows of -1 ignored), via a sparse membership matrix."""
    from scipy import sparse

    member = np.flatnonzero(groups >= 0)
    membership = sparse.csr_matrix(
        (np.ones(len(member), dtype=np.float32), (groups[member], member)), shape=(group_count, len(embeddings))
    )
    return normalise_rows(np.asarray(membership @ embeddings))


def group_anchors(*, groups: np.ndarray, group_count: int, previous_themes: np.ndarray) -> np.ndarray:
    """Per group, the previous theme of at least ANCHOR_SHARE of its members (smallest id on a tie), else -1."""
    anchors = np.full(group_count, -1, dtype=np.int64)
    for group in range(group_count):
        previous = previous_themes[groups == group]
        known = previous[previous >= 0]
        if len(known) == 0:
            continue
        values, counts = np.unique(known, return_counts=True)
        best = int(np.argmax(counts))
        if counts[best] >= ANCHOR_SHARE * len(previous):
            anchors[group] = values[best]
    return anchors


def merge_similar_groups(
    *,
    embeddings: np.ndarray,
    groups: np.ndarray,
    group_count: int,
    previous_themes: np.ndarray | None = None,
    similarity: float = MERGE_SIMILARITY,
) -> np.ndarray:
    """Groups renumbered 0..m-1 after average-linkage merging of groups with centred centroids >= `similarity`.

    Centring on the mean of `embeddings` removes what all documents share, so the similarity left is about how two
    groups differ from the rest; it keeps the threshold meaningful whether a corpus is narrow or broad.

    Linkage is plain UPGMA over the groups (each input group counts once, whatever its size), so without previous
    themes it cuts the same tree as scipy's average linkage at distance 1 - MERGE_SIMILARITY. With
    `previous_themes` (per document, its current theme id or -1) two groups anchored to different previous themes
    are never merged (cannot-link): joining established themes is a curator's decision, not a refit's. A lower
    `similarity` cuts the same tree higher up: every group of the higher cut lies inside one group of the lower.
    """
    if group_count < 2:
        return groups
    member = np.flatnonzero(groups >= 0)
    sizes = np.bincount(groups[member], minlength=group_count).astype(np.float64)
    sums = np.zeros((group_count, embeddings.shape[1]), dtype=np.float64)
    np.add.at(sums, groups[member], embeddings[member].astype(np.float64))
    means = sums / np.maximum(sizes, 1.0)[:, np.newaxis]
    centred = normalise_rows(means - embeddings.mean(axis=0, dtype=np.float64)).astype(np.float64)
    # Sum of leaf-pair similarities between current groups, and how many leaves each holds (Lance-Williams update).
    pair_sums = np.clip(centred @ centred.T, -1.0, 1.0)
    pair_sums = (pair_sums + pair_sums.T) / 2
    leaf_counts = np.ones(group_count, dtype=np.float64)
    anchors = (
        group_anchors(groups=groups, group_count=group_count, previous_themes=np.asarray(previous_themes))
        if previous_themes is not None
        else np.full(group_count, -1, dtype=np.int64)
    )
    alive = np.ones(group_count, dtype=bool)
    representative = np.arange(group_count)
    upper = np.triu(np.ones((group_count, group_count), dtype=bool), k=1)
    while True:
        average = pair_sums / np.outer(leaf_counts, leaf_counts)
        conflict = (
            (anchors[:, np.newaxis] >= 0)
            & (anchors[np.newaxis, :] >= 0)
            & (anchors[:, np.newaxis] != anchors[np.newaxis, :])
        )
        allowed = upper & alive[:, np.newaxis] & alive[np.newaxis, :] & ~conflict
        if not allowed.any():
            break
        candidates = np.where(allowed, average, -np.inf)
        first, second = np.unravel_index(int(np.argmax(candidates)), candidates.shape)
        if candidates[first, second] < similarity:
            break
        pair_sums[first, :] += pair_sums[second, :]
        pair_sums[:, first] += pair_sums[:, second]
        leaf_counts[first] += leaf_counts[second]
        if anchors[first] < 0:
            anchors[first] = anchors[second]
        alive[second] = False
        representative[representative == second] = first
    renumber = np.full(group_count, -1, dtype=np.int64)
    renumber[np.flatnonzero(alive)] = np.arange(int(alive.sum()))
    merged = renumber[representative]
    return np.where(groups >= 0, merged[np.maximum(groups, 0)], -1).astype(np.int64)


def _fit_parameters(*, document_count: int, sample_size: int, random_state: int, assign_threshold: float) -> dict:
    """The JSON-able record of how a fit was made (stored on the clustering run)."""
    min_cluster_size = minimum_cluster_size(sample_size)
    return {
        "document_count": document_count,
        "fit_sample_size": sample_size,
        "random_state": random_state,
        "umap": {
            "n_neighbors": UMAP_NEIGHBORS,
            "n_components": UMAP_COMPONENTS,
            "min_dist": 0.0,
            "metric": "cosine",
            "n_epochs": UMAP_EPOCHS,
        },
        "hdbscan": {
            "min_cluster_size": min_cluster_size,
            "min_samples": min_cluster_size,
            "cluster_selection_method": CLUSTER_SELECTION,
        },
        "merge": {
            "linkage": "average",
            "similarity": MERGE_SIMILARITY,
            "parent_similarity": PARENT_MERGE_SIMILARITY,
            "centred_on": "corpus mean",
            "cannot_link": "different previous themes",
            "anchor_share": ANCHOR_SHARE,
        },
        "assign_threshold": assign_threshold,
        "vectorizer": {"ngram_range": [1, 2], "stop_words": "english+filler+brands"},
        "ctfidf": {"reduce_frequent_words": True},
    }


def _validated_inputs(
    texts: Sequence[str], embeddings: np.ndarray, previous_themes: np.ndarray | None, *, overwrites: bool = False
) -> tuple[list[str], np.ndarray, np.ndarray | None]:
    texts = [str(text) for text in texts]
    can_overwrite = (
        isinstance(embeddings, np.ndarray)
        and embeddings.dtype == np.float32
        and embeddings.ndim == 2
        and embeddings.flags.writeable
    )
    if overwrites and can_overwrite:
        embeddings = normalise_rows_in_place(embeddings)
    else:
        embeddings = normalise_rows(embeddings)
    if len(texts) != len(embeddings):
        raise ValueError(f"{len(texts)} texts but {len(embeddings)} embeddings")
    if previous_themes is not None:
        previous_themes = np.asarray(previous_themes, dtype=np.int64)
        if previous_themes.shape != (len(texts),):
            raise ValueError(f"{len(texts)} texts but {previous_themes.size} previous themes")
    return texts, embeddings, previous_themes


def _no_themes(*, document_count: int, outlier_share: float, parameters: dict, embedding_model: str) -> FitResult:
    return FitResult(
        clusters=[],
        assignments=np.full(document_count, -1, dtype=np.int64),
        outlier_share=outlier_share,
        parameters=parameters,
        model_versions=model_versions(embedding_model=embedding_model),
    )


def fit(
    *,
    texts: Sequence[str],
    embeddings: np.ndarray,
    stop_words: Iterable[str] = (),
    random_state: int = 42,
    assign_threshold: float = DEFAULT_ASSIGN_THRESHOLD,
    previous_themes: np.ndarray | None = None,
    embedding_model: str = "",
    embed_phrases: EmbedTexts | None = None,
    overwrite_embeddings: bool = False,
) -> FitResult:
    """Find themes among the documents; documents nearer no theme than `assign_threshold` stay unassigned (-1).

    `previous_themes` (optional): per document, the id of its current theme or -1; groups anchored to different
    previous themes are not merged (see `merge_similar_groups`).
    `embedding_model` names the model that made the embeddings, for the result's model_versions.
    `embed_phrases` embeds candidate label phrases with that model (ml/phrases.py); without it a theme's label is
    its top c-TF-IDF phrase.
    `overwrite_embeddings` lets the fit scale a float32 `embeddings` array to unit rows in place rather than copy it
    (the caller's array changes): a refit of a million cases then holds its vectors once, not twice.

    Runs with every BLAS/OpenMP pool and numba at one thread (`single_threaded`), so the same inputs give the same
    themes whatever OMP_NUM_THREADS, OPENBLAS_NUM_THREADS or NUMBA_NUM_THREADS the process was started with.
    """
    with single_threaded():
        return _fit(
            texts=texts,
            embeddings=embeddings,
            stop_words=stop_words,
            random_state=random_state,
            assign_threshold=assign_threshold,
            previous_themes=previous_themes,
            embedding_model=embedding_model,
            embed_phrases=embed_phrases,
            overwrite_embeddings=overwrite_embeddings,
        )


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """BLAS/OpenMP pools (threadpoolctl) and numba's parallel loops at one thread inside, restored after.

    Sums split across threads are added in a thread-count-dependent order, and UMAP's epochs amplify the last-bit
    differences into other themes; one thread takes that order out of the environment's hands.
    """
    import numba
    from threadpoolctl import threadpool_limits

    numba_threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        with threadpool_limits(limits=1):
            yield
    finally:
        numba.set_num_threads(numba_threads)


def _fit(
    *,
    texts: Sequence[str],
    embeddings: np.ndarray,
    stop_words: Iterable[str],
    random_state: int,
    assign_threshold: float,
    previous_themes: np.ndarray | None,
    embedding_model: str,
    embed_phrases: EmbedTexts | None = None,
    overwrite_embeddings: bool = False,
) -> FitResult:
    started = time.perf_counter()
    texts, embeddings, previous_themes = _validated_inputs(
        texts, embeddings, previous_themes, overwrites=overwrite_embeddings
    )
    document_count = len(texts)
    stop_words = list(stop_words)
    sample_size = min(document_count, FIT_SAMPLE_SIZE)
    parameters = _fit_parameters(
        document_count=document_count, sample_size=sample_size, random_state=random_state,
        assign_threshold=assign_threshold,
    )  # fmt: skip
    parameters["labels"] = label_parameters(embedded=embed_phrases is not None)
    if document_count < MINIMUM_DOCUMENTS:
        return _no_themes(
            document_count=document_count,
            outlier_share=1.0 if document_count else 0.0,
            parameters={**parameters, "skipped": f"fewer than {MINIMUM_DOCUMENTS} documents"},
            embedding_model=embedding_model,
        )
    generator = np.random.default_rng(random_state)
    sample = (
        np.sort(generator.choice(document_count, size=sample_size, replace=False))
        if sample_size < document_count
        else np.arange(document_count)
    )
    topics = _cluster_sample(
        texts=[texts[i] for i in sample],
        embeddings=embeddings[sample],
        stop_words=stop_word_set(stop_words),
        random_state=random_state,
        min_cluster_size=minimum_cluster_size(sample_size),
    )
    topic_ids = sorted(int(topic) for topic in set(topics.tolist()) if topic != -1)
    if not topic_ids:
        return _no_themes(
            document_count=document_count,
            outlier_share=1.0,
            parameters={**parameters, "seconds": round(time.perf_counter() - started, 3)},
            embedding_model=embedding_model,
        )
    sample_groups = np.array([topic_ids.index(int(topic)) if topic != -1 else -1 for topic in topics])
    parameters["hdbscan_theme_count"] = len(topic_ids)
    sample_previous = previous_themes[sample] if previous_themes is not None else None
    sample_parents = merge_similar_groups(
        embeddings=embeddings[sample],
        groups=sample_groups,
        group_count=len(topic_ids),
        previous_themes=sample_previous,
        similarity=PARENT_MERGE_SIMILARITY,
    )
    sample_groups = merge_similar_groups(
        embeddings=embeddings[sample], groups=sample_groups, group_count=len(topic_ids), previous_themes=sample_previous
    )
    group_count = int(sample_groups.max()) + 1
    group_parents = np.zeros(group_count, dtype=np.int64)
    for group in range(group_count):
        group_parents[group] = np.bincount(sample_parents[sample_groups == group]).argmax()
    centroids = _centroids(embeddings[sample], sample_groups, group_count)
    # Every document, outliers and documents outside the sample alike, goes to its nearest core centroid if near enough.
    assignments, _ = assign(embeddings=embeddings, centroids=centroids, threshold=assign_threshold)
    assignments[sample[sample_groups >= 0]] = sample_groups[sample_groups >= 0]
    clusters, assignments = _build_clusters(
        texts=texts,
        embeddings=embeddings,
        assignments=assignments,
        group_count=group_count,
        stop_words=stop_words,
        embed_phrases=embed_phrases,
        group_parents=group_parents,
    )
    parameters["seconds"] = round(time.perf_counter() - started, 3)
    return FitResult(
        clusters=clusters,
        assignments=assignments,
        outlier_share=float(np.mean(assignments == -1)),
        parameters=parameters,
        model_versions=model_versions(embedding_model=embedding_model),
    )


def _build_clusters(
    *,
    texts: list[str],
    embeddings: np.ndarray,
    assignments: np.ndarray,
    group_count: int,
    stop_words: list[str],
    embed_phrases: EmbedTexts | None = None,
    group_parents: np.ndarray,
) -> tuple[list[ThemeCluster], np.ndarray]:
    """Clusters ordered by size (largest first) with labels, keywords, centroids, representatives and parents.

    Parents are renumbered 0..p-1 in the order their first (largest) cluster appears.
    """
    sizes = np.bincount(assignments[assignments >= 0], minlength=group_count)
    order = [group for group in np.argsort(-sizes, kind="stable") if sizes[group] > 0]
    renumber = np.full(group_count, -1, dtype=np.int64)
    renumber[order] = np.arange(len(order))
    assignments = np.where(assignments >= 0, renumber[np.maximum(assignments, 0)], -1)
    centroids = _centroids(embeddings, assignments, len(order))
    parent_numbers: dict[int, int] = {}
    parents = [parent_numbers.setdefault(int(group_parents[group]), len(parent_numbers)) for group in order]
    keywords = class_keywords(texts=texts, groups=assignments, stop_words=stop_words)
    labels = theme_labels(
        texts=texts,
        groups=assignments,
        centroids=dict(enumerate(centroids)),
        keywords=keywords,
        stop_words=stop_words,
        embed=embed_phrases,
    )
    clusters = []
    for index in range(len(order)):
        members = np.flatnonzero(assignments == index)
        closeness = embeddings[members] @ centroids[index]
        representatives = members[np.argsort(-closeness, kind="stable")[:REPRESENTATIVE_COUNT]]
        clusters.append(
            ThemeCluster(
                label=labels.get(index, "unlabelled"),
                keywords=keywords.get(index, []),
                member_indices=members,
                representative_indices=[int(i) for i in representatives],
                centroid=centroids[index].astype(np.float32),
                parent=parents[index],
            )
        )
    return clusters, assignments
