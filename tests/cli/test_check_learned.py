"""``rightsguard check --descriptor-model / --style-model``: the real command line with tiny ONNX
models built here (mean colour of an 8×8 image through a 3×3 matrix, so cosines are worked out
by hand in tests/screen/test_image_learned.py) over a photograph of Debian's mate-backgrounds.
The fast ``check`` path and the Typer command agree."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import RunCli, error_lines
from PIL import Image
from skimage import data as skdata

from onnx_models import tiny_model

MATE = Path("/usr/share/backgrounds/mate/nature")
TYPER = "import sys; from rightsguard.cli.commands import run_app; sys.exit(run_app())"


@pytest.fixture(scope="module")
def home(cli: RunCli, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("learned-cli")
    (root / "works").mkdir()
    shutil.copy(MATE / "Garden.jpg", root / "works" / "Garden.jpg")
    proc = cli("index", "add", str(root / "works"), "--licence", "GPL-2.0-or-later",
               "--holder", "Charles Barbin", home=root / "home")
    assert proc.returncode == 0, proc.stderr
    Image.fromarray(skdata.chelsea()).save(root / "chelsea.png")
    tiny_model(root / "copy.onnx", np.eye(3, dtype=np.float32))
    return root / "home", root / "chelsea.png", root


def _by_hand(path: Path) -> np.ndarray:
    """The copy model's descriptor: stretched to 8×8 (bilinear), ImageNet mean/std, mean."""
    with Image.open(path) as im:
        small = np.asarray(im.convert("RGB").resize((8, 8), Image.Resampling.BILINEAR), float)
    v = ((small / 255.0 - (0.485, 0.456, 0.406)) / (0.229, 0.224, 0.225)).reshape(-1, 3).mean(0)
    return v / np.linalg.norm(v)


def _typer(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RIGHTSGUARD_")}
    env.update(RIGHTSGUARD_CONFIG=os.devnull, RIGHTSGUARD_HOME=str(home))
    return subprocess.run([sys.executable, "-c", TYPER, *args], text=True, capture_output=True,
                          check=False, env=env, timeout=300)


def test_descriptor_model_reports_the_copy_in_json(cli: RunCli, home: tuple) -> None:
    index, cat, root = home
    expected = float(_by_hand(cat) @ _by_hand(MATE / "Garden.jpg"))
    assert expected > 0.75
    plain = cli("check", str(cat), "--format", "json", home=index)
    assert plain.returncode == 0, plain.stderr  # the classical cascade finds nothing
    assert json.loads(plain.stdout)["results"][0]["matches"] == []
    for proc in (cli("check", str(cat), "--format", "json", "--descriptor-model",
                     str(root / "copy.onnx"), home=index),
                 _typer(["check", str(cat), "--format", "json", "--descriptor-model",
                         str(root / "copy.onnx")], index)):
        assert proc.returncode == 1, proc.stderr  # block
        (result,) = json.loads(proc.stdout)["results"]
        (match,) = result["matches"]
        assert (match["kind"], match["matcher"], match["verdict"]) == ("copy", "descriptor",
                                                                       "block")
        # chelsea and Garden have nearly the same mean colour
        assert match["scores"]["descriptor_cosine"] == pytest.approx(expected, abs=1e-4)
        assert match["work"]["title"] == "works/Garden.jpg"
        assert match["output_region"]["polygon"] == [[0, 0], [451, 0], [451, 300], [0, 300]]
    # the descriptors of the registered works are cached under the index folder
    assert len(list((index / "images" / "embed").glob("copy-*/manifest.json"))) == 1


def test_style_model_never_blocks(cli: RunCli, home: tuple) -> None:
    index, cat, root = home
    proc = cli("check", str(cat), "--format", "json", "--style-model", str(root / "copy.onnx"),
               home=index)
    assert proc.returncode == 1, proc.stderr  # review, not block
    (match,) = json.loads(proc.stdout)["results"][0]["matches"]
    assert (match["kind"], match["verdict"]) == ("style", "review")
    assert "never blocks" in match["reason"]


def test_bad_model_files_are_usage_errors(cli: RunCli, home: tuple, tmp_path: Path) -> None:
    index, cat, _root = home
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model")
    missing = tmp_path / "missing.onnx"
    proc = cli("check", str(cat), "--descriptor-model", str(missing), "--style-model",
               str(junk), home=index)
    assert proc.returncode == 2 and proc.stdout == ""
    (line,) = error_lines(proc.stderr)
    assert f"descriptor model {missing}: file not found" in line
    assert f"descriptor model {junk}: not an ONNX model" in line


def test_help_says_style_is_experimental(cli: RunCli) -> None:
    proc = cli("check", "--help")
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())
    assert "--descriptor-model" in text and "--style-model" in text
    assert "experimental" in text and "never blocks" in text
