from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from openkyc.engine.errors import ModelUnavailable
from openkyc.engine.face.dlib_net_file import DlibResNet, _Reader, read_dlib_resnet
from openkyc.engine.face.embed import RESNET_FILE
from openkyc.engine.models import dlib_model_path


@pytest.fixture(scope="module")
def net() -> DlibResNet:
    return read_dlib_resnet(dlib_model_path(RESNET_FILE))


def test_dlib_integers_decode_size_sign_and_little_endian_bytes() -> None:
    # 0 as a bare control byte, 2, 4736 (0x1280) and -17 as dlib writes them.
    reader = _Reader(bytes([0x00, 0x01, 0x02, 0x02, 0x80, 0x12, 0x81, 0x11]), 0)
    assert [reader.int() for _ in range(4)] == [0, 2, 4736, -17]


def test_dlib_float_is_mantissa_times_power_of_two() -> None:
    # 122.782 (dlib's red channel mean) = 0xF59062 * 2^-17.
    reader = _Reader(bytes([0x03, 0x62, 0x90, 0xF5, 0x81, 0x11]), 0)
    assert reader.float() == pytest.approx(122.782, abs=1e-3)


def test_network_is_dlibs_resnet_29(net: DlibResNet) -> None:
    kinds = [layer.kind for layer in net.layers]
    assert net.input_size == 150
    assert net.channel_means == pytest.approx((122.782, 117.001, 104.298), abs=1e-3)
    assert kinds.count("conv") == 29 and kinds.count("affine") == 29
    assert kinds.count("add_prev") == 14  # residual blocks
    first, last = net.layers[0], net.layers[-1]
    assert first.weights is not None and first.weights.shape == (32, 3, 7, 7)
    assert first.stride == (2, 2) and first.padding == (0, 0)
    assert last.kind == "fc" and last.weights is not None and last.weights.shape == (256, 128)
    assert all(np.isfinite(layer.weights).all() for layer in net.layers if layer.weights is not None)


def test_a_file_that_is_not_a_dlib_network_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "model.dat"
    bogus.write_bytes(b"\x00" * 64)
    with pytest.raises(ModelUnavailable):
        read_dlib_resnet(bogus)
