"""Runs ONNX's own checker, with full_check (type and shape inference), on every .onnx file of a folder."""
import json
import pathlib
import sys

import onnx

results = {}
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.onnx")):
    try:
        onnx.checker.check_model(str(path), full_check=True)
        results[path.name] = "ok"
    except Exception as error:  # the checker raises several types; each is a failure to report
        results[path.name] = f"{type(error).__name__}: {error}"
print(json.dumps(results))
