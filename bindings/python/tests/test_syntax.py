"""The package, its tests and the sample parse as Python 3.9 (the oldest version pyproject.toml allows)."""

from __future__ import annotations

import ast
import os
import unittest

from .support import HERE

ROOTS = [os.path.join(os.path.dirname(HERE), "src"), HERE,
         os.path.join(os.path.dirname(HERE), "..", "..", "samples", "python")]


class SyntaxTest(unittest.TestCase):
    def test_every_source_file_parses_as_python_3_9(self) -> None:
        files = [os.path.join(folder, name) for root in ROOTS for folder, _, names in os.walk(root)
                 for name in names if name.endswith(".py")]
        self.assertGreater(len(files), 5)
        for path in files:
            with self.subTest(path=os.path.relpath(path, HERE)):
                with open(path, encoding="utf-8") as f:
                    ast.parse(f.read(), path, feature_version=(3, 9))


if __name__ == "__main__":
    unittest.main()
