"""The app draws its first frame before torch and the plugins are imported."""

from __future__ import annotations

import subprocess
import sys


def test_app_modules_do_not_import_torch_or_plugins() -> None:
    code = (
        "import sys, workbench.app.main, workbench.cli\n"
        "heavy = [m for m in sys.modules if m == 'torch' or m.startswith('workbench_plugins')\n"
        "         or m in ('workbench.engine.run', 'workbench.cells', 'workbench.tasks',\n"
        "                  'workbench.datasets')]\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
