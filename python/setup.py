"""Builds the lapack_ai Python package with liblapack_ai.so inside it.

Where the library comes from, first that applies:
  1. LAPACK_AI_LIBRARY=/path/to/liblapack_ai.so at install time: that file;
  2. this directory sits in a lapack-ai checkout (../Cargo.toml):
     `cargo build --release --locked` there, and its liblapack_ai.so;
  3. otherwise the package is installed without it, and finds the library
     at import (LAPACK_AI_LIBRARY, or the loader's search path, where
     tools/install.sh puts it).
The wheel holds a native library but no Python extension: tagged
py3-none-<platform>.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # setuptools < 70.1
    from wheel.bdist_wheel import bdist_wheel

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LIBRARY = "liblapack_ai.so"


def built_library():
    explicit = os.environ.get("LAPACK_AI_LIBRARY")
    if explicit:
        if not Path(explicit).is_file():
            raise SystemExit(f"LAPACK_AI_LIBRARY={explicit}: no such file")
        return Path(explicit)
    if not (ROOT / "Cargo.toml").is_file():
        print("lapack_ai: no lapack-ai checkout around this package; the library will be looked up at import")
        return None
    cargo = shutil.which("cargo") or str(Path.home() / ".cargo" / "bin" / "cargo")
    manifest = ["--manifest-path", str(ROOT / "Cargo.toml")]
    subprocess.run([cargo, "build", "--release", "--locked", *manifest], check=True)
    metadata = subprocess.run([cargo, "metadata", "--format-version", "1", "--no-deps", *manifest],
                              check=True, capture_output=True, text=True)
    return Path(json.loads(metadata.stdout)["target_directory"]) / "release" / LIBRARY


class BuildWithLibrary(build_py):
    def run(self):
        super().run()
        library = built_library()
        if library is not None:
            target = Path(self.build_lib) / "lapack_ai" / LIBRARY
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(library, target)
            os.chmod(target, 0o755)


class PlatformWheel(bdist_wheel):
    def finalize_options(self):
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self):
        return "py3", "none", super().get_tag()[2]


setup(cmdclass={"build_py": BuildWithLibrary, "bdist_wheel": PlatformWheel})
