"""Packaging for zoo: `pip install -e .[test]`."""

import pathlib
import re

from setuptools import find_packages
from setuptools import setup

HERE = pathlib.Path(__file__).parent
VERSION = re.search(
    r'^__version__ = "([^"]+)"', (HERE / "zoo" / "version.py").read_text(), re.M
).group(1)

setup(
    name="zoo",
    version=VERSION,
    description="Variational autoencoders for Keras 3 and TensorFlow Probability",
    long_description=(HERE / "README.md").read_text(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=find_packages(include=["zoo", "zoo.*"]),
    install_requires=[
        "tensorflow>=2.16",
        "keras>=3",
        "tensorflow-probability[tf]>=0.24",
        "numpy",
        "scikit-learn",
        "scipy",
        "matplotlib",
        "tensorboard",
    ],
    extras_require={
        "test": ["pytest", "pytest-xdist", "psutil", "hypothesis", "tensorflow-serving-api",
                 "xprof"],
        "notebooks": ["nbmake", "ipykernel"],
        "serving": ["tensorflow-serving-api"],
        # bench.speed's op-level profile reads TensorFlow's profiler output.
        "bench": ["xprof"],
        # ONNX and LiteRT exports (zoo.export.convert, `zoo export --format`);
        # checked with TF 2.21 and numpy 2.4: tf2onnx 1.17.0, onnxruntime
        # 1.32.0, ai-edge-litert 2.3.0.
        "export": ["tf2onnx>=1.17", "onnxruntime>=1.17", "ai-edge-litert"],
        # The documentation site (`python docs/build.py`, `mkdocs serve`) and
        # its browser test (tests/test_docs_site.py: Selenium driving
        # Debian's chromium and chromium-driver, which .ci/install installs).
        # Checked with mkdocs 1.6.1, mkdocs-material 9.8.2, mkdocstrings 1.0.8,
        # mkdocstrings-python 2.0.11, mkdocs-jupyter 0.26.3, selenium 4.51.0.
        "docs": ["mkdocs>=1.6", "mkdocs-material>=9.5", "mkdocstrings>=0.25",
                 "mkdocstrings-python>=1.10", "mkdocs-jupyter>=0.25",
                 "pymdown-extensions>=10", "selenium>=4.20", "pyyaml"],
    },
    entry_points={"console_scripts": ["zoo=zoo.cli:main"]},
)
