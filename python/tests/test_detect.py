"""detect and redact over Arrow string arrays: spans as a list of structs
(character offsets, never a value), masks and placeholders, nulls kept."""

import pyarrow as pa
import pytest

import desensitize as dz

TEXTS = pa.array(["user 13800138000 failed", None, "nothing here", "身份证 11010519491231002X"])


def test_redact_masks_and_keeps_nulls():
    out = dz.redact(TEXTS)
    assert out.to_pylist() == ["user 138****8000 failed", None, "nothing here", "身份证 110************02X"]
    strict = dz.redact(TEXTS, level="strict", kinds=["mobile_phone"])
    assert strict.to_pylist()[0] == "user *******8000 failed"
    assert strict.to_pylist()[3] == "身份证 11010519491231002X"


def test_redact_placeholders_per_row():
    out = dz.redact(pa.array(["a 13800138000 b 13800138000", "c 13900139000"]), action="placeholder")
    assert out.to_pylist() == ["a <手机号_1> b <手机号_1>", "c <手机号_1>"]


def test_detect_gives_spans_in_characters():
    spans = dz.detect(TEXTS).to_pylist()
    assert spans[1] is None
    assert spans[2] == []
    [phone] = spans[0]
    assert (phone["start"], phone["end"], phone["kind"]) == (5, 16, "cn.mobile_phone")
    [id_number] = spans[3]
    assert (id_number["start"], id_number["end"], id_number["kind"]) == (4, 22, "cn.id_number")
    assert id_number["confidence"] == pytest.approx(0.99, abs=1e-6)


def test_errors_name_no_value():
    with pytest.raises(dz.DesensitizeError):
        dz.redact(TEXTS, action="bogus")
    with pytest.raises(dz.DesensitizeError) as e:
        dz.detect(TEXTS, kinds=["password"])
    assert "13800138000" not in str(e.value)
    with pytest.raises(dz.DesensitizeError):
        dz.detect(TEXTS, min_confidence=2.0)
