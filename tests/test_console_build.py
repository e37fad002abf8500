"""The web console's component tests (Vitest, console/) run as part of the suite: `npm test` in console/."""
import shutil
import subprocess
from pathlib import Path

CONSOLE = Path(__file__).resolve().parent.parent / "console"


def test_console_component_tests_pass():
    assert shutil.which("node") and shutil.which("npm"), (
        "node and npm are needed for the console's tests (Node 18 or 20): install them, e.g. apt-get install nodejs npm")
    script = CONSOLE.parent / "scripts" / "console.sh"
    result = subprocess.run([str(script), "test"], capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"console tests failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
