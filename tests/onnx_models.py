"""Tiny ONNX models for the learned-descriptor tests (tests/index, tests/screen, tests/cli).

:func:`tiny_model`'s descriptor is a known linear map of an image's mean normalised colour, so
the tests work every cosine out by hand; it tests rightsguard's code path, not a model.
Importable from every test folder: pyproject's ``[tool.pytest.ini_options] pythonpath``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def tiny_model(path: Path, w: np.ndarray) -> Path:
    """(N, 3, 8, 8) float32 -> GlobalAveragePool -> Flatten -> MatMul ``w`` (3×3) -> (N, 3),
    checked with onnx's checker and saved to ``path``."""
    x = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, 8, 8])
    nodes = [helper.make_node("GlobalAveragePool", ["image"], ["pooled"]),
             helper.make_node("Flatten", ["pooled"], ["flat"], axis=1),
             helper.make_node("MatMul", ["flat", "w"], ["descriptor"])]
    y = helper.make_tensor_value_info("descriptor", TensorProto.FLOAT, ["N", 3])
    graph = helper.make_graph(nodes, "tiny", [x], [y],
                              initializer=[numpy_helper.from_array(w, name="w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path
