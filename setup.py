"""Compiles sim/model/kernels.py, the model's loops, to a C extension with Cython (its pure-Python
mode: the module is typed Python). The extension is optional: without a C compiler and Python's
headers the install goes on and the module runs as Python, with the same results, several times
slower (tests/unit/test_kernels.py checks both). Everything else is in pyproject.toml."""

from Cython.Build import cythonize
from setuptools import setup

extensions = cythonize(["sim/model/kernels.py"], language_level=3, quiet=True)
for extension in extensions:
    extension.optional = True  # a failed build skips it rather than failing the install

setup(ext_modules=extensions)
