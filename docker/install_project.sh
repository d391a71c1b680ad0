#!/bin/sh
# Last layer of every posearena image: install the common package (with the Pose API code the
# stage generated) and the named package from /src, non-editable, check, clean up.
#   docker/install_project.sh PACKAGE_DIR IMPORT_MODULE
# e.g. docker/install_project.sh /src/services/stereo posearena_stereo.server
set -eu
cp /opt/posearena/v1/*.py /opt/posearena/v1/*.pyi /src/common/posearena/v1/
pip install -q --no-deps --no-build-isolation /src/common "$1"
pip check
rm -rf /src /root/.cache
python -c "import posearena.service.healthcheck, $2"
