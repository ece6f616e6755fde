"""Floors are data: the committed file loads and a failing floor names metric, value, floor, direction."""
from quant.floors import Floor, check_floor, load_floors


def test_committed_floors_load_and_name_their_source():
    floors = load_floors()
    assert floors and all(f.source for f in floors)


def test_relative_floors():
    ratio = Floor("m", "int8", "AP", "ratio", 0.93, "MLPerf", baseline="fp32")
    assert check_floor(ratio, 0.28, 0.30) is None
    message = check_floor(ratio, 0.27, 0.30)
    assert "AP = 0.2700" in message and "0.2790" in message and "higher is better" in message
    points = Floor("m", "fp16", "AP", "points", 0.5, "issue", baseline="fp32")
    assert check_floor(points, 0.296, 0.300) is None and check_floor(points, 0.294, 0.300)
