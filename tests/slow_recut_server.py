"""Test harness, run as its own process: the real API over the store that ``VIDLIB_*`` names, with every re-cut
(trim, redaction, split) slowed by ``SECONDS``; a re-cut touches ``MARKER`` once it has cut and stored the media,
before the manifest is saved, so that a test can send a second writer while the first holds the recording. Only
the timing is changed: the re-cut itself is the real one.

    python -m tests.slow_recut_server MARKER PORT SECONDS
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any


def main(marker: Path, port: int, seconds: float) -> None:
    import uvicorn

    from vidlib.pipelines import clip_media
    from vidlib.search_api.app import create_app
    from vidlib.settings import Settings

    recut = clip_media.recut

    def slow_recut(*args: Any, **kwargs: Any) -> Any:
        result = recut(*args, **kwargs)  # the new media are cut and stored, the manifest not saved yet
        marker.touch()
        time.sleep(seconds)
        return result

    clip_media.recut = slow_recut  # trim, redaction and split look it up on the module
    uvicorn.run(create_app(Settings()), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]))
