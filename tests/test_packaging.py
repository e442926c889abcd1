"""What `pip install .` puts into site-packages, and the flows prefect.yaml deploys.

The repository keeps pipelines/, models/, storage/ and search_api/ at its top level; vidlib/ links to them, so
they are installed (and imported) as vidlib.pipelines, vidlib.models, vidlib.storage and vidlib.search_api, never
as top-level modules that would collide with other packages of those names.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    out = tmp_path_factory.mktemp("wheel")
    source = out / "source"  # a copy: building in the checkout would leave build/ and egg-info there
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    for name in ("vidlib", "pipelines", "models", "storage", "search_api"):  # vidlib/'s links stay links
        shutil.copytree(ROOT / name, source / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(source)],
        check=True,
        capture_output=True,
        cwd=out,
    )
    (wheel,) = out.glob("vidlib-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        return zf.namelist()


def test_wheel_installs_one_top_level_package(wheel_names: list[str]) -> None:
    top = {name.split("/")[0] for name in wheel_names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"vidlib"}
    for sub in ("pipelines", "models", "storage", "search_api"):
        assert f"vidlib/{sub}/__init__.py" in wheel_names


def test_wheel_carries_the_data_files(wheel_names: list[str]) -> None:
    assert "vidlib/search_api/static/student.html" in wheel_names
    assert "vidlib/search_api/static/moderator.js" in wheel_names
    assert "vidlib/search_api/data/jobs_fr.json" in wheel_names
    assert "vidlib/search_api/data/colloquial_fr.json" in wheel_names
    assert "vidlib/pipelines/stages/data/topics_fr.json" in wheel_names
    assert "vidlib/pipelines/stages/data/styles_fr.json" in wheel_names
    assert "vidlib/pipelines/stages/data/career_lexicon_fr.txt" in wheel_names


def test_no_module_imports_the_folders_as_top_level_packages() -> None:
    offenders = []
    for path in ROOT.rglob("*.py"):
        if {".venv", "build", "vidlib.egg-info"} & set(path.relative_to(ROOT).parts):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            words = line.split()
            if len(words) >= 2 and words[0] in ("from", "import"):
                if words[1].split(".")[0] in ("pipelines", "models", "storage", "search_api"):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_every_prefect_deployment_entrypoint_loads() -> None:
    from prefect.flows import load_flow_from_entrypoint

    deployments = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]
    assert deployments
    for deployment in deployments:
        path, _, name = deployment["entrypoint"].partition(":")
        flow = load_flow_from_entrypoint(str(ROOT / path) + ":" + name)
        assert flow.fn.__name__ == name
