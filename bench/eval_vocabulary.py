"""Word error rate per annotated call, with and without the call's vocabulary given to Whisper as hotwords.

    .venv/bin/python -m bench.eval_vocabulary --data ../shared/data/calls ../shared/data/calls_long

Each call's audio is extracted with ffmpeg and transcribed by the product's transcribe stage with the installed
model and the default settings (VIDLIB_* variables apply), once per variant: ``without`` hotwords, ``own`` (the
call's own words: ``vocabulary.call_vocabulary`` of a consent record built from the annotation: job title,
sector, names) and ``lexicon`` (the call's own words, then the career lexicon). WER is
computed as ../shared/tools/eval_calls.py does (lower case, punctuation and hyphens as spaces, elisions split), over
the whole call; the words of the call's own vocabulary are also counted apart ("vocabulary words found": how many
of their occurrences in the reference appear in the hypothesis). ``--set condition_on_previous_text=true``
changes one of the transcribe stage's options (``TranscribeOptions``) for every variant.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench.common import consent_from_truth, load_truth, wer, word_errors, words_for_wer
from vidlib.consent import parse_consent
from vidlib.models.registry import ModelRegistry
from vidlib.pipelines.context import configure_offline_environment
from vidlib.pipelines.stages.media import Pcm16Wav, extract_audio
from vidlib.pipelines.stages.transcribe import TranscribeOptions, transcribe
from vidlib.pipelines.stages.vocabulary import call_vocabulary, load_lexicon
from vidlib.settings import Settings


def vocabulary_recall(ref: list[str], hyp: list[str], vocabulary: str) -> tuple[int, int]:
    """(found, in reference): occurrences of the vocabulary's own words (4+ letters) in the reference that the
    hypothesis has too (counted as a multiset)."""
    terms = {w for w in words_for_wer(vocabulary) if len(w) >= 4}
    want = [w for w in ref if w in terms]
    have = [w for w in hyp if w in terms]
    found = sum(min(want.count(t), have.count(t)) for t in set(want))
    return found, len(want)


def with_options(options: TranscribeOptions, pairs: list[str]) -> TranscribeOptions:
    """``options`` with ``name=value`` pairs applied, each value read as the field's own type."""
    for pair in pairs:
        name, value = pair.split("=", 1)
        kind = type(getattr(options, name))
        read: Any = value.lower() in ("1", "true", "yes") if kind is bool else kind(value)
        options = replace(options, **{name: read})
    return options


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", nargs="+", required=True, type=Path)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--variants", default="without,own,lexicon")
    ap.add_argument("--set", nargs="*", default=[], help="transcribe options, e.g. condition_on_previous_text=true")
    a = ap.parse_args()
    settings = Settings()
    configure_offline_environment(settings)
    model = ModelRegistry(settings).whisper()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for media in sorted(p for d in a.data for p in d.glob("rec*.mp4")):
            truth = load_truth(media)
            ref = [w for t in sorted(truth["turns"], key=lambda t: t["start"]) for w in words_for_wer(t["text"])]
            wav = extract_audio(media, Path(tmp) / f"{media.stem}.wav")
            consent = parse_consent(consent_from_truth(truth))
            vocabulary = call_vocabulary(consent, load_lexicon())
            variants = {"without": None, "own": call_vocabulary(consent), "lexicon": vocabulary}
            row: dict[str, Any] = {"call": media.stem, "dur_s": round(float(truth["duration"]), 1)}
            for name in a.variants.split(","):
                hotwords = variants[name]
                options = with_options(
                    TranscribeOptions(
                        language="fr",
                        beam_size=settings.whisper_beam_size,
                        workers=settings.whisper_workers,
                        hotwords=hotwords,
                    ),
                    a.set,
                )
                t0 = time.perf_counter()
                tr = transcribe(model, Pcm16Wav(wav), options)
                seconds = time.perf_counter() - t0
                hyp = [w for s in tr.sentences for w in words_for_wer(s.text)]
                found, total = vocabulary_recall(ref, hyp, vocabulary)
                subs, dels, ins = word_errors(ref, hyp)
                row[name] = {
                    "wer": round(wer(ref, hyp), 4),
                    "substitutions / deletions / insertions": f"{subs} / {dels} / {ins}",
                    "seconds": round(seconds, 1),
                    "vocabulary_found": f"{found}/{total}",
                }
            print(json.dumps(row, ensure_ascii=False), flush=True)
            rows.append(row)
    for name in a.variants.split(","):
        words = sum(
            len(words_for_wer(" ".join(t["text"] for t in json.loads(Path(d).read_text())["turns"])))
            for d in [p.with_suffix(".json") for x in a.data for p in x.glob("rec*.mp4")]
        )
        mean = sum(r[name]["wer"] for r in rows) / max(1, len(rows))
        print(
            f"{name} vocabulary: mean WER {mean:.4f} over {len(rows)} calls ({words} reference words), "
            f"transcription {sum(r[name]['seconds'] for r in rows):.0f} s"
        )
    if a.json:
        a.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
