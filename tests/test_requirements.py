"""The server needs only its runtime requirements: `make run` installs no test tool, and none is imported."""

import ast
import re
import subprocess
import sys
from importlib.metadata import packages_distributions

from .support import ROOT

DEV_TOOLS = {"pytest", "pytest-xdist", "hypothesis", "ruff", "pypdf", "playwright", "gevent", "requests",
             "websocket-client", "aiohttp"}


def normal(name: str) -> str:
    """Spell a distribution name one way (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned(file: str) -> set[str]:
    """Return the distributions a requirements file pins, without the files it includes."""
    lines = (ROOT / file).read_text().splitlines()
    return {normal(line.split("==")[0].split("[")[0]) for line in lines if "==" in line}


def imported_top_modules() -> set[str]:
    """Return the top-level modules the server's package imports, other than itself."""
    found = set()
    for path in (ROOT / "workshop").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                found.add(node.module.split(".")[0])
    return found - {"workshop"}


def tool_modules() -> set[str]:
    """Return the importable names of the test tools (not their dependencies, which some runtime
    packages use when they happen to be installed, as dnspython does idna)."""
    return {module for module, dists in packages_distributions().items()
            if any(normal(d) in DEV_TOOLS for d in dists)}


def test_the_runtime_set_holds_no_test_tool_and_the_dev_set_adds_them_on_top():
    runtime, dev = pinned("requirements.txt"), pinned("requirements-dev.txt")
    assert not DEV_TOOLS & runtime
    assert dev >= DEV_TOOLS and not dev & runtime
    assert "-r requirements.txt" in (ROOT / "requirements-dev.txt").read_text().splitlines()
    assert "python-socketio" in runtime and "websocket-client" not in runtime  # the server needs no client


def test_every_package_the_server_imports_is_pinned_in_the_runtime_set():
    owners = packages_distributions()
    runtime = pinned("requirements.txt")
    third_party = sorted(m for m in imported_top_modules() if m not in sys.stdlib_module_names)
    assert third_party, "the server imports Flask at least"
    for module in third_party:
        owned = owners.get(module, [])
        assert any(normal(d) in runtime for d in owned), f"{module} ({owned}) is not in requirements.txt"


def test_the_whole_server_package_imports_with_the_test_tools_hidden():
    blocked = sorted(tool_modules())
    assert {"pytest", "requests", "aiohttp", "websocket", "gevent"} <= set(blocked)
    script = f"""
import importlib, pkgutil, sys
class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ImportError("a test tool imported by the server: " + name)
sys.meta_path.insert(0, Refuse())
import workshop
for module in pkgutil.walk_packages(workshop.__path__, "workshop."):
    importlib.import_module(module.name)
from workshop.shell.app import create_app
print("imported", len(sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("imported")
